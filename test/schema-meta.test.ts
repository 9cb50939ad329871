import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
// The build, not src: the precompiled meta-schema validators exist only in dist (`npm test` builds first).
import { compileSchema, compileWithAjv, PRECOMPILED_META, type JsonSchema, type SchemaOptions } from '../dist/src/schema/compile.js';
import { ajvRuntime } from '../dist/src/schema/ajv-runtime.js';
import * as fromSource from '../src/schema/compile.js';
import { cleanEnv, REPO } from './helpers/cli.js';

const require = createRequire(import.meta.url);
type Core = { prototype: { compile: (...args: unknown[]) => unknown } };
// The class both ajv classes extend: in the build, from the ajv bundle (dist/ajv.cjs) compileWithAjv uses...
const AjvCore = Object.getPrototypeOf(ajvRuntime().Ajv) as Core;
// ...and from the sources, the installed ajv.
const InstalledAjvCore = (require('ajv/dist/core') as { default: Core }).default;

interface Case {
  name: string;
  schema: JsonSchema;
  /** Whether ajv accepts the schema at all. */
  valid: boolean;
  /** Who checks it against its meta-schema: our precompiled validator, or ajv (any other `$schema`). */
  meta: 'precompiled' | 'ajv';
}
const CASES = JSON.parse(readFileSync(join(REPO, 'test/fixtures/meta-schemas/cases.json'), 'utf8')) as Case[];

interface Outcome {
  ok: boolean;
  name?: string;
  code?: string;
  message?: string;
  cause?: string;
  /** The meta-schemas the ajv instance compiled for itself. */
  compiledMeta: string[];
}

