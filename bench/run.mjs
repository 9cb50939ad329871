// Fernet throughput and latency: our core vs the `fernet` npm package vs Python's cryptography, against
// the ceiling OpenSSL sets on this machine. `npm run bench` builds first; this imports the build.
//
// Writes the table to stdout and, as markdown, to bench/results.md. Not a test: nothing here asserts.
//
//   node bench/run.mjs [--quick] [--throughput]
//     --quick       shorter runs, for checking the script itself
//     --throughput  only our core against the OpenSSL ceiling; prints, writes no file, runs no other bench
//
// Every rate is work over the CPU time of the process that did it (user + system, all its threads):
// on a shared machine, wall time measures the other users' load. Garbage collection, V8's helper
// threads and page faults are all CPU time of ours, so nothing we cause is left out.

import { fork, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Fernet, generateKey } from '../dist/src/index.js';
import { machineName, markdownTable, textTable } from './report.mjs';
import { measure } from './throughput-worker.mjs';

const require = createRequire(import.meta.url);
const fernetNpm = require('fernet');

const QUICK = process.argv.includes('--quick');
const THROUGHPUT_ONLY = process.argv.includes('--throughput');
const SIZES = [1024, 64 * 1024, 1024 * 1024];
/** Seconds of measurement per (implementation, size, operation) cell, after a warm-up of 15 % of that. */
const SECONDS = QUICK ? 0.3 : 1.5;
/**
 * Our cells are measured in ROUNDS parts, each right after an `openssl speed` run of the same primitives
 * at the same size, so the ceiling and our rate share the machine's state of the moment.
 */
const ROUNDS = QUICK ? 1 : 3;
const PYTHON = process.env.FERNET_CONFIG_PYTHON || 'python3';
const HERE = fileURLToPath(new URL('.', import.meta.url));

// ---------------------------------------------------------------------------------------------------
// Measuring

const clock = () => Number(process.hrtime.bigint()) / 1e9;

function cell(size, { median, sustained }) {
  return { opsPerSec: median, usPerOp: 1e6 / median, bytesPerSec: median * size, sustainedBytesPerSec: sustained * size };
}

// ---------------------------------------------------------------------------------------------------
// The implementations

/**
 * Our core, each cell in ROUNDS rounds, each right after an OpenSSL ceiling run for its size and operation,
 * then node:crypto alone at that cell: `{ ours, alone, ceiling }`, measured in the same minutes. The
 * measuring runs in a worker process (bench/throughput-worker.mjs says why).
 */
async function benchOursAndCeiling() {
  const worker = fork(fileURLToPath(new URL('throughput-worker.mjs', import.meta.url)), ['--worker'], { stdio: 'inherit' });
  const exited = once(worker, 'exit').then(() => {
    throw new Error('the throughput worker exited');
  });
  exited.catch(() => {}); // it exits at the end too, when nothing waits for it any more
  const ask = async (message) => {
    worker.send(message);
    const [reply] = await Promise.race([once(worker, 'message'), exited]);
    return reply.result;
  };
  const ours = {};
  const alone = {};
  const ceiling = opensslVersion();
  for (const size of SIZES) {
    ours[size] = {};
    alone[size] = {};
    for (const op of ['encrypt', 'decrypt']) {
      const runs = [];
      let result;
      for (let round = 0; round < ROUNDS; round++) {
        if (!ceiling.error) runs.push(ceilingRun(size, op));
        result = await ask({ kind: 'ours', size, op, seconds: SECONDS / ROUNDS, total: SECONDS, last: round === ROUNDS - 1 });
      }
      ours[size][op] = cell(size, result);
      alone[size][op] = cell(size, await ask({ kind: 'alone', size, op, seconds: SECONDS, total: SECONDS, last: true }));
      if (!ceiling.error) addCeiling(ceiling, size, op, runs);
    }
  }
  worker.disconnect();
  return { ours, alone, ceiling };
}

