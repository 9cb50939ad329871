// The entry of dist/age-open.cjs (scripts/bundle-age.mjs): what opening a `.age` key ring needs of
// age-encryption, and no more: its Decrypter, identityToRecipient (for the messages that name your public
// key) and the primitives of the ssh-ed25519 type. Writing a ring (Encrypter, armor, new identities) is in
// dist/age.cjs, whose entry (scripts/age-entry.mjs) re-exports these. Every `fcfg get` and loadConfig()
// through a ring loads this file, and what it costs to read, compile and evaluate counts in the start-up
// target of issue 13 (bench/age.mjs): the writer's half was a third of it, and it was the allocations
// of evaluating it that took an X25519 get past the young generation's first scavenge.
//
// Post-quantum (ML-KEM hybrid) and scrypt (passphrase) primitives are left out, as in dist/age.cjs, and
// loaded from dist/age-pq.cjs only when an identity needs them (scripts/age-entry.mjs says how: the bundle
// script resolves the imports of age-encryption's recipients.js to `#age-pq`, live bindings that
// fillPrimitives() sets). `require` is CommonJS's: the bundle is CommonJS.
import { Decrypter as AgeDecrypter, identityToRecipient as ageIdentityToRecipient } from 'age-encryption';
import { fillPrimitives, filled } from '#age-pq';
import { HybridIdentity, ScryptIdentity } from '#age/recipients.js';
import { inMemory } from './age-in-memory.mjs';
import { requireOwn } from './age-own-files.mjs';

// Resolved, like age's own imports of them, to scripts/age-node-primitives.mjs.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';

/**
 * The primitives src/age/ssh.ts builds the ssh-ed25519 type from, the copies age itself uses. noble's
 * Edwards and Montgomery curves are in dist/age-ed25519.cjs: X25519 goes through node:crypto here
 * (scripts/age-x25519-node.mjs), so only ssh-ed25519 needs them.
 */
export async function sshPrimitives() {
  const { x25519, ed25519 } = requireOwn('./age-ed25519.cjs', ['x25519', 'ed25519']);
  return { x25519, ed25519, hkdf, sha256, chacha20poly1305 };
}

/** Loads dist/age-pq.cjs once and sets the primitives it holds; later calls return at once. */
export async function loadPostQuantum() {
  if (!filled()) fillPrimitives(requireOwn('./age-pq.cjs', ['MLKEM768X25519', 'MLKEM768P256', 'p256', 'scrypt', 'hkdfExtract', 'hkdfExpand']));
}

// The identity types that use what dist/age-pq.cjs holds: a post-quantum identity, a passphrase.
const HEAVY_IDENTITIES = [HybridIdentity, ScryptIdentity];
const needsPostQuantum = (x) => HEAVY_IDENTITIES.some((c) => x instanceof c);

export class Decrypter extends AgeDecrypter {
  async decrypt(file, outputFormat) {
    inMemory(file, 'decrypts');
    if (this.identities.some(needsPostQuantum)) await loadPostQuantum();
    return super.decrypt(file, outputFormat);
  }

  async decryptHeader(header) {
    inMemory(header, 'decrypts');
    if (this.identities.some(needsPostQuantum)) await loadPostQuantum();
    return super.decryptHeader(header);
  }
}

export async function identityToRecipient(identity) {
  if (typeof identity === 'string' && identity.startsWith('AGE-SECRET-KEY-PQ-1')) await loadPostQuantum();
  return ageIdentityToRecipient(identity);
}
