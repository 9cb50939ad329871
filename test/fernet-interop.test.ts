/**
 * Live interoperability: tokens and keys cross between our core, Python's `cryptography` (the
 * reference) and the `fernet` npm package, in both directions. Python runs once per direction with
 * every case batched into that one process.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { Fernet, generateKey, InvalidToken, MultiFernet } from '../src/index.js';
import { pythonCryptographyVersion, runPythonJson } from './helpers/python.js';

const SIZES = [0, 1, 15, 16, 17, 31, 32, 33, 255, 256, 1000, 4096, 65_536, 100_003];
const TEXTS = [
  '',
  'hello',
  'sixteen bytes!!!',
  'héllo wörld — ∑ 日本語 🔐',
  JSON.stringify({ db: { host: 'localhost', password: 's3cr3t/+=?&' }, list: [1, 2, 3] }, null, 2),
  'line 1\nline 2\r\n\ttabbed\u0000nul',
  'ß'.repeat(5000),
];
const T_2023 = 1_700_000_000;
const T_MAX = 2n ** 64n - 1n;
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function plaintexts(): Buffer[] {
  return [...SIZES.map((n) => randomBytes(n)), ...TEXTS.map((t) => Buffer.from(t, 'utf8'))];
}

function rawTimestamp(token: string): bigint {
  return Buffer.from(token, 'base64url').readBigUInt64BE(1);
}

function expectInvalidToken(fn: () => unknown): void {
  expect(fn).toThrow(InvalidToken);
  try {
    fn();
  } catch (e) {
    expect((e as InvalidToken).code).toBe('ERR_INVALID_TOKEN');
  }
}

// ---------------------------------------------------------------------------------------------------
// Python

describe(`Python cryptography`, () => {
  it('is installed (FERNET_CONFIG_PYTHON or python3)', () => {
    expect(pythonCryptographyVersion()).toMatch(/^\d+\.\d+/);
  });

  describe('Python → ours', () => {
    interface Made {
      key: string;
      plaintext: string;
      token: string;
      timestamp: string;
      fixed: boolean;
    }
    interface Rotated {
      newKey: string;
      oldKey: string;
      plaintext: string;
      token: string;
      rotated: string;
      timestamp: string;
    }
    let made: Made[];
    let rotated: Rotated[];
    let before: number;

    beforeAll(() => {
      before = nowSeconds();
      const cases = plaintexts().map((p, i) => ({
        plaintext: p.toString('hex'),
        // Most with the clock; some at fixed times, up to the largest 64-bit timestamp.
        timestamp: i % 4 === 0 ? String([0, T_2023, 2 ** 53 + 1, T_MAX][(i / 4) % 4]) : null,
      }));
      ({ made, rotated } = runPythonJson<{ made: Made[]; rotated: Rotated[] }>(
        `
import json, sys
from cryptography.fernet import Fernet, MultiFernet
cases = json.load(sys.stdin)
made = []
for c in cases:
    key = Fernet.generate_key().decode()
    f = Fernet(key)
    data = bytes.fromhex(c["plaintext"])
    token = f.encrypt(data) if c["timestamp"] is None else f.encrypt_at_time(data, int(c["timestamp"]))
    made.append({"key": key, "plaintext": c["plaintext"], "token": token.decode(),
                 "timestamp": str(f.extract_timestamp(token)), "fixed": c["timestamp"] is not None})
rotated = []
for ts in [0, 1700000000, 2**64 - 1]:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    token = Fernet(old).encrypt_at_time(b"rotate me", ts)
    r = MultiFernet([Fernet(new), Fernet(old)]).rotate(token)
    rotated.append({"newKey": new, "oldKey": old, "plaintext": b"rotate me".hex(), "token": token.decode(),
                    "rotated": r.decode(), "timestamp": str(ts)})
json.dump({"made": made, "rotated": rotated}, sys.stdout)
`,
        cases,
      ));
    });

    it('keys from Fernet.generate_key() work here, and their tokens decrypt', () => {
      expect(made).toHaveLength(SIZES.length + TEXTS.length);
      for (const m of made) {
        const f = new Fernet(m.key);
        expect(f.decrypt(m.token).equals(hex(m.plaintext))).toBe(true);
        expect(f.decrypt(Buffer.from(m.token, 'ascii')).equals(hex(m.plaintext))).toBe(true);
        expect(rawTimestamp(m.token)).toBe(BigInt(m.timestamp));
      }
    });

    it('tokens Python stamped with the clock pass a ttl check here', () => {
      const fresh = made.filter((m) => !m.fixed);
      expect(fresh.length).toBeGreaterThan(0);
      for (const m of fresh) {
        const f = new Fernet(m.key);
        expect(f.extractTimestamp(m.token)).toBeGreaterThanOrEqual(before - 1);
        expect(f.decrypt(m.token, { ttl: 120 }).equals(hex(m.plaintext))).toBe(true);
        expectInvalidToken(() => f.decrypt(m.token, { ttl: 10, now: nowSeconds() + 3600 }));
      }
    });

    it('tokens from Python open with a ring, and only with the right key', () => {
      for (const m of made.slice(0, 5)) {
        const right = new Fernet(m.key);
        const ring = new MultiFernet([new Fernet(generateKey()), right]);
        expect(ring.decrypt(m.token).equals(hex(m.plaintext))).toBe(true);
        expect(ring.indexOf(m.token)).toBe(1);
        expectInvalidToken(() => new Fernet(generateKey()).decrypt(m.token));
      }
    });

    it("Python's MultiFernet.rotate output opens here under the new key, with the old timestamp", () => {
      for (const r of rotated) {
        const [oldF, newF] = [new Fernet(r.oldKey), new Fernet(r.newKey)];
        expect(newF.decrypt(r.rotated).equals(hex(r.plaintext))).toBe(true);
        expect(rawTimestamp(r.rotated)).toBe(BigInt(r.timestamp));
        expectInvalidToken(() => oldF.decrypt(r.rotated));
        // And our rotate of the same original agrees on everything but the IV.
        const ours = new MultiFernet([newF, oldF]).rotate(r.token);
        expect(rawTimestamp(ours)).toBe(BigInt(r.timestamp));
        expect(newF.decrypt(ours).equals(hex(r.plaintext))).toBe(true);
      }
    });
  });

  describe('ours → Python', () => {
    interface Case {
      key: string;
      token: string;
      /** The IV we used, so Python can re-encrypt and compare bytes. */
      iv: string | null;
      timestamp: string;
      ttl: number | null;
      now: number | null;
      /** Rotated tokens: the key ring Python should use instead of `key` alone. */
      ring: string[] | null;
      expect: 'ok' | 'InvalidToken';
      plaintext: string;
    }
    interface Result {
      outcome: 'ok' | 'InvalidToken';
      plaintext: string | null;
      timestamp: string | null;
      reencrypted: string | null;
    }
    let cases: Case[];
    let results: Result[];

    beforeAll(() => {
      cases = [];
      const base = { iv: null, ttl: null, now: null, ring: null, expect: 'ok' as const };
      plaintexts().forEach((p, i) => {
        const key = generateKey();
        const f = new Fernet(key);
        // Clock time, a fixed time with a fixed IV (Python must produce the identical token), and 2^64 - 1.
        const token = f.encrypt(p);
        cases.push({ ...base, key, token, timestamp: String(rawTimestamp(token)), plaintext: p.toString('hex') });
        const iv = randomBytes(16);
        const fixed = f.encrypt(p, { now: T_2023 + i, iv });
        cases.push({ ...base, key, token: fixed, iv: iv.toString('hex'), timestamp: String(T_2023 + i), plaintext: p.toString('hex') });
        if (i % 5 === 0) {
          const huge = f.encryptAt(p, T_MAX, iv);
          cases.push({ ...base, key, token: huge, iv: iv.toString('hex'), timestamp: String(T_MAX), plaintext: p.toString('hex') });
        }
      });

      // Time checks, on both sides of each boundary.
      const key = generateKey();
      const f = new Fernet(key);
      const token = f.encrypt('timed', { now: T_2023 });
      const timed = (ttl: number, now: number, expected: Case['expect']): Case => ({
        ...base, key, token, timestamp: String(T_2023), ttl, now, expect: expected, plaintext: Buffer.from('timed').toString('hex'),
      });
      cases.push(
        timed(60, T_2023 + 60, 'ok'),
        timed(60, T_2023 + 61, 'InvalidToken'),
        timed(0, T_2023, 'ok'),
        timed(0, T_2023 + 1, 'InvalidToken'),
        timed(60, T_2023 - 60, 'ok'),
        timed(60, T_2023 - 61, 'InvalidToken'),
      );

      // Tampered tokens and a wrong key: Python must refuse what we refuse.
      const raw = Buffer.from(token, 'base64url');
      for (const index of [0, 5, 12, 30, raw.length - 1]) {
        const bad = Buffer.from(raw);
        bad[index]! ^= 0x01;
        cases.push({ ...base, key, token: bad.toString('base64url') + '=', timestamp: String(T_2023), expect: 'InvalidToken', plaintext: '' });
      }
      cases.push({ ...base, key: generateKey(), token, timestamp: String(T_2023), expect: 'InvalidToken', plaintext: '' });

      // Our rotate: Python opens it with the new key and reads the original timestamp.
      for (const ts of [0n, BigInt(T_2023), T_MAX]) {
        const [oldKey, newKey] = [generateKey(), generateKey()];
        const original = new Fernet(oldKey).encryptAt(Buffer.from('rotate me'), ts, randomBytes(16));
        const rotatedToken = new MultiFernet([new Fernet(newKey), new Fernet(oldKey)]).rotate(original);
        cases.push({ ...base, key: newKey, token: rotatedToken, timestamp: String(ts), plaintext: Buffer.from('rotate me').toString('hex') });
        cases.push({ ...base, key: oldKey, token: rotatedToken, timestamp: String(ts), expect: 'InvalidToken', plaintext: '' });
        cases.push({ ...base, key: newKey, ring: [oldKey, newKey], token: rotatedToken, timestamp: String(ts), plaintext: Buffer.from('rotate me').toString('hex') });
      }

      results = runPythonJson<Result[]>(
        `
import json, sys
from cryptography.fernet import Fernet, MultiFernet, InvalidToken
out = []
for c in json.load(sys.stdin):
    f = MultiFernet([Fernet(k) for k in c["ring"]]) if c["ring"] else Fernet(c["key"])
    r = {"outcome": "ok", "plaintext": None, "timestamp": None, "reencrypted": None}
    try:
        if c["ttl"] is None:
            p = f.decrypt(c["token"])
        else:
            p = f.decrypt_at_time(c["token"], c["ttl"], c["now"])
        r["plaintext"] = p.hex()
        r["timestamp"] = str(f.extract_timestamp(c["token"]))
        if c["iv"]:
            r["reencrypted"] = Fernet(c["key"])._encrypt_from_parts(
                p, int(c["timestamp"]), bytes.fromhex(c["iv"])).decode()
    except InvalidToken:
        r["outcome"] = "InvalidToken"
    out.append(r)
json.dump(out, sys.stdout)
`,
        cases,
      );
    });

    it('Python decrypts every token of ours, and reads the same timestamp', () => {
      expect(results).toHaveLength(cases.length);
      cases.forEach((c, i) => {
        const r = results[i]!;
        expect(r.outcome, `case ${i}`).toBe(c.expect);
        if (c.expect === 'ok') {
          expect(r.plaintext, `case ${i}`).toBe(c.plaintext);
          expect(r.timestamp, `case ${i}`).toBe(c.timestamp);
        }
      });
    });

    it('with the same key, time and IV, Python writes byte-identical tokens (keys from generateKey())', () => {
      const fixed = cases.map((c, i) => [c, results[i]!] as const).filter(([c]) => c.iv !== null);
      expect(fixed.length).toBeGreaterThan(SIZES.length);
      for (const [c, r] of fixed) expect(r.reencrypted).toBe(c.token);
    });
  });
});