function benchFernetNpm() {
  // It only takes text (CryptoJS parses it as UTF-8), and `ttl: 0` turns its clock check off.
  const secret = new fernetNpm.Secret(generateKey());
  const out = {};
  for (const size of SIZES) {
    const text = randomBytes(size).toString('base64').slice(0, size);
    const token = new fernetNpm.Token({ secret, ttl: 0 }).encode(text);
    if (new fernetNpm.Token({ secret, ttl: 0, token }).decode() !== text) throw new Error('fernet npm: round trip failed');
    out[size] = {
      encrypt: cell(size, measure(() => new fernetNpm.Token({ secret, ttl: 0 }).encode(text), SECONDS)),
      decrypt: cell(size, measure(() => new fernetNpm.Token({ secret, ttl: 0, token }).decode(), SECONDS)),
    };
  }
  return out;
}

function benchPython() {
  const r = spawnSync(PYTHON, [`${HERE}python_bench.py`, String(SECONDS), ...SIZES.map(String)], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (r.error || r.status !== 0) {
    return { error: r.error ? r.error.message : `exit ${r.status}: ${r.stderr.trim().split('\n').pop()}` };
  }
  const json = JSON.parse(r.stdout);
  const out = { version: `Python ${json.python}, cryptography ${json.cryptography}` };
  for (const { size, op, opsPerSec, sustainedOpsPerSec } of json.results) (out[size] ??= {})[op] = cell(size, { median: opsPerSec, sustained: sustainedOpsPerSec });
  return out;
}

/**
 * bytes/second of one `openssl speed` run on buffers of `size` bytes, or undefined. Without `-elapsed`,
 * openssl times its own user CPU time, as we time ours.
 */
function opensslSpeed(args, size) {
  const r = spawnSync('openssl', ['speed', '-seconds', '1', '-mr', '-bytes', String(size), ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error || r.status !== 0) return undefined;
  // Machine-readable result line: +F:<n>:<name>:<bytes per second for each size>
  const line = r.stdout.split('\n').find((l) => l.startsWith('+F'));
  const value = line && Number(line.split(':').pop());
  return value && Number.isFinite(value) ? value : undefined;
}

function opensslVersion() {
  const version = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) return { error: 'openssl not found' };
  return { version: version.stdout.trim().split(' (')[0], parts: {} };
}

/** One run of the two primitives Fernet's `op` makes at `size`: { aes, hmac } in bytes per second. */
function ceilingRun(size, op) {
  const aes =
    op === 'decrypt'
      ? opensslSpeed(['-decrypt', '-evp', 'aes-128-cbc'], size) ?? opensslSpeed(['-evp', 'aes-128-cbc'], size)
      : opensslSpeed(['-evp', 'aes-128-cbc'], size);
  // HMAC-SHA256 itself where this openssl can time it; plain SHA-256 runs at practically the same speed.
  const hmac = opensslSpeed(['-hmac', 'sha256'], size) ?? opensslSpeed(['-evp', 'sha256'], size);
  return { aes, hmac };
}

/**
 * The Fernet ceiling: AES-128-CBC and HMAC-SHA256 over the same bytes, one after the other, with no
 * other cost (no base64, no allocation): 1 / (1/aes + 1/hmac) bytes per second, from the median of the
 * runs interleaved with ours. Decryption uses OpenSSL's CBC-decrypt speed, which is far higher since
 * CBC decryption runs blocks in parallel.
 */
function addCeiling(ceiling, size, op, runs) {
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  const aes = median(runs.map((r) => r.aes).filter(Boolean));
  const hmac = median(runs.map((r) => r.hmac).filter(Boolean));
  if (!aes || !hmac) {
    ceiling.error = 'openssl speed failed';
    return;
  }
  (ceiling.parts[size] ??= {})[op] = { aes, hmac };
  (ceiling[size] ??= {})[op] = { bytesPerSec: 1 / (1 / aes + 1 / hmac) };
}

// ---------------------------------------------------------------------------------------------------
// Report

const mb = (bps) => (bps === undefined ? 'n/a' : (bps / 1e6).toFixed(bps >= 1e8 ? 0 : 1));
const us = (x) => (x === undefined ? 'n/a' : x < 100 ? x.toFixed(2) : Math.round(x).toLocaleString('en-US'));
const ratio = (a, b) => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(a / b >= 10 ? 0 : 1)}×`);
const pct = (a, b) => (a === undefined || b === undefined ? 'n/a' : `${((100 * a) / b).toFixed(0)} %`);
const sizeName = (n) => (n >= 1 << 20 ? `${n >> 20} MiB` : `${n >> 10} KiB`);

function table(r) {
  const head = [
    'Size', 'Op',
    'ours MB/s', 'ours µs/op',
    'fernet npm MB/s', 'fernet npm µs/op',
    'Python MB/s', 'Python µs/op',
    'ceiling MB/s',
    'ours vs npm', 'ours vs Python', 'ours % of ceiling',
  ];
  const rows = [];
  for (const size of SIZES) {
    for (const op of ['encrypt', 'decrypt']) {
      const o = r.ours[size][op];
      const n = r.npm[size]?.[op];
      const p = r.python[size]?.[op];
      const c = r.ceiling[size]?.[op];
      rows.push([
        sizeName(size), op,
        mb(o.bytesPerSec), us(o.usPerOp),
        mb(n?.bytesPerSec), us(n?.usPerOp),
        mb(p?.bytesPerSec), us(p?.usPerOp),
        mb(c?.bytesPerSec),
        ratio(o.bytesPerSec, n?.bytesPerSec), ratio(o.bytesPerSec, p?.bytesPerSec), pct(o.bytesPerSec, c?.bytesPerSec),
      ]);
    }
  }
  return { head, rows };
}

/** The sustained rates beside the medians: what a long run really gets, GC pauses included. */
function sustainedTable(r) {
  const head = [
    'Size', 'Op',
    'ours MB/s', 'node:crypto alone MB/s', 'fernet npm MB/s', 'Python MB/s', 'ceiling MB/s',
    'ours % of ceiling', 'node:crypto alone % of ceiling', 'ours sustained / median',
  ];
  const rows = [];
  for (const size of SIZES) {
    for (const op of ['encrypt', 'decrypt']) {
      const o = r.ours[size][op];
      const a = r.alone[size][op];
      const c = r.ceiling[size]?.[op]?.bytesPerSec;
      rows.push([
        sizeName(size), op,
        mb(o.sustainedBytesPerSec), mb(a.sustainedBytesPerSec), mb(r.npm[size]?.[op]?.sustainedBytesPerSec), mb(r.python[size]?.[op]?.sustainedBytesPerSec), mb(c),
        pct(o.sustainedBytesPerSec, c), pct(a.sustainedBytesPerSec, c), pct(o.sustainedBytesPerSec, o.bytesPerSec),
      ]);
    }
  }
  return { head, rows };
}

function targets(r) {
  const big = 1024 * 1024;
  const out = [];
  for (const op of ['encrypt', 'decrypt']) {
    const o = r.ours[big][op].bytesPerSec;
    const c = r.ceiling[big]?.[op]?.bytesPerSec;
    const p = r.python[big]?.[op]?.bytesPerSec;
    out.push([`1 MiB ${op} ≥ 50 % of the ceiling`, c === undefined ? undefined : o >= 0.5 * c, pct(o, c)]);
    out.push([`1 MiB ${op} ≥ 2× Python's cryptography`, p === undefined ? undefined : o >= 2 * p, ratio(o, p)]);
  }
  for (const size of [64 * 1024, 1024 * 1024]) {
    for (const op of ['encrypt', 'decrypt']) {
      const o = r.ours[size][op].sustainedBytesPerSec;
      const c = r.ceiling[size]?.[op]?.bytesPerSec;
      out.push([`${sizeName(size)} ${op} sustained ≥ 80 % of the ceiling`, c === undefined ? undefined : o >= 0.8 * c, pct(o, c)]);
    }
  }
  for (const op of ['encrypt', 'decrypt']) {
    const t = r.ours[1024][op].usPerOp;
    out.push([`1 KiB ${op} ≤ 10 µs per operation`, t <= 10, `${t.toFixed(2)} µs`]);
  }
  return out.map(([what, ok, value]) => [what, value, ok === undefined ? 'n/a' : ok ? 'met' : 'MISSED']);
}

