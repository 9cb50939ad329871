/**
 * Reading SSH private key files: OpenSSH's own format ("-----BEGIN OPENSSH PRIVATE KEY-----", the
 * `openssh-key-v1` structure of OpenSSH's PROTOCOL.key), plain or protected with bcrypt-pbkdf and an
 * AES or ChaCha20-Poly1305 cipher, and the PEM formats node:crypto reads itself (PKCS#1 "RSA PRIVATE
 * KEY", PKCS#8 "PRIVATE KEY" / "ENCRYPTED PRIVATE KEY"). Internal to src/age/ssh*.
 *
 * The OpenSSH format carries the public key in clear before the (possibly encrypted) private part, so a
 * protected key can say which stanzas are its own before anyone is asked for a passphrase. Only the
 * public part is parsed up front; the private part is decrypted and parsed by `open`.
 *
 * Errors never contain key bytes: InvalidIdentity names the file and the field, WrongPassphrase says
 * only that the passphrase did not open it.
 */
import { createDecipheriv, createPrivateKey, createPublicKey, timingSafeEqual, type DecipherGCM, type KeyObject } from 'node:crypto';
import { InvalidIdentity, WrongPassphrase } from '../errors.js';
import { WireError, WireReader, base64url, decodePaddedBase64, mpintBody, wireStrings } from './ssh-wire.js';

export type SshKeyType = 'ssh-ed25519' | 'ssh-rsa';

export const SUPPORTED_HINT = 'expected ssh-ed25519 or ssh-rsa';

/** Key types OpenSSH knows that age has no recipient type for; named in errors (a type name is not secret). */
export const KNOWN_UNSUPPORTED_TYPES = new Set([
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'ssh-rsa-cert-v01@openssh.com',
  'ssh-ed25519-cert-v01@openssh.com',
  'ssh-dss-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
]);

/** The decrypted private key, ready for age's stanza computations. */
export type SshPrivateKey =
  | { type: 'ssh-ed25519'; publicBlob: Uint8Array; publicKey: Uint8Array; seed: Uint8Array }
  | { type: 'ssh-rsa'; publicBlob: Uint8Array; key: KeyObject };

/** A parsed key file before decryption. `publicBlob` is null only for encrypted PEM files. */
export interface SshKeyFile {
  readonly type: SshKeyType | null;
  readonly publicBlob: Uint8Array | null;
  readonly encrypted: boolean;
  /** Decrypts (when `encrypted`, with the passphrase) and checks the private key against the public one. */
  open(passphrase: string | undefined): SshPrivateKey | Promise<SshPrivateKey>;
}

const OPENSSH_LABEL = 'OPENSSH PRIVATE KEY';
const PEM_LABELS = ['RSA PRIVATE KEY', 'PRIVATE KEY', 'ENCRYPTED PRIVATE KEY'];
// PROTOCOL.key: the binary starts with this magic, NUL included.
const AUTH_MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
// The private section is padded to the cipher's block size; 8 for "none" (PROTOCOL.key).
const NONE_BLOCK_SIZE = 8;
// bcrypt-pbkdf rounds beyond this would stall the CLI for minutes: ssh-keygen's default is 16.
const MAX_BCRYPT_ROUNDS = 1 << 16;

interface CipherSpec {
  keyLen: number;
  ivLen: number;
  blockSize: number;
  tagLen: number;
  /** node:crypto algorithm name; absent for chacha20-poly1305@openssh.com, built from noble primitives. */
  node?: string;
}

