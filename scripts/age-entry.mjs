// The entry of dist/age.cjs (scripts/bundle-age.mjs): age-encryption's own Encrypter and Decrypter, with
// the post-quantum (ML-KEM hybrid), P-256 (tag recipients) and scrypt (passphrase) primitives left out and
// loaded from dist/age-pq.cjs only when a recipient, identity or passphrase needs them. Compiling and
// evaluating those (ML-KEM and P-256 precompute tables at import) was most of the cost of loading age for
// an X25519 or SSH ring, which needs none of them. X25519, SHA-256, HMAC, HKDF and ChaCha20-Poly1305 come
// from node:crypto (scripts/age-x25519-node.mjs, scripts/age-node-primitives.mjs); everything of the
// age format itself (header, stanzas, STREAM, bech32 and the recipient types) is age-encryption's code.
//
// This is the file that writes rings. Opening one loads dist/age-open.cjs instead, the reading half
// (scripts/age-open-entry.mjs), which this entry re-exports so that a writer has both in one file.
//
// The bundle script resolves the three imports in age-encryption's recipients.js to `#age-pq`, a module
// of live bindings that fillPrimitives() sets. age-encryption calls them only inside its async paths
// (wrapFileKey, unwrapFileKey, identityToRecipient), so the subclasses load them at the start of those:
// before encrypting, decrypting and converting an identity, whenever one of the library's own recipient
// or identity objects that use them is involved.
import { Encrypter as AgeEncrypter } from 'age-encryption';
import { HybridRecipient, HybridTagRecipient, ScryptRecipient, TagRecipient } from '#age/recipients.js';
import { inMemory } from './age-in-memory.mjs';
import { loadPostQuantum } from './age-open-entry.mjs';

export { Stanza, armor, generateHybridIdentity, generateIdentity, generateX25519Identity } from 'age-encryption';
export { Decrypter, identityToRecipient, loadPostQuantum, sshPrimitives } from './age-open-entry.mjs';

// The recipient types that use what dist/age-pq.cjs holds (a passphrase is this.passphrase).
const HEAVY_RECIPIENTS = [HybridRecipient, HybridTagRecipient, ScryptRecipient, TagRecipient];

export class Encrypter extends AgeEncrypter {
  async encrypt(file) {
    inMemory(file, 'encrypts');
    if (this.passphrase !== null || this.recipients.some((r) => HEAVY_RECIPIENTS.some((c) => r instanceof c))) await loadPostQuantum();
    return super.encrypt(file);
  }
}