// ---------------------------------------------------------------------------------------------------

const started = clock();
const step = (what) => process.stderr.write(`${what}…\n`);
step('our core, interleaved with the OpenSSL ceiling (openssl speed)');
const { ours, alone, ceiling } = await benchOursAndCeiling();
const skipped = { error: 'not measured (--throughput)' };
if (!THROUGHPUT_ONLY) step('fernet npm package');
const npm = THROUGHPUT_ONLY ? skipped : benchFernetNpm();
if (!THROUGHPUT_ONLY) step(`Python cryptography (${PYTHON})`);
const python = THROUGHPUT_ONLY ? skipped : benchPython();
const results = { ours, alone, npm, python, ceiling };

const npmVersion = require('fernet/package.json').version;
const machine = machineName();
const versions = [
  `Node ${process.versions.node} (OpenSSL ${process.versions.openssl})`,
  `fernet npm ${npmVersion}`,
  python.version ?? `Python: ${python.error}`,
  ceiling.version ?? `ceiling: ${ceiling.error}`,
];
const { head, rows } = table(results);
const sustained = sustainedTable(results);
const goals = targets(results);

const notes = [
  'MB/s is 10^6 bytes of plaintext per CPU second of the process that did the work (user + system, all threads: GC, page faults and V8 helper threads count, other users of the machine do not); µs/op is the CPU time of one encrypt or decrypt call (median of ~25 ms batches).',
  'Ours and Python encrypt random bytes; the `fernet` npm package only takes text, so it gets ASCII text of the same length.',
  `Ceiling: \`openssl speed -bytes <size>\` (its own CPU time) for AES-128-CBC (encrypt, and \`-decrypt\`) and HMAC-SHA256, combined as 1 / (1/AES + 1/HMAC): the two passes Fernet must make over the data, with no base64, allocation or call overhead. Measured in ${ROUNDS} runs interleaved with ours for each cell (median), so both see the machine in the same minutes.`,
];
const big = ceiling.parts?.[1024 * 1024];
if (big?.encrypt && big?.decrypt) {
  notes.push(
    `OpenSSL at 1 MiB: AES-128-CBC encrypt ${mb(big.encrypt.aes)} MB/s, decrypt ${mb(big.decrypt.aes)} MB/s, HMAC-SHA256 ${mb(big.encrypt.hmac)} MB/s.`,
  );
}

