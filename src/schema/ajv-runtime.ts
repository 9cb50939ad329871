import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type * as AjvModule from 'ajv';
import type { Ajv as AjvType, ValidateFunction } from 'ajv';
import { packageFileBroken, packageFileMissing } from '../fs/errors.js';

const require = createRequire(import.meta.url);

/** What compileSchema and compile-schema take from ajv and ajv-formats (see ajv.cjs beside this file). */
export interface AjvRuntime {
  Ajv: typeof AjvType;
  Ajv2020: typeof AjvType;
  addFormats: (ajv: AjvType) => AjvType;
  codegen: Pick<typeof AjvModule, '_' | 'Name'>;
  standaloneCode: (ajv: AjvType, validate: ValidateFunction) => string;
  ajvVersion: string;
  formats: {
    fullFormats: Record<string, unknown> & { uri: (str: string) => boolean };
    /** The text of ajv-formats' dist/formats.js: compile-schema bundles it, and uri-fast-path reads it. */
    source: string;
    version: string;
    license: string;
  };
}

let runtime: AjvRuntime | undefined;

/**
 * ajv, loaded on first use only: never at start-up, so that the commands and the loader paths that do not
 * validate do not pay for it. From dist/ajv.cjs, the bundle of the same packages the build made (one file
 * loads in a third of the time), or, running from the sources, from ajv.cjs beside this file.
 */
export function ajvRuntime(): AjvRuntime {
  if (runtime) return runtime;
  const path = builtFile('ajv.cjs');
  if (path === undefined) throw packageFileMissing('dist/ajv.cjs');
  // A file that is there but does not load, or lacks ajv, is a damaged install: said so, not as an
  // internal error or a raw JavaScript one.
  let loaded: AjvRuntime;
  try {
    loaded = require(path) as AjvRuntime;
  } catch (e) {
    throw packageFileBroken('dist/ajv.cjs', e);
  }
  if (typeof (loaded as { Ajv?: unknown } | null)?.Ajv !== 'function') throw packageFileBroken('dist/ajv.cjs');
  return (runtime = loaded);
}

/**
 * The path of a file the build writes at the top of dist/, or undefined: from dist/fernet-config.mjs (the
 * modules of src/schema are bundled into it) it is `./<name>`, from dist/src/schema/ `../../<name>`. Running
 * from the sources, `./<name>` is a file in src/schema, if there is one.
 */
export function builtFile(name: string): string | undefined {
  for (const candidate of [`./${name}`, `../../${name}`]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}
