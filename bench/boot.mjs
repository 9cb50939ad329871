// Boot benchmark: how much a process that loads and validates a 4 KiB config costs, next to a bare
// `node -e 0`. `npm run bench` builds first; this uses the build, imported as an app would: by package name.
//
// Each script is a whole process (spawn to exit), run round-robin so that load on the machine affects all
// alike; the median of the runs is reported. Writes the table to stdout and, as markdown, to
// bench/boot-results.md. Not a test: nothing here asserts.
//
//   node bench/boot.mjs [--quick] [--runs N] [--cli]   (KEEP_BOOT_DIR=1 keeps the scripts, to profile them)
//   --cli: bare node and the CLI rows only, written to bench/boot-cli-results.md instead.
//   --compare DIST/cli/main.js: the CLI rows also with another build (say, of the previous commit), in the
//   same round-robin, for a before/after that one run's load affects alike.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Fernet, generateKey } from '../dist/src/index.js';
import { machineName, markdownTable, textTable } from './report.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(REPO, 'dist/cli/main.js');
const QUICK = process.argv.includes('--quick');
const CLI_ONLY = process.argv.includes('--cli');
const compareArg = process.argv.indexOf('--compare');
const COMPARE = compareArg > 0 ? process.argv[compareArg + 1] : undefined;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : QUICK ? 9 : 61;
const WARMUP = QUICK ? 1 : 5;
const TARGETS = { precompiled: 1.25, runtime: 2, cli: 1.3 };

// ---------------------------------------------------------------------------------------------------
// The app: a 4 KiB config, a schema for it with defaults, formats, $ref and sensitive values.

function makeConfig() {
  const services = [];
  const config = {
    app: { name: 'shop', env: 'production', logLevel: 'info', baseUrl: 'https://shop.example.com', adminEmail: 'ops@example.com' },
    database: { host: 'db.internal', port: 5432, user: 'shop', password: 'correct horse battery staple', database: 'shop', ssl: true },
    cache: { host: 'cache.internal', port: 6379, ttlSeconds: 300 },
    stripe: { secretKey: 'sk_live_0123456789abcdefghijklmnop', webhookSecret: 'whsec_0123456789abcdefghijklmnop' },
    features: ['checkout', 'wishlist', 'reviews', 'gift-cards'],
    services,
  };
  for (let i = 0; JSON.stringify(config, null, 2).length < 4096; i++) {
    services.push({ name: `service-${i}`, url: `https://svc-${i}.internal:8443/api`, timeoutMs: 1500 + i, retries: i % 4, enabled: i % 3 !== 0, token: `tok_${i}_0123456789abcdef` });
  }
  services.pop(); // back under 4 KiB, then pad to exactly 4096 bytes with the app name
  const text = JSON.stringify(config, null, 2);
  config.app.name += 'x'.repeat(4096 - text.length);
  return config;
}

const secret = { $ref: '#/definitions/secret' };
const SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  required: ['app', 'database', 'services'],
  additionalProperties: false,
  definitions: {
    secret: { type: 'string', minLength: 8, sensitive: true },
    host: { type: 'string', format: 'hostname' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
  },
  properties: {
    app: {
      type: 'object',
      required: ['name', 'baseUrl'],
      properties: {
        name: { type: 'string' },
        env: { enum: ['development', 'staging', 'production'] },
        logLevel: { enum: ['debug', 'info', 'warn', 'error'], default: 'info' },
        baseUrl: { type: 'string', format: 'uri' },
        adminEmail: { type: 'string', format: 'email' },
      },
    },
    database: {
      type: 'object',
      required: ['host', 'user', 'password'],
      properties: {
        host: { $ref: '#/definitions/host' },
        port: { $ref: '#/definitions/port', default: 5432 },
        user: { type: 'string' },
        password: secret,
        database: { type: 'string' },
        ssl: { type: 'boolean', default: true },
        poolSize: { type: 'integer', minimum: 1, default: 10 },
      },
    },
    cache: { type: 'object', properties: { host: { $ref: '#/definitions/host' }, port: { $ref: '#/definitions/port' }, ttlSeconds: { type: 'integer', minimum: 0 } } },
    stripe: { type: 'object', properties: { secretKey: secret, webhookSecret: secret } },
    features: { type: 'array', items: { type: 'string' }, uniqueItems: true },
    services: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'url'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9-]+$' },
          url: { type: 'string', format: 'uri' },
          timeoutMs: { type: 'integer', minimum: 1 },
          retries: { type: 'integer', minimum: 0, maximum: 10 },
          enabled: { type: 'boolean' },
          token: secret,
        },
      },
    },
  },
};

