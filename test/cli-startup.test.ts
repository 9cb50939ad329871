import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildProgram } from '../cli/program.js';
import { COMMANDS, invokedCommand, READ_COMMANDS } from '../cli/route.js';
import { Fernet } from '../src/fernet/fernet.js';
import { CLI, cleanEnv, makeKeyFile, REPO, useTempDirs } from './helpers/cli.js';

// What `get` and `decrypt` load is what they cost at start (issue 14: within 1.3x of bare node, measured by
// bench/boot.mjs). These tests pin it without timing anything: which files of ours, and which of Node's
// built-in modules beyond what node:crypto itself needs.

// program.ts reads the version from package.json two folders above itself, which is right for dist/cli but
// not for cli/ in this checkout: that one read goes to the repository's package.json instead.
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readFileSync = ((path: unknown, ...rest: unknown[]) =>
    path instanceof URL && path.href.endsWith('/package.json') && !fs.existsSync(path)
      ? fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')
      : (fs.readFileSync as (...a: unknown[]) => unknown)(path, ...rest)) as typeof fs.readFileSync;
  return { ...fs, default: { ...fs, readFileSync }, readFileSync };
});

const fresh = useTempDirs('fcfg-startup-');

/** A preload that records, at exit, Node's built-in modules loaded and the files required. */
const RECORDER = `
process.on('exit', () => {
  require('node:fs').writeFileSync(process.env.FCFG_LOAD_RECORD, JSON.stringify({
    builtins: process.moduleLoadList,
    files: Object.keys(require.cache),
  }));
});
`;

interface Loaded {
  builtins: string[];
  files: string[];
}

function recorded(dir: string, args: string[], stdio: 'pipe' | 'file' = 'pipe', env: Record<string, string> = {}): Loaded & { stdout: string; status: number | null; stderr: string } {
  const record = join(dir, `record-${Math.random().toString(36).slice(2)}.json`);
  const preload = join(dir, 'recorder.cjs');
  writeFileSync(preload, RECORDER);
  const r = spawnSync(process.execPath, ['--require', preload, ...args], {
    cwd: dir,
    env: cleanEnv({ ...env, FCFG_LOAD_RECORD: record }),
    encoding: 'utf8',
    timeout: 30_000,
    // Standard output as a pipe (how scripts read it) and as a file (`> out`): neither may load streams.
    stdio: stdio === 'pipe' ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'ignore', 'pipe'],
  });
  return { ...(JSON.parse(readFileSync(record, 'utf8')) as Loaded), stdout: r.stdout ?? '', status: r.status, stderr: r.stderr };
}

function seed(dir: string, value: unknown = { database: { host: 'db.internal', port: 5432 }, app: { name: 'shop' } }) {
  const { keys } = makeKeyFile(dir, 'config.key');
  const text = JSON.stringify(value, null, 2) + '\n';
  writeFileSync(join(dir, 'config.enc'), new Fernet(keys[0]!).encrypt(text) + '\n', { mode: 0o600 });
  return text;
}

/**
 * Built-ins that get/decrypt may load beyond a script that only requires node:crypto: the SIGUSR1 listener
 * (main.ts) and process (commander). Anything else (streams for stdout, net, tty, child_process, os and
 * timers/promises for a contended lock, the ES module loader, url...) is a regression.
 */
const ALLOWED_EXTRA = new Set(['Internal Binding signal_wrap', 'NativeModule process']);

