/**
 * `rotate`, `keys`, `status`, `run` and key commands through the built CLI, in temp directories.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { fingerprintKey } from '../src/keys/ring.js';
import { describeAge } from '../cli/commands/status.js';
import { runCli, spawnCli, useTempDirs, type CliResult } from './helpers/cli.js';
import { PYTHON, runPythonJson } from './helpers/python.js';

const fresh = useTempDirs('fcfg-ops-cli-');

const SECRET = 'hunter2-s3cr3t-value';
const NODE = process.execPath;

/** A key file with `count` fresh keys. */
function ring(d: string, count: number, name = 'secret.key'): string[] {
  const keys = Array.from({ length: count }, () => generateKey());
  writeFileSync(join(d, name), keys.join('\n') + '\n', { mode: 0o600 });
  return keys;
}

function seal(path: string, text: string, key: string, at?: number): string {
  writeFileSync(path, new Fernet(key).encrypt(text, at === undefined ? {} : { now: at }) + '\n', { mode: 0o600 });
  return path;
}

const open = (path: string, key: string) => new Fernet(key).decryptText(readFileSync(path, 'utf8').trim());

/** Nothing secret in anything the CLI printed. */
function expectClean(r: CliResult, secrets: string[]): void {
  for (const s of secrets) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
}

const CONFIG = { database: { host: 'db', password: SECRET, port: 5432 }, features: ['a', 'b'], debug: false, nothing: null };
const CONFIG_TEXT = JSON.stringify(CONFIG, null, 2) + '\n';

