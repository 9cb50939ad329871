// The entry of dist/age.cjs (scripts/bundle-age.mjs): age-encryption's own Encrypter and Decrypter, with
// the post-quantum (ML-KEM hybrid), P-256 (tag recipients) and scrypt (passphrase) primitives left out and
// loaded from dist/age-pq.cjs only when a recipient, identity or passphrase needs them. Compiling and
// evaluating those (ML-KEM and P-256 precompute tables at import) was most of the cost of loading age for
// an X25519 or SSH ring, which needs none of them. X25519, SHA-256, HMAC, HKDF and ChaCha20-Poly1305 come
// from node:crypto (scripts/age-x25519-node.mjs, scripts/age-node-primitives.mjs); everything of the
// age format itself (header, stanzas, STREAM, bech32 and the recipient types) is age-encryption's code.
//
// The bundle script resolves the three imports in age-encryption's recipients.js to `#age-pq`, a module
// of live bindings that fillPrimitives() sets. `require` is CommonJS's: the bundle is CommonJS. age-encryption calls them only inside its async paths
// (wrapFileKey, unwrapFileKey, identityToRecipient), so the subclasses below load them at the start of
// those: before encrypting, decrypting and converting an identity, whenever one of the library's own
// recipient or identity objects that use them is involved.
import { Decrypter as AgeDecrypter, Encrypter as AgeEncrypter, identityToRecipient as ageIdentityToRecipient } from 'age-encryption';
import { fillPrimitives, filled } from '#age-pq';
import { HybridIdentity, HybridRecipient, HybridTagRecipient, ScryptIdentity, ScryptRecipient, TagRecipient } from '#age/recipients.js';

// Resolved, like age's own imports of them, to scripts/age-node-primitives.mjs.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

export { Stanza, armor, generateHybridIdentity, generateIdentity, generateX25519Identity } from 'age-encryption';

/**
 * The primitives src/age/ssh.ts builds the ssh-ed25519 type from, the copies age itself uses. noble's
 * Edwards and Montgomery curves (a third of this bundle to compile) are in dist/age-ed25519.cjs: X25519
 * goes through node:crypto here (scripts/age-x25519-node.mjs), so only ssh-ed25519 needs them.
 */
export async function sshPrimitives() {
  const { x25519, ed25519 } = require('./age-ed25519.cjs');
  return { x25519, ed25519, hkdf, sha256, chacha20poly1305 };
}

const HEAVY = [HybridIdentity, HybridRecipient, HybridTagRecipient, ScryptIdentity, ScryptRecipient, TagRecipient];
const heavy = (x) => HEAVY.some((c) => x instanceof c);

/** Loads dist/age-pq.cjs once and sets the primitives it holds; later calls return at once. */
export async function loadPostQuantum() {
  if (!filled()) fillPrimitives(require('./age-pq.cjs'));
}

// The bundle's streams are in-memory ones (scripts/age-web-streams.mjs): a stream from outside would be
// taken for bytes and fail deep inside, so only bytes (and text to encrypt) are accepted, by name.
function inMemory(file, what) {
  if (!(file instanceof Uint8Array) && typeof file !== 'string') throw new TypeError(`dist/age.cjs ${what} bytes held in memory: pass a Uint8Array, not a stream`);
}

export class Encrypter extends AgeEncrypter {
  async encrypt(file) {
    inMemory(file, 'encrypts');
    if (this.passphrase !== null || this.recipients.some(heavy)) await loadPostQuantum();
    return super.encrypt(file);
  }
}

export class Decrypter extends AgeDecrypter {
  async decrypt(file, outputFormat) {
    inMemory(file, 'decrypts');
    if (this.identities.some(heavy)) await loadPostQuantum();
    return super.decrypt(file, outputFormat);
  }

  async decryptHeader(header) {
    inMemory(header, 'decrypts');
    if (this.identities.some(heavy)) await loadPostQuantum();
    return super.decryptHeader(header);
  }
}

export async function identityToRecipient(identity) {
  if (typeof identity === 'string' && identity.startsWith('AGE-SECRET-KEY-PQ-1')) await loadPostQuantum();
  return ageIdentityToRecipient(identity);
}
