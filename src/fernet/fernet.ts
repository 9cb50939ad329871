import { createCipheriv, createDecipheriv, createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';
import { InvalidToken } from '../errors.js';
import { base64UrlDecodedLength, decodeBase64Url, encodeBase64Url, encodeBase64UrlBytes } from './encoding.js';
import { decodeKey } from './key.js';

export interface EncryptOptions {
  /** Unix time in seconds to stamp into the token (default: the clock). Fractions are dropped, as in Python. */
  now?: number;
  /** A fixed 16-byte IV. Only for deterministic tests: reusing an IV with the same key leaks plaintext. */
  iv?: Uint8Array;
}

export interface DecryptOptions {
  /** Maximum token age in seconds. Without it no time check is made at all; `0` is a real limit. */
  ttl?: number;
  /** Unix time in seconds to check `ttl` against (default: the clock). */
  now?: number;
}

const VERSION = 0x80;
const HEADER = 1 + 8 + 16; // version, timestamp, IV
const MAC = 32;
const BLOCK = 16;
/** Bytes per decipher.update call when decrypting in place: a multiple of BLOCK. */
const CHUNK = 1 << 20;
/**
 * Bytes per cipher.update call when encrypting: a multiple of BLOCK. Each call returns a new buffer from
 * malloc that lives until V8's next collection; many small ones are reused by the allocator where large
 * ones are returned to the system and faulted in again. Measured on 64 KiB and 1 MiB tokens (Node 20,
 * glibc): 8 KiB took 1.4 and 2 to 13 page faults per token, 1 MiB chunks 6 to 10 and 15 to 31.
 */
const SEAL_CHUNK = 8 << 10;
/** Python's _MAX_CLOCK_SKEW: tokens more than this far in the future are rejected when a ttl is given. */
const MAX_CLOCK_SKEW = 60n;

/** Token fields after the HMAC has been verified. */
export interface VerifiedToken {
  timestamp: bigint;
  data: Buffer;
}

/**
 * Random IVs, drawn from a pool of CSPRNG output refilled 256 IVs at a time: one randomFillSync call per
 * 256 tokens instead of a randomBytes call per token, which cost about a fifth of encrypting 1 KiB.
 * IVs travel in the clear, so only unpredictability and non-reuse matter: each byte of the pool is
 * handed out once, and the pool is discarded when the process id changes (a process started from a
 * startup snapshot that captured this module's state must not repeat its IVs).
 */
const IV_POOL = Buffer.alloc(16 * 256);
let ivOffset = IV_POOL.length;
let ivPoolPid = -1;

/** A fresh IV: a view into the pool, so it must be used (encryptAt copies it) before the next call. */
function randomIv(): Buffer {
  if (ivOffset === IV_POOL.length || ivPoolPid !== process.pid) {
    randomFillSync(IV_POOL);
    ivOffset = 0;
    ivPoolPid = process.pid;
  }
  const iv = IV_POOL.subarray(ivOffset, ivOffset + 16);
  ivOffset += 16;
  return iv;
}

/**
 * Raw tokens up to SCRATCH_LIMIT bytes are built (encrypt) and decoded (decrypt) in one buffer reused from
 * call to call, instead of a fresh buffer of the token's size each time. Node hands large buffers out of
 * malloc and frees them only when V8 next collects; at 64 KiB and 1 MiB that churn (page faults, heap
 * trims, GC triggered by external memory) was a large part of what a call cost beyond AES and HMAC. Every
 * operation here is synchronous and calls no outside code, so one buffer per process is never shared by
 * two calls in flight. It is held weakly: a process that stops encrypting gives it back at the next full
 * GC. It only ever holds raw tokens (version, time, IV, ciphertext, MAC): encrypt overwrites every
 * plaintext byte it copies in with ciphertext, and decrypt writes the plaintext to a buffer of its own.
 * Larger tokens take a buffer of their own, encrypted and decrypted in place (see #seal, decryptVerified).
 */
const SCRATCH_LIMIT = 4 << 20;
let scratchRef: WeakRef<Buffer> | undefined;

/** A view of `length` bytes of the scratch buffer, or a new buffer above SCRATCH_LIMIT. */
function tokenBuffer(length: number): Buffer {
  if (length > SCRATCH_LIMIT) return Buffer.allocUnsafe(length);
  let buf = scratchRef?.deref();
  if (buf === undefined || buf.length < length) {
    // Powers of two from 4 KiB, so tokens of growing sizes do not reallocate on every call.
    buf = Buffer.allocUnsafeSlow(Math.min(SCRATCH_LIMIT, Math.max(4096, 2 ** Math.ceil(Math.log2(length)))));
    scratchRef = new WeakRef(buf);
  }
  return buf.subarray(0, length);
}

function isScratch(data: Buffer): boolean {
  return data.buffer === scratchRef?.deref()?.buffer;
}

function clock(): number {
  return Math.floor(Date.now() / 1000);
}

function toSeconds(value: number, name: string): bigint {
  // Tokens carry an unsigned 64-bit timestamp; anything outside that range cannot be represented.
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 2 ** 64) {
    throw new TypeError(`"${name}" expected a number of seconds from 0 to 2^64 - 1`);
  }
  return BigInt(Math.floor(value));
}