// The cipher names OpenSSH writes (`ssh -Q cipher`); key and IV lengths from OpenSSH's cipher.c table.
const CIPHERS: Record<string, CipherSpec> = {
  'aes128-ctr': { keyLen: 16, ivLen: 16, blockSize: 16, tagLen: 0, node: 'aes-128-ctr' },
  'aes192-ctr': { keyLen: 24, ivLen: 16, blockSize: 16, tagLen: 0, node: 'aes-192-ctr' },
  'aes256-ctr': { keyLen: 32, ivLen: 16, blockSize: 16, tagLen: 0, node: 'aes-256-ctr' },
  'aes128-cbc': { keyLen: 16, ivLen: 16, blockSize: 16, tagLen: 0, node: 'aes-128-cbc' },
  'aes192-cbc': { keyLen: 24, ivLen: 16, blockSize: 16, tagLen: 0, node: 'aes-192-cbc' },
  'aes256-cbc': { keyLen: 32, ivLen: 16, blockSize: 16, tagLen: 0, node: 'aes-256-cbc' },
  'aes128-gcm@openssh.com': { keyLen: 16, ivLen: 12, blockSize: 16, tagLen: 16, node: 'aes-128-gcm' },
  'aes256-gcm@openssh.com': { keyLen: 32, ivLen: 12, blockSize: 16, tagLen: 16, node: 'aes-256-gcm' },
  'chacha20-poly1305@openssh.com': { keyLen: 64, ivLen: 0, blockSize: 8, tagLen: 16 },
};

function invalid(source: string, what: string): InvalidIdentity {
  return new InvalidIdentity(`${source} is not a usable SSH private key: ${what}`, {
    hint: `use an OpenSSH or PEM private key of type ssh-ed25519 or ssh-rsa (ssh-keygen -t ed25519)`,
  });
}

function wrongPassphrase(source: string): WrongPassphrase {
  return new WrongPassphrase(`the passphrase does not open ${source}`, { hint: 'check the passphrase and try again' });
}

/** The base64 body between `-----BEGIN label-----` and `-----END label-----`, or null when absent. */
function pemBody(text: string, label: string): string | null {
  const begin = `-----BEGIN ${label}-----`;
  const start = text.indexOf(begin);
  if (start < 0) return null;
  const end = text.indexOf(`-----END ${label}-----`, start + begin.length);
  if (end < 0) return null;
  return text.slice(start + begin.length, end).replace(/\s+/g, '');
}

/**
 * Parses an SSH private key file's text. Throws InvalidIdentity for anything that is not an ed25519 or
 * RSA private key in a format we read.
 */
export function parseSshKeyFile(text: string, source: string): SshKeyFile {
  const openssh = pemBody(text, OPENSSH_LABEL);
  if (openssh !== null) return parseOpenSsh(openssh, source);
  const label = PEM_LABELS.find((l) => text.includes(`-----BEGIN ${l}-----`));
  if (label !== undefined) return parsePem(text, label, source);
  if (/^\s*(ssh-|ecdsa-|sk-)/.test(text)) {
    throw new InvalidIdentity(`${source} is an SSH public key, not a private key`, { hint: 'pass the private key file (without .pub)' });
  }
  throw invalid(source, 'no "-----BEGIN OPENSSH PRIVATE KEY-----" or PEM private key block');
}

function supportedType(type: string, source: string): SshKeyType {
  if (type === 'ssh-ed25519' || type === 'ssh-rsa') return type;
  if (KNOWN_UNSUPPORTED_TYPES.has(type)) throw invalid(source, `unsupported key type ${type}, ${SUPPORTED_HINT}`);
  throw invalid(source, `unsupported key type, ${SUPPORTED_HINT}`);
}

/** Checks a public key blob's structure and returns its canonical encoding (identical, given minimal mpints). */
export function canonicalPublicBlob(blob: Uint8Array, expectedType?: SshKeyType): { type: SshKeyType; blob: Uint8Array; ed25519?: Uint8Array; rsa?: { e: Uint8Array; n: Uint8Array } } {
  const r = new WireReader(blob);
  const type = r.name('key type');
  if (type !== 'ssh-ed25519' && type !== 'ssh-rsa') throw new WireError(`unsupported key type`);
  if (expectedType !== undefined && type !== expectedType) throw new WireError('key type does not match the key data');
  if (type === 'ssh-ed25519') {
    const key = r.string('Ed25519 public key');
    if (key.length !== 32) throw new WireError('Ed25519 public key is not 32 bytes');
    r.end('public key');
    return { type, blob: wireStrings(type, key), ed25519: key };
  }
  const e = r.mpint('RSA exponent');
  const n = r.mpint('RSA modulus');
  r.end('public key');
  return { type, blob: wireStrings(type, mpintBody(e), mpintBody(n)), rsa: { e, n } };
}

