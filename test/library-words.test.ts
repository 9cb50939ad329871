/**
 * The loader's errors name its options and the function the app called; the CLI's name its flags. Wrong-key
 * hints fit where the key came from.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Fernet, generateKey, loadConfig, loadConfigSync, createConfigStore, createConfigStoreSync } from '../src/index.js';
import { FernetConfigError } from '../src/errors.js';
import { makeKeyFile, runCli, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-words-');

/** A config encrypted with one key, and a second key that does not open it. */
function seed(): { dir: string; path: string; right: string; wrong: string } {
  const dir = fresh();
  const right = generateKey();
  const wrong = generateKey();
  const path = join(dir, 'config.enc');
  writeFileSync(path, new Fernet(right).encrypt('{"a":1}', { now: 1000 }));
  return { dir, path, right, wrong };
}

function thrown(fn: () => unknown): FernetConfigError {
  try {
    fn();
  } catch (e) {
    return e as FernetConfigError;
  }
  throw new Error('nothing was thrown');
}

async function rejected(fn: () => Promise<unknown>): Promise<FernetConfigError> {
  return fn().then(
    () => {
      throw new Error('nothing was thrown');
    },
    (e: unknown) => e as FernetConfigError,
  );
}

const FLAG = /--key|--ttl|--strict/;

describe('loader errors in library words', () => {
  const LOADERS = [
    ['loadConfig', (o: object) => rejected(() => loadConfig(o as never))],
    ['loadConfigSync', async (o: object) => thrown(() => loadConfigSync(o as never))],
    ['createConfigStore', (o: object) => rejected(() => createConfigStore(o as never))],
    ['createConfigStoreSync', async (o: object) => thrown(() => createConfigStoreSync(o as never))],
  ] as const;

  it.each(LOADERS)('%s: no key found names the options and the function called', async (name, call) => {
    const { path } = seed();
    const e = await call({ path, environment: {} });
    expect(e.code).toBe('ERR_KEY_NOT_FOUND');
    expect(e.message).toContain('(no keyFile, key or keyCommand option given; tried: FERNET_CONFIG_KEY;');
    expect(e.hint).toBe(`key files are looked for beside the config, not in the current directory: pass keyFile (or key, keyCommand) to ${name}(), set FERNET_CONFIG_KEY_FILE, or create a key with \`fcfg keygen\``);
    expect(`${e.message} ${e.hint}`).not.toMatch(FLAG);
    // Node prints an uncaught error with its causes: the CLI-worded original must not be one of them.
    expect(inspect(e)).not.toMatch(FLAG);
  });

  it.each(LOADERS)('%s: option mistakes name the function called', async (name, call) => {
    expect((await call({})).message).toBe(`${name}() needs \`path\`, the encrypted config file`);
    expect((await call({ path: 'x.enc', schema: {}, validate: () => true })).message).toBe(`give ${name}() either \`schema\` or \`validate\`, not both`);
  });

  it.each([
    { name: 'key option', options: (s: ReturnType<typeof seed>) => ({ key: s.wrong }), message: /cannot be opened with the key option/, hint: 'check the key option: it holds no key this file was encrypted with' },
    {
      name: 'keyFile option',
      options: (s: ReturnType<typeof seed>) => ({ keyFile: makeWrongKeyFile(s) }),
      message: /cannot be opened with key file /,
      hint: 'check which key file you are using (see `fcfg status`)',
    },
    {
      name: 'FERNET_CONFIG_KEY',
      options: (s: ReturnType<typeof seed>) => ({ environment: { FERNET_CONFIG_KEY: s.wrong } }),
      message: /cannot be opened with FERNET_CONFIG_KEY/,
      hint: 'check the key in FERNET_CONFIG_KEY: it is used before any key file (unset it to use the key file beside the config)',
    },
  ])('wrong key from the $name: a hint for that source', ({ options, message, hint }) => {
    const s = seed();
    const e = thrown(() => loadConfigSync({ path: s.path, environment: {}, ...options(s) }));
    expect(e.code).toBe('ERR_WRONG_KEY');
    expect(e.message).toMatch(message);
    expect(e.hint).toBe(hint);
    expect(`${e.message} ${e.hint}`).not.toMatch(FLAG);
    expect(`${e.message} ${e.hint}`).not.toContain(s.wrong);
  });

  it('a missing key file from the keyFile option says where its path came from', () => {
    const s = seed();
    const e = thrown(() => loadConfigSync({ path: s.path, keyFile: join(s.dir, 'nope.key'), environment: {} }));
    expect(e.code).toBe('ERR_FILE_NOT_FOUND');
    expect(e.message).toBe(`key file ${join(s.dir, 'nope.key')} (from keyFile) does not exist`);
    expect(`${e.message} ${e.hint}`).not.toMatch(FLAG);
  });

  it('an expired config says "raise ttl", not --ttl', () => {
    const s = seed();
    const e = thrown(() => loadConfigSync({ path: s.path, key: s.right, ttl: 10, now: 2000, environment: {} }));
    expect(e.code).toBe('ERR_TOKEN_EXPIRED');
    expect(e.hint).toBe('re-encrypt it (`fcfg rotate`) or raise ttl');
  });

  it('more than one key option', () => {
    const s = seed();
    const e = thrown(() => loadConfigSync({ path: s.path, key: s.right, keyFile: 'k', environment: {} }));
    expect(e.code).toBe('ERR_USAGE');
    expect(e.message).toBe('give only one of keyFile, key and keyCommand');
  });

  function makeWrongKeyFile(s: ReturnType<typeof seed>): string {
    const file = join(s.dir, 'wrong.key');
    writeFileSync(file, `${s.wrong}\n`, { mode: 0o600 });
    return file;
  }
});

describe('CLI errors in CLI words', () => {
  it('no key found says which flags were not given', () => {
    const { dir } = seed();
    const r = runCli(['get', 'config.enc', 'a'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no key found (no --key-file, --key or --key-command given; tried: FERNET_CONFIG_KEY;');
    expect(r.stderr).toContain('pass --key-file PATH (-k)');
  });

  it.each([
    { name: 'key file', args: ['--key-file', 'wrong.key'], env: {}, hint: 'check which key file you are using (see `fcfg status`)' },
    { name: '--key', args: ['--key', 'WRONG'], env: {}, hint: 'check the --key value: it holds no key this file was encrypted with' },
    {
      name: 'FERNET_CONFIG_KEY',
      args: [],
      env: { FERNET_CONFIG_KEY: 'WRONG' },
      hint: 'check the key in FERNET_CONFIG_KEY: it is used before any key file (unset it to use the key file beside the config)',
    },
    {
      name: 'key command',
      args: ['--key-command', 'cat wrong.key'],
      env: {},
      hint: 'check what the key command prints (run it yourself): it is not the key this file was encrypted with',
    },
  ])('wrong key from the $name', ({ args, env, hint }) => {
    const s = seed();
    makeKeyFile(s.dir, 'secret.key');
    writeFileSync(join(s.dir, 'wrong.key'), `${s.wrong}\n`, { mode: 0o600 });
    const sub = (list: string[]) => list.map((a) => (a === 'WRONG' ? s.wrong : a));
    const r = runCli(['get', 'config.enc', 'a', ...sub(args)], { cwd: s.dir, env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === 'WRONG' ? s.wrong : v])) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERR_WRONG_KEY]');
    expect(r.stderr).toContain(`  hint: ${hint}\n`);
    expect(r.stderr).not.toContain(s.wrong);
  });
});