function tokenText(token: string | Uint8Array): string {
  if (typeof token === 'string') return token;
  if (token instanceof Uint8Array) return Buffer.from(token.buffer, token.byteOffset, token.byteLength).toString('latin1');
  throw new TypeError('"token" expected string or Uint8Array');
}

function plaintextBytes(data: string | Uint8Array): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('"data" expected string or Uint8Array');
}

/**
 * Fernet symmetric encryption, byte-for-byte compatible with Python's `cryptography.fernet.Fernet`.
 *
 * Token = base64url(0x80 ‖ timestamp (u64 BE) ‖ IV ‖ AES-128-CBC(PKCS7) ciphertext ‖ HMAC-SHA256(all before)).
 */
export class Fernet {
  readonly #signingKey: Buffer;
  readonly #encryptionKey: Buffer;

  constructor(key: string | Uint8Array) {
    const { signingKey, encryptionKey } = decodeKey(key);
    // Own copies, so the caller's buffer can be wiped or reused without affecting us.
    this.#signingKey = Buffer.from(signingKey);
    this.#encryptionKey = Buffer.from(encryptionKey);
  }

  encrypt(data: string | Uint8Array, options: EncryptOptions = {}): string {
    const timestamp = options.now === undefined ? BigInt(clock()) : toSeconds(options.now, 'now');
    let iv: Uint8Array;
    if (options.iv === undefined) iv = randomIv();
    else if (options.iv instanceof Uint8Array && options.iv.length === 16) iv = options.iv;
    else throw new TypeError('"iv" expected Uint8Array of length 16');
    return this.encryptAt(typeof data === 'string' ? data : plaintextBytes(data), timestamp, iv);
  }

