/**
 * Table-driven tests of the Fernet core against data: our vectors from Python's `cryptography`
 * (test-vectors/, see its README) and the official fernet spec vectors (test-vectors/fernet-spec/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Fernet, generateKey, InvalidKey, InvalidToken, MultiFernet } from '../src/index.js';
import type { DecryptOptions } from '../src/index.js';
import { decodeKey } from '../src/fernet/key.js';

// ---------------------------------------------------------------------------------------------------
// Loading

interface Meta {
  generator: string;
  cryptography: string;
  python: string;
}
type PythonOutcome = 'ok' | 'InvalidToken' | 'ValueError';

interface EncryptVector {
  desc: string;
  key: string;
  timestamp: string;
  iv: string;
  plaintext: string;
  text?: string;
  token: string;
}
interface DecryptVector {
  desc: string;
  key: string;
  token: string;
  ttl?: number;
  now?: number;
  timestamp: string;
  plaintext: string;
  python: PythonOutcome;
}
interface InvalidVector {
  reason: string;
  key: string;
  token: string;
  ttl?: number;
  now?: number;
  /** Well formed and the HMAC verifies (so extractTimestamp works), though it may not decrypt. */
  authentic: boolean;
  python: PythonOutcome;
}
interface KeyVectors {
  meta: Meta;
  valid: { desc: string; key: string; signingKey: string; encryptionKey: string; python: PythonOutcome }[];
  invalid: { reason: string; key: string; python: PythonOutcome }[];
}
interface MultiVectors {
  meta: Meta;
  decrypt: {
    desc: string;
    keys: string[];
    token: string;
    keyIndex: number;
    timestamp: string;
    ttl?: number;
    now?: number;
    plaintext: string;
  }[];
  invalid: { reason: string; keys: string[]; token: string; ttl?: number; now?: number }[];
  rotate: { desc: string; keys: string[]; token: string; timestamp: string; plaintext: string; rotated: string }[];
}

const VECTORS = fileURLToPath(new URL('../test-vectors/', import.meta.url));

function load<T>(dir: string, name: string): T {
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
}

const encryptVectors = load<{ vectors: EncryptVector[] }>(VECTORS, 'encrypt.json').vectors;
const decryptVectors = load<{ vectors: DecryptVector[] }>(VECTORS, 'decrypt.json').vectors;
const invalidVectors = load<{ vectors: InvalidVector[] }>(VECTORS, 'invalid.json').vectors;
const keyVectors = load<KeyVectors>(VECTORS, 'keys.json');
const multiVectors = load<MultiVectors>(VECTORS, 'multi.json');

/** The official vectors from github.com/fernet/spec, copied into the repository (see its README). */
const SPEC_DIR = join(VECTORS, 'fernet-spec');

// ---------------------------------------------------------------------------------------------------
// Helpers

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** The one message every token failure carries. */
const INVALID_TOKEN_MESSAGE = new InvalidToken().message;

function expectInvalidToken(fn: () => unknown): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected InvalidToken, nothing was thrown').toBeDefined();
  const err = caught as InvalidToken;
  expect(err.code).toBe('ERR_INVALID_TOKEN');
  expect(err).toBeInstanceOf(InvalidToken);
  expect(err.name).toBe('InvalidToken');
  expect(err.message).toBe(INVALID_TOKEN_MESSAGE);
}

function decryptOptions(v: { ttl?: number; now?: number }): DecryptOptions {
  return v.ttl === undefined ? {} : { ttl: v.ttl, now: v.now! };
}

/** The exact 64-bit timestamp inside a token, read without going through a JavaScript number. */
function rawTimestamp(token: string): bigint {
  return Buffer.from(token.trim().replace(/=+$/, ''), 'base64url').readBigUInt64BE(1);
}