function parseOpenSsh(body: string, source: string): SshKeyFile {
  let r: WireReader;
  let cipherName: string;
  let kdfName: string;
  let kdfOptions: Uint8Array;
  let publicRaw: Uint8Array;
  let encryptedSection: Uint8Array;
  let tag: Uint8Array;
  let spec: CipherSpec | undefined;
  try {
    const bin = decodePaddedBase64(body, 'key data');
    if (bin.length < AUTH_MAGIC.length || !AUTH_MAGIC.equals(bin.subarray(0, AUTH_MAGIC.length))) throw new WireError('not an openssh-key-v1 key');
    r = new WireReader(bin.subarray(AUTH_MAGIC.length));
    cipherName = r.name('cipher name');
    kdfName = r.name('KDF name');
    kdfOptions = r.string('KDF options');
    const count = r.uint32('key count');
    if (count !== 1) throw new WireError(`holds ${count} keys; one is expected`);
    publicRaw = r.string('public key');
    encryptedSection = r.string('private section');
    spec = cipherName === 'none' ? undefined : CIPHERS[cipherName];
    tag = r.bytes(spec?.tagLen ?? 0, 'authentication tag');
    r.end('private section');
  } catch (err) {
    if (err instanceof WireError) throw invalid(source, err.message);
    throw err;
  }
  const type = (() => {
    try {
      return new WireReader(publicRaw).name('key type');
    } catch {
      throw invalid(source, 'malformed public key');
    }
  })();
  const keyType = supportedType(type, source);
  let publicBlob: Uint8Array;
  try {
    publicBlob = canonicalPublicBlob(publicRaw, keyType).blob;
  } catch (err) {
    if (err instanceof WireError) throw invalid(source, err.message);
    throw err;
  }

  if (cipherName === 'none') {
    if (kdfName !== 'none') throw invalid(source, 'a KDF without a cipher');
    return {
      type: keyType,
      publicBlob,
      encrypted: false,
      open: () => parsePrivateSection(encryptedSection, NONE_BLOCK_SIZE, publicBlob, source, false),
    };
  }
  if (spec === undefined) throw invalid(source, `it is encrypted with the cipher ${cipherName}, which is not supported`);
  if (kdfName !== 'bcrypt') throw invalid(source, `it is protected with the KDF ${kdfName}, which is not supported (expected bcrypt)`);
  let salt: Uint8Array;
  let rounds: number;
  try {
    const k = new WireReader(kdfOptions);
    salt = k.string('bcrypt salt');
    rounds = k.uint32('bcrypt rounds');
    k.end('KDF options');
  } catch (err) {
    if (err instanceof WireError) throw invalid(source, err.message);
    throw err;
  }
  if (rounds < 1 || rounds > MAX_BCRYPT_ROUNDS) throw invalid(source, `bcrypt rounds out of range (1 to ${MAX_BCRYPT_ROUNDS})`);
  if (encryptedSection.length % spec.blockSize !== 0) throw invalid(source, 'the private section is not a whole number of cipher blocks');
  const cipherSpec = spec;
  return {
    type: keyType,
    publicBlob,
    encrypted: true,
    async open(passphrase) {
      if (passphrase === undefined || passphrase === '') throw wrongPassphrase(source);
      const derived = await bcryptPbkdf(Buffer.from(passphrase, 'utf8'), salt, rounds, cipherSpec.keyLen + cipherSpec.ivLen);
      const plain = await decrypt(cipherSpec, derived.subarray(0, cipherSpec.keyLen), derived.subarray(cipherSpec.keyLen), encryptedSection, tag);
      derived.fill(0);
      if (plain === null) throw wrongPassphrase(source);
      try {
        return parsePrivateSection(plain, cipherSpec.blockSize, publicBlob, source, true);
      } finally {
        plain.fill(0);
      }
    },
  };
}