describe('rotate', () => {
  it('rotates several files with a three-key ring, reports them, and keeps the plaintext', () => {
    const d = fresh();
    const keys = ring(d, 3);
    const texts = [CONFIG_TEXT, '{"a":1}', '{\n  "b": "ü"\n}'];
    const files = ['a.enc', 'b.enc', 'c.enc'];
    files.forEach((f, i) => seal(join(d, f), texts[i]!, keys[[1, 2, 0][i]!]!));
    const r = runCli(['rotate', ...files, '--json'], { cwd: d });
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { rotated: number; configs: { path: string; rotated: boolean; fromKey: number }[] };
    expect(report.rotated).toBe(2);
    expect(report.configs.map((c) => [c.path, c.rotated, c.fromKey])).toEqual([
      ['a.enc', true, 1],
      ['b.enc', true, 2],
      ['c.enc', false, 0],
    ]);
    files.forEach((f, i) => expect(open(join(d, f), keys[0]!)).toBe(texts[i]));
    expectClean(r, [SECRET, ...keys]);

    const again = runCli(['rotate', ...files], { cwd: d });
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('rotated 0 of 3 configs');
  });

  it('stops before writing anything when the ring cannot open one of them', () => {
    const d = fresh();
    const keys = ring(d, 2);
    const good = seal(join(d, 'good.enc'), CONFIG_TEXT, keys[1]!);
    const bad = seal(join(d, 'bad.enc'), '{}', generateKey());
    writeFileSync(join(d, 'junk.enc'), 'not a token\n');
    const before = [good, bad].map((p) => readFileSync(p, 'utf8'));
    const r = runCli(['rotate', 'good.enc', 'bad.enc', 'junk.enc'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('bad.enc cannot be opened');
    expect(r.stderr).toContain('[ERR_WRONG_KEY]');
    expect(r.stderr).toContain('[ERR_MALFORMED_FILE]');
    expect(r.stderr).toContain('nothing was written: 2 configs could not be opened');
    expect(r.stderr).not.toContain('rotated good.enc');
    expect([good, bad].map((p) => readFileSync(p, 'utf8'))).toEqual(before);
    expect(readdirSync(d).sort()).toEqual(['bad.enc', 'good.enc', 'junk.enc', 'secret.key']);
  });

  it('a rotated config decrypts in Python with the new key alone', () => {
    const d = fresh();
    const [oldKey] = ring(d, 1);
    seal(join(d, 'config.enc'), CONFIG_TEXT, oldKey!);
    expect(runCli(['keygen', '--add', 'secret.key'], { cwd: d }).status).toBe(0);
    expect(runCli(['rotate', 'config.enc'], { cwd: d }).status).toBe(0);
    expect(runCli(['keys', 'prune', 'secret.key', '--keep', '1', 'config.enc'], { cwd: d }).status).toBe(0);
    const newKey = readFileSync(join(d, 'secret.key'), 'utf8').trim();
    expect(newKey).not.toBe(oldKey);
    const out = runPythonJson<{ text: string; oldFails: boolean }>(
      `
import json, sys

from cryptography.fernet import Fernet, InvalidToken
a = json.load(sys.stdin)
token = open(a["config"], "rb").read()
text = Fernet(open(a["keyfile"], "rb").read()).decrypt(token).decode()
try:
    Fernet(a["old"].encode()).decrypt(token)
    old_fails = False
except InvalidToken:
    old_fails = True
json.dump({"text": text, "oldFails": old_fails}, sys.stdout)
`,
      { config: join(d, 'config.enc'), keyfile: join(d, 'secret.key'), old: oldKey },
    );
    expect(out).toEqual({ text: CONFIG_TEXT, oldFails: true });
  });
});

describe('keys', () => {
  it('prune refuses to drop a key a listed config needs, and changes nothing', () => {
    const d = fresh();
    const keys = ring(d, 3);
    seal(join(d, 'old.enc'), CONFIG_TEXT, keys[2]!);
    seal(join(d, 'new.enc'), '{}', keys[0]!);
    const before = readFileSync(join(d, 'secret.key'), 'utf8');
    const r = runCli(['keys', 'prune', 'secret.key', '--keep', '2', 'new.enc', 'old.enc'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERR_KEY_IN_USE]');
    expect(r.stderr).toContain(`old.enc (key #2, ${fingerprintKey(keys[2]!)})`);
    expect(r.stderr).toContain('hint: re-encrypt first: fcfg rotate --key-file secret.key old.enc');
    expect(readFileSync(join(d, 'secret.key'), 'utf8')).toBe(before);
    expectClean(r, [SECRET, ...keys]);
  });

  it('prune keeps the newest keys (0600), list shows fingerprints only', () => {
    const d = fresh();
    const keys = ring(d, 3);
    seal(join(d, 'c.enc'), '{}', keys[1]!);
    const dry = runCli(['keys', 'prune', 'secret.key', '--keep', '2', '--dry-run', 'c.enc'], { cwd: d });
    expect(dry.status).toBe(0);
    expect(dry.stderr).toContain(`would drop 1 key from secret.key (${fingerprintKey(keys[2]!)})`);
    expect(readFileSync(join(d, 'secret.key'), 'utf8')).toBe(keys.join('\n') + '\n');

    const r = runCli(['keys', 'prune', 'secret.key', '--keep', '2', 'c.enc', '--json'], { cwd: d });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ written: true, dropped: [{ index: 2 }], configs: [{ path: 'c.enc', keyIndex: 1 }] });
    expect(readFileSync(join(d, 'secret.key'), 'utf8')).toBe(`${keys[0]}\n${keys[1]}\n`);
    expect(statSync(join(d, 'secret.key')).mode & 0o777).toBe(0o600);

    const list = runCli(['keys', 'list'], { cwd: d });
    expect(list.status).toBe(0);
    expect(list.stdout).toBe(`key file secret.key: 2 keys\n  #0  ${fingerprintKey(keys[0]!)}  primary (encrypts)\n  #1  ${fingerprintKey(keys[1]!)}\n`);
    expectClean(list, keys);
    const json = runCli(['keys', 'list', 'secret.key', '--json'], { cwd: d });
    expect(JSON.parse(json.stdout).keys).toHaveLength(2);
    expectClean(json, keys);
  });

  it('prune without configs is refused unless --no-check (then it warns), and --keep is checked as usage', () => {
    const d = fresh();
    ring(d, 2);
    expect(runCli(['keys', 'prune', 'secret.key', '--keep', '1'], { cwd: d }).status).toBe(2);
    const r = runCli(['keys', 'prune', 'secret.key', '--keep', '1', '--no-check'], { cwd: d });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('warning: no CONFIG was given');
    for (const bad of ['0', '1.5', 'x']) expect(runCli(['keys', 'prune', 'secret.key', '--keep', bad], { cwd: d }).status).toBe(2);
    expect(runCli(['keys', 'prune', 'secret.key'], { cwd: d }).status).toBe(2);
  });
});

describe('status', () => {
  const DAY = 86_400;
  const now = () => Math.floor(Date.now() / 1000);

  it('shows key index, fingerprint, time and size; --max-age (fractions) fails on older configs', () => {
    const d = fresh();
    const keys = ring(d, 2);
    seal(join(d, 'fresh.enc'), CONFIG_TEXT, keys[0]!);
    seal(join(d, 'old.enc'), CONFIG_TEXT, keys[1]!, now() - 2 * DAY);
    const r = runCli(['status', 'fresh.enc', 'old.enc'], { cwd: d });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`fresh.enc\n  key        #0 of 2, fingerprint ${fingerprintKey(keys[0]!)} (key file secret.key), the primary\n`);
    expect(r.stdout).toContain(`old.enc\n  key        #1 of 2, fingerprint ${fingerprintKey(keys[1]!)}`);
    expect(r.stdout).toContain('2.0 days ago');
    expect(r.stdout).toContain(`size       ${statSync(join(d, 'old.enc')).size} bytes`);
    expectClean(r, [SECRET, ...keys]);

    expect(runCli(['status', 'fresh.enc', 'old.enc', '--max-age', '2.5'], { cwd: d }).status).toBe(0);
    const stale = runCli(['status', 'fresh.enc', 'old.enc', '--max-age', '1.5'], { cwd: d });
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('old.enc was encrypted 2.0 days ago, more than --max-age 1.5 days [ERR_TOKEN_EXPIRED]');
    expect(stale.stderr).not.toContain('fresh.enc was');

    const json = runCli(['status', 'old.enc', '--max-age', '0.5', '--json'], { cwd: d });
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ ok: false, maxAgeDays: 0.5, configs: [{ path: 'old.enc', keyIndex: 1, primary: false, tooOld: true }] });
    expect(report.configs[0].ageSeconds).toBeGreaterThanOrEqual(2 * DAY);

    // Rotation is what satisfies --max-age.
    expect(runCli(['rotate', 'old.enc'], { cwd: d }).status).toBe(0);
    expect(runCli(['status', 'old.enc', '--max-age', '0.5'], { cwd: d }).status).toBe(0);
  });

  it('reports every config it cannot open, and rejects a bad --max-age as usage', () => {
    const d = fresh();
    const keys = ring(d, 1);
    seal(join(d, 'ok.enc'), '{}', keys[0]!);
    seal(join(d, 'other.enc'), '{}', generateKey());
    const r = runCli(['status', 'ok.enc', 'other.enc', 'missing.enc'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('ok.enc\n  key        #0 of 1');
    expect(r.stderr).toContain('[ERR_WRONG_KEY]');
    expect(r.stderr).toContain('missing.enc does not exist [ERR_FILE_NOT_FOUND]');
    expect(runCli(['status', 'ok.enc', '--max-age', 'soon'], { cwd: d }).status).toBe(2);
  });
});

