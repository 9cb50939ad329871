// Stands in, inside dist/age.cjs only (scripts/bundle-age.mjs injects it for the global of that name),
// for the CryptoKey age-encryption tests identities against (`typeof CryptoKey`, `instanceof CryptoKey`).
// Reading the global loads Node's WebCrypto implementation on first use, which an identity given as a
// string or a Uint8Array never needs: only another object is checked against the real class.
export const CryptoKey = {
  [Symbol.hasInstance](key) {
    return typeof key === 'object' && key !== null && !(key instanceof Uint8Array) && key instanceof globalThis.CryptoKey;
  },
};
