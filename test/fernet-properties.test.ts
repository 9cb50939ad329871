/**
 * Properties of the Fernet core over generated inputs: round trips for arbitrary data, and that every
 * corruption of a token — a flipped bit anywhere, truncation, extension, garbage — ends in the one
 * InvalidToken, never in another error type.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fernet, generateKey, InvalidToken, MultiFernet } from '../src/index.js';

const fernet = new Fernet(generateKey());
const ring = new MultiFernet([new Fernet(generateKey()), fernet]);
const MESSAGE = new InvalidToken().message;
const RUNS = { numRuns: 300 };

/** True iff `fn` throws exactly our InvalidToken; any other outcome (including success) is false. */
function failsWithInvalidToken(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    return e instanceof InvalidToken && e.code === 'ERR_INVALID_TOKEN' && e.message === MESSAGE;
  }
}

/** Every way of reading a token must reject it, with and without time checks. */
function rejectedEverywhere(token: string | Uint8Array): boolean {
  return (
    failsWithInvalidToken(() => fernet.decrypt(token)) &&
    failsWithInvalidToken(() => fernet.decrypt(token, { ttl: 2 ** 40, now: 2 ** 31 })) &&
    failsWithInvalidToken(() => fernet.extractTimestamp(token)) &&
    failsWithInvalidToken(() => ring.decrypt(token)) &&
    failsWithInvalidToken(() => ring.rotate(token))
  );
}

/** Padded url-safe base64, as a Fernet encoder writes it. */
const encode = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64').replaceAll('+', '-').replaceAll('/', '_');
const decode = (token: string): Buffer => Buffer.from(token, 'base64url');

const plaintext = fc.uint8Array({ maxLength: 300 });
const timestamp = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const iv = fc.uint8Array({ minLength: 16, maxLength: 16 });
/** A token for arbitrary data, made at an arbitrary time with an arbitrary IV. */
const token = fc.tuple(plaintext, timestamp, iv).map(([data, now, ivBytes]) => fernet.encrypt(data, { now, iv: ivBytes }));

describe('round trip', () => {
  it('decrypt(encrypt(x)) == x for arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (data) => {
        const out = fernet.decrypt(fernet.encrypt(data));
        return Buffer.from(data).equals(out);
      }),
      RUNS,
    );
  });

  it('... at any time and IV, with the timestamp read back exactly', () => {
    fc.assert(
      fc.property(plaintext, timestamp, iv, (data, now, ivBytes) => {
        const t = fernet.encrypt(data, { now, iv: ivBytes });
        return (
          Buffer.from(data).equals(fernet.decrypt(t)) &&
          fernet.extractTimestamp(t) === now &&
          Buffer.from(data).equals(fernet.decrypt(t, { ttl: 0, now })) &&
          Buffer.from(data).equals(ring.decrypt(decode(t).toString('base64url')))
        );
      }),
      RUNS,
    );
  });

  it('decryptText(encrypt(s)) == s for arbitrary text, through a ring and a rotation', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const rotated = ring.rotate(ring.encrypt(s));
        return ring.decryptText(rotated) === s && fernet.decryptText(fernet.encrypt(s)) === s;
      }),
      { numRuns: 200 },
    );
  });

  it('the token length is determined by the plaintext length alone', () => {
    fc.assert(
      fc.property(plaintext, (data) => {
        const blocks = Math.floor(data.length / 16) + 1;
        return decode(fernet.encrypt(data)).length === 1 + 8 + 16 + 16 * blocks + 32;
      }),
      RUNS,
    );
  });
});