function asBytes(token: string): Uint8Array {
  return new TextEncoder().encode(token);
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// ---------------------------------------------------------------------------------------------------
// Our vectors

describe('encrypt.json: byte-exact tokens from Python', () => {
  it.each(encryptVectors)('$desc', (v) => {
    const f = new Fernet(v.key);
    const timestamp = BigInt(v.timestamp);
    const plaintext = hex(v.plaintext);
    if (timestamp <= SAFE) {
      expect(f.encrypt(plaintext, { now: Number(timestamp), iv: hex(v.iv) })).toBe(v.token);
      if (v.text !== undefined) expect(f.encrypt(v.text, { now: Number(timestamp), iv: hex(v.iv) })).toBe(v.token);
    }
    // The public API takes `now` as a number; the full 64-bit range goes through the internal entry point.
    expect(f.encryptAt(plaintext, timestamp, hex(v.iv))).toBe(v.token);
    if (v.text !== undefined) expect(Buffer.from(v.text, 'utf8').equals(plaintext)).toBe(true);

    expect(f.decrypt(v.token).equals(plaintext)).toBe(true);
    if (v.text !== undefined) expect(f.decryptText(v.token)).toBe(v.text);
    expect(rawTimestamp(v.token)).toBe(timestamp);
    expect(f.extractTimestamp(v.token)).toBe(Number(timestamp));
  });

  it.each(encryptVectors)('$desc: also as bytes, unpadded, and inside a larger buffer', (v) => {
    const f = new Fernet(v.key);
    const plaintext = hex(v.plaintext);
    expect(f.decrypt(asBytes(v.token)).equals(plaintext)).toBe(true);
    expect(f.decrypt(v.token.replace(/=+$/, '')).equals(plaintext)).toBe(true);
    const framed = Buffer.from(`xx${v.token}yy`, 'latin1');
    expect(f.decrypt(framed.subarray(2, framed.length - 2)).equals(plaintext)).toBe(true);
  });

  it('a fresh IV for every token, also across refills of the IV pool', () => {
    const f = new Fernet(encryptVectors[0]!.key);
    const tokens = Array.from({ length: 1000 }, () => f.encrypt('same', { now: 1 }));
    const ivs = new Set(tokens.map((t) => Buffer.from(t, 'base64url').subarray(9, 25).toString('hex')));
    expect(ivs.size).toBe(tokens.length);
    for (const t of tokens.slice(-3)) expect(f.decryptText(t)).toBe('same');
  });
});

describe('decrypt.json: valid tokens and time checks', () => {
  it.each(decryptVectors)('$desc', (v) => {
    const f = new Fernet(v.key);
    const plaintext = hex(v.plaintext);
    expect(f.decrypt(v.token, decryptOptions(v)).equals(plaintext)).toBe(true);
    expect(f.decrypt(asBytes(v.token), decryptOptions(v)).equals(plaintext)).toBe(true);
    expect(new MultiFernet([f]).decrypt(v.token, decryptOptions(v)).equals(plaintext)).toBe(true);
    expect(rawTimestamp(v.token)).toBe(BigInt(v.timestamp));
    expect(f.extractTimestamp(v.token)).toBe(Number(BigInt(v.timestamp)));
  });

  it('without a ttl, `now` alone does not turn on time checks', () => {
    const v = decryptVectors[0]!;
    const f = new Fernet(v.key);
    expect(f.decrypt(v.token, { now: 0 }).equals(hex(v.plaintext))).toBe(true);
    expect(f.decrypt(v.token, { now: 2 ** 52 }).equals(hex(v.plaintext))).toBe(true);
  });

  it('a ttl with the real clock: a fresh token is valid, an old one expired', () => {
    const f = new Fernet(generateKey());
    expect(f.decryptText(f.encrypt('fresh'), { ttl: 60 })).toBe('fresh');
    const old = f.encrypt('old', { now: Math.floor(Date.now() / 1000) - 3600 });
    expectInvalidToken(() => f.decrypt(old, { ttl: 60 }));
    expect(f.decryptText(old)).toBe('old');
  });

  it('fractional times are truncated, as Python does', () => {
    const f = new Fernet(generateKey());
    const token = f.encrypt('x', { now: 1000.9 });
    expect(f.extractTimestamp(token)).toBe(1000);
    expect(f.decryptText(token, { ttl: 10, now: 1010.9 })).toBe('x');
    expectInvalidToken(() => f.decrypt(token, { ttl: 10, now: 1011 }));
  });

  it('rejects a nonsensical ttl or now with a TypeError, not InvalidToken', () => {
    const v = decryptVectors[0]!;
    const f = new Fernet(v.key);
    for (const bad of [-1, Number.NaN, Infinity, '60' as unknown as number]) {
      expect(() => f.decrypt(v.token, { ttl: bad, now: 0 })).toThrow(TypeError);
      expect(() => f.decrypt(v.token, { ttl: 60, now: bad })).toThrow(TypeError);
      expect(() => f.encrypt('x', { now: bad })).toThrow(TypeError);
    }
    expect(() => f.encrypt('x', { iv: new Uint8Array(15) })).toThrow(TypeError);
    // Beyond the 64-bit timestamp field (Python raises OverflowError there).
    expect(() => f.encrypt('x', { now: 2 ** 64 })).toThrow();
    expect(() => f.decrypt(42 as unknown as string)).toThrow(TypeError);
    expect(() => f.encrypt(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('invalid.json: every failure is the same InvalidToken', () => {
  it.each(invalidVectors)('$reason', (v) => {
    const f = new Fernet(v.key);
    const options = decryptOptions(v);
    expectInvalidToken(() => f.decrypt(v.token, options));
    expectInvalidToken(() => f.decryptText(v.token, options));
    expectInvalidToken(() => f.decrypt(asBytes(v.token), options));
    expectInvalidToken(() => new MultiFernet([f]).decrypt(v.token, options));
    expectInvalidToken(() => new MultiFernet([new Fernet(generateKey()), f]).decrypt(v.token, options));
    if (v.authentic) {
      // Well formed with a valid HMAC: its timestamp can be read (as in Python) even when it does not
      // decrypt (bad padding) or is out of time.
      expect(f.extractTimestamp(v.token)).toBe(Number(rawTimestamp(v.token)));
    } else {
      expectInvalidToken(() => f.extractTimestamp(v.token));
      expectInvalidToken(() => new MultiFernet([f]).extractTimestamp(v.token));
    }
    if (v.ttl === undefined) {
      expectInvalidToken(() => new MultiFernet([f]).rotate(v.token));
    } else {
      // A pure time failure: without a ttl the token decrypts, and rotate (which ignores time) works.
      expect(v.authentic).toBe(true);
      expect(() => f.decrypt(v.token)).not.toThrow();
      expect(rawTimestamp(new MultiFernet([f]).rotate(v.token))).toBe(rawTimestamp(v.token));
    }
  });

  it('the message never contains the token', () => {
    for (const v of invalidVectors) {
      try {
        new Fernet(v.key).decrypt(v.token, decryptOptions(v));
      } catch (e) {
        if (v.token.trim().length > 8) expect(inspect(e)).not.toContain(v.token.trim().slice(0, 16));
      }
    }
  });

  it('covers every kind of failure the issue lists', () => {
    const reasons = invalidVectors.map((v) => v.reason).join('\n');
    for (const kind of [
      /bad base64 character/,
      /standard-alphabet '\+' and '\/'/,
      /wrong version byte/,
      /too short/,
      /not a multiple of the block size/,
      /bad HMAC/,
      /bad padding.*valid HMAC/,
      /expired/,
      /too far in the future/,
      /wrong key/,
      /empty token/,
      /ttl 0/,
      /2\^64 - 1/,
    ]) {
      expect(reasons).toMatch(kind);
    }
  });
});

describe('keys.json', () => {
  it.each(keyVectors.valid)('valid: $desc', (v) => {
    const parts = decodeKey(v.key);
    expect(parts.signingKey.toString('hex')).toBe(v.signingKey);
    expect(parts.encryptionKey.toString('hex')).toBe(v.encryptionKey);
    const f = new Fernet(v.key);
    expect(f.decryptText(f.encrypt('key works'))).toBe('key works');
    // The same key in canonical form makes the same Fernet.
    const canonical = Buffer.concat([hex(v.signingKey), hex(v.encryptionKey)]).toString('base64url') + '=';
    expect(new Fernet(canonical).decryptText(f.encrypt('same key'))).toBe('same key');
    expect(new Fernet(asBytes(v.key)).decryptText(f.encrypt('as bytes'))).toBe('as bytes');
  });

  it.each(keyVectors.invalid)('invalid: $reason', (v) => {
    for (const key of [v.key, asBytes(v.key)]) {
      let caught: unknown;
      try {
        new Fernet(key);
      } catch (e) {
        caught = e;
      }
      const err = caught as InvalidKey;
      expect(err.code).toBe('ERR_INVALID_KEY');
      expect(err).toBeInstanceOf(InvalidKey);
      expectNoEcho(err, v.key);
    }
  });

  it('a key that is almost right is not echoed either', () => {
    const key = generateKey();
    for (const nearMiss of [key.slice(0, 42), key + 'A', key.replace('=', '!'), key.slice(1), ` ${key.slice(0, 40)} `]) {
      let caught: unknown;
      try {
        new Fernet(nearMiss);
      } catch (e) {
        caught = e;
      }
      expect((caught as InvalidKey).code).toBe('ERR_INVALID_KEY');
      expectNoEcho(caught, nearMiss);
    }
  });

  it('a key of the wrong type is a TypeError', () => {
    for (const bad of [undefined, null, 42, {}, [1, 2, 3]]) {
      expect(() => new Fernet(bad as unknown as string)).toThrow(TypeError);
    }
  });

  it('generateKey() makes distinct 44-character padded url-safe keys', () => {
    const keys = new Set(Array.from({ length: 50 }, () => generateKey()));
    expect(keys.size).toBe(50);
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
      expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    }
  });
});

/** Neither the message, the hint, nor anything util.inspect shows may contain any 8-character run of the key. */
function expectNoEcho(err: unknown, key: string): void {
  const shown = `${inspect(err)}\n${String(err)}\n${JSON.stringify(err)}\n${(err as Error).stack ?? ''}`;
  const secret = key.trim();
  for (let i = 0; i + 8 <= secret.length; i++) {
    const run = secret.slice(i, i + 8);
    if (/^[\s=A]*$/.test(run)) continue; // padding, whitespace and 'AAAA…' could appear by chance
    expect(shown).not.toContain(run);
  }
}

describe('multi.json: MultiFernet', () => {
  const ring = (keys: string[]): MultiFernet => new MultiFernet(keys.map((k) => new Fernet(k)));

  it.each(multiVectors.decrypt)('decrypt: $desc', (v) => {
    const mf = ring(v.keys);
    expect(mf.decrypt(v.token, decryptOptions(v)).equals(hex(v.plaintext))).toBe(true);
    expect(mf.decryptText(v.token, decryptOptions(v))).toBe(hex(v.plaintext).toString('utf8'));
    expect(mf.indexOf(v.token)).toBe(v.keyIndex);
    expect(mf.open(v.token).index).toBe(v.keyIndex);
    expect(mf.extractTimestamp(v.token)).toBe(Number(BigInt(v.timestamp)));
  });

  it.each(multiVectors.invalid)('invalid: $reason', (v) => {
    const mf = ring(v.keys);
    expectInvalidToken(() => mf.decrypt(v.token, decryptOptions(v)));
    expectInvalidToken(() => mf.decrypt(asBytes(v.token), decryptOptions(v)));
    if (v.ttl === undefined) {
      expectInvalidToken(() => mf.extractTimestamp(v.token));
      expectInvalidToken(() => mf.rotate(v.token));
      expect(mf.indexOf(v.token)).toBe(-1);
    }
  });

  it.each(multiVectors.rotate)('rotate, as Python did: $desc', (v) => {
    const [first, ...rest] = v.keys.map((k) => new Fernet(k));
    // Python's rotated token opens under the first key alone and kept the timestamp.
    expect(first!.decrypt(v.rotated).equals(hex(v.plaintext))).toBe(true);
    expect(rawTimestamp(v.rotated)).toBe(BigInt(v.timestamp));
    for (const other of rest) expectInvalidToken(() => other.decrypt(v.rotated));
  });

  it.each(multiVectors.rotate)('rotate, ours: $desc', (v) => {
    const mf = ring(v.keys);
    const first = new Fernet(v.keys[0]!);
    const rotated = mf.rotate(v.token);
    expect(first.decrypt(rotated).equals(hex(v.plaintext))).toBe(true);
    // The full 64-bit timestamp survives, byte for byte (2^64 - 1 included).
    expect(rawTimestamp(rotated)).toBe(BigInt(v.timestamp));
    expect(rawTimestamp(rotated)).toBe(rawTimestamp(v.rotated));
    expect(mf.indexOf(rotated)).toBe(0);
    // A fresh IV each time.
    expect(mf.rotate(v.token)).not.toBe(rotated);
    // Rotating an already-rotated token is harmless.
    expect(first.decrypt(mf.rotate(rotated)).equals(hex(v.plaintext))).toBe(true);
  });

  it('rotation does not reset the age that ttl sees', () => {
    const [a, b] = [new Fernet(generateKey()), new Fernet(generateKey())];
    const old = a.encrypt('old', { now: 1000 });
    const rotated = new MultiFernet([b, a]).rotate(old);
    expect(b.extractTimestamp(rotated)).toBe(1000);
    expect(b.decryptText(rotated, { ttl: 100, now: 1100 })).toBe('old');
    expectInvalidToken(() => b.decrypt(rotated, { ttl: 100, now: 1101 }));
  });

  it('encrypts with the first key only', () => {
    const [a, b] = [new Fernet(generateKey()), new Fernet(generateKey())];
    const mf = new MultiFernet([a, b]);
    const token = mf.encrypt('to a', { now: 5, iv: new Uint8Array(16) });
    expect(token).toBe(a.encrypt('to a', { now: 5, iv: new Uint8Array(16) }));
    expect(a.decryptText(token)).toBe('to a');
    expectInvalidToken(() => b.decrypt(token));
    expect(mf.decryptText(b.encrypt('from b'))).toBe('from b');
    expect(mf.extractTimestamp(b.encrypt('from b', { now: 77 }))).toBe(77);
  });

  it('takes any iterable, and refuses an empty ring or non-Fernet entries with a TypeError', () => {
    const a = new Fernet(generateKey());
    expect(new MultiFernet(new Set([a])).fernets).toEqual([a]);
    expect(() => new MultiFernet([])).toThrow(new TypeError('MultiFernet requires at least one Fernet instance'));
    expect(() => new MultiFernet([][Symbol.iterator]())).toThrow(TypeError);
    expect(() => new MultiFernet([a, generateKey() as unknown as Fernet])).toThrow(TypeError);
  });

  it('the ring is frozen', () => {
    const mf = new MultiFernet([new Fernet(generateKey())]);
    expect(Object.isFrozen(mf.fernets)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------
// The official spec vectors

interface SpecGenerate {
  token: string;
  now: string;
  iv: number[];
  src: string;
  secret: string;
}
interface SpecVerify {
  token: string;
  now: string;
  ttl_sec: number;
  src: string;
  secret: string;
}
interface SpecInvalid {
  desc: string;
  token: string;
  now: string;
  ttl_sec: number;
  secret: string;
}

const unixSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

// Read at collection time, so a missing or renamed file fails the run instead of skipping the tables.
const specGenerate = load<SpecGenerate[]>(SPEC_DIR, 'generate.json');
const specVerify = load<SpecVerify[]>(SPEC_DIR, 'verify.json');
const specInvalid = load<SpecInvalid[]>(SPEC_DIR, 'invalid.json');

describe('fernet spec vectors (test-vectors/fernet-spec)', () => {
  it('every spec file holds its cases (an empty table would pass silently)', () => {
    expect(specGenerate.length).toBeGreaterThanOrEqual(1);
    expect(specVerify.length).toBeGreaterThanOrEqual(1);
    // The spec's eight invalid tokens, one per reason.
    expect(specInvalid.map((v) => v.desc)).toHaveLength(8);
  });

  it.each(specGenerate)('generate: $src', (v) => {
    const f = new Fernet(v.secret);
    expect(f.encrypt(v.src, { now: unixSeconds(v.now), iv: Uint8Array.from(v.iv) })).toBe(v.token);
  });

  it.each(specVerify)('verify: $src', (v) => {
    const f = new Fernet(v.secret);
    expect(f.decryptText(v.token, { ttl: v.ttl_sec, now: unixSeconds(v.now) })).toBe(v.src);
  });

  it.each(specInvalid)('invalid: $desc', (v) => {
    const f = new Fernet(v.secret);
    expectInvalidToken(() => f.decrypt(v.token, { ttl: v.ttl_sec, now: unixSeconds(v.now) }));
    expectInvalidToken(() => f.decrypt(asBytes(v.token), { ttl: v.ttl_sec, now: unixSeconds(v.now) }));
  });
});
