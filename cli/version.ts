import { readFileSync } from 'node:fs';

// scripts/bundle.mjs writes package.json's version here; the modules as tsc wrote them (tests) read the file.
declare const FCFG_PACKAGE_VERSION: string | undefined;

/** The package's version, as package.json says: what --version prints. */
export function packageVersion(): string {
  if (typeof FCFG_PACKAGE_VERSION === 'string') return FCFG_PACKAGE_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
