import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AjvRuntime } from '../src/schema/ajv-runtime.js';
import { REPO } from './helpers/cli.js';

// dist/ajv.cjs is the installed ajv and ajv-formats made into one file (scripts/bundle.mjs); the build
// makes it, so this checks what `npm test` just built.
const require = createRequire(import.meta.url);
const bundle = require(join(REPO, 'dist/ajv.cjs')) as AjvRuntime;
const fromSource = require(join(REPO, 'src/schema/ajv.cjs')) as AjvRuntime;
const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version;

describe('the ajv bundle', () => {
  it('is the installed ajv and ajv-formats', () => {
    expect(bundle.ajvVersion).toBe(version('ajv'));
    expect(bundle.formats.version).toBe(version('ajv-formats'));
    expect(bundle.formats.source).toBe(fromSource.formats.source);
    expect(Object.keys(bundle.formats.fullFormats).sort()).toEqual(Object.keys(fromSource.formats.fullFormats).sort());
    expect(Object.keys(bundle).sort()).toEqual(Object.keys(fromSource).sort());
  });

  it('compiles to the same code as the installed packages', () => {
    const schema = { type: 'object', required: ['url'], properties: { url: { type: 'string', format: 'uri' }, n: { type: 'integer', default: 1 } } };
    const code = (runtime: AjvRuntime) => {
      const ajv = new runtime.Ajv({ allErrors: true, useDefaults: true, code: { source: true } });
      runtime.addFormats(ajv);
      return runtime.standaloneCode(ajv, ajv.compile(schema));
    };
    expect(code(bundle)).toBe(code(fromSource));
  });

  it('ships the licence of every package in it', () => {
    const notices = readFileSync(join(REPO, 'dist/ajv.cjs.LICENSES.txt'), 'utf8');
    const bundled = new Set([...readFileSync(join(REPO, 'dist/ajv.cjs'), 'utf8').matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]!));
    expect([...bundled].sort()).toEqual(expect.arrayContaining(['ajv', 'ajv-formats']));
    for (const name of bundled) expect(notices).toContain(`${name} ${version(name)} (`);
    expect(notices).toContain('Permission is hereby granted');
  });
});
