// Stands in for age-encryption's x25519.js in dist/age.cjs (scripts/bundle-age.mjs): the same two
// functions, with X25519 from node:crypto. The library's own module reaches node's X25519 through
// WebCrypto (globalThis.crypto.subtle), and the first use of WebCrypto in a process loads and compiles
// its implementation, the largest single cost of opening an X25519 ring (bench/age.mjs). KeyObjects give
// the same RFC 7748 function without it, and without the library's fallback to noble's X25519, which
// Node never needs. A CryptoKey (the library accepts one as an identity) becomes a KeyObject.
import { KeyObject, createPrivateKey, createPublicKey, diffieHellman, timingSafeEqual } from 'node:crypto';

// RFC 8410 DER prefixes of an X25519 private key (PKCS #8) and public key (SubjectPublicKeyInfo), each
// followed by the 32 raw bytes: node:crypto, like WebCrypto, imports raw X25519 keys only in these forms.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

// An identity computes its public key when it is built (scalarMultBase) and uses the same scalar again
// for each stanza (scalarMult): the KeyObject of a scalar is kept with the array, so the key is imported
// once. It is used only while the array still holds the same bytes.
const imported = new WeakMap();

function privateKey(scalar) {
  if (!(scalar instanceof Uint8Array)) return KeyObject.from(scalar);
  if (scalar.length !== 32) throw new Error('X25519 private key must be 32 bytes');
  const kept = imported.get(scalar);
  if (kept && timingSafeEqual(kept.bytes, scalar)) return kept.key;
  const der = Buffer.concat([PKCS8_PREFIX, scalar]);
  try {
    const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    imported.set(scalar, { bytes: new Uint8Array(scalar), key });
    return key;
  } finally {
    der.fill(0);
  }
}

export async function scalarMult(scalar, u) {
  const publicKey = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, u]), format: 'der', type: 'spki' });
  return new Uint8Array(diffieHellman({ privateKey: privateKey(scalar), publicKey }));
}

export async function scalarMultBase(scalar) {
  const spki = createPublicKey(privateKey(scalar)).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length));
}
