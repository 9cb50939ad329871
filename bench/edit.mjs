// Editing large configs (issue 11): `fcfg set` and `fcfg unset` on 1, 10 and 50 MB configs, one-line
// (what Python's json.dumps writes) and indented, each beside `fcfg decrypt` of the same file in the same
// run. Every operation is a whole CLI process, timed from outside; peak memory is the child's maximum
// resident set size from /usr/bin/time (GNU time, `%M`).
//
// Targets: set and unset within 3x the time of decrypt, peak memory within 8x the file size.
// Writes the table to stdout and, as markdown, to bench/edit-results.md. Not a test: nothing asserts.
//
//   node bench/edit.mjs [--quick] [--sizes=1,10,50]     (--quick: 1 MB only, one run each)

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKey } from '../dist/src/index.js';
import { machineName, markdownTable, textTable } from './report.mjs';

const QUICK = process.argv.includes('--quick');
const MB = 1e6;
const SIZES_ARG = process.argv.find((a) => a.startsWith('--sizes='));
const SIZES = SIZES_ARG ? SIZES_ARG.slice(8).split(',').map(Number) : QUICK ? [1] : [1, 10, 50];
const RUNS = (mb) => (QUICK || mb >= 50 ? 1 : 3);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const TIME = '/usr/bin/time';
const HAVE_TIME = existsSync(TIME);

/** A config of about `bytes` bytes: `sections` objects with strings, numbers and arrays. */
function makeConfig(bytes, indented) {
  const [sep, colon] = indented ? [',\n', ': '] : [', ', ': '];
  const parts = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const section = {
      name: `service-${i}`,
      host: `host-${i}.internal.example`,
      port: 1024 + (i % 50000),
      ratio: 1.5,
      big: '12345678901234567891',
      tags: ['alpha', 'beta', `t${i}`],
      secret: `s3cr3t-${i.toString(36)}-${'x'.repeat(24)}`,
    };
    let text;
    if (indented) {
      text = `  "sec${i}": ` + JSON.stringify(section, null, 2).replace(/\n/g, '\n  ').replace('"12345678901234567891"', '12345678901234567891');
    } else {
      text = `"sec${i}"${colon}` + JSON.stringify(section).replace(/,"/g, ', "').replace(/":/g, '": ').replace('"12345678901234567891"', '12345678901234567891');
    }
    parts.push(text);
    size += text.length + sep.length;
  }
  return { text: indented ? `{\n${parts.join(sep)}\n}\n` : `{${parts.join(sep)}}`, sections: parts.length };
}

