// Stands in, inside dist/age.cjs only (scripts/bundle-age.mjs), for the noble modules age-encryption
// imports its symmetric primitives from: SHA-256, HMAC, HKDF, ChaCha20-Poly1305 and random bytes, with
// the same call shapes, from node:crypto. noble's are pure JavaScript: evaluating sha2.js builds its
// SHA-512 tables at import, and the few hashes and AEAD calls of opening a ring run cold in the
// interpreter, several milliseconds in all (bench/age.mjs); node's are OpenSSL's. Only SHA-256 is offered,
// the one hash age uses: any other hash argument throws rather than being silently replaced.
//
// HKDF-Extract and HKDF-Expand on their own (node:crypto has only both together) are used by age's HPKE
// code, that is by post-quantum and tag recipients only: they come from noble in dist/age-pq.cjs, which
// age-entry.mjs loads before any of those runs.
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes as nodeRandomBytes } from 'node:crypto';
import { hkdfExpand, hkdfExtract } from '#age-pq';

// A copy in a Uint8Array of its own: callers zero their buffers, and a Buffer may be a view into a pool.
const own = (b) => new Uint8Array(b);
const EMPTY = new Uint8Array(0);
const TAG_SIZE = 16;

/** SHA-256 as noble's hash objects are used here: called on a message, passed to hmac/hkdf. */
export const sha256 = Object.assign((message) => own(createHash('sha256').update(message).digest()), { outputLen: 32, blockLen: 64 });

function sha256Only(hash) {
  if (hash !== sha256) throw new Error('only SHA-256 is available in this bundle');
}

export function hmac(hash, key, message) {
  sha256Only(hash);
  return own(createHmac('sha256', key).update(message).digest());
}

/** RFC 5869; noble's missing salt is HashLen zero bytes, the same HMAC key as an empty one. */
export function hkdf(hash, ikm, salt, info, length) {
  sha256Only(hash);
  return new Uint8Array(hkdfSync('sha256', ikm, salt ?? EMPTY, info ?? EMPTY, length));
}

export function extract(hash, ikm, salt) {
  sha256Only(hash);
  return hkdfExtract(ikm, salt);
}

export function expand(hash, prk, info, length) {
  sha256Only(hash);
  return hkdfExpand(prk, info, length);
}

export function randomBytes(length = 32) {
  return own(nodeRandomBytes(length));
}

/** RFC 8439 AEAD as noble's chacha20poly1305(key, nonce): encrypt gives ciphertext || tag, decrypt checks the tag first. */
export function chacha20poly1305(key, nonce) {
  return {
    encrypt(plaintext) {
      const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
      return own(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
    },
    decrypt(ciphertext) {
      if (ciphertext.length < TAG_SIZE) throw new Error('invalid ciphertext: shorter than the tag');
      const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
      decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_SIZE));
      const head = decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_SIZE));
      try {
        // final() verifies the tag; nothing decrypted leaves before it has.
        return own(Buffer.concat([head, decipher.final()]));
      } finally {
        head.fill(0);
      }
    },
  };
}
