/**
 * The SSH wire encoding (RFC 4251 §5: uint32, string, mpint) as the OpenSSH public and private key
 * formats use it, and the two base64 dialects around it. Internal to src/age/ssh*.
 *
 * Readers throw a plain `WireError` with a description of what was wrong (never the bytes); the callers
 * turn it into InvalidRecipient or InvalidIdentity with their own context.
 */

/** A malformed SSH structure. The message names the field, never its contents. */
export class WireError extends Error {}

/** Sequential reader over an SSH wire-format buffer. */
export class WireReader {
  private offset = 0;
  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  uint32(field: string): number {
    if (this.remaining < 4) throw new WireError(`truncated ${field}`);
    const b = this.buf;
    const o = this.offset;
    this.offset += 4;
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  }

  bytes(n: number, field: string): Uint8Array {
    if (n > this.remaining) throw new WireError(`truncated ${field}`);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** `string`: uint32 length, then that many bytes. */
  string(field: string): Uint8Array {
    return this.bytes(this.uint32(field), field);
  }

  /** A `string` that must be printable ASCII (key type, cipher and KDF names). */
  name(field: string): string {
    const raw = this.string(field);
    for (const c of raw) if (c < 0x20 || c > 0x7e) throw new WireError(`${field} is not a name`);
    return Buffer.from(raw).toString('latin1');
  }

  /**
   * `mpint` holding a non-negative integer: returned as unsigned big-endian magnitude without leading
   * zeros. RFC 4251 requires the minimal two's-complement form, which we insist on so that re-encoding
   * gives back the same bytes (the age tag hashes the re-encoded key, as age's Go reference does).
   */
  mpint(field: string): Uint8Array {
    const raw = this.string(field);
    if (raw.length === 0) return raw;
    if (raw[0]! & 0x80) throw new WireError(`${field} is negative`);
    if (raw[0] === 0 && (raw.length === 1 || !(raw[1]! & 0x80))) throw new WireError(`${field} is not minimally encoded`);
    return raw[0] === 0 ? raw.subarray(1) : raw;
  }

  end(field: string): void {
    if (this.remaining !== 0) throw new WireError(`trailing bytes after ${field}`);
  }
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/** Encodes `string` fields (a JS string is taken as its latin1/ASCII bytes). */
export function wireStrings(...fields: (Uint8Array | string)[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    const bytes = typeof f === 'string' ? Buffer.from(f, 'latin1') : f;
    parts.push(u32(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

/** The `mpint` body (without its length) of an unsigned big-endian magnitude. */
export function mpintBody(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return m.length > 0 && m[0]! & 0x80 ? Buffer.concat([new Uint8Array([0]), m]) : m;
}

/** Standard padded base64 as in authorized_keys lines; canonical only (re-encoding gives the same text). */
export function decodePaddedBase64(text: string, field: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) throw new WireError(`${field} is not valid base64 (truncated or corrupted)`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) throw new WireError(`${field} is not valid base64 (truncated or corrupted)`);
  return bytes;
}

/**
 * Unpadded standard base64, which the age header uses for stanza arguments; c2sp.org/age ("Conventions")
 * requires decoders to reject non-canonical encodings and `=` padding.
 */
export function decodeRawBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*$/.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64');
  return encodeRawBase64(bytes) === text ? bytes : null;
}

export function encodeRawBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

/** base64url without padding, the JWK encoding of RSA integers for node:crypto. */
export function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
