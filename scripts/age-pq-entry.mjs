// The entry of dist/age-pq.mjs: the primitives dist/age.mjs leaves out (scripts/age-entry.mjs says why),
// under the names age-encryption's recipients.js imports them by.
export { MLKEM768X25519, MLKEM768P256 } from '@noble/post-quantum/hybrid.js';
export { p256 } from '@noble/curves/nist.js';
export { scrypt } from '@noble/hashes/scrypt.js';