/** compileSchema's outcome, and what the ajv instance it used did with its meta-schemas. */
function outcome(schema: JsonSchema, options: SchemaOptions = {}): Outcome {
  const input = structuredClone(schema);
  const compile = vi.spyOn(AjvCore.prototype, 'compile');
  let result: Omit<Outcome, 'compiledMeta'>;
  try {
    compileSchema(input, { useDefaults: true, ...options }, 'schema');
    result = { ok: true };
  } catch (e) {
    const err = e as Error & { code?: string };
    result = { ok: false, name: err.name, code: err.code, message: err.message, cause: (err.cause as Error | undefined)?.constructor.name };
  }
  expect(compile.mock.contexts).toHaveLength(1);
  const ajv = compile.mock.contexts[0] as { schemas: Record<string, { meta?: boolean; validate?: unknown } | undefined> };
  compile.mockRestore();
  // Neither path may write into the schema (the meta-schemas have defaults; ajv drops useDefaults for them).
  expect(input).toEqual(schema);
  const compiledMeta = Object.entries(ajv.schemas)
    .filter(([, env]) => env?.meta && env.validate)
    .map(([id]) => id);
  return { ...result, compiledMeta };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('precompiled meta-schema validation', () => {
  it.each(CASES)('$name', ({ schema, valid, meta }) => {
    const reference = outcome(schema, { precompiledMeta: false });
    const actual = outcome(schema);
    expect(reference.ok).toBe(valid);
    expect({ ...actual, compiledMeta: undefined }).toEqual({ ...reference, compiledMeta: undefined });
    if (!valid) expect(actual.code).toBe('ERR_INVALID_SCHEMA');
    if (meta === 'precompiled') {
      // The whole point: the ajv instance never compiled a meta-schema.
      expect(actual.compiledMeta).toEqual([]);
    }
  });

  it('the check above would notice ajv compiling its meta-schema', () => {
    expect(outcome({ type: 'string' }, { precompiledMeta: false }).compiledMeta).toEqual([PRECOMPILED_META.draft07.id]);
    expect(outcome({ $schema: PRECOMPILED_META.draft2020.id }, { precompiledMeta: false }).compiledMeta).toContain(PRECOMPILED_META.draft2020.id);
  });

  it('the table covers both drafts, valid and invalid', () => {
    const draft = (c: Case) => (typeof c.schema === 'object' && String(c.schema.$schema).includes('2020-12') ? '2020-12' : '07');
    const kinds = new Set(CASES.filter((c) => c.meta === 'precompiled').map((c) => `${draft(c)} ${c.valid ? 'valid' : 'invalid'}`));
    expect([...kinds].sort()).toEqual(['07 invalid', '07 valid', '2020-12 invalid', '2020-12 valid']);
  });

  it('unknown $schema still fails as ajv reports it', () => {
    expect(() => compileSchema({ $schema: 'http://json-schema.org/draft-04/schema#' })).toThrow(
      'schema is not a valid JSON Schema: no schema with key or ref "http://json-schema.org/draft-04/schema#"',
    );
    expect(() => compileSchema({ $schema: 5 } as JsonSchema)).toThrow('schema is not a valid JSON Schema: $schema must be a string');
  });

  it('keeps the message shape users see', () => {
    expect(() => compileSchema({ required: ['a', 'a'] }, {}, 'schema s.json')).toThrow(
      'schema s.json is not a valid JSON Schema: #/required: must NOT have duplicate items (items ## 1 and 0 are identical)',
    );
  });

  it('compiled validators behave the same either way', () => {
    const schema = { $schema: PRECOMPILED_META.draft2020.id, type: 'object', properties: { port: { type: 'integer', default: 5432 }, tags: { prefixItems: [{ type: 'string' }] } } };
    const fast = compileSchema(structuredClone(schema));
    const slow = compileSchema(structuredClone(schema), { precompiledMeta: false });
    for (const data of [{}, { port: 'x' }, { tags: [1] }]) {
      const [a, b] = [structuredClone(data), structuredClone(data)];
      expect([fast(a), a, fast.errors]).toEqual([slow(b), b, slow.errors]);
    }
  });

  it('fcfg compile-schema gets the same validator code', () => {
    const schema = { type: 'object', properties: { a: { type: 'string', sensitive: true } } };
    const code = { source: true, esm: true };
    // Only the function's name differs: ajv numbers functions per instance, and compiling the meta-schema took numbers.
    const source = (options: SchemaOptions) => compileWithAjv(structuredClone(schema), { code, ...options }).validate.source?.validateCode.replace(/\bvalidate\d+\b/g, 'validateN');
    expect(source({})).toBe(source({ precompiledMeta: false }));
    expect(source({})).toContain('fernet-config.sensitive');
  });

  it('falls back to ajv when there is no build (running from src)', () => {
    const compile = vi.spyOn(InstalledAjvCore.prototype, 'compile');
    fromSource.compileSchema({ type: 'string' });
    const ajv = compile.mock.contexts[0] as { schemas: Record<string, { validate?: unknown } | undefined> };
    expect(ajv.schemas[PRECOMPILED_META.draft07.id]?.validate).toBeTypeOf('function');
  });
});

describe('the precompiled meta-schemas in the package', () => {
  it('are shipped', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const files = (JSON.parse(out) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/meta/draft-07.cjs', 'dist/meta/draft-2020-12.cjs']));
  });

  it('are found from the bundled package root too', () => {
    // dist/fernet-config.mjs is another directory than dist/src/schema: the lookup must work from both.
    const script = `
      import { createRequire } from 'node:module';
      import { redact } from ${JSON.stringify(join(REPO, 'dist/fernet-config.mjs'))};
      redact({ a: 'x' }, { type: 'object', properties: { a: { sensitive: true } } });
      redact({ a: 'x' }, { $schema: 'https://json-schema.org/draft/2020-12/schema', properties: { a: { sensitive: true } } });
      let message;
      try { redact({}, { type: 'strin' }); } catch (e) { message = e.message; }
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('/dist/meta/')).map((k) => k.slice(k.lastIndexOf('/') + 1));
      console.log(JSON.stringify({ loaded: loaded.sort(), message }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO, env: cleanEnv(), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      loaded: ['draft-07.cjs', 'draft-2020-12.cjs'],
      message: outcome({ type: 'strin' }, { precompiledMeta: false }).message,
    });
  });
});