describe('start-up of get and decrypt', () => {
  const cases: { name: string; args: string[]; stdout: (text: string) => string }[] = [
    { name: 'get (string)', args: ['get', 'config.enc', 'database.host', '--key-file', 'config.key'], stdout: () => 'db.internal\n' },
    { name: 'get (object)', args: ['get', 'config.enc', 'database', '--key-file', 'config.key'], stdout: () => '{\n  "host": "db.internal",\n  "port": 5432\n}\n' },
    { name: 'get, key found beside the config (config.key)', args: ['get', 'config.enc', 'app.name'], stdout: () => 'shop\n' },
    { name: 'decrypt', args: ['decrypt', 'config.enc', '--key-file', 'config.key'], stdout: (text) => text },
    { name: 'decrypt --raw', args: ['decrypt', 'config.enc', '--raw', '--key-file', 'config.key'], stdout: (text) => text },
  ];

  it.each(cases)('$name loads main.js and run-read.js only, and no built-in beyond crypto and a known few', ({ args, stdout }) => {
    const d = fresh();
    const text = seed(d);
    const baseline = recorded(d, ['-e', "require('node:crypto')"]);
    for (const stdio of ['pipe', 'file'] as const) {
      const run = recorded(d, [CLI, ...args], stdio);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      if (stdio === 'pipe') expect(run.stdout).toBe(stdout(text));
      const ours = run.files.filter((f) => f !== join(d, 'recorder.cjs')).map((f) => f.slice(REPO.length + 1));
      // Neither chunk: the .age ring code (run-read-age.js) nor the schema code (run-read-schema.js).
      expect(ours).toEqual(['dist/cli/main.js', 'dist/cli/run-read.js']);
      const before = new Set(baseline.builtins);
      const extra = run.builtins.filter((m) => !before.has(m) && !ALLOWED_EXTRA.has(m));
      expect(extra).toEqual([]);
    }
  });

  /** Our files a run loaded, in order, relative to the repository. */
  const oursOf = (run: Loaded) => run.files.filter((f) => f.startsWith(REPO)).map((f) => f.slice(REPO.length + 1));

  it('a chunk loads where its code is needed: --redact the schema code, -o the key-material check', () => {
    const d = fresh();
    const text = seed(d);
    const schema = { type: 'object', properties: { database: { type: 'object', properties: { host: { type: 'string', sensitive: true } } } } };
    writeFileSync(join(d, 'schema.json'), JSON.stringify(schema));
    const redacted = recorded(d, [CLI, 'get', 'config.enc', 'database', '--redact', '--schema', 'schema.json', '--key-file', 'config.key']);
    expect(redacted.stderr).toBe('');
    expect(redacted.stdout).toBe('{\n  "host": "[redacted]",\n  "port": 5432\n}\n');
    // Then ajv (dist/ajv.cjs), which compiles the schema.
    expect(oursOf(redacted).slice(0, 4)).toEqual(['dist/cli/main.js', 'dist/cli/run-read.js', 'dist/cli/run-read-schema.js', 'dist/ajv.cjs']);
    const written = recorded(d, [CLI, 'decrypt', 'config.enc', '-o', 'plain.json', '--key-file', 'config.key']);
    expect(written.status).toBe(0);
    expect(readFileSync(join(d, 'plain.json'), 'utf8')).toBe(text);
    expect(oursOf(written)).toEqual(['dist/cli/main.js', 'dist/cli/run-read.js', 'dist/cli/run-read-age.js']);
  });

  // A chunk takes errors.js and the rest from run-read.js: were they copies, report.ts would not know their
  // errors (instanceof) and print ERR_INTERNAL instead.
  const chunkErrors: { name: string; args: string[]; stderr: RegExp; status: number }[] = [
    { name: 'the key-material check (run-read-age.js)', args: ['decrypt', 'config.enc', '-o', 'config.key', '--key-file', 'config.key'], stderr: /^fernet-config: config\.key is the key file in use; .* \[ERR_USAGE\]\n  hint: /, status: 2 },
    { name: 'a missing schema (run-read-schema.js)', args: ['get', 'config.enc', 'database', '--redact', '--schema', 'nope.json', '--key-file', 'config.key'], stderr: /^fernet-config: schema nope\.json does not exist \[ERR_FILE_NOT_FOUND\]\n/, status: 1 },
  ];
  it.each(chunkErrors)('an error from a chunk is reported as ours: $name', ({ args, stderr, status }) => {
    const d = fresh();
    seed(d);
    const run = recorded(d, [CLI, ...args]);
    expect(run.stderr).toMatch(stderr);
    expect(run.status).toBe(status);
  });

  /** A ring (config.key.age) beside config.enc for a new X25519 identity; returns the identity file. */
  function ageRing(d: string, recipients: (identity: string) => string[] = (r) => [r]): string {
    seed(d);
    const identity = join(d, 'identity.txt');
    const made = spawnSync(process.execPath, [CLI, 'identity', 'new', identity], { cwd: d, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
    expect(made.status, made.stderr).toBe(0);
    recipients(made.stdout.trim().split('\n').pop()!).forEach((recipient, i) => {
      const added = spawnSync(process.execPath, [CLI, 'recipients', 'add', `r${i}`, recipient, '--ring', 'config.key.age', '--key-file', 'config.key'], { cwd: d, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
      expect(added.status, added.stderr).toBe(0);
    });
    rmSync(join(d, 'config.key'));
    return identity;
  }

  it('a .age ring opened with an X25519 identity loads run-read-age.js and dist/age-open.cjs, and no SSH code', () => {
    const d = fresh();
    const identity = ageRing(d);
    const run = recorded(d, [CLI, 'get', 'config.enc', 'app.name'], 'pipe', { FERNET_CONFIG_IDENTITY_FILE: identity });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('shop\n');
    // Not run-read-ssh.js: the SSH key code and the recipients file parser, which only an SSH identity or a
    // ring that does not open (whose message names its recipients) needs.
    // Not dist/age.cjs either: age's writing half (the Encrypter), which a command that only reads never needs.
    expect(oursOf(run)).toEqual(['dist/cli/main.js', 'dist/cli/run-read.js', 'dist/cli/run-read-age.js', 'dist/age-open.cjs']);
  });

  it('the SSH code is in run-read-ssh.js, not in the chunk an X25519 ring loads', () => {
    const chunk = (name: string) => readFileSync(join(REPO, 'dist/cli', name), 'utf8');
    // esbuild names each module it wraps by its path: "dist/src/age/ssh.js"(){...}
    const held = (text: string) => [...text.matchAll(/"dist\/src\/([\w/.-]+)\.js"\(\)\{/g)].map((m) => m[1]!);
    const ssh = ['age/recipients-file', 'age/ssh', 'age/ssh-keyfile', 'age/ssh-wire'];
    expect(held(chunk('run-read-ssh.js')).sort()).toEqual(ssh);
    // And by their text, which a module esbuild did not wrap has too: the OpenSSH key format, the age
    // labels of the SSH stanzas, the recipients file's record line.
    const markers = ['openssh-key-v1', 'age-encryption.org/v1/ssh-ed25519', 'age-encryption.org/v1/ssh-rsa', '# fcfg-ring '];
    for (const name of ['run-read.js', 'run-read-age.js']) {
      expect([name, held(chunk(name)).filter((m) => ssh.includes(m) || m.startsWith('age/ssh'))]).toEqual([name, []]);
      expect([name, markers.filter((m) => chunk(name).includes(m))]).toEqual([name, []]);
    }
    expect(markers.filter((m) => !chunk('run-read-ssh.js').includes(m))).toEqual([]);
  });

  // run-read-ssh.js takes errors.js from run-read.js and lib.js (the loaded age-encryption) from
  // run-read-age.js: its errors are reported as ours, and an SSH identity opens a ring.
  it('an SSH identity loads run-read-ssh.js: a good one opens the ring, a damaged one is reported as ours', () => {
    const d = fresh();
    const key = join(d, 'id_ed25519');
    const kg = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key], { encoding: 'utf8' });
    expect(kg.status, kg.stderr).toBe(0);
    ageRing(d, () => [`${key}.pub`]);
    const run = recorded(d, [CLI, 'get', 'config.enc', 'app.name'], 'pipe', { FERNET_CONFIG_IDENTITY_FILE: key });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('shop\n');
    expect(oursOf(run).slice(0, 5)).toEqual(['dist/cli/main.js', 'dist/cli/run-read.js', 'dist/cli/run-read-age.js', 'dist/age-open.cjs', 'dist/cli/run-read-ssh.js']);
    expect(oursOf(run)).not.toContain('dist/age.cjs');
    const damaged = join(d, 'damaged');
    writeFileSync(damaged, '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n', { mode: 0o600 });
    const bad = recorded(d, [CLI, 'get', 'config.enc', 'app.name'], 'pipe', { FERNET_CONFIG_IDENTITY_FILE: damaged });
    expect(bad.stderr).toMatch(/^fernet-config: identity file .*damaged is not a usable SSH private key: .* \[ERR_INVALID_IDENTITY\]\n  hint: /);
    expect(bad.status).toBe(1);
    expect(oursOf(bad)).toContain('dist/cli/run-read-ssh.js');
  });

  it('a ring that does not open for an X25519 identity names its recipients from the recipients file (run-read-ssh.js)', () => {
    const d = fresh();
    ageRing(d);
    const other = join(d, 'other.txt');
    const made = spawnSync(process.execPath, [CLI, 'identity', 'new', other], { cwd: d, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
    expect(made.status, made.stderr).toBe(0);
    const run = recorded(d, [CLI, 'get', 'config.enc', 'app.name'], 'pipe', { FERNET_CONFIG_IDENTITY_FILE: other });
    expect(run.stderr).toMatch(/^fernet-config: none of your identities is a recipient of config\.key\.age \(yours: .*other\.txt \(age1\S+\); its recipients: r0 age1\S+\) \[ERR_NOT_A_RECIPIENT\]\n/);
    expect(run.status).toBe(1);
    expect(oursOf(run)).toContain('dist/cli/run-read-ssh.js');
  });

  it('an SSH identity that is no recipient is named by the same short fingerprint as the recipients', () => {
    const d = fresh();
    const rsa = join(d, 'id_rsa');
    const kg = spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa], { encoding: 'utf8' });
    expect(kg.status, kg.stderr).toBe(0);
    ageRing(d, () => [`${rsa}.pub`]);
    const ed = join(d, 'id_ed25519');
    expect(spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', ed], { encoding: 'utf8' }).status).toBe(0);
    const run = recorded(d, [CLI, 'get', 'config.enc', 'app.name'], 'pipe', { FERNET_CONFIG_IDENTITY_FILE: ed });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/\(yours: \S+id_ed25519 \(SHA256:[\w+/]{12}\); its recipients: r0 SHA256:[\w+/]{12}\) \[ERR_NOT_A_RECIPIENT\]/);
  });

  it('--version loads main.js only', () => {
    const d = fresh();
    const bare = new Set(recorded(d, ['-e', '0']).builtins);
    const run = recorded(d, [CLI, '--version']);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect(run.files.filter((f) => f.startsWith(REPO)).map((f) => f.slice(REPO.length + 1))).toEqual(['dist/cli/main.js']);
    expect(run.builtins.filter((m) => !bare.has(m) && !ALLOWED_EXTRA.has(m))).toEqual([]);
  });

  // Only file arguments are looked beside for a .age ring: a dot path (get, set, unset), a value, the
  // program run starts. Run where a ring lies, `get` of a config elsewhere used to take `app.name` for a
  // file of the current directory, find ./secret.key.age beside it and open that ring for nothing (with
  // an identity at hand: age loaded, a passphrase asked for).
  it.each([
    ['get', ['app.name'], 'shop\n'],
    ['set', ['app.name', 'x'], ''],
    ['unset', ['app.name'], ''],
    ['run', ['--', process.execPath, '-e', '0'], ''],
  ])('%s with a config elsewhere does not open a .age ring of the current directory', (command, rest, stdout) => {
    const project = fresh();
    seed(project);
    const here = fresh();
    const made = spawnSync(process.execPath, [CLI, 'identity', 'new', join(here, 'id.txt')], { cwd: here, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
    expect(made.status, made.stderr).toBe(0);
    writeFileSync(join(here, 'secret.key.age'), 'age-encryption.org/v1\n-> X25519 AAAA\nAAAA\n--- AAAA\n');
    const run = recorded(here, [CLI, command, join(project, 'config.enc'), ...rest], 'pipe', { HOME: here, FERNET_CONFIG_IDENTITY_FILE: join(here, 'id.txt') });
    expect([run.status, run.stdout, run.stderr.includes('fernet-config:')]).toEqual([0, stdout, false]);
    expect(oursOf(run).filter((f) => /age/.test(f))).toEqual([]);
  });

  it('other commands, help and misspellings go to the whole program (run.js)', () => {
    const d = fresh();
    seed(d);
    for (const args of [['status', 'config.enc', '--key-file', 'config.key'], ['get', '--help'], ['gte', 'config.enc', 'x'], ['--debug', 'get', 'config.enc', 'app.name']]) {
      const run = recorded(d, [CLI, ...args]);
      expect(run.files.filter((f) => f.startsWith(REPO)).map((f) => f.slice(REPO.length + 1))).toEqual(['dist/cli/main.js', 'dist/cli/run.js']);
    }
  });
});

describe('standard output written to fd 1', () => {
  /** A config whose plaintext is far larger than a pipe's buffer (64 KiB on Linux). */
  function seedLarge(dir: string): string {
    const value = { items: Array.from({ length: 20_000 }, (_, i) => ({ id: i, name: `item-${i}` })) };
    return seed(dir, value);
  }

  it('a reader that closes the pipe early ends decrypt quietly: exit 0, nothing on stderr', () => {
    const d = fresh();
    seedLarge(d);
    const r = spawnSync('bash', ['-c', `set -o pipefail; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} decrypt config.enc --key-file config.key 2>err | head -c 10 >/dev/null`], {
      cwd: d,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(readFileSync(join(d, 'err'), 'utf8')).toBe('');
    expect(r.status).toBe(0);
  });

  // main.ts ends a finished get or decrypt with process.exit() once all its output is out, rather than by
  // Node's natural exit, which first runs the tasks V8 has queued (a scavenge: bench/age.mjs). Only a
  // natural exit emits 'beforeExit'; 'exit' listeners run either way. The slow pipe below is the case where
  // output is still held in process.stdout: there the natural exit waits for it.
  it('get and decrypt end as soon as their output is out, failures too; other commands end as Node ends them', () => {
    const d = fresh();
    seed(d);
    const hook = join(d, 'ends.cjs');
    writeFileSync(hook, "const { writeSync } = require('node:fs');\nprocess.on('beforeExit', () => writeSync(2, 'NATURAL\\n'));\nprocess.on('exit', (code) => writeSync(2, `EXIT ${code}\\n`));\n");
    const run = (...args: string[]) => spawnSync(process.execPath, ['-r', hook, CLI, ...args, '--key-file', 'config.key'], { cwd: d, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
    const get = run('get', 'config.enc', 'app.name');
    expect([get.status, get.stdout, get.stderr]).toEqual([0, 'shop\n', 'EXIT 0\n']);
    // decrypt -o wrote a file, holding SIGINT, SIGTERM and SIGHUP off meanwhile (src/fs/atomic.ts): it ends
    // naturally, so that a signal that came during the write is still acted on.
    const decrypt = run('decrypt', 'config.enc', '-o', 'plain.json');
    expect([decrypt.status, decrypt.stderr.endsWith('NATURAL\nEXIT 0\n')]).toEqual([0, true]);
    expect(readFileSync(join(d, 'plain.json'), 'utf8')).toContain('"shop"');
    const missing = run('get', 'config.enc', 'app.nope');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/\[ERR_PATH_NOT_FOUND\]\n[\s\S]*EXIT 1\n$/);
    expect(missing.stderr).not.toContain('NATURAL');
    const status = run('status', 'config.enc');
    expect(status.status, status.stderr).toBe(0);
    expect(status.stderr).toMatch(/NATURAL\nEXIT 0\n$/);
  });

  it('standard output on a full device: exit 1, and the hint says the output is incomplete', () => {
    const d = fresh();
    seed(d);
    const r = spawnSync('bash', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} decrypt config.enc --key-file config.key > /dev/full`], { cwd: d, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('fernet-config: standard output: no space left on the device (ENOSPC) [ERR_FILE_ACCESS]\n  hint: the output is incomplete: check the file or device it goes to, and run the command again\n');
  });

  it('a non-blocking pipe with a slow reader gets every byte, in order (EAGAIN is waited out)', () => {
    const d = fresh();
    const text = seedLarge(d);
    // python3 makes the pipe's write end non-blocking, as a Node process sharing it would; the reader
    // starts late, so the CLI meets a full pipe (EAGAIN; strace shows it).
    const script = `(python3 -c 'import os; os.set_blocking(1, False)' && exec ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} decrypt config.enc --key-file config.key) | (sleep 3; cat > out)`;
    const r = spawnSync('bash', ['-c', `set -o pipefail; ${script}`], { cwd: d, env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(d, 'out'), 'utf8')).toBe(text);
  });
});

describe('one command declared alone', () => {
  it('COMMANDS lists the whole program, in order', () => {
    expect(buildProgram('fcfg').commands.map((c) => c.name())).toEqual([...COMMANDS]);
    for (const name of READ_COMMANDS) expect(COMMANDS).toContain(name);
  });

  it.each([...COMMANDS])('%s: the same command (help text, options, subcommands) as in the whole program', (name) => {
    const whole = buildProgram('fcfg').commands.find((c) => c.name() === name)!;
    const alone = buildProgram('fcfg', name);
    expect(alone.commands.map((c) => c.name())).toEqual([name]);
    const one = alone.commands[0]!;
    const shape = (c: typeof one): unknown => ({
      help: c.helpInformation(),
      options: c.options.map((o) => [o.flags, o.description, o.defaultValue, o.mandatory]),
      subcommands: c.commands.map(shape),
    });
    expect(shape(one)).toEqual(shape(whole));
    // The program's own options (--version, --help, --debug) are what unknown-option hints draw on too.
    expect(alone.options.map((o) => o.flags)).toEqual(buildProgram('fcfg').options.map((o) => o.flags));
  });

  const routes: [string[], string | undefined][] = [
    [['get', 'c.enc', 'a.b'], 'get'],
    [['decrypt', 'c.enc'], 'decrypt'],
    [['get', 'c.enc', 'a.b', '--help'], undefined],
    [['get', '-h'], undefined],
    [['get', 'c.enc', '--', '--help'], 'get'],
    [['--debug', 'get', 'c.enc', 'a.b'], undefined],
    [['gte', 'c.enc', 'a.b'], undefined],
    [['help', 'get'], undefined],
    [[], undefined],
    [['keys', 'list'], 'keys'],
  ];
  it.each(routes)('argv %j: declared alone: %s', (args, expected) => {
    expect(invokedCommand(['node', 'fcfg', ...args])).toBe(expected);
  });
});
