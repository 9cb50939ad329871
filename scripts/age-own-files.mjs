// For the entries of dist/age.cjs and dist/age-open.cjs (scripts/bundle-age.mjs): the files of this
// package they load themselves, dist/age-pq.cjs and dist/age-ed25519.cjs. One that does not load, or
// lacks what it should export, fails with code ERR_FERNET_CONFIG_FILE and its path, which
// src/fs/errors.ts (incompleteInstall) turns into "fernet-config is damaged": the bundles cannot use the
// package's error classes, and without this a damaged file was reported as a damaged key ring or a
// malformed recipient, from deep inside age. A missing one is left as Node's MODULE_NOT_FOUND, which
// incompleteInstall reports as missing.
export function requireOwn(file, names) {
  let m;
  try {
    m = require(file);
  } catch (e) {
    if (e?.code === 'MODULE_NOT_FOUND') throw e;
    throw broken(file, e);
  }
  if (names.some((n) => m?.[n] === undefined)) throw broken(file);
  return m;
}

function broken(file, cause) {
  const path = `dist/${file.replace(/^\.\//, '')}`;
  return Object.assign(new Error(`${path} does not load`, cause === undefined ? undefined : { cause }), { code: 'ERR_FERNET_CONFIG_FILE', file: path });
}
