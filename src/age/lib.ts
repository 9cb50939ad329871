import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * age-encryption, loaded on first use: from dist/age.cjs, the bundle the build writes
 * (scripts/bundle-age.mjs: one file instead of the package's 57 modules, without the post-quantum, P-256
 * and scrypt code, which it loads from dist/age-pq.cjs itself when a recipient, identity or passphrase
 * needs it), or from the package itself where there is no bundle (tests running the TypeScript sources).
 * The bundle is CommonJS and loads with require(): the first import() of a file in a CommonJS process
 * (the CLI) loads Node's asynchronous ES module loader, which costs more than the bundle itself
 * (bench/age.mjs). It sits in dist/, which is `..` from the package root bundle (dist/fernet-config.mjs)
 * and `../..` from dist/src/age/.
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
  const bundle = fileURLToPath(new URL(here.endsWith('/fernet-config.mjs') ? './age.cjs' : '../../age.cjs', here));
  if (existsSync(bundle)) return createRequire(here)(bundle) as AgeLib;
  return import('age-encryption');
}
