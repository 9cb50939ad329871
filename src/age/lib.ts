import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { packageFileBroken } from '../fs/errors.js';

/**
 * age-encryption, loaded on first use from the bundles the build writes (scripts/bundle-age.mjs), or from
 * the package itself where there are none (tests running the TypeScript sources):
 * - ageOpenLib(): dist/age-open.cjs, what opening a ring needs (age's Decrypter). Every `fcfg get` and
 *   loadConfig() through a ring loads it, so it holds nothing else: its size is start-up (bench/age.mjs).
 * - ageLib(): dist/age.cjs, the same and what writing a ring needs (Encrypter, armor, new identities).
 * Each is one file instead of the package's 57 modules, without the post-quantum, P-256 and scrypt code,
 * which it loads from dist/age-pq.cjs itself when a recipient, identity or passphrase needs it. Both are
 * CommonJS and load with require(): the first import() of a file in a CommonJS process (the CLI) loads
 * Node's asynchronous ES module loader, which costs more than the bundle itself. They sit in dist/, which
 * is `..` from the package root bundle (dist/fernet-config.mjs) and `../..` from dist/src/age/.
 */
type Age = typeof import('age-encryption');
type AgeLib = Pick<Age, 'Encrypter' | 'Decrypter' | 'Stanza' | 'armor' | 'generateIdentity' | 'generateX25519Identity' | 'generateHybridIdentity' | 'identityToRecipient'>;
type AgeOpenLib = Pick<Age, 'Decrypter' | 'identityToRecipient'>;

let lib: Promise<AgeLib> | undefined;
let openLib: Promise<AgeOpenLib> | undefined;

export function ageLib(): Promise<AgeLib> {
  lib ??= load('age.cjs');
  return lib;
}

export function ageOpenLib(): Promise<AgeOpenLib> {
  openLib ??= load('age-open.cjs');
  return openLib;
}

/**
 * The bundle, or from the TypeScript sources (tests) the package. Built, the bundle is part of this
 * package: one that is missing, does not load or lacks age's Decrypter is a broken install, said so
 * (never a silent fall back to the age-encryption package, which a broken install may still have).
 */
async function load<T>(file: string): Promise<T> {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return (await import('age-encryption')) as T;
  const bundle = fileURLToPath(new URL(here.endsWith('/fernet-config.mjs') ? `./${file}` : `../../${file}`, here));
  let lib: T;
  try {
    lib = createRequire(here)(bundle) as T;
  } catch (e) {
    throw packageFileBroken(`dist/${file}`, e);
  }
  if (typeof (lib as { Decrypter?: unknown } | null)?.Decrypter !== 'function') throw packageFileBroken(`dist/${file}`);
  return lib;
}
