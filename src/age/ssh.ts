/**
 * age's `ssh-ed25519` and `ssh-rsa` recipient types, as custom Recipient / Identity objects for the
 * `age-encryption` library, which has only the native types.
 *
 * Source of the format: the age v1 specification (age-encryption.org/v1, its "ssh-rsa" and
 * "ssh-ed25519" recipient types) and its reference implementation, the Go package filippo.io/age/agessh,
 * which the age CLI uses; the shared conventions (unpadded base64, HKDF-SHA-256, ChaCha20-Poly1305 with a
 * zero nonce, 16-byte file key) are those of c2sp.org/age. In short:
 *
 *   tag        = base64(SHA-256(SSH wire-format public key)[:4])
 *   ssh-rsa    stanza `-> ssh-rsa tag`, body = RSA-OAEP-SHA-256(file key, label "age-encryption.org/v1/ssh-rsa")
 *   ssh-ed25519 stanza `-> ssh-ed25519 tag base64(ephemeral share)`, where
 *     pk       = the Ed25519 key mapped to Curve25519 (u = (1 + y) / (1 - y))
 *     tweak    = HKDF-SHA-256(ikm = "", salt = SSH wire-format public key, info = "age-encryption.org/v1/ssh-ed25519")
 *     shared   = X25519(tweak, X25519(ephemeral secret, pk))
 *     wrap key = HKDF-SHA-256(ikm = shared, salt = ephemeral share || pk, info = "age-encryption.org/v1/ssh-ed25519")
 *     body     = ChaCha20-Poly1305(wrap key, nonce = 12 zero bytes, file key)
 *   The identity's Curve25519 scalar is SHA-512(Ed25519 seed)[:32], as Ed25519 itself derives it.
 *
 * Every primitive comes from a library: X25519 and the Edwards-to-Montgomery map from noble's curves;
 * HKDF, SHA-256 and ChaCha20-Poly1305 from where age-encryption takes them (node:crypto in dist/age-open.cjs,
 * noble in the package); RSA-OAEP from node:crypto. They are imported inside the functions that use them,
 * so that loading this module costs nothing until a key is used, even when a bundler inlines it.
 *
 * Nothing here puts key material into an error: messages name the kind of key and what was wrong.
 */
import { createHash, createPublicKey, privateDecrypt, publicEncrypt, constants, type KeyObject } from 'node:crypto';
import type { Identity, Recipient, Stanza } from 'age-encryption';
import { InvalidRecipient, MalformedAgeFile, PassphraseRequired } from '../errors.js';
import { KNOWN_UNSUPPORTED_TYPES, SUPPORTED_HINT, canonicalPublicBlob, parseSshKeyFile, type SshKeyType, type SshPrivateKey } from './ssh-keyfile.js';
import { WireError, base64url, decodePaddedBase64, decodeRawBase64, encodeRawBase64 } from './ssh-wire.js';

// Labels from the age v1 spec's ssh-ed25519 and ssh-rsa sections (also agessh's ed25519Label / oaepLabel).
const ED25519_LABEL = new TextEncoder().encode('age-encryption.org/v1/ssh-ed25519');
const RSA_OAEP_LABEL = Buffer.from('age-encryption.org/v1/ssh-rsa', 'latin1');
// c2sp.org/age: the file key is 16 bytes; an X25519-style body is the key plus the 16-byte Poly1305 tag.
const FILE_KEY_SIZE = 16;
const ED25519_BODY_SIZE = 32;
// RSA keys below 2048 bits are not safe to encrypt to; above 16384 bits only slow every operation down.
const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 16384;

/** What both SSH recipients and identities tell about their key; all of it is public. */
export interface SshKeyInfo {
  readonly type: SshKeyType;
  /** age's stanza tag: unpadded base64 of the first 4 bytes of SHA-256 of the wire-format public key. */
  readonly tag: string;
  /** `SHA256:` and the unpadded base64 SHA-256 of the wire-format public key, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
  /** The public key as an authorized_keys line without comment, e.g. `ssh-ed25519 AAAAC3...`. */
  readonly publicKey: string;
}

export interface SshRecipient extends Recipient, SshKeyInfo {}

export interface SshIdentity extends Identity, SshKeyInfo {
  /** True for a passphrase-protected key; the passphrase is asked for only when a stanza carries this key's tag. */
  readonly encrypted: boolean;
  /** Decrypts a protected key now (asking for the passphrase); a no-op for plain keys. */
  unlock(): Promise<void>;
}

export interface SshIdentityOptions {
  /** Called at most once on success, when a protected key is first needed; may throw (no terminal). */
  passphrase?: () => Promise<string>;
  /** How to name the key in errors, e.g. its path. Defaults to "the SSH private key". */
  source?: string;
}

