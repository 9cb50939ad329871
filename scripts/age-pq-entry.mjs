// The entry of dist/age-pq.cjs: the primitives dist/age.cjs leaves out (scripts/age-entry.mjs says why),
// under the names age-encryption's recipients.js imports them by.
export { MLKEM768X25519, MLKEM768P256 } from '@noble/post-quantum/hybrid.js';
export { p256 } from '@noble/curves/nist.js';
export { scrypt } from '@noble/hashes/scrypt.js';
// HKDF's two halves on their own, for age's HPKE (scripts/age-node-primitives.mjs says why from here).
import { expand, extract } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
export const hkdfExtract = (ikm, salt) => extract(sha256, ikm, salt);
export const hkdfExpand = (prk, info, length) => expand(sha256, prk, info, length);