describe('every corruption is InvalidToken', () => {
  it('flipping any single bit of the decoded token', () => {
    fc.assert(
      fc.property(token, fc.nat(), fc.integer({ min: 0, max: 7 }), (t, at, bit) => {
        const raw = decode(t);
        raw[at % raw.length]! ^= 1 << bit;
        return rejectedEverywhere(encode(raw)) && rejectedEverywhere(Buffer.from(encode(raw), 'ascii'));
      }),
      { numRuns: 1000 },
    );
  });

  it('flipping every bit of one token, one at a time', () => {
    const raw = decode(fernet.encrypt('every bit', { now: 1 }));
    for (let i = 0; i < raw.length * 8; i++) {
      const bad = Buffer.from(raw);
      bad[i >> 3]! ^= 1 << (i & 7);
      expect(failsWithInvalidToken(() => fernet.decrypt(encode(bad))), `bit ${i}`).toBe(true);
    }
  });

  it('truncating the decoded token to any shorter length', () => {
    fc.assert(
      fc.property(token, fc.nat(), (t, cut) => {
        const raw = decode(t);
        return rejectedEverywhere(encode(raw.subarray(0, cut % raw.length)));
      }),
      RUNS,
    );
  });

  it('truncating the token text by at least one character that is not padding', () => {
    fc.assert(
      fc.property(token, fc.nat(), (t, cut) => {
        const text = t.replace(/=+$/, '');
        return rejectedEverywhere(t.slice(0, cut % text.length));
      }),
      RUNS,
    );
  });

  it('extending the decoded token with any bytes', () => {
    fc.assert(
      fc.property(token, fc.uint8Array({ minLength: 1, maxLength: 64 }), (t, extra) => {
        return rejectedEverywhere(encode(Buffer.concat([decode(t), extra])));
      }),
      RUNS,
    );
  });

  it('extending the token text with url-safe base64 characters', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const chars = fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(token, chars, fc.boolean(), (t, extra, padded) => {
        return rejectedEverywhere((padded ? t : t.replace(/=+$/, '')) + extra);
      }),
      RUNS,
    );
  });

  it('arbitrary strings and bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.uint8Array({ maxLength: 200 })), (junk) =>
        rejectedEverywhere(junk),
      ),
      RUNS,
    );
  });

  it('arbitrary well-encoded bytes that start like a token', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (rest) => rejectedEverywhere(encode(Buffer.concat([Buffer.from([0x80]), rest])))),
      RUNS,
    );
  });

  it('a token under another key', () => {
    fc.assert(
      fc.property(plaintext, (data) => rejectedEverywhere(new Fernet(generateKey()).encrypt(data))),
      { numRuns: 100 },
    );
  });
});

/**
 * Tokens up to a few MiB are built and decoded in one scratch buffer reused from call to call, larger ones
 * in place in a buffer of their own: neither may ever write a caller's buffer or hand out memory that a
 * later call overwrites. Sizes: small, the benchmark's 64 KiB and 1 MiB, and 5 MiB (past the scratch).
 */
describe('buffers: callers keep theirs, results stay theirs', () => {
  const sizes = [0, 1000, 64 * 1024, 1 << 20, 5 << 20];
  const bytes = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

  it.each(sizes)('%i bytes: decrypting token bytes twice leaves them unchanged, and the first plaintext intact', (size) => {
    const data = bytes(size, 7);
    const dataCopy = Buffer.from(data);
    const tokenBytes = Buffer.from(fernet.encrypt(data), 'latin1');
    expect(data.equals(dataCopy)).toBe(true);
    const tokenCopy = Buffer.from(tokenBytes);
    const first = fernet.decrypt(tokenBytes);
    const second = fernet.decrypt(tokenBytes);
    expect(tokenBytes.equals(tokenCopy)).toBe(true);
    expect(first.equals(data)).toBe(true);
    expect(second.equals(data)).toBe(true);
    // Other work in between (another size, another key, a ring) must not reach the plaintexts handed out.
    const other = bytes(size + 17, 99);
    expect(ring.decrypt(ring.encrypt(other)).equals(other)).toBe(true);
    fernet.extractTimestamp(fernet.encrypt(other));
    expect(first.equals(data)).toBe(true);
    expect(second.equals(data)).toBe(true);
    expect(first.buffer === second.buffer && first.length > 0).toBe(false);
  });

  it.each(sizes)('%i bytes: a flipped bit at the start, middle or end of the ciphertext, or in the MAC, is InvalidToken', (size) => {
    const raw = decode(fernet.encrypt(bytes(size, 3)));
    const macStart = raw.length - 32;
    for (const at of [25, 25 + ((macStart - 25) >> 1), macStart - 1, macStart, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[at]! ^= 0x01;
      expect(rejectedEverywhere(encode(bad))).toBe(true);
    }
  });
});
