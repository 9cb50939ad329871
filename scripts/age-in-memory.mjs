// For the entries of dist/age.cjs and dist/age-open.cjs (scripts/bundle-age.mjs). The bundles' streams are
// in-memory ones (scripts/age-web-streams.mjs): a stream from outside would be taken for bytes and fail
// deep inside, so only bytes (and text to encrypt) are accepted, by name.
export function inMemory(file, what) {
  if (!(file instanceof Uint8Array) && typeof file !== 'string') throw new TypeError(`the age bundle ${what} bytes held in memory: pass a Uint8Array, not a stream`);
}