describe('key command', () => {
  function setup() {
    const d = fresh();
    const keys = [generateKey(), generateKey()];
    writeFileSync(join(d, 'vault.txt'), `# from the vault\n${keys.join('\n')}\n`, { mode: 0o600 });
    seal(join(d, 'a.enc'), CONFIG_TEXT, keys[1]!);
    seal(join(d, 'b.enc'), '{}', keys[0]!);
    return { d, keys };
  }

  it('reads the ring from the command, once for many configs (flag and env)', () => {
    const { d, keys } = setup();
    const cmd = 'echo run >> calls.txt; cat vault.txt';
    const r = runCli(['status', 'a.enc', 'b.enc', '--key-command', cmd], { cwd: d });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('#1 of 2');
    expect(r.stdout).toContain('(key command)');
    expect(readFileSync(join(d, 'calls.txt'), 'utf8')).toBe('run\n');
    const get = runCli(['get', 'a.enc', 'database.password'], { cwd: d, env: { FERNET_CONFIG_KEY_COMMAND: 'cat vault.txt' } });
    expect(get.stdout).toBe(SECRET + '\n');
    expect(readdirSync(d).sort()).toEqual(['a.enc', 'b.enc', 'calls.txt', 'vault.txt']);
    expectClean(r, keys);
    // Single-line secret values: keys separated by commas.
    const oneLine = runCli(['get', 'a.enc', 'database.port', '--key-command', `echo '${keys[0]}, ${keys[1]}'`], { cwd: d });
    expect(oneLine.stdout).toBe('5432\n');
    const comments = runCli(['get', 'a.enc', 'database.port', '--key-command', `echo '# nothing here'`], { cwd: d });
    expect(comments.stderr).toContain('key command printed no key [ERR_KEY_COMMAND]');
  });

  it('a failing command is reported by status; its stderr passes through, its stdout never', () => {
    const { d, keys } = setup();
    const r = runCli(['get', 'a.enc', 'database.password', '--key-command', `cat vault.txt; echo vault says no >&2; exit 3`], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('key command exited with status 3 [ERR_KEY_COMMAND]');
    expect(r.stderr).toContain('vault says no');
    expectClean(r, [SECRET, ...keys]);
  });

  it('empty output and output that is not a key are clear errors that quote nothing', () => {
    const { d } = setup();
    const empty = runCli(['get', 'a.enc', 'debug', '--key-command', 'true'], { cwd: d });
    expect(empty.status).toBe(1);
    expect(empty.stderr).toContain('key command printed no key [ERR_KEY_COMMAND]');
    const junk = runCli(['get', 'a.enc', 'debug', '--key-command', `echo ${SECRET}`], { cwd: d });
    expect(junk.status).toBe(1);
    expect(junk.stderr).toContain('key command, line 1: not a valid Fernet key');
    expect(junk.stderr).toContain('[ERR_INVALID_KEY]');
    expectClean(junk, [SECRET]);
  });

  it('times out after FERNET_CONFIG_KEY_COMMAND_TIMEOUT seconds', () => {
    const { d } = setup();
    const started = Date.now();
    const r = runCli(['get', 'a.enc', 'debug'], {
      cwd: d,
      env: { FERNET_CONFIG_KEY_COMMAND: 'sleep 20', FERNET_CONFIG_KEY_COMMAND_TIMEOUT: '0.3' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('key command timed out after 0.3s [ERR_KEY_COMMAND]');
    expect(r.stderr).toContain('FERNET_CONFIG_KEY_COMMAND_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(10_000);
    const bad = runCli(['get', 'a.enc', 'debug'], { cwd: d, env: { FERNET_CONFIG_KEY_COMMAND: 'cat vault.txt', FERNET_CONFIG_KEY_COMMAND_TIMEOUT: '-1' } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('[ERR_USAGE]');
  });
});

describe('run', () => {
  /** A child that prints its APP_* variables and its arguments as JSON. */
  const DUMP = `const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('APP_') || k === 'PATH_SEEN'));
process.stdout.write(JSON.stringify({ env, args: process.argv.slice(1) }));`;

  function setup(value: unknown = CONFIG, text = JSON.stringify(value, null, 2)) {
    const d = fresh();
    const [key] = ring(d, 1);
    seal(join(d, 'config.enc'), text, key!);
    writeFileSync(join(d, 'dump.cjs'), DUMP);
    return { d, key: key! };
  }

  it('passes the config as variables and the arguments untouched, writing nothing', () => {
    const { d } = setup();
    const before = readdirSync(d).sort();
    const r = runCli(['run', 'config.enc', '--', NODE, 'dump.cjs', '--debug', '-x', 'a b'], { cwd: d, env: { APP_DEBUG: 'from-env' } });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      env: {
        APP_DATABASE__HOST: 'db',
        APP_DATABASE__PASSWORD: SECRET,
        APP_DATABASE__PORT: '5432',
        APP_FEATURES: '["a","b"]',
        APP_DEBUG: 'from-env', // the environment wins over the file
      },
      args: [join(d, 'dump.cjs'), '--debug', '-x', 'a b'],
    });
    expect(readdirSync(d).sort()).toEqual(before);
  });

  it('uses --prefix, validates with --schema and exports its defaults', () => {
    const { d } = setup({ port: 1 });
    writeFileSync(
      join(d, 'schema.json'),
      JSON.stringify({ type: 'object', properties: { port: { type: 'integer' }, host: { type: 'string', default: 'localhost' } }, required: ['port'] }),
    );
    const r = runCli(['run', 'config.enc', '--prefix', 'APP_SVC_', '--schema', 'schema.json', '--', NODE, 'dump.cjs'], { cwd: d });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).env).toEqual({ APP_SVC_PORT: '1', APP_SVC_HOST: 'localhost' });

    writeFileSync(join(d, 'schema.json'), JSON.stringify({ type: 'object', properties: { port: { type: 'string' } } }));
    const bad = runCli(['run', 'config.enc', '--schema', 'schema.json', '--', NODE, '-e', 'process.stdout.write("ran")'], { cwd: d });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('[ERR_CONFIG_VALIDATION]');
    expect(bad.stderr).toContain('  hint: fix it with `fcfg edit config.enc` or `fcfg set config.enc <path> <value>`\n');
    expect(bad.stdout).toBe('');
  });

  it('passes the exit status through, and 128+N for a child killed by signal N', () => {
    const { d } = setup();
    expect(runCli(['run', 'config.enc', '--', NODE, '-e', 'process.exit(7)'], { cwd: d }).status).toBe(7);
    expect(runCli(['run', 'config.enc', '--', NODE, '-e', 'process.kill(process.pid, "SIGKILL")'], { cwd: d }).status).toBe(137);
  });

  it('a missing command exits 127 like a shell, a non-executable one 126', () => {
    const { d } = setup();
    const r = runCli(['run', 'config.enc', '--', 'no-such-command-fcfg'], { cwd: d });
    expect(r.status).toBe(127);
    expect(r.stderr).toContain('fernet-config: command not found: no-such-command-fcfg [ERR_COMMAND_NOT_FOUND]');
    // The -- was there: the hint does not ask for it; without it, it does.
    expect(r.stderr).toContain('  hint: check the name and your PATH\n');
    const without = runCli(['run', 'config.enc', 'no-such-command-fcfg'], { cwd: d });
    expect(without.status).toBe(127);
    expect(without.stderr).toContain('  hint: check the name and your PATH; put -- before the command\n');
    writeFileSync(join(d, 'script.sh'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
    expect(runCli(['run', 'config.enc', '--', './script.sh'], { cwd: d }).status).toBe(126);
  });

  it('reports conflicting names without values, and runs nothing', () => {
    const { d } = setup({ a: { b: SECRET }, a__b: SECRET });
    const r = runCli(['run', 'config.enc', '--', NODE, '-e', 'process.stdout.write("ran")'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('APP_A__B from a.b and a__b [ERR_ENV_EXPORT]');
    expect(r.stdout).toBe('');
    expectClean(r, [SECRET]);
    expect(runCli(['run', 'config.enc', '--prefix', '9X', '--', NODE, '-e', '0'], { cwd: d }).status).toBe(2);
  });

  it('a Python program reads the same config', () => {
    const { d } = setup();
    const r = runCli(['run', 'config.enc', '--', PYTHON, '-c', 'import os, json; print(json.loads(os.environ["APP_FEATURES"])[1], os.environ["APP_DATABASE__PASSWORD"])'], { cwd: d });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`b ${SECRET}\n`);
  });

  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('forwards %s to the child and exits with its status', async (signal) => {
    const { d } = setup();
    const child = `process.on(${JSON.stringify(signal)}, () => { process.stdout.write('got ' + ${JSON.stringify(signal)}); process.exit(42); });
process.stdout.write('ready\\n'); setInterval(() => {}, 1000);`;
    writeFileSync(join(d, 'child.cjs'), child);
    const proc = spawnCli(['run', 'config.enc', '--', NODE, 'child.cjs'], { cwd: d });
    let stdout = '';
    const ready = new Promise<void>((resolve) => {
      proc.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('ready')) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
    await ready;
    proc.kill(signal);
    expect(await exited).toBe(42);
    expect(stdout).toBe(`ready\ngot ${signal}`);
  });
});

describe('status: how long ago, in words', () => {
  it.each([
    [0, '0 seconds'],
    [1, '1 second'],
    [1.9, '1 second'],
    [2, '2 seconds'],
    [119, '119 seconds'],
    [120, '2 minutes'],
    [7199, '119 minutes'],
    [7200, '2.0 hours'],
    [2 * 86_400, '2.0 days'],
    [-5, '0 seconds'],
  ])('%s s: %s', (seconds, words) => {
    expect(describeAge(seconds)).toBe(words);
  });
});