  /** @internal Encrypts with an explicit timestamp; MultiFernet.rotate uses it to keep the original time. */
  encryptAt(plaintext: string | Buffer, timestamp: bigint, iv: Uint8Array): string {
    return encodeBase64Url(this.#seal(plaintext, timestamp, iv));
  }

  /**
   * @internal Like encrypt, but returns the token as ASCII bytes followed by `suffix`: a large config is
   * written without ever holding its token as a string too.
   */
  encryptToBytes(data: string | Uint8Array, suffix = ''): Buffer {
    return encodeBase64UrlBytes(this.#seal(typeof data === 'string' ? data : plaintextBytes(data), BigInt(clock()), randomIv()), suffix);
  }

  /**
   * The raw token in one buffer: the plaintext is encoded (or copied) straight into its place, padded,
   * and encrypted there chunk by chunk, then the HMAC is appended. Peak memory is the token's size, not
   * the three or four copies (UTF-8 bytes, ciphertext, joined token) a plain cipher.update would take.
   * The buffer is the scratch (tokenBuffer) up to its limit: the caller must encode it before the next call.
   */
  #seal(plaintext: string | Buffer, timestamp: bigint, iv: Uint8Array): Buffer {
    const n = typeof plaintext === 'string' ? Buffer.byteLength(plaintext, 'utf8') : plaintext.length;
    const ctLength = (Math.floor(n / BLOCK) + 1) * BLOCK; // PKCS7 always adds 1 to 16 bytes
    const out = tokenBuffer(HEADER + ctLength + MAC);
    out[0] = VERSION;
    out.writeBigUInt64BE(timestamp, 1);
    out.set(iv, 9);
    if (typeof plaintext === 'string') out.write(plaintext, HEADER, n, 'utf8');
    else plaintext.copy(out, HEADER);
    out.fill(ctLength - n, HEADER + n, HEADER + ctLength);
    // CBC reads each plaintext block before the ciphertext overwrites it, so in place is safe.
    const cipher = createCipheriv('aes-128-cbc', this.#encryptionKey, iv).setAutoPadding(false);
    const end = HEADER + ctLength;
    for (let p = HEADER; p < end; p += SEAL_CHUNK) cipher.update(out.subarray(p, Math.min(p + SEAL_CHUNK, end))).copy(out, p);
    cipher.final();
    createHmac('sha256', this.#signingKey).update(out.subarray(0, end)).digest().copy(out, end);
    return out;
  }

  decrypt(token: string | Uint8Array, options: DecryptOptions = {}): Buffer {
    const { timestamp, data } = this.verify(token);
    checkTime(timestamp, options);
    return this.decryptVerified(data);
  }

  /** Like decrypt, returning the plaintext as UTF-8 text. */
  decryptText(token: string | Uint8Array, options: DecryptOptions = {}): string {
    return this.decrypt(token, options).toString('utf8');
  }

  /** The token's timestamp (Unix seconds). Like Python, only after the HMAC has been verified. */
  extractTimestamp(token: string | Uint8Array): number {
    return Number(this.verify(token).timestamp);
  }

  /**
   * @internal Decodes and authenticates a token. The HMAC is checked, in constant time, before anything
   * is decrypted: an unauthenticated ciphertext never reaches the CBC/padding code. `data` may be the
   * scratch buffer (tokenBuffer): pass it to decryptVerified before any other call of this module.
   */
  verify(token: string | Uint8Array): VerifiedToken {
    const data = decodeTokenShape(tokenText(token), tokenBuffer);
    if (data === undefined) throw new InvalidToken();
    const macStart = data.length - MAC;
    const expected = createHmac('sha256', this.#signingKey).update(data.subarray(0, macStart)).digest();
    if (!timingSafeEqual(expected, data.subarray(macStart))) throw new InvalidToken();
    return { timestamp: data.readBigUInt64BE(1), data };
  }

  /**
   * @internal Decrypts a token whose HMAC verify() has already checked, from verify()'s `data`. A token in
   * the scratch buffer is decrypted into the new buffer update() returns, which becomes the plaintext. A
   * larger token (its own buffer, decoded by verify) is decrypted over itself, from its start, chunk by
   * chunk behind the ciphertext already read, so it needs no second buffer of the token's size: `data`
   * is consumed and the plaintext is a view into it. Either way no caller's buffer is written.
   */
  decryptVerified(data: Buffer): Buffer {
    const end = data.length - MAC;
    let plaintext: Buffer;
    try {
      // PKCS7 padding is checked below instead of by OpenSSL: with its own check OpenSSL holds the last
      // block back from update(), and the output would no longer follow the input chunk for chunk.
      const decipher = createDecipheriv('aes-128-cbc', this.#encryptionKey, data.subarray(9, HEADER)).setAutoPadding(false);
      if (isScratch(data)) {
        plaintext = decipher.update(data.subarray(HEADER, end));
      } else {
        let length = 0;
        for (let p = HEADER; p < end; p += CHUNK) length += decipher.update(data.subarray(p, Math.min(p + CHUNK, end))).copy(data, length);
        plaintext = data.subarray(0, length);
      }
      decipher.final();
    } catch (cause) {
      throw new InvalidToken({ cause });
    }
    // The rule OpenSSL applies: the last byte n is 1 to 16 and the last n bytes all equal n. The HMAC is
    // already verified, so this cannot serve as a padding oracle; a bad pad is one more token failure.
    const pad = plaintext[plaintext.length - 1]!;
    if (pad < 1 || pad > BLOCK) throw new InvalidToken();
    for (let i = plaintext.length - pad; i < plaintext.length; i++) if (plaintext[i] !== pad) throw new InvalidToken();
    return plaintext.subarray(0, plaintext.length - pad);
  }
}

/**
 * @internal Decodes a token and checks its structure only — version byte, length, whole blocks — which
 * are public facts about any token, so callers may tell "not a token at all" from "wrong key".
 */
export function decodeTokenShape(token: string, alloc?: (length: number) => Buffer): Buffer | undefined {
  const data = decodeBase64Url(token, alloc);
  return data !== undefined && hasTokenShape(data.length, data[0] ?? -1) ? data : undefined;
}

/** The structure rule itself: the version byte, room for header, one block and the MAC, whole blocks. */
function hasTokenShape(length: number, version: number): boolean {
  return length >= HEADER + BLOCK + MAC && version === VERSION && (length - HEADER - MAC) % BLOCK === 0;
}

/**
 * @internal The check of decodeTokenShape without keeping the decoded token: slice by slice, so testing
 * a 67 MB token's shape costs a slice's memory, not 50 MB.
 */
export function isTokenShape(token: string): boolean {
  let version = -1;
  const length = base64UrlDecodedLength(token, (head) => {
    version = head.length > 0 ? head[0]! : -1;
  });
  return hasTokenShape(length, version);
}

/** @internal The ttl rules of Python's Fernet, on full 64-bit timestamps. */
export function checkTime(timestamp: bigint, options: DecryptOptions): void {
  if (options.ttl === undefined) return;
  const ttl = toSeconds(options.ttl, 'ttl');
  const now = options.now === undefined ? BigInt(clock()) : toSeconds(options.now, 'now');
  if (timestamp + ttl < now) throw new InvalidToken();
  if (now + MAX_CLOCK_SKEW < timestamp) throw new InvalidToken();
}