/** Runs the CLI once; wall seconds and peak RSS in bytes (undefined without GNU time). */
function timed(args, env, cwd) {
  const report = join(cwd, 'time.txt');
  const cmd = HAVE_TIME ? [TIME, ['-f', '%e %M', '-o', report, process.execPath, CLI, ...args]] : [process.execPath, [CLI, ...args]];
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd[0], cmd[1], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 20 });
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`fcfg ${args[0]} failed: ${r.stderr}`);
  if (!HAVE_TIME) return { seconds: wall, rss: undefined };
  const [, kb] = spawnSync('cat', [report], { encoding: 'utf8' }).stdout.trim().split(/\s+/).slice(-2);
  return { seconds: wall, rss: Number(kb) * 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function benchOne(mb, indented, dir, env) {
  const { text, sections } = makeConfig(mb * MB, indented);
  const plain = join(dir, 'plain.json');
  writeFileSync(plain, text);
  const base = join(dir, 'base.enc');
  rmSync(base, { force: true });
  if (spawnSync(process.execPath, [CLI, 'encrypt', plain, '-o', base], { cwd: dir, env, stdio: 'ignore' }).status !== 0) throw new Error('encrypt failed');
  rmSync(plain);
  const work = join(dir, 'work.enc');
  const mid = sections >> 1;
  const ops = {
    decrypt: ['decrypt', work],
    set: ['set', work, `sec${mid}.port`, '99999999999999999999'],
    unset: ['unset', work, `sec${mid}`],
  };
  const results = {};
  for (const name of Object.keys(ops)) results[name] = { seconds: [], rss: [] };
  for (let run = 0; run < RUNS(mb); run++) {
    for (const [name, args] of Object.entries(ops)) {
      copyFileSync(base, work);
      const r = timed(args, env, dir);
      results[name].seconds.push(r.seconds);
      if (r.rss !== undefined) results[name].rss.push(r.rss);
    }
  }
  const size = text.length;
  const out = { mb, style: indented ? 'indented' : 'one-line', size };
  for (const [name, r] of Object.entries(results)) out[name] = { seconds: median(r.seconds), rss: r.rss.length ? Math.max(...r.rss) : undefined };
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'fcfg-bench-edit-'));
const env = { ...process.env, FERNET_CONFIG_KEY: generateKey() };
for (const k of Object.keys(env)) if (k.startsWith('FERNET_CONFIG_') && k !== 'FERNET_CONFIG_KEY') delete env[k];
const rows = [];
try {
  for (const mb of SIZES) {
    for (const indented of [false, true]) {
      process.stderr.write(`edit: ${mb} MB ${indented ? 'indented' : 'one-line'}…\n`);
      rows.push(benchOne(mb, indented, dir, env));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const s = (x) => x.toFixed(2);
const memo = (r, size) => (r.rss === undefined ? 'n/a' : `${Math.round(r.rss / MB)} (${(r.rss / size).toFixed(1)}x)`);
const head = ['Config', 'decrypt s', 'set s (x decrypt)', 'unset s (x decrypt)', 'decrypt MB RSS', 'set MB RSS (x file)', 'unset MB RSS (x file)'];
const table = rows.map((r) => [
  `${r.mb} MB ${r.style}`,
  s(r.decrypt.seconds),
  `${s(r.set.seconds)} (${(r.set.seconds / r.decrypt.seconds).toFixed(1)}x)`,
  `${s(r.unset.seconds)} (${(r.unset.seconds / r.decrypt.seconds).toFixed(1)}x)`,
  memo(r.decrypt, r.size),
  memo(r.set, r.size),
  memo(r.unset, r.size),
]);
const worstTime = Math.max(...rows.flatMap((r) => [r.set.seconds / r.decrypt.seconds, r.unset.seconds / r.decrypt.seconds]));
const rssRatios = rows.flatMap((r) => [r.set.rss, r.unset.rss].filter((x) => x !== undefined).map((x) => x / r.size));
const worstMem = rssRatios.length ? Math.max(...rssRatios) : undefined;
const goals = [
  ['set/unset within 3x of decrypt', `worst ${worstTime.toFixed(1)}x`, worstTime <= 3 ? 'met' : 'MISSED'],
  ['peak memory within 8x of the file size', worstMem === undefined ? 'n/a' : `worst ${worstMem.toFixed(1)}x`, worstMem === undefined ? 'n/a' : worstMem <= 8 ? 'met' : 'MISSED'],
];
const machine = machineName();
const date = new Date().toISOString().slice(0, 10);
writeFileSync(
  new URL('edit-results.md', import.meta.url),
  [
    '# Editing large configs',
    '',
    `Measured ${date} by \`node bench/edit.mjs\` on ${machine}, Node ${process.versions.node}. Whole CLI processes; times are medians of ${QUICK ? 1 : 3} runs (1 at 50 MB), memory is the peak resident set (GNU time).`,
    '',
    markdownTable(head, table, 1),
    '',
    markdownTable(['Target', 'Measured', 'Status'], goals, 2),
    '',
  ].join('\n'),
);
console.log(`\nEditing large configs (${machine})\n`);
console.log(textTable(head, table, 1));
console.log('');
for (const [what, value, verdict] of goals) console.log(`${verdict.padEnd(6)}  ${what}: ${value}`);