/** age-encryption's writing half (dist/age.cjs when built), for the Stanza class of what a recipient writes. */
const writerLib = async () => (await import('./lib.js')).ageLib();

type Noble = Awaited<ReturnType<typeof loadNoble>>;
let noble: Promise<Noble> | undefined;

/** The primitives dist/age-open.cjs gives out, its own copies (scripts/age-open-entry.mjs; the curves load from a file of their own). */
interface BundledPrimitives {
  x25519: typeof import('@noble/curves/ed25519.js').x25519;
  ed25519: typeof import('@noble/curves/ed25519.js').ed25519;
  hkdf: typeof import('@noble/hashes/hkdf.js').hkdf;
  sha256: typeof import('@noble/hashes/sha2.js').sha256;
  chacha20poly1305: typeof import('@noble/ciphers/chacha.js').chacha20poly1305;
}

/**
 * The noble primitives from the bundle that opens rings (dist/age-open.cjs when built), the copies age
 * itself uses there, else from the packages. Not from dist/age.cjs, the writer's: opening a ring with an
 * SSH key loads only the reading half of age; the Stanza class a recipient writes comes from the writer's
 * half, when one is written (wrapFileKey).
 */
async function loadNoble() {
  const { ageOpenLib } = await import('./lib.js');
  const age = (await ageOpenLib()) as Awaited<ReturnType<typeof ageOpenLib>> & { sshPrimitives?: () => Promise<BundledPrimitives> };
  const p: BundledPrimitives = age.sshPrimitives
    ? await age.sshPrimitives()
    : await Promise.all([import('@noble/curves/ed25519.js'), import('@noble/hashes/hkdf.js'), import('@noble/hashes/sha2.js'), import('@noble/ciphers/chacha.js')]).then(
        ([curves, hkdf, sha2, chacha]) => ({ x25519: curves.x25519, ed25519: curves.ed25519, hkdf: hkdf.hkdf, sha256: sha2.sha256, chacha20poly1305: chacha.chacha20poly1305 }),
      );
  return {
    x25519: p.x25519,
    ed25519: p.ed25519,
    hkdf32: (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array) => p.hkdf(p.sha256, ikm, salt, info, 32),
    chacha20poly1305: p.chacha20poly1305,
  };
}

function deps(): Promise<Noble> {
  return (noble ??= loadNoble());
}

function keyInfo(type: SshKeyType, blob: Uint8Array): SshKeyInfo {
  const digest = createHash('sha256').update(blob).digest();
  return {
    type,
    tag: encodeRawBase64(digest.subarray(0, 4)),
    fingerprint: `SHA256:${encodeRawBase64(digest)}`,
    publicKey: `${type} ${Buffer.from(blob).toString('base64')}`,
  };
}

function rsaPublicKey(e: Uint8Array, n: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'RSA', n: base64url(n), e: base64url(e) }, format: 'jwk' });
}

function rsaBits(n: Uint8Array): number {
  return n.length === 0 ? 0 : (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
}

function malformedRecipient(what: string): InvalidRecipient {
  return new InvalidRecipient(`malformed SSH recipient: ${what}`, {
    hint: 'pass the one-line public key from a .pub file, like "ssh-ed25519 AAAA... comment" (ssh-ed25519 or ssh-rsa)',
  });
}

/**
 * Parses an OpenSSH public key line, `ssh-ed25519 AAAA... comment` or `ssh-rsa AAAA... comment` (the
 * format of `.pub` files and authorized_keys entries without options), into an age recipient.
 * Throws InvalidRecipient (ERR_INVALID_RECIPIENT) for other key types (ssh-dss, ecdsa, security keys,
 * certificates), truncated or corrupted base64, key data of another type than the line says, or RSA keys
 * outside 2048 to 16384 bits. The message never repeats the input.
 */
export function parseSshRecipient(line: string): SshRecipient {
  const fields = line.trim().split(/\s+/);
  const type = fields[0] ?? '';
  if (type.startsWith('-----BEGIN')) throw malformedRecipient(`this is a private key, ${SUPPORTED_HINT} public key (the .pub file)`);
  if (type !== 'ssh-ed25519' && type !== 'ssh-rsa') {
    // Known type names are safe to repeat; anything else might be a pasted secret.
    if (KNOWN_UNSUPPORTED_TYPES.has(type)) throw malformedRecipient(`unsupported key type ${type}, ${SUPPORTED_HINT}`);
    throw malformedRecipient(`not an SSH public key, ${SUPPORTED_HINT}`);
  }
  if (fields.length < 2 || fields[1] === '') throw malformedRecipient(`${type} key data is missing`);
  let parsed: ReturnType<typeof canonicalPublicBlob>;
  try {
    parsed = canonicalPublicBlob(decodePaddedBase64(fields[1]!, `${type} key data`), type);
  } catch (err) {
    if (err instanceof WireError) throw malformedRecipient(`${err.message}, expected a ${type} public key`);
    throw err;
  }
  const info = keyInfo(type, parsed.blob);
  if (parsed.ed25519 !== undefined) return new Ed25519Recipient(info, parsed.blob, parsed.ed25519);
  const { e, n } = parsed.rsa!;
  const bits = rsaBits(n);
  if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) throw malformedRecipient(`ssh-rsa key of ${bits} bits; ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits are supported`);
  let key: KeyObject;
  try {
    key = rsaPublicKey(e, n);
  } catch {
    throw malformedRecipient('the ssh-rsa key data is not a valid RSA public key');
  }
  return new RsaRecipient(info, key);
}

