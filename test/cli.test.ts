import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { makeKeyFile, runCli, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs();

const SECRET = 'hunter2-s3cr3t-value';

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** Writes config.enc (and secret.key) holding `value` as JSON, encrypted the way the CLI does. */
function seed(d: string, value: unknown = { database: { host: 'db', password: SECRET, port: 5432 } }) {
  const { path: keyPath, keys } = makeKeyFile(d);
  const text = JSON.stringify(value, null, 2) + '\n';
  writeFileSync(join(d, 'config.enc'), new Fernet(keys[0]!).encrypt(text) + '\n', { mode: 0o600 });
  return { keyPath, key: keys[0]!, text, config: join(d, 'config.enc') };
}

function decryptFile(path: string, key: string): string {
  return new Fernet(key).decryptText(readFileSync(path, 'utf8'));
}

describe('keygen', () => {
  it('creates a 0600 key file Python can read as-is', () => {
    const d = fresh();
    const r = runCli(['keygen'], { cwd: d });
    expect(r.status).toBe(0);
    const text = readFileSync(join(d, 'secret.key'), 'utf8');
    expect(text).toMatch(/^[A-Za-z0-9_-]{43}=\n$/);
    expect(mode(join(d, 'secret.key'))).toBe(0o600);
    expect(r.stderr).toContain('fingerprint');
    expect(r.stderr + r.stdout).not.toContain(text.trim());
  });

  it('refuses to overwrite without --force, and leaves the file alone', () => {
    const d = fresh();
    const { path, keys } = makeKeyFile(d, 'my.key');
    const r = runCli(['keygen', 'my.key'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERR_FILE_EXISTS]');
    expect(r.stderr).toContain('--add');
    expect(readFileSync(path, 'utf8')).toBe(keys[0] + '\n');
  });

  it('--force replaces, --add prepends a new primary and keeps the ring', () => {
    const d = fresh();
    const { path, keys } = makeKeyFile(d, 'ring.key');
    chmodSync(path, 0o644);
    expect(runCli(['keygen', 'ring.key', '--add'], { cwd: d }).status).toBe(0);
    const ring = readFileSync(path, 'utf8').trim().split('\n');
    expect(ring).toHaveLength(2);
    expect(ring[1]).toBe(keys[0]);
    expect(mode(path)).toBe(0o600);
    expect(runCli(['keygen', 'ring.key', '--force'], { cwd: d }).status).toBe(0);
    const replaced = readFileSync(path, 'utf8').trim().split('\n');
    expect(replaced).toHaveLength(1);
    expect(ring).not.toContain(replaced[0]);
  });

  it('prints to stdout with "-" and reports JSON with --json', () => {
    const d = fresh();
    const r = runCli(['keygen', '-'], { cwd: d });
    expect(r.stdout).toMatch(/^[A-Za-z0-9_-]{43}=\n$/);
    expect(() => new Fernet(r.stdout)).not.toThrow();
    expect(readdirSync(d)).toEqual([]);
    const j = runCli(['keygen', 'k.key', '--json'], { cwd: d });
    expect(JSON.parse(j.stdout)).toMatchObject({ path: 'k.key', keys: 1, fingerprint: expect.stringMatching(/^[0-9a-f]{8}$/) });
  });

  it('suggests .gitignore inside a git work tree when the key is not ignored', () => {
    const d = fresh();
    runGit(d, 'init', '-q');
    const r = runCli(['keygen'], { cwd: d });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('not ignored by git');
    writeFileSync(join(d, '.gitignore'), '*.key\n');
    const r2 = runCli(['keygen', 'other.key'], { cwd: d });
    expect(r2.stderr).not.toContain('not ignored');
  });
});

function runGit(cwd: string, ...args: string[]) {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('encrypt', () => {
  it('writes <name>.enc (0600) and keeps the text byte for byte', () => {
    const d = fresh();
    const { keys } = makeKeyFile(d);
    const text = '{\n\t"b": 1,\n\t"a": [1, 2],   "z": "ü"\n}\n';
    writeFileSync(join(d, 'app.json'), text);
    const r = runCli(['encrypt', 'app.json'], { cwd: d });
    expect(r.status).toBe(0);
    expect(mode(join(d, 'app.enc'))).toBe(0o600);
    const stored = readFileSync(join(d, 'app.enc'), 'utf8');
    expect(stored).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*\n$/);
    expect(decryptFile(join(d, 'app.enc'), keys[0]!)).toBe(text);
  });

  it('reads stdin and writes the token to stdout', () => {
    const d = fresh();
    const { keys } = makeKeyFile(d);
    const r = runCli(['encrypt', '-', '--key-file', 'secret.key'], { cwd: d, input: '{"a":1}' });
    expect(r.status).toBe(0);
    expect(new Fernet(keys[0]!).decryptText(r.stdout)).toBe('{"a":1}');
  });

  it('rejects invalid JSON with line and column, writing nothing and echoing nothing', () => {
    const d = fresh();
    makeKeyFile(d);
    writeFileSync(join(d, 'bad.json'), `{\n  "password": "${SECRET}",\n  "x": ,\n}\n`);
    const r = runCli(['encrypt', 'bad.json'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.json is not valid JSON: .* at line 3, column 8 \[ERR_INVALID_JSON\]/);
    expect(r.stderr).not.toContain(SECRET);
    expect(existsSync(join(d, 'bad.enc'))).toBe(false);
  });

  it.each([
    ['encrypt --schema', ['encrypt', 'c.json', '--schema', 's.json']],
    ['validate', ['validate', 'config.enc', '--schema', 's.json']],
    ['edit --schema', ['edit', 'new.enc', '--schema', 's.json']],
    ['compile-schema', ['compile-schema', 's.json', '-o', 'v.mjs']],
  ])('%s: a schema that is not JSON gets line and column, and no text quoted', (_name, args) => {
    const d = fresh();
    seed(d);
    writeFileSync(join(d, 'c.json'), '{}');
    writeFileSync(join(d, 's.json'), `{\n  "type": "object",\n  "properties": { "x": 1 ${SECRET} }\n}\n`);
    const r = runCli(args, { cwd: d, env: { EDITOR: 'true', VISUAL: 'true' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('fernet-config: schema s.json is not valid JSON: comma or close brace expected at line 3, column 26 [ERR_INVALID_SCHEMA]\n');
  });

  it('rejects content that fails --schema, naming paths and not values', () => {
    const d = fresh();
    makeKeyFile(d);
    writeFileSync(join(d, 's.json'), JSON.stringify({ type: 'object', properties: { password: { type: 'string', enum: ['a', 'b'] }, port: { type: 'integer' } }, required: ['host'] }));
    writeFileSync(join(d, 'c.json'), JSON.stringify({ password: SECRET, port: 'x' }));
    const r = runCli(['encrypt', 'c.json', '--schema', 's.json'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERR_CONFIG_VALIDATION]');
    expect(r.stderr).toContain('\n  password: must be one of "a", "b"\n');
    expect(r.stderr).toContain('\n  port: must be integer\n');
    expect(r.stderr).toContain('must have required property "host"');
    expect(r.stderr).not.toContain(SECRET);
    expect(existsSync(join(d, 'c.enc'))).toBe(false);
  });

  it('says which key sources it tried when there is no key', () => {
    const d = fresh();
    writeFileSync(join(d, 'c.json'), '{}');
    const r = runCli(['encrypt', 'c.json'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERR_KEY_NOT_FOUND]');
    expect(r.stderr).toContain('FERNET_CONFIG_KEY');
    expect(r.stderr).toContain(join('c.key'));
    expect(r.stderr).toContain('secret.key');
    expect(r.stderr).toContain('hint:');
  });

  it('with the key in the project root and the config in a folder: the hint says keys are looked for beside the config', () => {
    const d = fresh();
    makeKeyFile(d);
    mkdirSync(join(d, 'deploy'));
    writeFileSync(join(d, 'c.json'), '{}');
    const r = runCli(['encrypt', 'c.json', '-o', 'deploy/prod.enc'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${join('deploy', 'secret.key')}; `);
    expect(r.stderr).toContain('  hint: key files are looked for beside the config, not in the current directory: pass --key-file PATH (-k), set FERNET_CONFIG_KEY_FILE');
    // The README's recipe: -k names the one key for every config.
    expect(runCli(['encrypt', 'c.json', '-k', 'secret.key', '-o', 'deploy/prod.enc'], { cwd: d }).status).toBe(0);
    const rotate = runCli(['rotate', '-k', 'secret.key', 'deploy/prod.enc', '--force'], { cwd: d });
    expect(rotate.stderr).not.toContain('ERR_');
    expect(rotate.status).toBe(0);
  });

  it.each([
    ['FERNET_CONFIG_KEY_FILE', [], { FERNET_CONFIG_KEY_FILE: 'nope.key' }, 'fix the path in FERNET_CONFIG_KEY_FILE, or unset it to use the key file beside the config'],
    ['--key-file', ['--key-file', 'nope.key'], {}, 'check the path (a relative one starts from the current directory)'],
  ])('a missing key file named by %s says where the path came from', (origin, flags, env, hint) => {
    const d = fresh();
    seed(d);
    const r = runCli(['get', 'config.enc', 'port', ...flags], { cwd: d, env });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`fernet-config: key file nope.key (from ${origin}) does not exist [ERR_FILE_NOT_FOUND]\n  hint: ${hint}\n`);
  });
});

describe('decrypt', () => {
  it('prints the plaintext, or writes a 0600 file with -o', () => {
    const d = fresh();
    const { text } = seed(d);
    const r = runCli(['decrypt', 'config.enc'], { cwd: d });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(text);
    writeFileSync(join(d, 'out.json'), 'old', { mode: 0o644 });
    expect(runCli(['decrypt', 'config.enc', '-o', 'out.json'], { cwd: d }).stderr).toContain('[ERR_FILE_EXISTS]');
    expect(readFileSync(join(d, 'out.json'), 'utf8')).toBe('old');
    expect(runCli(['decrypt', 'config.enc', '-o', 'out.json', '--force'], { cwd: d }).status).toBe(0);
    expect(readFileSync(join(d, 'out.json'), 'utf8')).toBe(text);
    expect(mode(join(d, 'out.json'))).toBe(0o600);
  });

  it('enforces --ttl', () => {
    const d = fresh();
    const key = makeKeyFile(d).keys[0]!;
    const old = Math.floor(Date.now() / 1000) - 3600;
    writeFileSync(join(d, 'config.enc'), new Fernet(key).encrypt('{}', { now: old }) + '\n');
    expect(runCli(['decrypt', 'config.enc', '--ttl', '7200'], { cwd: d }).status).toBe(0);
    const r = runCli(['decrypt', 'config.enc', '--ttl', '60'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERR_TOKEN_EXPIRED]');
    expect(runCli(['decrypt', 'config.enc', '--ttl', 'soon'], { cwd: d }).status).toBe(2);
  });

  const failures: [string, (d: string) => string[], string][] = [
    ['wrong key', (d) => (writeFileSync(join(d, 'other.key'), generateKey() + '\n', { mode: 0o600 }), ['--key-file', 'other.key']), 'ERR_WRONG_KEY'],
    ['corrupted file', (d) => (writeFileSync(join(d, 'config.enc'), 'this is not a token\n'), []), 'ERR_MALFORMED_FILE'],
    ['truncated file', (d) => (writeFileSync(join(d, 'config.enc'), readFileSync(join(d, 'config.enc'), 'utf8').slice(0, 50)), []), 'ERR_MALFORMED_FILE'],
    ['tampered file', (d) => {
      const t = readFileSync(join(d, 'config.enc'), 'utf8');
      writeFileSync(join(d, 'config.enc'), t.slice(0, 30) + (t[30] === 'A' ? 'B' : 'A') + t.slice(31));
      return [];
    }, 'ERR_WRONG_KEY'],
    ['empty file', (d) => (writeFileSync(join(d, 'config.enc'), ''), []), 'ERR_MALFORMED_FILE'],
    ['non-JSON plaintext', (d) => {
      writeFileSync(join(d, 'config.enc'), new Fernet(readFileSync(join(d, 'secret.key'), 'utf8')).encrypt(`password=${SECRET}`) + '\n');
      return [];
    }, 'ERR_INVALID_JSON'],
    ['missing file', () => ['--key-file', 'secret.key', 'nope.enc'], 'ERR_FILE_NOT_FOUND'],
    ['directory as config', (d) => (mkdirSync(join(d, 'adir.enc')), ['adir.enc']), 'ERR_FILE_ACCESS'],
    ['directory as key file', (d) => (mkdirSync(join(d, 'kdir')), ['--key-file', 'kdir']), 'ERR_FILE_ACCESS'],
    ['invalid key file', (d) => (writeFileSync(join(d, 'bad.key'), `${SECRET}\n`, { mode: 0o600 }), ['--key-file', 'bad.key']), 'ERR_INVALID_KEY'],
    ['missing key file', () => ['--key-file', 'missing.key'], 'ERR_FILE_NOT_FOUND'],
  ];

  it.each(failures)('%s: its own message, exit 1, nothing changed, nothing leaked', (_name, prepare, code) => {
    const d = fresh();
    const { key } = seed(d);
    const args = prepare(d);
    const positional = args.find((a) => a.endsWith('.enc')) ?? 'config.enc';
    const flags = args.filter((a) => a !== positional);
    const before = snapshot(d);
    const r = runCli(['decrypt', positional, ...flags], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`[${code}]`);
    expect(r.stderr.split('\n')[0]).toMatch(/^fernet-config: /);
    expect(r.stdout).toBe('');
    for (const s of [SECRET, key]) expect(r.stderr).not.toContain(s);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
    expect(snapshot(d)).toEqual(before);
  });

  it('--debug adds a stack trace but still no secret', () => {
    const d = fresh();
    const { key } = seed(d);
    writeFileSync(join(d, 'other.key'), generateKey() + '\n', { mode: 0o600 });
    const r = runCli(['decrypt', 'config.enc', '--key-file', 'other.key', '--debug'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
    for (const s of [SECRET, key, readFileSync(join(d, 'other.key'), 'utf8').trim()]) expect(r.stderr).not.toContain(s);
  });
});

/** Names and contents of every file in a directory. */
function snapshot(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(d)) {
    const p = join(d, name);
    out[name] = statSync(p).isDirectory() ? '<dir>' : readFileSync(p, 'latin1');
  }
  return out;
}

describe('get, set, unset', () => {
  it('get prints strings raw and other values as JSON', () => {
    const d = fresh();
    seed(d);
    expect(runCli(['get', 'config.enc', 'database.password'], { cwd: d }).stdout).toBe(SECRET + '\n');
    expect(runCli(['get', 'config.enc', 'database.port'], { cwd: d }).stdout).toBe('5432\n');
    expect(JSON.parse(runCli(['get', 'config.enc', 'database'], { cwd: d }).stdout)).toMatchObject({ port: 5432 });
    expect(runCli(['get', 'config.enc', 'database.host', '--json'], { cwd: d }).stdout).toBe('"db"\n');
    const missing = runCli(['get', 'config.enc', 'database.user'], { cwd: d });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('[ERR_PATH_NOT_FOUND]');
  });

  it('set parses JSON values, keeps strings, creates objects, and preserves formatting', () => {
    const d = fresh();
    const { keys } = makeKeyFile(d);
    const text = '{\n    "keep":   "as is",\n    "list": [1,2,3]\n}\n';
    writeFileSync(join(d, 'config.enc'), new Fernet(keys[0]!).encrypt(text) + '\n');
    const ok = (args: string[], input?: string) => {
      const r = runCli(args, { cwd: d, ...(input === undefined ? {} : { input }) });
      expect(r.stderr).not.toContain('ERR_');
      expect(r.status).toBe(0);
    };
    ok(['set', 'config.enc', 'db.port', '5432']);
    ok(['set', 'config.enc', 'db.ssl', 'true']);
    ok(['set', 'config.enc', 'db.name', 'shop']);
    ok(['set', 'config.enc', 'db.version', '15', '--string']);
    ok(['set', 'config.enc', 'db.password', '--stdin'], `${SECRET}\n`);
    ok(['set', 'config.enc', 'list.1', '20']);
    const after = decryptFile(join(d, 'config.enc'), keys[0]!);
    expect(JSON.parse(after)).toEqual({ keep: 'as is', list: [1, 20, 3], db: { port: 5432, ssl: true, name: 'shop', version: '15', password: SECRET } });
    expect(after.startsWith('{\n    "keep":   "as is",\n')).toBe(true);
    expect(after).toContain('\n        "port": 5432');
  });

  it('set creates a missing config (0600), unset removes, bad paths fail cleanly', () => {
    const d = fresh();
    const { keys } = makeKeyFile(d);
    expect(runCli(['set', 'new.enc', 'a.b', '"x"'], { cwd: d }).status).toBe(0);
    expect(mode(join(d, 'new.enc'))).toBe(0o600);
    expect(JSON.parse(decryptFile(join(d, 'new.enc'), keys[0]!))).toEqual({ a: { b: 'x' } });
    const before = readFileSync(join(d, 'new.enc'), 'utf8');
    const through = runCli(['set', 'new.enc', 'a.b.c', '1'], { cwd: d });
    expect(through.status).toBe(1);
    expect(through.stderr).toContain('[ERR_INVALID_PATH]');
    expect(runCli(['unset', 'new.enc', 'a.zz'], { cwd: d }).stderr).toContain('[ERR_PATH_NOT_FOUND]');
    expect(runCli(['set', 'new.enc', 'a..b', '1'], { cwd: d }).stderr).toContain('[ERR_INVALID_PATH]');
    expect(readFileSync(join(d, 'new.enc'), 'utf8')).toBe(before);
    expect(runCli(['unset', 'new.enc', 'a.b'], { cwd: d }).status).toBe(0);
    expect(JSON.parse(decryptFile(join(d, 'new.enc'), keys[0]!))).toEqual({ a: {} });
  });

  it('set with an unchanged value does not rewrite the file', () => {
    const d = fresh();
    seed(d);
    const before = readFileSync(join(d, 'config.enc'), 'utf8');
    const r = runCli(['set', 'config.enc', 'database.port', '5432'], { cwd: d });
    expect(r.status).toBe(0);
    expect(readFileSync(join(d, 'config.enc'), 'utf8')).toBe(before);
  });

  it('set without a value and without a terminal is a usage error', () => {
    const d = fresh();
    seed(d);
    const r = runCli(['set', 'config.enc', 'x'], { cwd: d });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--stdin');
  });

  it('set --schema refuses a change that breaks the schema', () => {
    const d = fresh();
    seed(d);
    writeFileSync(join(d, 's.json'), JSON.stringify({ properties: { database: { properties: { port: { type: 'integer' } } } } }));
    const before = readFileSync(join(d, 'config.enc'), 'utf8');
    const r = runCli(['set', 'config.enc', 'database.port', 'high', '--schema', 's.json'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('database.port: must be integer');
    expect(readFileSync(join(d, 'config.enc'), 'utf8')).toBe(before);
  });
});

describe('validate', () => {
  it('exits 0 when valid, 1 with path: message lines otherwise, never values', () => {
    const d = fresh();
    seed(d);
    writeFileSync(
      join(d, 'schema.json'),
      JSON.stringify({
        type: 'object',
        required: ['database'],
        properties: { database: { type: 'object', properties: { password: { type: 'string', minLength: 8, sensitive: true }, port: { type: 'integer' } } } },
      }),
    );
    expect(runCli(['validate', 'config.enc', '--schema', 'schema.json'], { cwd: d }).status).toBe(0);
    writeFileSync(
      join(d, 'strict.json'),
      JSON.stringify({ properties: { database: { properties: { password: { pattern: '^x', format: 'email' }, port: { maximum: 10 } }, additionalProperties: false } }, required: ['app'] }),
    );
    const r = runCli(['validate', 'config.enc', '--schema', 'strict.json'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('database.password: must match pattern "^x"');
    expect(r.stderr).toContain('database.password: must match format "email"');
    expect(r.stderr).toContain('database.port: must be <= 10');
    expect(r.stderr).toContain('database: must NOT have additional property "host"');
    expect(r.stderr).toContain('  hint: fix it with `fcfg edit config.enc` or `fcfg set config.enc <path> <value>`\n');
    expect(r.stderr).not.toContain(SECRET);
    const j = runCli(['validate', 'config.enc', '--schema', 'strict.json', '--json'], { cwd: d });
    expect(j.status).toBe(1);
    expect(JSON.parse(j.stdout).errors.length).toBe(5);
    expect(j.stdout).not.toContain(SECRET);
    expect(runCli(['validate', 'config.enc'], { cwd: d }).status).toBe(2);
  });

  it('reports a broken schema as such', () => {
    const d = fresh();
    seed(d);
    writeFileSync(join(d, 'broken.json'), JSON.stringify({ type: 'nonsense' }));
    const r = runCli(['validate', 'config.enc', '--schema', 'broken.json'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERR_INVALID_SCHEMA]');
  });
});

describe('key resolution', () => {
  function setup() {
    const d = fresh();
    const keys = { flag: generateKey(), env: generateKey(), envFile: generateKey(), named: generateKey(), secret: generateKey() };
    writeFileSync(join(d, 'flag.key'), keys.flag + '\n', { mode: 0o600 });
    writeFileSync(join(d, 'envfile.key'), keys.envFile + '\n', { mode: 0o600 });
    writeFileSync(join(d, 'app.key'), keys.named + '\n', { mode: 0o600 });
    writeFileSync(join(d, 'secret.key'), keys.secret + '\n', { mode: 0o600 });
    return { d, keys };
  }
  /** Encrypts with the CLI and reports which key was used. */
  function used(d: string, keys: Record<string, string>, args: string[], env: Record<string, string> = {}): string | undefined {
    const r = runCli(['encrypt', '-', '-o', 'app.enc', '--force', ...args], { cwd: d, input: '{}', env });
    expect(r.stderr).not.toContain('ERR_');
    const token = readFileSync(join(d, 'app.enc'), 'utf8');
    return Object.entries(keys).find(([, k]) => {
      try {
        new Fernet(k).decrypt(token);
        return true;
      } catch {
        return false;
      }
    })?.[0];
  }

  it('follows the documented order', () => {
    const { d, keys } = setup();
    const envAll = { FERNET_CONFIG_KEY: keys.env, FERNET_CONFIG_KEY_FILE: join(d, 'envfile.key') };
    expect(used(d, keys, ['--key-file', 'flag.key'], envAll)).toBe('flag');
    expect(used(d, keys, ['--key', keys.flag], envAll)).toBe('flag');
    expect(used(d, keys, [], envAll)).toBe('env');
    expect(used(d, keys, [], { FERNET_CONFIG_KEY_FILE: join(d, 'envfile.key') })).toBe('envFile');
    expect(used(d, keys, [])).toBe('named');
    const r = runCli(['encrypt', '-', '-o', 'other.enc'], { cwd: d, input: '{}' });
    expect(r.status).toBe(0);
    expect(() => new Fernet(keys.secret).decrypt(readFileSync(join(d, 'other.enc'), 'utf8'))).not.toThrow();
  });

  it('FERNET_CONFIG_KEY takes several keys; the first encrypts, any decrypts', () => {
    const { d, keys } = setup();
    const ring = `${keys.env}, ${keys.named}\n${keys.secret}`;
    expect(used(d, keys, [], { FERNET_CONFIG_KEY: ring })).toBe('env');
    writeFileSync(join(d, 'old.enc'), new Fernet(keys.secret).encrypt('{"v":1}') + '\n');
    expect(runCli(['get', 'old.enc', 'v'], { cwd: d, env: { FERNET_CONFIG_KEY: ring } }).stdout).toBe('1\n');
  });

  it('key files: comments and blank lines ignored, group-readable warns, --strict-permissions refuses', () => {
    const { d, keys } = setup();
    writeFileSync(join(d, 'ring.key'), `# primary\n${keys.flag}\n\n# old\n${keys.secret}\n`, { mode: 0o644 });
    chmodSync(join(d, 'ring.key'), 0o644);
    writeFileSync(join(d, 'old.enc'), new Fernet(keys.secret).encrypt('{"v":2}') + '\n');
    const r = runCli(['get', 'old.enc', 'v', '-k', 'ring.key'], { cwd: d });
    expect(r.stdout).toBe('2\n');
    expect(r.stderr).toContain('warning: key file ring.key is readable by group or others (mode 0644)');
    expect(r.stderr).toContain('chmod 600');
    const strict = runCli(['get', 'old.enc', 'v', '-k', 'ring.key', '--strict-permissions'], { cwd: d });
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain('[ERR_KEY_FILE_PERMISSIONS]');
    for (const k of Object.values(keys)) expect(r.stderr + strict.stderr).not.toContain(k);
  });

  it('conflicting key flags are a usage error', () => {
    const { d, keys } = setup();
    const r = runCli(['encrypt', '-', '--key-file', 'flag.key', '--key', keys.flag], { cwd: d, input: '{}' });
    expect(r.status).toBe(2);
    expect(r.stderr).not.toContain(keys.flag);
  });
});

describe('usage', () => {
  it('unknown commands and options exit 2; --help and --version exit 0', () => {
    const d = fresh();
    expect(runCli(['nope'], { cwd: d }).status).toBe(2);
    expect(runCli(['decrypt', 'x.enc', '--bogus'], { cwd: d }).status).toBe(2);
    expect(runCli(['get', 'x.enc'], { cwd: d }).status).toBe(2);
    const help = runCli(['--help'], { cwd: d });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Key resolution');
    const v = runCli(['--version'], { cwd: d });
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version);
  });
});
