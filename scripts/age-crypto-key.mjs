// Stands in, inside dist/age.cjs only (scripts/bundle-age.mjs injects it for the global of that name),
// for the CryptoKey age-encryption tests identities against (`typeof CryptoKey`, `instanceof CryptoKey`).
// Reading the global loads Node's WebCrypto implementation on first use, which an identity given as a
// string, as bytes or as an object of our own (an SSH identity) never needs. A CryptoKey carries the
// tag "CryptoKey" on its prototype; only an object that does is checked against the real class, so a
// look-alike is still refused.
const { toString } = Object.prototype;

export const CryptoKey = {
  [Symbol.hasInstance](key) {
    return typeof key === 'object' && key !== null && toString.call(key) === '[object CryptoKey]' && key instanceof globalThis.CryptoKey;
  },
};