// ---------------------------------------------------------------------------------------------------
// The `fernet` npm package: CryptoJS underneath, text only (it decodes plaintext as UTF-8), no types.

interface NpmSecret {
  signingKeyHex: string;
  encryptionKeyHex: string;
}
interface NpmToken {
  encode(message: string): string;
  decode(token?: string): string;
}
interface FernetNpm {
  Secret: new (secret64: string) => NpmSecret;
  /** `ttl: 0` turns its time check off; `time` is anything Date.parse takes. */
  Token: new (options: { secret: NpmSecret; ttl?: number; token?: string; time?: string }) => NpmToken;
}

const fernetNpm = createRequire(import.meta.url)('fernet') as FernetNpm;

describe('the fernet npm package', () => {
  it('decrypts our tokens (keys from generateKey())', () => {
    for (const text of TEXTS) {
      const key = generateKey();
      const token = new Fernet(key).encrypt(text);
      const secret = new fernetNpm.Secret(key);
      expect(new fernetNpm.Token({ secret, ttl: 0, token }).decode()).toBe(text);
    }
  });

  it('its tokens decrypt here, with the timestamp it wrote', () => {
    for (const text of TEXTS) {
      const key = generateKey();
      const secret = new fernetNpm.Secret(key);
      const token = new fernetNpm.Token({ secret, ttl: 0, time: new Date(T_2023 * 1000).toISOString() }).encode(text);
      const f = new Fernet(key);
      expect(f.decryptText(token)).toBe(text);
      expect(f.extractTimestamp(token)).toBe(T_2023);
      expect(f.decryptText(token, { ttl: 60, now: T_2023 + 60 })).toBe(text);
    }
    const key = generateKey();
    const fresh = new fernetNpm.Token({ secret: new fernetNpm.Secret(key), ttl: 0 }).encode('now');
    expect(new Fernet(key).decryptText(fresh, { ttl: 60 })).toBe('now');
  });

  it('splits the key into the same halves', () => {
    const key = generateKey();
    const secret = new fernetNpm.Secret(key);
    const raw = Buffer.from(key, 'base64url');
    expect(secret.signingKeyHex).toBe(raw.subarray(0, 16).toString('hex'));
    expect(secret.encryptionKeyHex).toBe(raw.subarray(16).toString('hex'));
  });

  it('refuses our tampered tokens, and we refuse its', () => {
    const key = generateKey();
    const secret = new fernetNpm.Secret(key);
    const ours = Buffer.from(new Fernet(key).encrypt('tamper'), 'base64url');
    ours[40]! ^= 1;
    expect(() => new fernetNpm.Token({ secret, ttl: 0, token: ours.toString('base64url') + '=' }).decode()).toThrow();
    const theirs = Buffer.from(new fernetNpm.Token({ secret, ttl: 0 }).encode('tamper'), 'base64url');
    theirs[40]! ^= 1;
    expectInvalidToken(() => new Fernet(key).decrypt(theirs.toString('base64url') + '='));
  });
});
