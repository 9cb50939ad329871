/**
 * The package root as apps load it (scripts/bundle-lib.mjs): dist/fernet-config.mjs holds what a plain
 * loadConfig/loadConfigSync/Fernet app needs; the .age ring code, the runtime schema compiler and the key
 * ring operations sit in chunks beside it, loaded on first use, and the SSH key code in a chunk the .age
 * chunk loads only for an SSH identity or a ring that does not open. These tests fail if a plain app (or
 * an X25519 ring) loads a chunk again, if the root's exports drift from dist/src/index.js, or if a chunk
 * gets its own copy of what the root or another chunk has (error classes must be one identity). Runs
 * against the build (`npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as index from '../dist/src/index.js';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { cleanEnv, REPO, runCli, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-package-root-');
const dist = (f: string) => join(REPO, 'dist', f);

/** Functions only a chunk should define, per chunk: none of them may be defined in the root or another chunk. */
const CHUNKS: [string, string[]][] = [
  ['fernet-config-age.cjs', ['openAgeRing', 'loadIdentities', 'ageLib', 'readRingBytes']],
  // The SSH key code and the recipients file parser: loaded from the .age chunk only when needed.
  ['fernet-config-ssh.cjs', ['parseSshKeyFile', 'sshIdentityFromFile', 'readRecipientsFile', 'parseSshRecipient']],
  ['fernet-config-schema.cjs', ['compileSchema', 'compileWithAjv', 'shareRepeatedSubschemas']],
  ['fernet-config-ops.cjs', ['findDrafts', 'withLock', 'writeFileAtomic']],
];
const defines = (text: string, name: string) => new RegExp(`\\bfunction ${name}\\(`).test(text);