/**
 * `SHA256:...` fingerprint as `ssh-keygen -l` prints it, of a public key line or of a parsed recipient or
 * identity. Throws InvalidRecipient for a malformed line.
 */
export function sshFingerprint(key: string | { fingerprint: string }): string {
  return typeof key === 'string' ? parseSshRecipient(key).fingerprint : key.fingerprint;
}

class RsaRecipient implements SshRecipient {
  readonly type = 'ssh-rsa' as const;
  readonly tag: string;
  readonly fingerprint: string;
  readonly publicKey: string;
  constructor(
    info: SshKeyInfo,
    private readonly key: KeyObject,
  ) {
    ({ tag: this.tag, fingerprint: this.fingerprint, publicKey: this.publicKey } = info);
  }

  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    // RSA needs none of the noble primitives: only the library's Stanza class.
    const { Stanza } = await writerLib();
    const body = publicEncrypt({ key: this.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: RSA_OAEP_LABEL }, fileKey);
    return [new Stanza(['ssh-rsa', this.tag], body)];
  }
}

class Ed25519Recipient implements SshRecipient {
  readonly type = 'ssh-ed25519' as const;
  readonly tag: string;
  readonly fingerprint: string;
  readonly publicKey: string;
  constructor(
    info: SshKeyInfo,
    private readonly blob: Uint8Array,
    private readonly edPublicKey: Uint8Array,
  ) {
    ({ tag: this.tag, fingerprint: this.fingerprint, publicKey: this.publicKey } = info);
  }