const date = new Date().toISOString().slice(0, 10);
const markdown = [
  '# Fernet benchmark',
  '',
  `Measured ${date} by \`npm run bench\` (bench/run.mjs) on ${machine}.`,
  `${versions.join('; ')}.`,
  '',
  markdownTable(head, rows, 2),
  '',
  '## Sustained throughput',
  '',
  `Every operation of the measuring phase (${SECONDS} s of CPU time per cell) over its whole time, garbage collection included.`,
  '',
  markdownTable(sustained.head, sustained.rows, 2),
  '',
  ...notes.map((n) => `- ${n}`),
  '',
  '## Targets',
  '',
  markdownTable(['Target', 'Measured', 'Status'], goals, 2),
  '',
].join('\n');
if (!THROUGHPUT_ONLY) writeFileSync(new URL('results.md', import.meta.url), markdown);

console.log(`\n${machine}\n${versions.join('\n')}\n`);
console.log(textTable(head, rows, 2));
console.log('\nSustained (all operations over all time, GC included):\n');
console.log(textTable(sustained.head, sustained.rows, 2));
console.log('');
for (const [what, value, verdict] of goals) console.log(`${verdict.padEnd(6)}  ${what}: ${value}`);
console.log(`\n(${(clock() - started).toFixed(0)} s${THROUGHPUT_ONLY ? '' : '; markdown written to bench/results.md'})`);
if (THROUGHPUT_ONLY) process.exit();

// The boot benchmark (issue 5) times whole processes rather than operations: its own script and process.
const boot = spawnSync(process.execPath, [fileURLToPath(new URL('boot.mjs', import.meta.url)), ...(QUICK ? ['--quick'] : [])], { stdio: 'inherit' });
if (boot.status !== 0) process.exitCode = 1;
if (spawnSync(process.execPath, [fileURLToPath(new URL('edit.mjs', import.meta.url)), ...(QUICK ? ['--quick'] : [])], { stdio: 'inherit' }).status !== 0) process.exitCode = 1; // editing large configs (bench/edit.mjs)

// The .age key ring's start-up cost (issue 13): its own script, whole processes too.
const age = spawnSync(process.execPath, [fileURLToPath(new URL('age.mjs', import.meta.url)), ...(QUICK ? ['--quick'] : [])], { stdio: 'inherit' });
if (age.status !== 0) process.exitCode = 1;
