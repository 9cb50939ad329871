/**
 * The ops library in-process: env naming and flattening, rotation, pruning and status. The CLI on top of
 * it is exercised end to end in ops-cli.test.ts.
 */
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvExportError, KeyInUse, UsageError, WrongKey } from '../src/errors.js';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { KeyRing, fingerprintKey } from '../src/keys/ring.js';
import { envName, envSegment, flattenToEnv } from '../src/ops/env.js';
import { pruneKeyRing } from '../src/ops/prune.js';
import { rotateConfigs } from '../src/ops/rotate.js';
import { configStatus, isOlderThan } from '../src/ops/status.js';
import { useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-ops-');

const SECRET = 'pa55-w0rd-do-not-print';
const T0 = 1_700_000_000;

/** Writes a config encrypted with `key` at time `at`; returns its path. */
function seal(path: string, text: string, key: string, at = T0): string {
  writeFileSync(path, new Fernet(key).encrypt(text, { now: at }) + '\n', { mode: 0o600 });
  return path;
}

const open = (path: string, key: string) => new Fernet(key).decryptText(readFileSync(path, 'utf8').trim());
const stampOf = (token: string) => Number(Buffer.from(token.trim(), 'base64url').readBigUInt64BE(1));

describe('env names', () => {
  it.each([
    [['database', 'password'], 'APP_', 'APP_DATABASE__PASSWORD'],
    [['api-key'], 'APP_', 'APP_API_KEY'],
    [['maxConns'], '', 'MAXCONNS'],
    [['a.b', 'c d'], 'X_', 'X_A_B__C_D'],
    [['héllo'], '', 'H_LLO'],
    [['🔐x'], '', '_X'],
    [['db_host'], 'app_', 'app_DB_HOST'],
  ])('%j with prefix %j is %s', (path, prefix, name) => {
    expect(envName(path, prefix)).toBe(name);
  });

  it('maps one key at a time', () => {
    expect(envSegment('Server.Port-2')).toBe('SERVER_PORT_2');
  });
});

describe('flattenToEnv', () => {
  it('exports strings raw, numbers as written, booleans, arrays as JSON; skips null and empty objects', () => {
    const text = '{"db":{"password":"p w\\n","port":5432,"id":12345678901234567890,"ratio":1.50,"tls":true},"hosts":[{"h":"a","n":1.0}],"none":null,"empty":{},"list":[]}';
    expect(flattenToEnv(JSON.parse(text), { prefix: 'APP_', text })).toEqual({
      APP_DB__PASSWORD: 'p w\n',
      APP_DB__PORT: '5432',
      APP_DB__ID: '12345678901234567890',
      APP_DB__RATIO: '1.50',
      APP_DB__TLS: 'true',
      APP_HOSTS: '[{"h":"a","n":1.0}]',
      APP_LIST: '[]',
    });
  });

  it('without the text, numbers are printed by JavaScript', () => {
    expect(flattenToEnv({ n: 1.5, big: 1e21 })).toEqual({ N: '1.5', BIG: '1e+21' });
  });

  it('keeps the last of duplicated keys, as JSON.parse does', () => {
    const text = '{"a": 1.0, "a": 2.50}';
    expect(flattenToEnv(JSON.parse(text), { text })).toEqual({ A: '2.50' });
  });

  it('reports every name two paths share, naming paths and never values', () => {
    const value = { a: { b: SECRET }, a__b: SECRET, 'x-y': 1, x_y: 2, ok: 3 };
    let err: unknown;
    try {
      flattenToEnv(value, { prefix: 'APP_' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EnvExportError);
    const e = err as EnvExportError;
    expect(e.code).toBe('ERR_ENV_EXPORT');
    expect(e.message).toContain('APP_A__B from a.b and a__b');
    expect(e.message).toContain('APP_X_Y from x-y and x_y');
    expect(e.message).not.toContain(SECRET);
  });

  it('escapes dots of keys in the paths it reports', () => {
    expect(() => flattenToEnv({ 'a.b': 1, a_b: 2 })).toThrow('A_B from a\\.b and a_b');
  });

  it('refuses NUL characters, a non-object top level and unusable prefixes', () => {
    expect(() => flattenToEnv({ a: `x\0${SECRET}` })).toThrow(EnvExportError);
    expect(() => flattenToEnv({ a: `x\0${SECRET}` })).not.toThrow(SECRET);
    expect(() => flattenToEnv([1, 2])).toThrow(EnvExportError);
    expect(() => flattenToEnv('x')).toThrow(EnvExportError);
    for (const prefix of ['1APP_', 'APP-', 'A B']) expect(() => flattenToEnv({}, { prefix })).toThrow(UsageError);
    expect(flattenToEnv({ a: 1 }, { prefix: '' })).toEqual({ A: '1' });
  });
});

describe('rotateConfigs', () => {
  function setup() {
    const d = fresh();
    const keys = [generateKey(), generateKey(), generateKey()];
    const ring = new KeyRing(keys, 'test ring');
    const texts = [
      '{"a": 1}',
      `{\n\t"pw": "${SECRET}",\r\n  "ü": "日本"  }\n\n`,
      '{"b":[1,2,3]}',
      '{ "under": "primary" }',
    ];
    // Encrypted with key #2, #1, #2 and #0 of the ring.
    const paths = [2, 1, 2, 0].map((k, i) => seal(join(d, `c${i}.enc`), texts[i]!, keys[k]!));
    return { d, keys, ring, texts, paths };
  }

  it('re-encrypts every config under the primary, plaintext byte for byte, stamped now', async () => {
    const { d, keys, ring, texts, paths } = setup();
    chmodSync(paths[0]!, 0o640);
    const results = await rotateConfigs(paths, ring, { now: T0 + 500 });
    expect(results.map((r) => [r.rotated, r.fromKey])).toEqual([
      [true, 2],
      [true, 1],
      [true, 2],
      [false, 0],
    ]);
    expect(results[0]).toMatchObject({ fromFingerprint: fingerprintKey(keys[2]!), toFingerprint: fingerprintKey(keys[0]!), timestamp: T0 + 500 });
    // Only the primary is needed from now on.
    paths.forEach((p, i) => expect(open(p, keys[0]!)).toBe(texts[i]));
    expect(stampOf(readFileSync(paths[0]!, 'utf8'))).toBe(T0 + 500);
    expect(stampOf(readFileSync(paths[3]!, 'utf8'))).toBe(T0); // untouched
    expect(statSync(paths[0]!).mode & 0o777).toBe(0o640);
    expect(readdirSync(d).sort()).toEqual(['c0.enc', 'c1.enc', 'c2.enc', 'c3.enc']); // no temp or lock files left
  });

  it('keepTimestamp keeps the original time; force also rewrites configs already under the primary', async () => {
    const { keys, ring, texts, paths } = setup();
    const before = readFileSync(paths[3]!, 'utf8');
    const results = await rotateConfigs(paths, ring, { keepTimestamp: true, force: true });
    expect(results.every((r) => r.rotated && r.timestamp === T0)).toBe(true);
    paths.forEach((p, i) => {
      expect(stampOf(readFileSync(p, 'utf8'))).toBe(T0);
      expect(open(p, keys[0]!)).toBe(texts[i]);
    });
    expect(readFileSync(paths[3]!, 'utf8')).not.toBe(before); // fresh IV
  });

  it('writes nothing when the ring cannot open one of the configs, and reports each failure', async () => {
    const { d, ring, paths } = setup();
    const stranger = seal(join(d, 'stranger.enc'), '{}', generateKey());
    const all = [...paths, stranger, join(d, 'missing.enc')];
    const snapshot = all.slice(0, -1).map((p) => readFileSync(p, 'utf8'));
    const failed: string[] = [];
    await expect(rotateConfigs(all, ring, { onError: (p, e) => failed.push(`${p}:${(e as WrongKey).code}`) })).rejects.toBeInstanceOf(WrongKey);
    expect(failed).toEqual([`${stranger}:ERR_WRONG_KEY`, `${join(d, 'missing.enc')}:ERR_FILE_NOT_FOUND`]);
    all.slice(0, -1).forEach((p, i) => expect(readFileSync(p, 'utf8')).toBe(snapshot[i]));
    expect(readdirSync(d).filter((f) => f.endsWith('.lock') || f.endsWith('.tmp'))).toEqual([]);
  });

  it('dry run reports and writes nothing; a file named twice is rotated once', async () => {
    const { ring, paths } = setup();
    const before = readFileSync(paths[0]!, 'utf8');
    const dry = await rotateConfigs([paths[0]!, paths[0]!], ring, { dryRun: true });
    expect(dry).toHaveLength(1);
    expect(dry[0]!.rotated).toBe(true);
    expect(readFileSync(paths[0]!, 'utf8')).toBe(before);
    const seen: string[] = [];
    await rotateConfigs([paths[0]!, join(paths[0]!, '..', 'c0.enc')], ring, { onRotated: (r) => seen.push(r.path) });
    expect(seen).toEqual([paths[0]]);
  });

  it('resolves per-config key files when no global source is given', async () => {
    const d = fresh();
    const [oldA, newA, keyB] = [generateKey(), generateKey(), generateKey()];
    writeFileSync(join(d, 'a.key'), `${newA}\n${oldA}\n`, { mode: 0o600 });
    writeFileSync(join(d, 'secret.key'), `${keyB}\n`, { mode: 0o600 });
    const a = seal(join(d, 'a.enc'), '{"a":1}', oldA);
    const b = seal(join(d, 'b.enc'), '{"b":1}', keyB);
    const results = await rotateConfigs([a, b], { env: {} });
    expect(results.map((r) => r.rotated)).toEqual([true, false]);
    expect(open(a, newA)).toBe('{"a":1}');
  });
});

describe('pruneKeyRing', () => {
  function setup() {
    const d = fresh();
    const keys = [generateKey(), generateKey(), generateKey()];
    const keyFile = join(d, 'ring.key');
    writeFileSync(keyFile, `# ring\n${keys.join('\n')}\n`, { mode: 0o644 });
    return { d, keys, keyFile };
  }

  it('refuses to drop a key a listed config still needs, writing nothing', async () => {
    const { d, keys, keyFile } = setup();
    const fine = seal(join(d, 'fine.enc'), '{}', keys[1]!);
    const needy = seal(join(d, 'needy.enc'), '{}', keys[2]!);
    const before = readFileSync(keyFile, 'utf8');
    const attempt = pruneKeyRing(keyFile, { keep: 2, configs: [fine, needy], onWarning: () => {} });
    await expect(attempt).rejects.toBeInstanceOf(KeyInUse);
    await attempt.catch((e: KeyInUse) => {
      expect(e.code).toBe('ERR_KEY_IN_USE');
      expect(e.message).toContain(needy);
      expect(e.message).toContain(fingerprintKey(keys[2]!));
      expect(e.message).not.toContain(fine);
      for (const k of keys) expect(e.message + e.hint).not.toContain(k);
    });
    expect(readFileSync(keyFile, 'utf8')).toBe(before);
    expect(readdirSync(d).sort()).toEqual(['fine.enc', 'needy.enc', 'ring.key']);
  });

  it('refuses when a config opens with no key of the ring at all', async () => {
    const { d, keyFile } = setup();
    const foreign = seal(join(d, 'foreign.enc'), '{}', generateKey());
    await expect(pruneKeyRing(keyFile, { keep: 1, configs: [foreign], onWarning: () => {} })).rejects.toBeInstanceOf(WrongKey);
  });

  it('keeps the N newest keys, writing the file with mode 0600', async () => {
    const { d, keys, keyFile } = setup();
    const config = seal(join(d, 'c.enc'), '{}', keys[1]!);
    const warnings: string[] = [];
    const result = await pruneKeyRing(keyFile, { keep: 2, configs: [config], onWarning: (m) => warnings.push(m) });
    expect(warnings.join()).toContain('readable by group or others');
    expect(result.written).toBe(true);
    expect(result.kept.map((k) => k.fingerprint)).toEqual([fingerprintKey(keys[0]!), fingerprintKey(keys[1]!)]);
    expect(result.dropped).toEqual([{ index: 2, fingerprint: fingerprintKey(keys[2]!) }]);
    expect(result.configs).toEqual([{ path: config, keyIndex: 1, fingerprint: fingerprintKey(keys[1]!) }]);
    expect(readFileSync(keyFile, 'utf8')).toBe(`${keys[0]}\n${keys[1]}\n`);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(d).sort()).toEqual(['c.enc', 'ring.key']);
  });

  it('dry run and nothing-to-drop leave the file alone; --keep must be a whole number', async () => {
    const { keyFile } = setup();
    const before = readFileSync(keyFile, 'utf8');
    const dry = await pruneKeyRing(keyFile, { keep: 1, dryRun: true, onWarning: () => {} });
    expect([dry.written, dry.dropped.length]).toEqual([false, 2]);
    const none = await pruneKeyRing(keyFile, { keep: 5, onWarning: () => {} });
    expect([none.written, none.kept.length]).toEqual([false, 3]);
    expect(readFileSync(keyFile, 'utf8')).toBe(before);
    for (const keep of [0, -1, 1.5, Number.NaN]) await expect(pruneKeyRing(keyFile, { keep })).rejects.toBeInstanceOf(UsageError);
  });
});

describe('configStatus', () => {
  it('tells which key opens it, when it was encrypted, its size and age', () => {
    const d = fresh();
    const keys = [generateKey(), generateKey()];
    const path = seal(join(d, 'c.enc'), `{"pw":"${SECRET}"}`, keys[1]!, T0);
    const s = configStatus(path, new KeyRing(keys, 'test ring'), { now: T0 + 1.5 * 86_400 });
    expect(s).toEqual({
      path,
      keyIndex: 1,
      fingerprint: fingerprintKey(keys[1]!),
      primary: false,
      ringSize: 2,
      keySource: 'test ring',
      timestamp: T0,
      encryptedAt: new Date(T0 * 1000).toISOString(),
      ageSeconds: 1.5 * 86_400,
      size: statSync(path).size,
    });
    expect(JSON.stringify(s)).not.toContain(SECRET);
    expect(isOlderThan(s, 1.49)).toBe(true);
    expect(isOlderThan(s, 1.5)).toBe(false);
    expect(isOlderThan(s, 2)).toBe(false);
  });

  it('fails like opening would: wrong key, missing file', () => {
    const d = fresh();
    const path = seal(join(d, 'c.enc'), '{}', generateKey());
    expect(() => configStatus(path, new KeyRing([generateKey()], 'r'))).toThrow(WrongKey);
    expect(() => configStatus(join(d, 'nope.enc'), new KeyRing([generateKey()], 'r'))).toThrow(/does not exist/);
  });
});