  async wrapFileKey(fileKey: Uint8Array): Promise<Stanza[]> {
    const n = await deps();
    let theirKey: Uint8Array;
    try {
      theirKey = n.ed25519.utils.toMontgomery(this.edPublicKey);
    } catch {
      throw malformedRecipient(`the ssh-ed25519 key ${this.fingerprint} is not a valid Ed25519 point`);
    }
    const ephemeral = n.x25519.utils.randomSecretKey();
    const share = n.x25519.getPublicKey(ephemeral);
    const shared = n.x25519.scalarMult(n.hkdf32(new Uint8Array(0), this.blob, ED25519_LABEL), n.x25519.scalarMult(ephemeral, theirKey));
    const wrapKey = n.hkdf32(shared, concat(share, theirKey), ED25519_LABEL);
    const body = n.chacha20poly1305(wrapKey, new Uint8Array(12)).encrypt(fileKey);
    ephemeral.fill(0);
    shared.fill(0);
    wrapKey.fill(0);
    const { Stanza } = await writerLib();
    return [new Stanza(['ssh-ed25519', this.tag, encodeRawBase64(share)], body)];
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * An age identity from an SSH private key file's text: OpenSSH format (ed25519 or rsa; plain, or
 * protected with bcrypt-pbkdf and aes*-ctr, aes*-cbc, aes*-gcm@openssh.com or
 * chacha20-poly1305@openssh.com) or PEM (PKCS#1 "RSA PRIVATE KEY", PKCS#8, plain or encrypted).
 *
 * For a protected OpenSSH key, `opts.passphrase` is called only when a file has a stanza with this key's
 * tag (the public key is readable without it, as age does), and its result is kept once it opens the
 * key. Encrypted PEM has no readable public key, so it asks here.
 *
 * Throws InvalidIdentity for an unreadable or unsupported key, WrongPassphrase for a passphrase that does
 * not open it (here for PEM; from `unwrapFileKey` / `unlock` for OpenSSH), PassphraseRequired when a
 * passphrase is needed and `opts.passphrase` is absent, or what `opts.passphrase` throws.
 */
export async function sshIdentityFromFile(text: string, opts: SshIdentityOptions = {}): Promise<SshIdentity> {
  const source = opts.source ?? 'the SSH private key';
  const file = parseSshKeyFile(text, source);
  const ask = async (): Promise<string> => {
    if (opts.passphrase === undefined) {
      throw new PassphraseRequired(`${source} is protected by a passphrase and there is no way to ask for it`, {
        hint: 'run on a terminal, or use an identity without a passphrase (`fcfg identity new`)',
      });
    }
    return opts.passphrase();
  };
  if (file.publicBlob === null || file.type === null) {
    const key = await file.open(await ask());
    return new SshKeyIdentity(key.type, key.publicBlob, true, async () => key, source);
  }
  let opened: SshPrivateKey | undefined;
  const open = async (): Promise<SshPrivateKey> => (opened ??= await file.open(file.encrypted ? await ask() : undefined));
  return new SshKeyIdentity(file.type, file.publicBlob, file.encrypted, open, source);
}

class SshKeyIdentity implements SshIdentity {
  readonly tag: string;
  readonly fingerprint: string;
  readonly publicKey: string;
  constructor(
    readonly type: SshKeyType,
    blob: Uint8Array,
    readonly encrypted: boolean,
    private readonly open: () => Promise<SshPrivateKey>,
    private readonly source: string,
  ) {
    ({ tag: this.tag, fingerprint: this.fingerprint, publicKey: this.publicKey } = keyInfo(type, blob));
  }

  async unlock(): Promise<void> {
    await this.open();
  }

  /**
   * The file key from the first stanza addressed to this key, or null when none is. A stanza of our type
   * with the wrong number of arguments, or one with our tag that does not decrypt, is an error, as the
   * age identity contract (and agessh) has it: it is addressed to us and broken.
   */
  async unwrapFileKey(stanzas: Stanza[]): Promise<Uint8Array | null> {
    for (const stanza of stanzas) {
      if (stanza.args[0] !== this.type) continue;
      if (this.type === 'ssh-rsa') {
        if (stanza.args.length !== 2) throw this.malformed();
        if (stanza.args[1] !== this.tag) continue;
        const key = await this.open();
        if (key.type !== 'ssh-rsa') throw this.malformed();
        return this.unwrapRsa(key.key, stanza.body);
      }
      if (stanza.args.length !== 3) throw this.malformed();
      const share = decodeRawBase64(stanza.args[2]!);
      if (share === null || share.length !== 32) throw this.malformed();
      if (stanza.args[1] !== this.tag) continue;
      // c2sp.org/age: check the body length before decrypting, against partitioning oracles.
      if (stanza.body.length !== ED25519_BODY_SIZE) throw this.malformed();
      const key = await this.open();
      if (key.type !== 'ssh-ed25519') throw this.malformed();
      return this.unwrapEd25519(key, share, stanza.body);
    }
    return null;
  }

  private unwrapRsa(key: KeyObject, body: Uint8Array): Uint8Array {
    let fileKey: Uint8Array;
    try {
      fileKey = privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: RSA_OAEP_LABEL }, body);
    } catch {
      throw this.undecryptable();
    }
    if (fileKey.length !== FILE_KEY_SIZE) throw this.undecryptable();
    return fileKey;
  }

  private async unwrapEd25519(key: Extract<SshPrivateKey, { type: 'ssh-ed25519' }>, share: Uint8Array, body: Uint8Array): Promise<Uint8Array> {
    const n = await deps();
    const secret = n.ed25519.utils.toMontgomerySecret(key.seed);
    const ourKey = n.ed25519.utils.toMontgomery(key.publicKey);
    let shared: Uint8Array;
    try {
      shared = n.x25519.scalarMult(n.hkdf32(new Uint8Array(0), key.publicBlob, ED25519_LABEL), n.x25519.scalarMult(secret, share));
    } catch {
      // A low-order ephemeral share gives an all-zero secret, which c2sp.org/age says to refuse.
      throw this.malformed();
    } finally {
      secret.fill(0);
    }
    const wrapKey = n.hkdf32(shared, concat(share, ourKey), ED25519_LABEL);
    shared.fill(0);
    try {
      return n.chacha20poly1305(wrapKey, new Uint8Array(12)).decrypt(body);
    } catch {
      throw this.undecryptable();
    } finally {
      wrapKey.fill(0);
    }
  }

  private malformed(): MalformedAgeFile {
    return new MalformedAgeFile(`the age file has a malformed ${this.type} stanza`, { hint: 'the file is corrupted; restore it from version control' });
  }

  private undecryptable(): MalformedAgeFile {
    return new MalformedAgeFile(`the ${this.type} stanza addressed to ${this.source} (${this.fingerprint}) does not decrypt`, {
      hint: 'the file is corrupted, or was made for another key with the same short tag',
    });
  }
}