/**
 * The larger shape of issue 14: 60 similar services, each a `url` (format uri), an integer `timeout` and a
 * `sensitive` token, written out in full as such schemas usually are. Boot cost must not grow with the
 * repetition.
 */
function makeServices() {
  const service = () => ({
    type: 'object',
    required: ['url'],
    additionalProperties: false,
    properties: { url: { type: 'string', format: 'uri' }, timeout: { type: 'integer', minimum: 1, default: 30 }, token: { type: 'string', minLength: 8, sensitive: true } },
  });
  const properties = {};
  const services = {};
  for (let i = 0; i < 60; i++) {
    properties[`service${i}`] = service();
    services[`service${i}`] = { url: `https://svc-${i}.internal:8443/api`, timeout: 1000 + i, token: `tok_${i}_0123456789abcdef` };
  }
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    required: ['services'],
    additionalProperties: false,
    properties: { services: { type: 'object', additionalProperties: false, properties } },
  };
  return { schema, config: { services } };
}

function setUp() {
  const dir = mkdtempSync(join(tmpdir(), 'fcfg-boot-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(REPO, join(dir, 'node_modules/fernet-config'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  const key = generateKey();
  writeFileSync(join(dir, 'config.key'), key + '\n', { mode: 0o600 });
  const text = JSON.stringify(makeConfig(), null, 2);
  writeFileSync(join(dir, 'config.enc'), new Fernet(key).encrypt(text) + '\n', { mode: 0o600 });
  writeFileSync(join(dir, 'schema.json'), JSON.stringify(SCHEMA, null, 2));
  const many = makeServices();
  writeFileSync(join(dir, 'services.enc'), new Fernet(key).encrypt(JSON.stringify(many.config, null, 2)) + '\n', { mode: 0o600 });
  writeFileSync(join(dir, 'services-schema.json'), JSON.stringify(many.schema, null, 2));
  for (const [schema, out] of [['schema.json', 'validate.js'], ['services-schema.json', 'validate-services.js']]) {
    const compiled = spawnSync(process.execPath, [CLI, 'compile-schema', schema, '-o', out], { cwd: dir, encoding: 'utf8' });
    if (compiled.status !== 0) throw new Error(`compile-schema failed: ${compiled.stderr}`);
  }

  // Every script checks what it loaded, so a broken build cannot pass for a fast one. The same app twice:
  // as an ES module, and as CommonJS (which loads the package, itself an ES module, with require()).
  const check = "if (config.database.port !== 5432 || config.database.poolSize !== 10 || config.services.length < 10) process.exit(3);";
  const checkServices = "if (Object.keys(config.services).length !== 60 || config.services.service59.timeout !== 1059) process.exit(3);";
  const precompiled = "const config = loadConfigSync({ path: 'config.enc', keyFile: 'config.key', validate });";
  const runtime = "const config = loadConfigSync({ path: 'config.enc', keyFile: 'config.key', schema: 'schema.json' });";
  const scripts = {
    'precompiled.mjs': `import { loadConfigSync } from 'fernet-config';\nimport validate from './validate.js';\n${precompiled}\n${check}\n`,
    'runtime.mjs': `import { loadConfigSync } from 'fernet-config';\n${runtime}\n${check}\n`,
    'unvalidated.mjs': `import { loadConfigSync } from 'fernet-config';\nconst config = loadConfigSync({ path: 'config.enc', keyFile: 'config.key' });\nif (config.database.port !== 5432) process.exit(3);\n`,
    'import-only.mjs': `import { loadConfigSync } from 'fernet-config';\nif (typeof loadConfigSync !== 'function') process.exit(3);\n`,
    'empty.mjs': '',
    'precompiled.cjs': `const { loadConfigSync } = require('fernet-config');\nconst validate = require('./validate.js').default;\n${precompiled}\n${check}\n`,
    'runtime.cjs': `const { loadConfigSync } = require('fernet-config');\n${runtime}\n${check}\n`,
    'require-only.cjs': `const { loadConfigSync } = require('fernet-config');\nif (typeof loadConfigSync !== 'function') process.exit(3);\n`,
    'empty.cjs': '',
    'services-unvalidated.mjs': `import { loadConfigSync } from 'fernet-config';\nconst config = loadConfigSync({ path: 'services.enc', keyFile: 'config.key' });\nif (Object.keys(config.services).length !== 60) process.exit(3);\n`,
    'services-precompiled.mjs': `import { loadConfigSync } from 'fernet-config';\nimport validate from './validate-services.js';\nconst config = loadConfigSync({ path: 'services.enc', keyFile: 'config.key', validate });\n${checkServices}\n`,
    'services-runtime.mjs': `import { loadConfigSync } from 'fernet-config';\nconst config = loadConfigSync({ path: 'services.enc', keyFile: 'config.key', schema: 'services-schema.json' });\n${checkServices}\n`,
  };
  for (const [name, code] of Object.entries(scripts)) writeFileSync(join(dir, name), code);
  return { dir, bytes: text.length };
}

// ---------------------------------------------------------------------------------------------------
// Measuring

const CASES = [
  { id: 'bare', label: 'node -e 0', args: ['-e', '0'] },
  { id: 'empty', label: 'ES module app: empty.mjs (does nothing)', args: ['empty.mjs'] },
  { id: 'import', label: "ES module app: import 'fernet-config' only", args: ['import-only.mjs'] },
  { id: 'unvalidated', label: 'ES module app: load, no validation', args: ['unvalidated.mjs'] },
  { id: 'precompiled', label: 'ES module app: (a) load + precompiled validator', args: ['precompiled.mjs'] },
  { id: 'runtime', label: 'ES module app: (b) load + runtime schema (ajv)', args: ['runtime.mjs'] },
  { id: 'emptyCjs', label: 'CommonJS app: empty.cjs (does nothing)', args: ['empty.cjs'] },
  { id: 'requireCjs', label: "CommonJS app: require('fernet-config') only", args: ['require-only.cjs'] },
  { id: 'precompiledCjs', label: 'CommonJS app: (a) load + precompiled validator', args: ['precompiled.cjs'] },
  { id: 'runtimeCjs', label: 'CommonJS app: (b) load + runtime schema (ajv)', args: ['runtime.cjs'] },
  // What validating the 60 services adds is the difference to this row; it must not grow with repetition.
  { id: 'servicesUnvalidated', label: 'ES module app, 60 services: load, no validation', args: ['services-unvalidated.mjs'] },
  { id: 'servicesPrecompiled', label: 'ES module app, 60 services: (a) load + precompiled validator', args: ['services-precompiled.mjs'] },
  { id: 'servicesRuntime', label: 'ES module app, 60 services: (b) load + runtime schema (ajv)', args: ['services-runtime.mjs'] },
  // The CLI as deploy scripts run it (issue 14: within 1.3× of bare node).
  { id: 'cliVersion', label: 'fcfg --version', args: [CLI, '--version'] },
  { id: 'cliGet', label: 'fcfg get config.enc database.host', args: [CLI, 'get', 'config.enc', 'database.host', '--key-file', 'config.key'] },
  { id: 'cliDecrypt', label: 'fcfg decrypt config.enc', args: [CLI, 'decrypt', 'config.enc', '--key-file', 'config.key'] },
  // Without --key-file: config.key is found beside config.enc, the way most deploy scripts run it.
  { id: 'cliGetBeside', label: 'fcfg get config.enc database.host (key beside)', args: [CLI, 'get', 'config.enc', 'database.host'] },
].filter((c) => !CLI_ONLY || c.id === 'bare' || c.id.startsWith('cli'))
  .flatMap((c) => (COMPARE !== undefined && c.id.startsWith('cli') ? [c, { id: `${c.id}Compare`, label: `${c.label} (compared build)`, args: [COMPARE, ...c.args.slice(1)] }] : [c]));

/**
 * Node loads NODE_EXTRA_CA_CERTS at start-up, in every process: where it is set (a proxy's CA, in some
 * sandboxes) it inflates bare node, and with it flatters every ratio. Measured without it, as users run.
 */
const ENV = { ...process.env };
delete ENV.NODE_EXTRA_CA_CERTS;

/**
 * One whole process: wall time (spawn to exit) and CPU time (user + system, all its threads), the latter
 * from bash's `times`, which reports what its children used. CPU time is what other load on the machine
 * disturbs least; the targets are judged on it. Without bash, CPU time is not reported.
 */
const BASH = spawnSync('bash', ['-c', 'times'], { encoding: 'utf8' }).status === 0;
const quote = (word) => `'${word.replace(/'/g, "'\\''")}'`;
function once(args, cwd) {
  const start = process.hrtime.bigint();
  const r = BASH
    ? spawnSync('bash', ['-c', `${[process.execPath, ...args].map(quote).join(' ')} >/dev/null || exit $?; times >&2`], { cwd, env: ENV, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    : spawnSync(process.execPath, args, { cwd, env: ENV, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  if (!BASH) return { ms, cpu: NaN };
  // `times`: the shell's own user and system time, then its children's: "0m0.084s 0m0.031s".
  const seconds = (t) => { const [, m, s] = /(\d+)m([\d.]+)s/.exec(t); return Number(m) * 60 + Number(s); };
  const [user, sys] = r.stderr.trim().split('\n').pop().split(/\s+/).map(seconds);
  return { ms, cpu: (user + sys) * 1000 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const { dir, bytes } = setUp();
let results;
let cpu;
try {
  const times = Object.fromEntries(CASES.map((c) => [c.id, []]));
  for (let i = 0; i < WARMUP; i++) for (const c of CASES) once(c.args, dir);
  for (let i = 0; i < RUNS; i++) for (const c of CASES) times[c.id].push(once(c.args, dir));
  results = Object.fromEntries(CASES.map((c) => [c.id, median(times[c.id].map((t) => t.ms))]));
  cpu = Object.fromEntries(CASES.map((c) => [c.id, median(times[c.id].map((t) => t.cpu))]));
} finally {
  if (!process.env.KEEP_BOOT_DIR) rmSync(dir, { recursive: true, force: true });
  else console.log(dir);
}

// ---------------------------------------------------------------------------------------------------
// Reporting

const bare = results.bare;
const bareCpu = cpu.bare;
const rows = CASES.map((c) => [
  c.label,
  results[c.id].toFixed(1), (results[c.id] / bare).toFixed(2) + '×',
  BASH ? cpu[c.id].toFixed(1) : 'n/a', BASH ? (cpu[c.id] / bareCpu).toFixed(2) + '×' : 'n/a',
]);
const head = ['Process', 'median wall ms', 'wall vs node -e 0', 'median CPU ms', 'CPU vs node -e 0'];
// Judged on CPU time where there is bash to report it, else on wall time.
const judged = BASH ? cpu : results;
const goals = [
  ['(a) precompiled validator, ES module app', 'precompiled', TARGETS.precompiled],
  ['(a) precompiled validator, CommonJS app', 'precompiledCjs', TARGETS.precompiled],
  ['(b) runtime schema, ES module app', 'runtime', TARGETS.runtime],
  ['(b) runtime schema, CommonJS app', 'runtimeCjs', TARGETS.runtime],
  ['(a) precompiled validator, 60 services', 'servicesPrecompiled', TARGETS.precompiled],
  ['(b) runtime schema, 60 services', 'servicesRuntime', TARGETS.runtime],
  ['fcfg --version', 'cliVersion', TARGETS.cli],
  ['fcfg get', 'cliGet', TARGETS.cli],
  ['fcfg decrypt', 'cliDecrypt', TARGETS.cli],
].filter(([, id]) => CASES.some((c) => c.id === id)).map(([what, id, target]) => [what, judged[id] / judged.bare, target]).map(([what, ratio, target]) => [`${what}: within ${target}× of bare node`, `${ratio.toFixed(2)}×`, ratio <= target ? 'met' : 'MISSED']);

const machine = machineName();
const date = new Date().toISOString().slice(0, 10);
const markdown = [
  '# Boot benchmark',
  '',
  `Measured ${date} by \`npm run bench\` (bench/boot.mjs) on ${machine}, Node ${process.versions.node}: whole processes`,
  `(spawn to exit) that load a ${bytes}-byte config (or the 60-service one), or run the CLI; median of ${RUNS} round-robin`,
  'runs each, wall time and CPU time (user + system of the process; targets are judged on it). NODE_EXTRA_CA_CERTS unset.',
  ...(COMPARE === undefined ? [] : [`Rows marked "compared build" ran ${COMPARE} (--compare) in the same round-robin.`]),
  '',
  markdownTable(head, rows),
  '',
  '## Targets',
  '',
  markdownTable(['Target', 'Measured', 'Status'], goals),
  '',
].join('\n');
// --cli leaves the full table alone: its rows would then come from two runs.
const resultsFile = CLI_ONLY ? 'boot-cli-results.md' : 'boot-results.md';
writeFileSync(new URL(resultsFile, import.meta.url), markdown);

console.log(`\nBoot: ${bytes}-byte config, median of ${RUNS} runs, ${machine}, Node ${process.versions.node}\n`);
console.log(textTable(head, rows));
console.log('');
for (const [what, value, verdict] of goals) console.log(`${verdict.padEnd(6)}  ${what}: ${value}`);
console.log(`\n(markdown written to bench/${resultsFile})`);