async function bcryptPbkdf(pass: Uint8Array, salt: Uint8Array, rounds: number, length: number): Promise<Uint8Array> {
  const { default: bcrypt } = await import('bcrypt-pbkdf');
  const out = new Uint8Array(length);
  if (bcrypt.pbkdf(pass, pass.length, salt, salt.length, out, length, rounds) !== 0) throw new Error('bcrypt-pbkdf failed');
  return out;
}

/** Decrypts the private section; null when an AEAD tag does not verify (a wrong passphrase). */
async function decrypt(spec: CipherSpec, key: Uint8Array, iv: Uint8Array, data: Uint8Array, tag: Uint8Array): Promise<Uint8Array | null> {
  if (spec.node === undefined) return decryptChachaPolyOpenSsh(key, data, tag);
  const decipher = createDecipheriv(spec.node, key, iv);
  decipher.setAutoPadding(false);
  if (spec.tagLen > 0) (decipher as DecipherGCM).setAuthTag(tag);
  const head = decipher.update(data);
  try {
    return Buffer.concat([head, decipher.final()]);
  } catch {
    head.fill(0);
    return null;
  }
}

/**
 * chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305) as sshkey.c uses it for key files:
 * sequence number 0 and no length header, so only the 256-bit "main" key (the first half of the 64
 * derived bytes) is used. The Poly1305 key is the first 32 bytes of the ChaCha20 keystream at block 0
 * with the 64-bit sequence-number nonce; the payload is encrypted from block 1. Composed from noble's
 * ChaCha20 (original 64-bit-nonce variant) and Poly1305; no cipher code of our own.
 */
async function decryptChachaPolyOpenSsh(key: Uint8Array, data: Uint8Array, tag: Uint8Array): Promise<Uint8Array | null> {
  const [{ chacha20orig }, { poly1305 }] = await Promise.all([import('@noble/ciphers/chacha.js'), import('@noble/ciphers/_poly1305.js')]);
  const mainKey = key.subarray(0, 32);
  const nonce = new Uint8Array(8);
  const polyKey = chacha20orig(mainKey, nonce, new Uint8Array(32));
  const expected = poly1305(data, polyKey);
  polyKey.fill(0);
  if (!timingSafeEqual(expected, tag)) return null;
  return chacha20orig(mainKey, nonce, data, undefined, 1);
}

/**
 * The private section (PROTOCOL.key): checkint twice, the key, a comment, then padding 1, 2, 3, ...
 * Mismatched checkints after decryption mean a wrong passphrase; in a plain file, corruption.
 */
function parsePrivateSection(section: Uint8Array, blockSize: number, publicBlob: Uint8Array, source: string, encrypted: boolean): SshPrivateKey {
  try {
    if (section.length % blockSize !== 0) throw new WireError('the private section is not padded to the block size');
    const r = new WireReader(section);
    const check1 = r.uint32('check value');
    const check2 = r.uint32('check value');
    if (check1 !== check2) {
      if (encrypted) throw wrongPassphrase(source);
      throw new WireError('check values differ (the file is corrupted)');
    }
    const type = r.name('key type');
    let key: SshPrivateKey;
    if (type === 'ssh-ed25519') {
      const pub = r.string('Ed25519 public key');
      const priv = r.string('Ed25519 private key');
      // OpenSSH stores the 64-byte "expanded" form: the 32-byte seed followed by the public key.
      if (pub.length !== 32 || priv.length !== 64) throw new WireError('Ed25519 key has the wrong length');
      if (!Buffer.from(priv.subarray(32)).equals(pub)) throw new WireError('Ed25519 private and public halves differ');
      key = { type, publicBlob: wireStrings(type, pub), publicKey: Uint8Array.from(pub), seed: Uint8Array.from(priv.subarray(0, 32)) };
    } else if (type === 'ssh-rsa') {
      const n = r.mpint('RSA modulus');
      const e = r.mpint('RSA exponent');
      const d = r.mpint('RSA private exponent');
      const iqmp = r.mpint('RSA CRT coefficient');
      const p = r.mpint('RSA prime p');
      const q = r.mpint('RSA prime q');
      key = { type, publicBlob: wireStrings(type, mpintBody(e), mpintBody(n)), key: rsaPrivateKey({ n, e, d, p, q, iqmp }) };
    } else {
      throw new WireError('private key type is not ssh-ed25519 or ssh-rsa');
    }
    r.string('comment');
    // The padding is the bytes 1, 2, 3, ...; anything else is a corrupted (or wrongly decrypted) section.
    const padding = r.bytes(r.remaining, 'padding');
    for (let i = 0; i < padding.length; i++) if (padding[i] !== i + 1) throw new WireError('bad padding');
    if (!Buffer.from(key.publicBlob).equals(publicBlob)) throw new WireError('the private key does not match the public key in the same file');
    return key;
  } catch (err) {
    if (err instanceof WireError) throw invalid(source, err.message);
    throw err;
  }
}

