/**
 * The age bundles (scripts/bundle-age.mjs): dist/age-open.cjs, what opening an X25519 or SSH ring loads,
 * and dist/age.cjs, what writing one loads, hold none of the post-quantum, P-256 or scrypt code
 * (dist/age-pq.cjs) nor noble's curves (dist/age-ed25519.cjs), and load them themselves when something
 * needs them; dist/age-open.cjs holds nothing of the writer's either. The split is a start-up
 * budget (issue 13: an X25519 ring adds under 15 ms; bench/age.mjs measures it), so these tests fail if
 * the classic path starts loading the heavy code again. Runs against the build (`npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey, randomBytes, type webcrypto } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import * as pkg from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { CLI, REPO, runCli, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-age-bundle-');
const dist = (f: string) => join(REPO, 'dist', f);
const bundle = async () => createRequire(import.meta.url)(dist('age.cjs')) as typeof pkg;
const openBundle = async () => createRequire(import.meta.url)(dist('age-open.cjs')) as Pick<typeof pkg, 'Decrypter' | 'identityToRecipient'>;
const HAVE_STRACE = spawnSync('strace', ['-V'], { encoding: 'utf8' }).error === undefined;

// Strings only the left-out code has: FIPS 203's name in noble's ML-KEM, the P-256 field prime, scrypt's
// `maxmem` option, the Ed25519 field prime, and WebCrypto (X25519 goes through node:crypto KeyObjects).
const MARKERS: [string, RegExp, string[]][] = [
  ['ML-KEM', /ML-KEM/, ['age-pq.cjs']],
  ['P-256', /ffffffff00000001000000000000000000000000ffffffffffffffffffffffff/i, ['age-pq.cjs']],
  ['scrypt', /maxmem/, ['age-pq.cjs']],
  ['Ed25519 curve', /7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed/i, ['age-pq.cjs', 'age-ed25519.cjs']],
  ['WebCrypto', /\bsubtle\b/, []],
];

describe('bundle contents', () => {
  it.each(MARKERS)('%s code stays out of dist/age.cjs and dist/age-open.cjs', (_, marker, holders) => {
    for (const f of ['age.cjs', 'age-open.cjs', 'age-pq.cjs', 'age-ed25519.cjs']) expect([f, marker.test(readFileSync(dist(f), 'utf8'))]).toEqual([f, holders.includes(f)]);
  });

  it('the licences file covers what the split-off bundles hold', () => {
    const text = readFileSync(dist('age.cjs.LICENSES.txt'), 'utf8');
    for (const name of ['age-encryption', '@noble/post-quantum', '@noble/curves', '@noble/hashes', '@scure/base']) expect(text).toContain(`${name} `);
  });
});

describe('through dist/age.cjs and dist/age-open.cjs', () => {
  it('dist/age-open.cjs is the reading half: what opening a ring uses, and no more', async () => {
    expect(Object.keys(await openBundle()).sort()).toEqual(['Decrypter', 'identityToRecipient', 'loadPostQuantum', 'sshPrimitives']);
    // The writer's file has the same reading half and the rest.
    expect(Object.keys(await bundle()).sort()).toEqual(
      ['Decrypter', 'Encrypter', 'Stanza', 'armor', 'generateHybridIdentity', 'generateIdentity', 'generateX25519Identity', 'identityToRecipient', 'loadPostQuantum', 'sshPrimitives'],
    );
  });

  it('dist/age-open.cjs opens what dist/age.cjs and the package write: X25519, post-quantum, a passphrase', async () => {
    const [age, open] = [await bundle(), await openBundle()];
    const x = await pkg.generateX25519Identity();
    const pq = await pkg.generateHybridIdentity();
    for (const id of [x, pq]) expect(await open.identityToRecipient(id)).toBe(await pkg.identityToRecipient(id));
    for (const Encrypter of [age.Encrypter, pkg.Encrypter]) {
      const e = new Encrypter();
      for (const id of [x, pq]) e.addRecipient(await pkg.identityToRecipient(id));
      const file = await e.encrypt('ring text\n');
      for (const id of [x, pq]) {
        const d = new open.Decrypter();
        d.addIdentity(id);
        expect(await d.decrypt(file, 'text')).toBe('ring text\n');
      }
      const byPassphrase = new Encrypter();
      byPassphrase.setPassphrase('correct horse');
      byPassphrase.setScryptWorkFactor(10);
      const d = new open.Decrypter();
      d.addPassphrase('correct horse');
      expect(await d.decrypt(await byPassphrase.encrypt('secret'), 'text')).toBe('secret');
    }
  });

  it('post-quantum and X25519 recipients round-trip, and agree with the package', async () => {
    const age = await bundle();
    const pq = await age.generateHybridIdentity();
    const x = await age.generateX25519Identity();
    // The bundle's X25519 (node:crypto) and post-quantum (dist/age-pq.cjs) against the package's own.
    expect(await age.identityToRecipient(pq)).toBe(await pkg.identityToRecipient(pq));
    expect(await age.identityToRecipient(x)).toBe(await pkg.identityToRecipient(x));
    const e = new age.Encrypter();
    e.addRecipient(await age.identityToRecipient(pq));
    e.addRecipient(await pkg.identityToRecipient(x));
    const file = await e.encrypt('key file text\n');
    for (const [lib, id] of [[age, pq], [age, x], [pkg, pq], [pkg, x]] as const) {
      const d = new lib.Decrypter();
      d.addIdentity(id);
      expect(await d.decrypt(file, 'text')).toBe('key file text\n');
    }
    const other = new age.Decrypter();
    other.addIdentity(await age.generateX25519Identity());
    await expect(other.decrypt(file, 'text')).rejects.toThrow(/no identity matched/);
  });

  it('a file the package encrypts to X25519 opens, also with a CryptoKey identity', async () => {
    const age = await bundle();
    const pair = (await crypto.subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])) as webcrypto.CryptoKeyPair;
    const e = new pkg.Encrypter();
    e.addRecipient(await age.identityToRecipient(pair.privateKey));
    const file = await e.encrypt('via CryptoKey');
    expect(await age.identityToRecipient(pair.privateKey)).toBe(await pkg.identityToRecipient(pair.privateKey));
    const d = new age.Decrypter();
    d.addIdentity(pair.privateKey);
    expect(await d.decrypt(file, 'text')).toBe('via CryptoKey');
  });

  // SHA-256, HMAC, HKDF and ChaCha20-Poly1305 come from node:crypto in the bundle: a changed byte in
  // the header (its MAC), the stanza body, the nonce or the payload must still fail, as with noble's.
  it.each([
    // The first character: the last one of unpadded base64 carries bits a lenient decoder drops.
    ['the header MAC', (f: Buffer) => f.indexOf('\n--- ') + 5],
    ['the stanza body', (f: Buffer) => f.indexOf('\n', f.indexOf('-> X25519 ')) + 1],
    ['the payload nonce', (f: Buffer) => f.indexOf('\n', f.indexOf('\n--- ') + 1) + 1],
    ['the payload', (f: Buffer) => f.length - 1],
  ])('a changed byte in %s does not decrypt', async (_, at) => {
    const age = await bundle();
    const id = await age.generateX25519Identity();
    const e = new age.Encrypter();
    e.addRecipient(await age.identityToRecipient(id));
    const file = await e.encrypt('payload text');
    const bad = Buffer.from(file);
    const i = at(bad);
    expect(i).toBeGreaterThan(0);
    bad[i]! ^= 0x01;
    for (const lib of [age, await openBundle()]) {
      const d = new lib.Decrypter();
      d.addIdentity(id);
      expect(await d.decrypt(file, 'text')).toBe('payload text');
      await expect(d.decrypt(bad, 'text')).rejects.toThrow();
    }
  });

  it('a passphrase round-trips (scrypt from dist/age-pq.cjs)', async () => {
    const age = await bundle();
    const e = new age.Encrypter();
    e.setPassphrase('correct horse');
    e.setScryptWorkFactor(10);
    const file = await e.encrypt('secret');
    const d = new pkg.Decrypter();
    d.addPassphrase('correct horse');
    expect(await d.decrypt(file, 'text')).toBe('secret');
    const back = new age.Decrypter();
    back.addPassphrase('correct horse');
    expect(await back.decrypt(file, 'text')).toBe('secret');
  });
});

describe('what opening a ring loads', () => {
  /** A project whose ring has one recipient; returns the env that selects its identity. */
  async function ring(d: string, kind: 'x25519' | 'pq' | 'ssh-ed25519' | 'ssh-rsa'): Promise<Record<string, string>> {
    const key = generateKey();
    writeFileSync(join(d, 'secret.key'), key + '\n', { mode: 0o600 });
    writeFileSync(join(d, 'config.enc'), new Fernet(key).encrypt(JSON.stringify({ a: 'b' })) + '\n');
    let recipient: string;
    let env: Record<string, string>;
    if (kind === 'x25519' || kind === 'pq') {
      const id = kind === 'pq' ? await pkg.generateHybridIdentity() : await pkg.generateX25519Identity();
      recipient = await pkg.identityToRecipient(id);
      env = { FERNET_CONFIG_IDENTITY: id };
    } else {
      const file = join(d, 'id');
      const type = kind.slice(4);
      const r = spawnSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-f', file], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      recipient = `${file}.pub`;
      env = { FERNET_CONFIG_IDENTITY_FILE: file };
    }
    const added = runCli(['recipients', 'add', 'me', recipient], { cwd: d, env: { HOME: d } });
    expect(added.status, added.stderr).toBe(0);
    rmSync(join(d, 'secret.key'));
    return env;
  }
  /** A project with a plain key file, its config and a JSON Schema (s.json) to validate it with. */
  function schemaProject(): string {
    const d = fresh();
    const key = generateKey();
    writeFileSync(join(d, 'secret.key'), key + '\n', { mode: 0o600 });
    writeFileSync(join(d, 'config.enc'), new Fernet(key).encrypt(JSON.stringify({ a: 'b' })) + '\n');
    writeFileSync(join(d, 's.json'), JSON.stringify({ type: 'object' }));
    return d;
  }

  /** A copy of the package in d/install (dist/ copied, node_modules linked) with dist/`file` removed (null) or replaced. */
  function brokenInstall(d: string, file: string, content: string | null): string {
    const install = join(d, 'install');
    mkdirSync(install);
    cpSync(join(REPO, 'dist'), join(install, 'dist'), { recursive: true });
    cpSync(join(REPO, 'package.json'), join(install, 'package.json'));
    symlinkSync(join(REPO, 'node_modules'), join(install, 'node_modules'));
    if (content === null) rmSync(join(install, 'dist', file));
    else writeFileSync(join(install, 'dist', file), content);
    mkdirSync(join(d, 'home'), { recursive: true });
    return install;
  }

  // rotateConfigs opens rings before its synchronous pass: a chunk that does not load there used to come
  // out as "opens only asynchronously" (ERR_AGE_RING_SYNC).
  it('rotateConfigs through a ring with dist/fernet-config-age.cjs damaged: fernet-config is damaged', async () => {
    const d = fresh();
    const env = await ring(d, 'x25519');
    const install = brokenInstall(d, 'fernet-config-age.cjs', '');
    const app = `import * as m from ${JSON.stringify(join(install, 'dist/fernet-config.mjs'))};
try { await m.rotateConfigs(['config.enc']); console.log('rotated'); } catch (e) { console.log(e.code, e.message); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', app], { cwd: d, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: join(d, 'home'), ...env } });
    expect([r.stdout, r.stderr]).toEqual(['ERR_FERNET_CONFIG fernet-config is damaged: dist/fernet-config-age.cjs does not load\n', '']);
  });

  // The same for dist/ajv.cjs, which validating against a runtime schema loads (not a ring's file, but the
  // same kind of failure, with the same message).
  it.each([
    ['empty', ''],
    ['throwing', 'throw new Error("damaged");'],
    ['not JavaScript', 'syntax error ('],
  ])('dist/ajv.cjs %s: fernet-config is damaged, from the CLI and the library', (_, content) => {
    const d = schemaProject();
    const install = brokenInstall(d, 'ajv.cjs', content);
    const opts = { cwd: d, encoding: 'utf8' as const, env: { PATH: process.env.PATH ?? '', HOME: join(d, 'home') } };
    const cli = spawnSync(process.execPath, [join(install, 'dist/cli/main.js'), 'validate', 'config.enc', '--schema', 's.json'], opts);
    expect([cli.status, cli.stderr]).toEqual([1, 'fernet-config: fernet-config is damaged: dist/ajv.cjs does not load [ERR_FERNET_CONFIG]\n  hint: reinstall fernet-config\n']);
    const app = `import * as m from ${JSON.stringify(join(install, 'dist/fernet-config.mjs'))};
try { await m.loadConfig({ path: 'config.enc', schema: { type: 'object' } }); console.log('loaded'); } catch (e) { console.log(e.code, e.message); }`;
    const lib = spawnSync(process.execPath, ['--input-type=module', '-e', app], opts);
    expect([lib.stdout, lib.stderr]).toEqual(['ERR_FERNET_CONFIG fernet-config is damaged: dist/ajv.cjs does not load\n', '']);
  });

  // dist/meta/*.cjs (the precompiled meta-schemas) require ajv's runtime helpers from node_modules: an
  // install without ajv was reported as a problem of the user's schema (ERR_INVALID_SCHEMA).
  it('an install whose node_modules lacks ajv: fernet-config is incomplete, not an invalid schema', () => {
    const d = schemaProject();
    const install = join(d, 'install');
    mkdirSync(join(install, 'node_modules'), { recursive: true });
    cpSync(join(REPO, 'dist'), join(install, 'dist'), { recursive: true });
    cpSync(join(REPO, 'package.json'), join(install, 'package.json'));
    for (const m of readdirSync(join(REPO, 'node_modules'))) if (m !== 'ajv') symlinkSync(join(REPO, 'node_modules', m), join(install, 'node_modules', m));
    const r = spawnSync(process.execPath, [join(install, 'dist/cli/main.js'), 'validate', 'config.enc', '--schema', 's.json'], { cwd: d, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: d } });
    expect([r.status, r.stderr]).toEqual([1, 'fernet-config: fernet-config is incomplete: the package ajv, which it needs, is missing [ERR_FERNET_CONFIG]\n  hint: reinstall fernet-config (npm install)\n']);
  });

  // A file of the package the ring path loads that is gone, damaged or empty: the command says the install
  // is broken (ERR_FERNET_CONFIG), never that the ring is damaged, a recipient malformed, or an internal
  // error, and never falls back to the age-encryption package quietly. An install of its own per case
  // (dist/ copied, node_modules linked), through the CLI and through the package root.
  it.each([
    ['x25519', 'age-open.cjs', null, 'incomplete: dist/age-open.cjs is missing'],
    ['x25519', 'age-open.cjs', 'throw new Error("damaged");', 'damaged: dist/age-open.cjs does not load'],
    ['x25519', 'age-open.cjs', '', 'damaged: dist/age-open.cjs does not load'],
    ['pq', 'age-pq.cjs', '', 'damaged: dist/age-pq.cjs does not load'],
    ['pq', 'age-pq.cjs', 'syntax error (', 'damaged: dist/age-pq.cjs does not load'],
    ['ssh-ed25519', 'age-ed25519.cjs', '', 'damaged: dist/age-ed25519.cjs does not load'],
    ['x25519', 'fernet-config-age.cjs', '', 'damaged: dist/fernet-config-age.cjs does not load'],
  ] as const)('a %s ring with dist/%s %j: fernet-config is %s', async (kind, file, content, message) => {
    const d = fresh();
    const env = await ring(d, kind);
    const install = brokenInstall(d, file, content);
    const opts = { cwd: d, encoding: 'utf8' as const, env: { PATH: process.env.PATH ?? '', HOME: join(d, 'home'), ...env } };
    if (!file.startsWith('fernet-config')) {
      const r = spawnSync(process.execPath, [join(install, 'dist/cli/main.js'), 'get', 'config.enc', 'a'], opts);
      expect([r.status, r.stdout, r.stderr]).toEqual([1, '', `fernet-config: fernet-config is ${message} [ERR_FERNET_CONFIG]\n  hint: reinstall fernet-config\n`]);
    }
    const app = `import * as m from ${JSON.stringify(join(install, 'dist/fernet-config.mjs'))};
try { await m.loadConfig({ path: 'config.enc' }); console.log('opened'); } catch (e) { console.log(e.code, e.message, e instanceof m.FernetConfigError); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', app], opts);
    expect([r.stdout, r.stderr]).toEqual([`ERR_FERNET_CONFIG fernet-config is ${message} true\n`, '']);
  });


  it.each([
    ['x25519', []],
    ['ssh-rsa', []],
    ['ssh-ed25519', ['age-ed25519.cjs']],
    ['pq', ['age-pq.cjs']],
  ] as const)('fcfg get through a %s ring opens dist/age-open.cjs and only %j besides', async (kind, extra) => {
    if (!HAVE_STRACE) return void console.warn('skipped: no strace');
    const d = fresh();
    const env = await ring(d, kind);
    const out = join(d, 'trace.txt');
    mkdirSync(join(d, 'home'));
    const r = spawnSync('strace', ['-f', '-e', 'trace=openat', '-o', out, process.execPath, CLI, 'get', 'config.enc', 'a'], {
      cwd: d,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: join(d, 'home'), ...env },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('b');
    const opened = new Set(readFileSync(out, 'utf8').match(/dist\/age[\w-]*\.[cm]?js/g));
    expect([...opened].sort()).toEqual(['dist/age-open.cjs', ...extra.map((f) => `dist/${f}`)].sort());
  });

  // The SSH key code and the recipients file parser are a chunk of their own (dist/cli/run-read-ssh.js),
  // which an age identity never loads: reading, compiling and running them made an X25519 ring's start-up
  // allocate enough to pay a scavenge (bench/age.mjs). Which of the CLI's files a run required, in order.
  it.each([
    ['x25519', false],
    ['pq', false],
    ['ssh-rsa', true],
    ['ssh-ed25519', true],
  ] as const)('fcfg get through a %s ring loads the SSH chunk: %s', async (kind, ssh) => {
    const d = fresh();
    const env = await ring(d, kind);
    const hook = join(d, 'files.cjs');
    writeFileSync(hook, "process.on('exit', () => process.stderr.write('\\nFILES ' + JSON.stringify(Object.keys(require.cache)) + '\\n'));\n");
    mkdirSync(join(d, 'home'), { recursive: true });
    const r = spawnSync(process.execPath, ['-r', hook, CLI, 'get', 'config.enc', 'a'], { cwd: d, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', HOME: join(d, 'home'), ...env } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('b');
    const files = (JSON.parse(/FILES (.*)/.exec(r.stderr)![1]!) as string[]).filter((f) => f.startsWith(join(REPO, 'dist', 'cli'))).map((f) => f.slice(REPO.length + 1));
    expect(files).toEqual(['dist/cli/main.js', 'dist/cli/run-read.js', 'dist/cli/run-read-age.js', ...(ssh ? ['dist/cli/run-read-ssh.js'] : [])]);
  });

  // Node's web streams, fetch (undici, behind Response) and WebCrypto are built-ins, invisible to strace:
  // process.moduleLoadList names them. age's code reaches them through globals, which dist/age.cjs
  // replaces with in-memory stand-ins (scripts/age-web-streams.mjs, scripts/age-crypto-key.mjs). Compared
  // with the same command on a plain key file, which loads a few web-stream helpers of Node's own.
  function modulesOf(d: string, env: Record<string, string>): string[] {
    const hook = join(d, 'modules.cjs');
    writeFileSync(hook, "process.on('exit', () => process.stderr.write('\\nMODULES ' + JSON.stringify(process.moduleLoadList) + '\\n'));\n");
    mkdirSync(join(d, 'home'), { recursive: true });
    const r = spawnSync(process.execPath, ['-r', hook, CLI, 'get', 'config.enc', 'a'], {
      cwd: d,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: join(d, 'home'), ...env },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('b');
    return JSON.parse(/MODULES (.*)/.exec(r.stderr)![1]!) as string[];
  }

  it.each(['x25519', 'ssh-rsa'] as const)('fcfg get through a %s ring loads no web streams, fetch or WebCrypto', async (kind) => {
    const plainDir = fresh();
    const key = generateKey();
    writeFileSync(join(plainDir, 'secret.key'), key + '\n', { mode: 0o600 });
    writeFileSync(join(plainDir, 'config.enc'), new Fernet(key).encrypt(JSON.stringify({ a: 'b' })) + '\n');
    const plain = new Set(modulesOf(plainDir, {}));
    const d = fresh();
    const loaded = modulesOf(d, await ring(d, kind));
    expect(loaded.some((m) => /crypto\/keys/.test(m))).toBe(true); // the list is the real one
    expect(loaded.filter((m) => !plain.has(m) && /webstreams|undici|fetch|webcrypto/.test(m))).toEqual([]);
  });

  it.each(['age.cjs', 'age-open.cjs'])('dist/%s uses none of the globals it replaces', (file) => {
    // Stand-ins only: a global left in the bundle would load Node's implementation on first use.
    const text = readFileSync(dist(file), 'utf8');
    for (const name of ['ReadableStream', 'TransformStream', 'Response', 'CryptoKey']) {
      expect([name, text.match(new RegExp(`\\b(?:new|instanceof|typeof)\\s+${name}\\b`, 'g')) ?? []]).toEqual([name, []]);
    }
  });
});

describe('X25519 private keys into node:crypto', () => {
  it('the JWK import (d alone) and the PKCS #8 fallback give the same key, the one RFC 7748 says', async () => {
    // A build script (plain JavaScript, no declarations): loaded by path, its one export typed here.
    const script = join(REPO, 'scripts', 'age-x25519-node.mjs');
    const { importPrivate } = (await import(script)) as { importPrivate: (s: Uint8Array, viaJwk?: boolean) => import('node:crypto').KeyObject };
    const { x25519 } = await import('@noble/curves/ed25519.js');
    for (let i = 0; i < 8; i++) {
      const scalar = new Uint8Array(randomBytes(32));
      const expected = Buffer.from(x25519.getPublicKey(scalar)).toString('base64url');
      for (const viaJwk of [true, false]) {
        const jwk = createPublicKey(importPrivate(scalar, viaJwk)).export({ format: 'jwk' });
        expect(jwk.x, `viaJwk ${viaJwk}`).toBe(expected);
      }
    }
  });
});