describe('what the root holds', () => {
  it.each(['fernet-config.mjs', ...CHUNKS.map(([c]) => c)])('%s has a source map to files that ship (relative to dist/, no sources inlined)', (file) => {
    expect(readFileSync(dist(file), 'utf8').endsWith(`\n//# sourceMappingURL=${file}.map\n`)).toBe(true);
    const map = JSON.parse(readFileSync(dist(`${file}.map`), 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sourcesContent).toBeUndefined();
    const files = map.sources.filter((s) => !/^[\w-]+:/.test(s)); // not esbuild's namespaces (fcfg-shared:..., builtin:node:fs)
    expect(files.length).toBeGreaterThan(3);
    expect(files.filter((s) => !/^src\/[\w/-]+\.js$/.test(s) || !existsSync(dist(s)))).toEqual([]);
  });


  it.each(CHUNKS)('%s holds %j, and no other file any of them', (chunk, names) => {
    const chunkText = readFileSync(dist(chunk), 'utf8');
    expect(names.filter((n) => !defines(chunkText, n))).toEqual([]);
    for (const other of ['fernet-config.mjs', ...CHUNKS.map(([c]) => c)].filter((f) => f !== chunk)) {
      const text = readFileSync(dist(other), 'utf8');
      expect(names.filter((n) => defines(text, n)), other).toEqual([]);
    }
  });

  it.each(CHUNKS)('%s takes the modules it shares by name, without a copy of each per importing module', (chunk) => {
    // esbuild's __toESM(require_x()) builds an object of getters, one per export, for every module of the
    // chunk that imports x; only an import() of another chunk's module (taken whole, once) may use it.
    const text = readFileSync(dist(chunk), 'utf8');
    const whole = [...text.matchAll(/__commonJS\(\{"([\w-]+):([\w/.-]+)"/g)].map(([, namespace, key]) => `${namespace}:${key}`);
    expect(whole.filter((m) => !m.startsWith('fcfg-chunk:'))).toEqual([]);
  });

  it('exports what dist/src/index.js does: same names, kinds, function names and lengths', async () => {
    const shape = (m: Record<string, unknown>) =>
      Object.keys(m)
        .sort()
        .map((k) => {
          const v = m[k];
          return typeof v === 'function' ? [k, v.name, v.length, v.constructor.name, /^class\b/.test(Function.prototype.toString.call(v))] : [k, typeof v, v];
        });
    // By path, not a literal: the bundle has no declaration file of its own (index.d.ts types it).
    const root = (await import(dist('fernet-config.mjs'))) as Record<string, unknown>;
    expect(shape(root)).toEqual(shape(index));
    expect(Object.keys(root).length).toBeGreaterThan(40);
  });
});

/** An app folder that imports the package by name (node_modules/fernet-config is this repository). */
function app(): string {
  const d = fresh();
  mkdirSync(join(d, 'node_modules'));
  symlinkSync(REPO, join(d, 'node_modules/fernet-config'), 'dir');
  writeFileSync(join(d, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  const key = generateKey();
  writeFileSync(join(d, 'secret.key'), key + '\n', { mode: 0o600 });
  writeFileSync(join(d, 'config.enc'), new Fernet(key).encrypt(JSON.stringify({ db: { password: 'pw', port: 5432 } })) + '\n', { mode: 0o600 });
  return d;
}

// Printed when the process exits: the CommonJS files of dist/ that require() loaded (every chunk, and the
// bundles the chunks load: age.cjs, ajv.cjs).
const DIST = join(REPO, 'dist') + '/';
const HOOK = `process.on('exit', () => process.stderr.write('\\nLOADED ' + JSON.stringify(Object.keys(require.cache).filter((p) => p.startsWith(${JSON.stringify(DIST)}) && p.endsWith('.cjs')).map((p) => p.slice(${DIST.length})).sort()) + '\\n'));\n`;

/** Runs `code` as an ES module (or CommonJS) app in `d`; its stdout, and the files of dist/ it required. */
function runApp(d: string, code: string, { ext = 'mjs', env = {} }: { ext?: string; env?: Record<string, string> } = {}): { out: string; loaded: string[] } {
  writeFileSync(join(d, 'hook.cjs'), HOOK);
  writeFileSync(join(d, `main.${ext}`), code);
  const r = spawnSync(process.execPath, ['-r', './hook.cjs', `main.${ext}`], { cwd: d, encoding: 'utf8', env: cleanEnv({ HOME: join(d, 'no-home'), ...env }), timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  const loaded = /\nLOADED (.*)\n/.exec(r.stderr);
  expect(loaded, r.stderr).not.toBeNull();
  return { out: r.stdout.trim(), loaded: JSON.parse(loaded![1]!) as string[] };
}

describe('what an app loads', () => {
  let d: string;
  beforeAll(() => {
    d = app();
  });

  it.each([
    ['loadConfigSync', "import { loadConfigSync } from 'fernet-config';\nconsole.log(loadConfigSync({ path: 'config.enc' }).db.port);", '5432', []],
    ['loadConfig', "import { loadConfig } from 'fernet-config';\nconsole.log((await loadConfig({ path: 'config.enc' })).db.port);", '5432', []],
    ['a store, reloaded', "import { createConfigStoreSync } from 'fernet-config';\nconst s = createConfigStoreSync({ path: 'config.enc' });\nconsole.log(s.reloadSync().db.port);", '5432', []],
    ['a validator function', "import { loadConfigSync } from 'fernet-config';\nconst validate = (v) => typeof v.db.port === 'number';\nconsole.log(loadConfigSync({ path: 'config.enc', validate }).db.port);", '5432', []],
    ['env overrides and redact', "import { loadConfigSync, redact, flattenToEnv } from 'fernet-config';\nconst c = loadConfigSync({ path: 'config.enc', env: { prefix: 'APP_' }, environment: { APP_DB__PORT: '6543' } });\nconsole.log(c.db.port, Object.keys(flattenToEnv(redact(c))).length);", '6543 2', []],
    ['Fernet alone', "import { Fernet, generateKey } from 'fernet-config';\nconst f = new Fernet(generateKey());\nconsole.log(f.decrypt(f.encrypt('x')).toString());", 'x', []],
    ['openAgeRingFor without a ring', "import { openAgeRingFor } from 'fernet-config';\nconsole.log(String(await openAgeRingFor('config.enc')));", 'undefined', []],
    // Controls: the same check sees each chunk when its code is used.
    ['a runtime schema', "import { loadConfigSync } from 'fernet-config';\nconsole.log(loadConfigSync({ path: 'config.enc', schema: { type: 'object', properties: { db: { properties: { password: { sensitive: true } } } } } }).db.port);", '5432', ['ajv.cjs', 'fernet-config-schema.cjs', 'meta/draft-07.cjs']],
    ['configStatus', "import { configStatus } from 'fernet-config';\nconsole.log(configStatus('config.enc').keyIndex);", '0', ['fernet-config-ops.cjs']],
    ['rotateConfigs', "import { rotateConfigs } from 'fernet-config';\nconsole.log((await rotateConfigs(['config.enc'], {}, { dryRun: true })).length);", '1', ['fernet-config-ops.cjs']],
  ])('%s', (_name, code, out, loaded) => {
    expect(runApp(d, code)).toEqual({ out, loaded });
  });

  it('importing loads no node:crypto (6-7 ms); the first decryption does', () => {
    const code = "const has = () => process.moduleLoadList.includes('NativeModule crypto');\nconst m = await import('fernet-config');\nconst before = has();\nm.loadConfigSync({ path: 'config.enc' });\nconsole.log(before, has());";
    expect(runApp(d, code).out).toBe('false true');
  });

  it('with --enable-source-maps, stack frames name the files of dist/src, in the root and in a chunk', () => {
    const code = "import { loadConfigSync, configStatus } from 'fernet-config';\nfor (const f of [() => loadConfigSync({ path: 'nope.enc' }), () => configStatus('nope.enc')]) try { f(); } catch (e) { console.log(e.stack.split('\\n')[2].trim()); }";
    writeFileSync(join(d, 'trace.mjs'), code);
    const r = spawnSync(process.execPath, ['--enable-source-maps', 'trace.mjs'], { cwd: d, encoding: 'utf8', env: cleanEnv() });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([`at openConfig (${DIST}src/config/file.js:130:19)`, `at configStatus (${DIST}src/ops/status.js:7:19)`].map((l) => expect.stringMatching(new RegExp(`^${l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\d+:\d+\\\)$/, ':\\d+:\\d+\\)')}$`))));
  });

  it('a CommonJS app: require() gives the very module import() does (one set of error classes)', () => {
    const code = "const a = require('fernet-config');\nimport('fernet-config').then((b) => console.log(a.loadConfigSync({ path: 'config.enc' }).db.port, a.FernetConfigError === b.FernetConfigError, a.loadConfigSync === b.loadConfigSync));";
    expect(runApp(d, code, { ext: 'cjs' })).toEqual({ out: '5432 true true', loaded: [] });
  });
});

describe('an install that lost a chunk', () => {
  it('says so when the chunk is first needed, in the words used for a missing dist/ajv.cjs', () => {
    const d = fresh();
    mkdirSync(join(d, 'dist'));
    copyFileSync(dist('fernet-config.mjs'), join(d, 'dist/fernet-config.mjs'));
    const code = `import { configStatus, loadConfigSync } from './dist/fernet-config.mjs';
try { configStatus('config.enc'); } catch (e) { console.log(e.code, e.message, e.hint, typeof loadConfigSync); }`;
    writeFileSync(join(d, 'main.mjs'), code);
    const r = spawnSync(process.execPath, ['main.mjs'], { cwd: d, encoding: 'utf8', env: cleanEnv() });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('ERR_FERNET_CONFIG fernet-config is incomplete: dist/fernet-config-ops.cjs is missing reinstall fernet-config function');
  });
});

describe('a .age ring through the chunks', () => {
  /**
   * An app whose config opens through a ring (secret.key is gone) for a new identity of `kind`: an age
   * X25519 identity (`fcfg identity new`) or an OpenSSH key; the env selecting `use` (default: that one).
   */
  function ringApp(kind: 'x25519' | 'ed25519' | 'rsa', use?: (d: string) => string): { d: string; env: Record<string, string> } {
    const d = app();
    const env = { HOME: join(d, 'no-home') };
    let identity: string;
    let recipient: string;
    if (kind === 'x25519') {
      identity = 'me.id';
      const made = runCli(['identity', 'new', identity], { cwd: d, env });
      expect(made.status, made.stderr).toBe(0);
      recipient = made.stdout.trim().split('\n').pop()!;
    } else {
      identity = `id_${kind}`;
      const r = spawnSync('ssh-keygen', ['-q', '-t', kind, ...(kind === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-f', join(d, identity)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      recipient = `${identity}.pub`;
    }
    const added = runCli(['recipients', 'add', 'me', recipient], { cwd: d, env });
    expect(added.status, added.stderr).toBe(0);
    rmSync(join(d, 'secret.key'));
    return { d, env: { FERNET_CONFIG_IDENTITY_FILE: use?.(d) ?? identity } };
  }

  /** An X25519 identity that is no recipient of the ring. */
  const stranger = (d: string): string => {
    expect(runCli(['identity', 'new', 'stranger.id'], { cwd: d, env: { HOME: join(d, 'no-home') } }).status).toBe(0);
    return 'stranger.id';
  };
  /** An identity file that claims to be an OpenSSH key and is not one: the SSH chunk's parser refuses it. */
  const notAKey = (d: string): string => {
    writeFileSync(join(d, 'bad_key'), '-----BEGIN OPENSSH PRIVATE KEY-----\nbm90IGEga2V5\n-----END OPENSSH PRIVATE KEY-----\n', { mode: 0o600 });
    return 'bad_key';
  };

  const show = "const show = (e) => [e.name, e.code, e instanceof m.FernetConfigError].join(' ');";
  const loadOnce = `import * as m from 'fernet-config';
${show}
try { console.log((await m.loadConfig({ path: 'config.enc' })).db.port); } catch (e) { console.log(show(e)); }`;

  // The SSH chunk only when SSH code runs: an SSH identity, or a ring that does not open, whose message
  // names the recipients from their file (and whose parser reads SSH keys). Errors thrown in either chunk
  // are the root's classes.
  it.each([
    ['an X25519 identity', 'x25519', undefined, '5432', ['age-open.cjs', 'fernet-config-age.cjs']],
    // age-ed25519.cjs: the curve code for ssh-ed25519 (scripts/bundle-age.mjs).
    ['an ssh-ed25519 identity', 'ed25519', undefined, '5432', ['age-ed25519.cjs', 'age-open.cjs', 'fernet-config-age.cjs', 'fernet-config-ssh.cjs']],
    ['an ssh-rsa identity', 'rsa', undefined, '5432', ['age-open.cjs', 'fernet-config-age.cjs', 'fernet-config-ssh.cjs']],
    ['an identity that is no recipient', 'x25519', stranger, 'NotARecipient ERR_NOT_A_RECIPIENT true', ['age-open.cjs', 'fernet-config-age.cjs', 'fernet-config-ssh.cjs']],
    ['a broken SSH key', 'x25519', notAKey, 'InvalidIdentity ERR_INVALID_IDENTITY true', ['age-open.cjs', 'fernet-config-age.cjs', 'fernet-config-ssh.cjs']],
  ] as const)('loadConfig with %s', { timeout: 60_000 }, (_name, kind, use, out, loaded) => {
    const { d, env } = ringApp(kind, use);
    expect(runApp(d, loadOnce, { env })).toEqual({ out, loaded });
  });

  const showKinds = "const show = (e) => [e.name, e.code, e instanceof m.FernetConfigError, e instanceof m.KeyNotFound].join(' ');";

  it('loadConfig opens it; loadConfigSync refuses it until then, as before the split; errors are the root classes', { timeout: 60_000 }, () => {
    const { d, env } = ringApp('rsa');
    const code = `import * as m from 'fernet-config';
${showKinds}
const out = [];
try { m.loadConfigSync({ path: 'config.enc' }); } catch (e) { out.push(show(e)); }
try { await m.loadConfig({ path: 'config.enc', environment: { HOME: 'no-home' } }); } catch (e) { out.push(show(e)); }
out.push((await m.loadConfig({ path: 'config.enc' })).db.port);
out.push(m.loadConfigSync({ path: 'config.enc' }).db.port);
console.log(out.join('\\n'));`;
    const { out, loaded } = runApp(d, code, { env });
    expect(out.split('\n')).toEqual([
      'AgeRingNeedsAsync ERR_AGE_RING_SYNC true false',
      // Thrown inside the chunk, by its code: still the root's classes.
      'NoIdentity ERR_NO_IDENTITY true true',
      '5432',
      '5432',
    ]);
    expect(loaded).toEqual(['age-open.cjs', 'fernet-config-age.cjs', 'fernet-config-ssh.cjs']);
  });

  it('rotateConfigs opens the ring itself (it is asynchronous); configStatus after it finds the ring opened', { timeout: 60_000 }, () => {
    const { d, env } = ringApp('x25519');
    const code = `import * as m from 'fernet-config';
const [r] = await m.rotateConfigs(['config.enc']);
console.log(r.path, m.configStatus('config.enc').keyIndex, (await m.loadConfig({ path: 'config.enc' })).db.port);`;
    expect(runApp(d, code, { env }).out).toBe('config.enc 0 5432');
  });

  it('openAgeRingFor, then the synchronous calls, from a CommonJS app', { timeout: 60_000 }, () => {
    const { d, env } = ringApp('x25519');
    const code = `const m = require('fernet-config');
m.openAgeRingFor('config.enc').then((ring) => console.log(ring.size, m.loadConfigSync({ path: 'config.enc' }).db.port, m.configStatus('config.enc').keyIndex));`;
    expect(runApp(d, code, { ext: 'cjs', env })).toEqual({ out: '1 5432 0', loaded: ['age-open.cjs', 'fernet-config-age.cjs', 'fernet-config-ops.cjs'] });
  });

  it('an install that lost the SSH chunk says so when an SSH identity is used, and opens X25519 rings still', { timeout: 60_000 }, () => {
    const { d, env } = ringApp('ed25519');
    const other = ringApp('x25519');
    for (const f of ['fernet-config.mjs', 'fernet-config-age.cjs', 'age-open.cjs']) {
      mkdirSync(join(d, 'lost/dist'), { recursive: true });
      copyFileSync(dist(f), join(d, 'lost/dist', f));
    }
    const code = (dir: string) => `import * as m from ${JSON.stringify(join(d, 'lost/dist/fernet-config.mjs'))};
try { console.log((await m.loadConfig({ path: ${JSON.stringify(join(dir, 'config.enc'))} })).db.port); } catch (e) { console.log(e.code, e.message, e.hint, e instanceof m.FernetConfigError); }`;
    expect(runApp(d, code(d), { env }).out).toBe('ERR_FERNET_CONFIG fernet-config is incomplete: dist/fernet-config-ssh.cjs is missing reinstall fernet-config true');
    expect(runApp(other.d, code(other.d), { env: other.env }).out).toBe('5432');
  });
});
