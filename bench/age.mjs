// Start-up cost of opening a `.age` key ring (issue 13): whole processes, `fcfg get` and an app calling
// loadConfig(), with a plain key file beside the config, an X25519 ring and an ssh-rsa ring. Target: an
// X25519 ring adds under 15 ms over a plain key file. `npm run bench` builds first; this runs the build.
// Each process reports its own CPU time (user + system, from a preloaded exit hook): on a busy machine it
// varies less than the wall time.
//
// What an X25519 ring costs is mostly Node's: compiling and evaluating dist/age-open.cjs (21 KB: age's
// Decrypter and format code, with X25519, SHA-256, HMAC, HKDF and ChaCha20-Poly1305 from node:crypto and
// in-memory streams in place of Node's web streams; scripts/bundle-age.mjs), the first use of each OpenSSL
// algorithm, and our src/age modules. An ssh-rsa ring adds parsing the private key and one RSA-OAEP decryption (3072 bits
// here). The target is judged on the CPU columns: on a shared machine the wall times follow the load.
//
// `--baseline DIR` also runs the build in DIR (a copy of the package directory with its own dist/, inside
// this checkout so that it finds node_modules) in the same interleaved loop, for a before/after from one
// run; its rows are marked "(baseline)".
//
// Why an X25519 ring can cost more than its own work: V8's young generation (1 MB at start). Once a
// process has about 820 KB of it in use (80 %), V8 queues a scavenge, which runs at the next turn of the
// event loop or when Node exits naturally; at about 1 MB the allocation that does not fit runs one at
// once. A scavenge copies the mostly live start-up objects: 3-5 ms of CPU. fcfg get and decrypt end with
// process.exit() once their output is out (cli/main.ts), so a queued one never runs there; an app's
// process runs it. The KB column counts a little more than that, for the flag and hook that measure it
// (the figures compare with each other, not with the limits above). A second table gives, for each process, the
// young-generation memory it allocated (measured once with --min-semi-space-size=16, so that nothing is
// collected) and the scavenges it ran (once with --trace-gc). Those two runs use flags; the timed ones none.
//
// Writes the tables to stdout and to bench/age-results.md. Not a test: nothing here asserts.
//
//   node bench/age.mjs [--quick] [--baseline DIR]

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { Fernet, generateKey } from '../dist/src/index.js';
import { machineName, markdownTable, textTable } from './report.mjs';

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 5 : 25;
const at = process.argv.indexOf('--baseline');
const BASELINE = at > 0 ? resolve(process.argv[at + 1] ?? '') : undefined;
const builds = { '': fileURLToPath(new URL('..', import.meta.url)), ...(BASELINE ? { ' (baseline)': BASELINE } : {}) };
const CLI = join(builds[''], 'dist/cli/main.js');

const root = mkdtempSync(join(tmpdir(), 'fcfg-bench-age-'));
const CPU_HOOK = join(root, 'cpu.cjs');
// fs.writeSync, not process.stderr: creating that stream at exit allocates enough to run a scavenge of its own.
writeFileSync(CPU_HOOK, "process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeSync(2, `\\ncpu-us ${u.user + u.system}\\n`); });\n");
const YOUNG_HOOK = join(root, 'young.cjs');
writeFileSync(YOUNG_HOOK, "process.on('exit', () => { const s = require('node:v8').getHeapSpaceStatistics().find((x) => x.space_name === 'new_space'); require('node:fs').writeSync(2, `\\nyoung-bytes ${s.space_used_size}\\n`); });\n");
const run = (cwd, args, env = {}, flags = []) => {
  const r = spawnSync(process.execPath, [...flags, '-r', CPU_HOOK, ...args], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: join(root, 'home'), ...env } });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return { ...r, cpu: Number(/cpu-us (\d+)/.exec(r.stderr)[1]) / 1000 };
};

