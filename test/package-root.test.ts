/**
 * The package root as apps load it (scripts/bundle-lib.mjs): dist/fernet-config.mjs holds what a plain
 * loadConfig/loadConfigSync/Fernet app needs; the .age ring code, the runtime schema compiler and the key
 * ring operations sit in chunks beside it, loaded on first use. These tests fail if a plain app loads a
 * chunk again, if the root's exports drift from dist/src/index.js, or if a chunk gets its own copy of
 * what the root has (error classes must be one identity). Runs against the build (`npm test` builds first).
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

/** Functions only a chunk should define, per chunk: none of them may be defined in the root. */
const CHUNKS: [string, string[]][] = [
  ['fernet-config-age.cjs', ['openAgeRing', 'parseSshKeyFile', 'readRecipientsFile', 'loadIdentities']],
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


  it.each(CHUNKS)('%s holds %j, and the root none of them', (chunk, names) => {
    const rootText = readFileSync(dist('fernet-config.mjs'), 'utf8');
    const chunkText = readFileSync(dist(chunk), 'utf8');
    expect(names.filter((n) => !defines(chunkText, n))).toEqual([]);
    expect(names.filter((n) => defines(rootText, n))).toEqual([]);
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

describe('a .age ring through the chunk', () => {
  /** An app whose config opens through an ssh-rsa ring (secret.key is gone); the env selecting the identity. */
  function ringApp(): { d: string; env: Record<string, string> } {
    const d = app();
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(d, 'id_rsa')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const added = runCli(['recipients', 'add', 'me', 'id_rsa.pub'], { cwd: d, env: { HOME: join(d, 'no-home') } });
    expect(added.status, added.stderr).toBe(0);
    rmSync(join(d, 'secret.key'));
    return { d, env: { FERNET_CONFIG_IDENTITY_FILE: 'id_rsa' } };
  }

  const show = "const show = (e) => [e.name, e.code, e instanceof m.FernetConfigError, e instanceof m.KeyNotFound].join(' ');";

  it('loadConfig opens it; loadConfigSync refuses it until then, as before the split; errors are the root classes', { timeout: 60_000 }, () => {
    const { d, env } = ringApp();
    const code = `import * as m from 'fernet-config';
${show}
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
    expect(loaded).toEqual(['age.cjs', 'fernet-config-age.cjs']);
  });

  it('openAgeRingFor, then the synchronous calls, from a CommonJS app', { timeout: 60_000 }, () => {
    const { d, env } = ringApp();
    const code = `const m = require('fernet-config');
m.openAgeRingFor('config.enc').then((ring) => console.log(ring.size, m.loadConfigSync({ path: 'config.enc' }).db.port, m.configStatus('config.enc').keyIndex));`;
    expect(runApp(d, code, { ext: 'cjs', env })).toEqual({ out: '1 5432 0', loaded: ['age.cjs', 'fernet-config-age.cjs', 'fernet-config-ops.cjs'] });
  });
});