function toBigInt(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b).toString('hex'));
}

function fromBigInt(v: bigint): Uint8Array {
  let hex = v.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex');
}

/** node:crypto takes RSA private keys as JWK; OpenSSH omits the CRT exponents, derived here (RFC 8017 §3.2). */
function rsaPrivateKey(c: { n: Uint8Array; e: Uint8Array; d: Uint8Array; p: Uint8Array; q: Uint8Array; iqmp: Uint8Array }): KeyObject {
  const d = toBigInt(c.d);
  const p = toBigInt(c.p);
  const q = toBigInt(c.q);
  if (p < 3n || q < 3n || p * q !== toBigInt(c.n)) throw new WireError('RSA primes do not match the modulus');
  const jwk = {
    kty: 'RSA',
    n: base64url(c.n),
    e: base64url(c.e),
    d: base64url(c.d),
    p: base64url(c.p),
    q: base64url(c.q),
    dp: base64url(fromBigInt(d % (p - 1n))),
    dq: base64url(fromBigInt(d % (q - 1n))),
    qi: base64url(c.iqmp),
  };
  try {
    return createPrivateKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new WireError('RSA key components are inconsistent');
  }
}

/**
 * PEM keys: node:crypto parses and decrypts them. Encrypted PEM has no clear public part, so `type` and
 * `publicBlob` stay null until `open` is given the passphrase.
 */
function parsePem(text: string, label: string, source: string): SshKeyFile {
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || /^Proc-Type:\s*4,ENCRYPTED/m.test(text);
  const open = (passphrase: string | undefined): SshPrivateKey => {
    let key: KeyObject;
    try {
      key = createPrivateKey(encrypted ? { key: text, format: 'pem', passphrase: passphrase ?? '' } : { key: text, format: 'pem' });
    } catch {
      if (encrypted) throw wrongPassphrase(source);
      throw invalid(source, 'the PEM block does not parse');
    }
    return fromKeyObject(key, source);
  };
  if (encrypted) return { type: null, publicBlob: null, encrypted, open };
  const key = open(undefined);
  return { type: key.type, publicBlob: key.publicBlob, encrypted, open: () => key };
}

function fromKeyObject(key: KeyObject, source: string): SshPrivateKey {
  if (key.asymmetricKeyType === 'ed25519') {
    const jwk = key.export({ format: 'jwk' });
    const seed = Buffer.from(jwk.d ?? '', 'base64url');
    const pub = Buffer.from(jwk.x ?? '', 'base64url');
    if (seed.length !== 32 || pub.length !== 32) throw invalid(source, 'malformed Ed25519 key');
    return { type: 'ssh-ed25519', publicBlob: wireStrings('ssh-ed25519', pub), publicKey: pub, seed };
  }
  if (key.asymmetricKeyType === 'rsa') {
    const jwk = createPublicKey(key).export({ format: 'jwk' });
    const n = Buffer.from(jwk.n ?? '', 'base64url');
    const e = Buffer.from(jwk.e ?? '', 'base64url');
    return { type: 'ssh-rsa', publicBlob: wireStrings('ssh-rsa', mpintBody(e), mpintBody(n)), key };
  }
  throw invalid(source, `unsupported key type, ${SUPPORTED_HINT}`);
}
