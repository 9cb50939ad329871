/**
 * age-encryption, loaded on first use: from dist/age.mjs, the one-file bundle the build writes
 * (scripts/bundle-age.mjs; about 3x quicker to load than the package's 57 modules, and without the
 * post-quantum, P-256 and scrypt code, which it loads from dist/age-pq.mjs itself when a recipient,
 * identity or passphrase needs it), or from the package itself where there is no bundle (tests running the
 * TypeScript sources). The bundle sits in dist/, which is `..` from the package root bundle
 * (dist/fernet-config.mjs) and `../..` from dist/src/age/.
 */
type AgeLib = Pick<
  typeof import('age-encryption'),
  'Encrypter' | 'Decrypter' | 'Stanza' | 'armor' | 'generateIdentity' | 'generateX25519Identity' | 'generateHybridIdentity' | 'identityToRecipient'
>;

let lib: Promise<AgeLib> | undefined;

export function ageLib(): Promise<AgeLib> {
  lib ??= load();
  return lib;
}

async function load(): Promise<AgeLib> {
  const here = import.meta.url;
  for (const candidate of here.endsWith('/fernet-config.mjs') ? ['./age.mjs'] : ['../../age.mjs']) {
    try {
      return (await import(new URL(candidate, here).href)) as AgeLib;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
  return import('age-encryption');
}
