// The entry of dist/age.mjs (scripts/bundle-age.mjs): age-encryption's own Encrypter and Decrypter, with
// the post-quantum (ML-KEM hybrid), P-256 (tag recipients) and scrypt (passphrase) primitives left out and
// loaded from dist/age-pq.mjs only when a recipient, identity or passphrase needs them. Compiling and
// evaluating those (ML-KEM and P-256 precompute tables at import) was most of the cost of opening an
// X25519 or SSH ring, which needs none of them.
//
// The bundle script resolves the three imports in age-encryption's recipients.js to `#age-pq`, a module
// of live bindings that fillPrimitives() sets. age-encryption calls them only inside its async paths
// (wrapFileKey, unwrapFileKey, identityToRecipient), so the subclasses below load them at the start of
// those: before encrypting, decrypting and converting an identity, whenever one of the library's own
// recipient or identity objects that use them is involved.
import { Decrypter as AgeDecrypter, Encrypter as AgeEncrypter, identityToRecipient as ageIdentityToRecipient } from 'age-encryption';
import { fillPrimitives, filled } from '#age-pq';
import { HybridIdentity, HybridRecipient, HybridTagRecipient, ScryptIdentity, ScryptRecipient, TagRecipient } from '#age/recipients.js';

export { Stanza, armor, generateHybridIdentity, generateIdentity, generateX25519Identity } from 'age-encryption';
// The primitives src/age/ssh.ts builds the SSH recipient types from, the copies age itself uses.
export { x25519, ed25519 } from '@noble/curves/ed25519.js';
export { hkdf } from '@noble/hashes/hkdf.js';
export { sha256 } from '@noble/hashes/sha2.js';
export { chacha20poly1305 } from '@noble/ciphers/chacha.js';

const HEAVY = [HybridIdentity, HybridRecipient, HybridTagRecipient, ScryptIdentity, ScryptRecipient, TagRecipient];
const heavy = (x) => HEAVY.some((c) => x instanceof c);

let loading;
/** Loads dist/age-pq.mjs once; true when it is loaded (the primitives are then set). */
export async function loadPostQuantum() {
  if (!filled()) await (loading ??= import('./age-pq.mjs').then(fillPrimitives));
}

export class Encrypter extends AgeEncrypter {
  async encrypt(file) {
    if (this.passphrase !== null || this.recipients.some(heavy)) await loadPostQuantum();
    return super.encrypt(file);
  }
}

export class Decrypter extends AgeDecrypter {
  async decrypt(file, outputFormat) {
    if (this.identities.some(heavy)) await loadPostQuantum();
    return super.decrypt(file, outputFormat);
  }

  async decryptHeader(header) {
    if (this.identities.some(heavy)) await loadPostQuantum();
    return super.decryptHeader(header);
  }
}

export async function identityToRecipient(identity) {
  if (typeof identity === 'string' && identity.startsWith('AGE-SECRET-KEY-PQ-1')) await loadPostQuantum();
  return ageIdentityToRecipient(identity);
}
