// Stands in for age-encryption's x25519.js in dist/age.cjs (scripts/bundle-age.mjs): the same two
// functions, with X25519 from node:crypto. The library's own module reaches node's X25519 through
// WebCrypto (globalThis.crypto.subtle), and the first use of WebCrypto in a process loads and compiles
// its implementation, the largest single cost of opening an X25519 ring (bench/age.mjs). KeyObjects give
// the same RFC 7748 function without it, and without the library's fallback to noble's X25519, which
// Node never needs. A CryptoKey (the library accepts one as an identity) becomes a KeyObject.
//
// Raw keys go in and out as JWK (RFC 8037 OKP), not as PKCS #8 / SPKI DER: DER goes through OpenSSL's
// decoder and encoder framework, whose first use cost more than the rest of the X25519 work (several
// milliseconds at ring open); JWK maps to OpenSSL's raw-key calls. Node builds an OKP private key from
// `d` alone: `x` must be a string and is not read (lib/internal/crypto/keys.js, getKeyObjectHandleFromJwk,
// Node 20), and it is the public key this module is asked to compute, so it is left empty. Should a later
// Node check it (engines allows any Node from 20.16), the JWK import throws and the key is imported as
// PKCS #8 DER instead: slower on first use, the same key (test/age-bundle.test.ts checks both paths).
// The base64url string of the scalar is no new exposure: the identity is a string already.
import { KeyObject, createPrivateKey, createPublicKey, diffieHellman, timingSafeEqual } from 'node:crypto';

const okp = (fields) => ({ key: { kty: 'OKP', crv: 'X25519', ...fields }, format: 'jwk' });
const b64url = (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

// An identity computes its public key when it is built (scalarMultBase) and uses the same scalar again
// for each stanza (scalarMult): the KeyObject of a scalar is kept with the array, so the key is imported
// once. It is used only while the array still holds the same bytes.
const imported = new WeakMap();

function privateKey(scalar) {
  if (!(scalar instanceof Uint8Array)) return KeyObject.from(scalar);
  if (scalar.length !== 32) throw new Error('X25519 private key must be 32 bytes');
  const kept = imported.get(scalar);
  if (kept && timingSafeEqual(kept.bytes, scalar)) return kept.key;
  const key = importPrivate(scalar);
  imported.set(scalar, { bytes: new Uint8Array(scalar), key });
  return key;
}

/** RFC 8410 PKCS #8 header of an X25519 private key, before its 32-byte scalar. */
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function importPrivate(scalar, viaJwk = true) {
  if (viaJwk) {
    try {
      return createPrivateKey(okp({ d: b64url(scalar), x: '' }));
    } catch {
      // a Node that validates x: the DER path below needs nothing but the scalar
    }
  }
  const der = Buffer.concat([PKCS8_X25519, scalar]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

export async function scalarMult(scalar, u) {
  if (!(u instanceof Uint8Array) || u.length !== 32) throw new Error('X25519 public key must be 32 bytes');
  const publicKey = createPublicKey(okp({ x: b64url(u) }));
  return new Uint8Array(diffieHellman({ privateKey: privateKey(scalar), publicKey }));
}

export async function scalarMultBase(scalar) {
  const { x } = createPublicKey(privateKey(scalar)).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(x, 'base64url'));
}