try {
  mkdirSync(join(root, 'home', '.ssh'), { recursive: true });
  const key = generateKey();
  const setups = {};
  for (const name of ['plain', 'x25519', 'ssh-rsa']) {
    const d = join(root, name);
    mkdirSync(d);
    writeFileSync(join(d, 'config.enc'), new Fernet(key).encrypt(JSON.stringify({ db: { host: 'h', password: 'p' } })) + '\n');
    writeFileSync(join(d, 'secret.key'), key + '\n', { mode: 0o600 });
    setups[name] = { dir: d, env: {} };
  }
  const identity = await generateX25519Identity();
  writeFileSync(join(root, 'x.id'), identity + '\n', { mode: 0o600 });
  run(setups.x25519.dir, [CLI, 'recipients', 'add', 'x', await identityToRecipient(identity)]);
  rmSync(join(setups.x25519.dir, 'secret.key'));
  setups.x25519.env = { FERNET_CONFIG_IDENTITY_FILE: join(root, 'x.id') };
  const rsaKey = join(root, 'home', '.ssh', 'id_rsa');
  const kg = spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '3072', '-N', '', '-f', rsaKey], { encoding: 'utf8' });
  if (kg.status !== 0) throw new Error(`ssh-keygen failed: ${kg.stderr}`);
  run(setups['ssh-rsa'].dir, [CLI, 'recipients', 'add', 'rsa', `${rsaKey}.pub`]);
  rmSync(join(setups['ssh-rsa'].dir, 'secret.key'));

  const kinds = {};
  for (const [suffix, dir] of Object.entries(builds)) {
    kinds[`fcfg get${suffix}`] = [join(dir, 'dist/cli/main.js'), 'get', 'config.enc', 'db.host'];
    const loader = `const m = await import(${JSON.stringify(join(dir, 'dist/fernet-config.mjs'))}); await m.loadConfig({ path: 'config.enc' });`;
    kinds[`loadConfig()${suffix}`] = ['--input-type=module', '-e', loader];
  }
  const order = Object.keys(kinds).sort((a, b) => a.replace(' (baseline)', '').localeCompare(b.replace(' (baseline)', '')) || a.length - b.length);
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const wall = {};
  const cpu = {};
  for (const kind of order) {
    for (const name of Object.keys(setups)) {
      wall[`${kind}/${name}`] = [];
      cpu[`${kind}/${name}`] = [];
    }
    run(setups.plain.dir, kinds[kind]); // warm the file cache
  }
  // Interleaved, so a busy neighbour slows every variant (and both builds) alike.
  for (let i = 0; i < RUNS; i++) {
    for (const kind of order) {
      for (const [name, s] of Object.entries(setups)) {
        const t = process.hrtime.bigint();
        const r = run(s.dir, kinds[kind], s.env);
        wall[`${kind}/${name}`].push(Number(process.hrtime.bigint() - t) / 1e6);
        cpu[`${kind}/${name}`].push(r.cpu);
      }
    }
  }
  // Young generation, once per process kind and key source: KB allocated (nothing collected), scavenges.
  const young = {};
  for (const kind of order) {
    for (const [name, s] of Object.entries(setups)) {
      const allocated = run(s.dir, kinds[kind], s.env, ['--min-semi-space-size=16', '-r', YOUNG_HOOK]);
      const traced = run(s.dir, kinds[kind], s.env, ['--trace-gc']);
      young[`${kind}/${name}`] = [Math.round(Number(/young-bytes (\d+)/.exec(allocated.stderr)[1]) / 1024), (traced.stdout.match(/\bScavenge\b/g) ?? []).length];
    }
  }
  const youngHead = ['Process', 'plain key file KB', 'scavenges', 'X25519 ring KB', 'scavenges', 'ssh-rsa ring KB', 'scavenges'];
  const youngRows = order.map((kind) => [kind, ...['plain', 'x25519', 'ssh-rsa'].flatMap((n) => young[`${kind}/${n}`].map(String))]);
  const head = ['Process', 'plain key file ms', 'X25519 ring ms', '+ms', 'ssh-rsa ring ms', '+ms', 'X25519 +CPU ms', 'ssh-rsa +CPU ms'];
  const rows = order.map((kind) => {
    const [p, x, r] = ['plain', 'x25519', 'ssh-rsa'].map((n) => median(wall[`${kind}/${n}`]));
    const [cp, cx, cr] = ['plain', 'x25519', 'ssh-rsa'].map((n) => median(cpu[`${kind}/${n}`]));
    return [kind, p.toFixed(1), x.toFixed(1), `+${(x - p).toFixed(1)}`, r.toFixed(1), `+${(r - p).toFixed(1)}`, `+${(cx - cp).toFixed(1)}`, `+${(cr - cp).toFixed(1)}`];
  });
  const current = order.filter((k) => !k.endsWith('(baseline)'));
  const extra = (times, k) => median(times[`${k}/x25519`]) - median(times[`${k}/plain`]);
  const cpuExtra = Math.max(...current.map((k) => extra(cpu, k)));
  const wallExtra = Math.max(...current.map((k) => extra(wall, k)));
  const goal = ['X25519 ring adds < 15 ms to start-up (CPU)', `+${cpuExtra.toFixed(1)} ms CPU (wall +${wallExtra.toFixed(1)} ms)`, cpuExtra < 15 ? 'met' : 'missed'];
  const machine = machineName();
  const markdown = [
    '# .age key ring start-up',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`node bench/age.mjs${BASELINE ? ' --baseline DIR' : ''}\` on ${machine}; Node ${process.versions.node}; median of ${RUNS} interleaved runs; load average ${loadavg()[0].toFixed(1)} at the end (the cost grows with it). +CPU: the extra user + system time of the process.${BASELINE ? ' "(baseline)": the build in DIR, run in the same loop.' : ''}`,
    '',
    markdownTable(head, rows, 1),
    '',
    markdownTable(['Target', 'Measured', 'Status'], [goal], 2),
    '',
    'Young generation (V8 new space): KB each process allocated there, and the scavenges it ran. Past about 880 KB a process pays a scavenge.',
    '',
    markdownTable(youngHead, youngRows, 1),
    '',
  ].join('\n');
  writeFileSync(new URL('age-results.md', import.meta.url), markdown);
  console.log(`\n.age key ring start-up (${machine}, median of ${RUNS})\n`);
  console.log(textTable(head, rows, 1));
  console.log(`\n${goal[2].padEnd(6)}  ${goal[0]}: ${goal[1]}`);
  console.log('\nYoung generation: KB allocated, scavenges\n');
  console.log(textTable(youngHead, youngRows, 1));
} finally {
  rmSync(root, { recursive: true, force: true });
}
