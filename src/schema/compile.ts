import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AnySchema, Ajv as AjvType, CodeKeywordDefinition, ErrorObject, KeywordCxt, Options as AjvOptions, ValidateFunction } from 'ajv';
import { FernetConfigError, InvalidSchema, type ValidationIssue } from '../errors.js';
import { fileError, incompleteInstall, packageFileBroken } from '../fs/errors.js';
import { ajvRuntime, builtFile, type AjvRuntime } from './ajv-runtime.js';
import { shareRepeatedSubschemas } from './share.js';
import { fastUriFormat } from './uri-fast-path.js';
import { invalidSchemaError, runValidator, schemaJsonError, SENSITIVE_SINK, toIssues } from './validate.js';

export { toIssues };

// For the precompiled meta-schema validators (ajv itself comes from ajvRuntime, on first use only).
const require = createRequire(import.meta.url);

export type JsonSchema = Record<string, unknown> | boolean;

/** The `sensitive: true` annotation marks secrets: masked by redact, never echoed by anything. */
export const SENSITIVE_KEYWORD = 'sensitive';

export interface SchemaOptions {
  /** Fill in `default`s from the schema while validating (mutates the data). Default true. */
  useDefaults?: boolean;
  /** ajv standalone code generation needs the source kept (used by `fcfg compile-schema`). */
  code?: AjvOptions['code'];
  /**
   * Check the schema against its meta-schema with the validator scripts/build-meta.mjs precompiled, when
   * there is one for it (default true). false: ajv compiles the meta-schema itself, as it always did;
   * the tests compare the two.
   */
  precompiledMeta?: boolean;
  /**
   * Compile each repeated subschema once, as one function (default true; see share.ts). false: ajv's own
   * code, a copy per occurrence; the tests compare the two.
   */
  share?: boolean;
}

/** The meta-schemas scripts/build-meta.mjs precompiles into dist/meta/<file>.cjs: the default of each ajv class. */
export const PRECOMPILED_META = {
  draft07: { id: 'http://json-schema.org/draft-07/schema', file: 'draft-07' },
  draft2020: { id: 'https://json-schema.org/draft/2020-12/schema', file: 'draft-2020-12' },
} as const;

function isDraft2020(schema: JsonSchema): boolean {
  return typeof schema === 'object' && typeof schema.$schema === 'string' && schema.$schema.includes('2020-12');
}

let fastUri: ((str: string) => boolean) | null | undefined;

/** Creates an ajv instance with formats and our keywords; draft 2020-12 when the schema asks for it. */
export function createAjv(schema: JsonSchema, options: SchemaOptions = {}): AjvType {
  const runtime = ajvRuntime();
  const Ajv = isDraft2020(schema) ? runtime.Ajv2020 : runtime.Ajv;
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: options.useDefaults ?? true,
    strict: false,
    // The `sensitive` keyword reports through `this` (see sensitiveKeyword); it must reach $ref'd functions.
    passContext: true,
    // A validator compiled at boot runs once or twice: ajv's pass that tidies the generated code costs more
    // (3.5 ms of 13 for the boot benchmark's schema) than it could ever save. Kept for code that is written
    // out (compile-schema), where it makes the module smaller.
    code: options.code ?? { optimize: false },
  });
  runtime.addFormats(ajv);
  // ajv-formats' `uri`, with the faster start of uri-fast-path.ts (the same answers); made once.
  if (fastUri === undefined) fastUri = fastUriFormat(runtime.formats.source, runtime.formats.fullFormats.uri) ?? null;
  if (fastUri) ajv.addFormat('uri', fastUri);
  ajv.addKeyword(sensitiveKeyword(runtime.codegen));
  return ajv;
}

/**
 * `sensitive: true` compiles to a line that pushes the current instance path into the array the caller
 * passed as `this[SENSITIVE_SINK]` (see runValidator). Generated code rather than a callback, so that it
 * survives into the self-contained modules `fcfg compile-schema` writes, where there is no ajv to call.
 */
function sensitiveKeyword({ _, Name }: AjvRuntime['codegen']): CodeKeywordDefinition {
  const instancePath = new Name('instancePath');
  const sink = _`Symbol.for(${SENSITIVE_SINK.description!})`;
  return {
    keyword: SENSITIVE_KEYWORD,
    schemaType: 'boolean',
    code(cxt: KeywordCxt) {
      if (cxt.schema !== true) return;
      const { gen, it } = cxt;
      const paths = gen.const('sensitive', _`this && this[${sink}]`);
      gen.if(paths, () => gen.code(_`${paths}.push(${instancePath} + ${it.errorPath})`));
    },
  };
}

/** Compiles a schema; an invalid schema is InvalidSchema with ajv's reason (about the schema, not data). */
export function compileSchema(schema: JsonSchema, options: SchemaOptions = {}, source = 'schema'): ValidateFunction {
  return compileWithAjv(schema, options, source).validate;
}

/** compileSchema, also returning the ajv instance (standalone code generation needs it). */
export function compileWithAjv(schema: JsonSchema, options: SchemaOptions = {}, source = 'schema'): { ajv: AjvType; validate: ValidateFunction } {
  if (typeof schema !== 'boolean' && (typeof schema !== 'object' || schema === null || Array.isArray(schema))) {
    throw new InvalidSchema(`${source} is not a valid JSON Schema: it must be an object or a boolean`);
  }
  const ajv = createAjv(schema, options);
  if (options.precompiledMeta ?? true) usePrecompiledMeta(ajv, isDraft2020(schema) ? PRECOMPILED_META.draft2020 : PRECOMPILED_META.draft07);
  const shared = (options.share ?? true) ? (shareRepeatedSubschemas(schema) as JsonSchema) : schema;
  try {
    if (shared !== schema) {
      // A shared schema is checked against its meta-schema as written, so that its problems are located
      // where the user wrote them. The shared one holds the same subschemas, moved under definitions and
      // $ref'd: it passes whenever the original does, and ajv.compile need not check it again.
      ajv.validateSchema(schema, true);
      const validateSchema = ajv.validateSchema.bind(ajv);
      ajv.validateSchema = (s: AnySchema, throwOrLogError?: boolean) => s === shared || validateSchema(s, throwOrLogError);
    }
    return { ajv, validate: ajv.compile(shared) };
  } catch (cause) {
    // Ours (a file of the install that does not load, met while checking the schema): as it is.
    if (cause instanceof FernetConfigError) throw cause;
    throw invalidSchemaError(source, cause, ajv.errors);
  }
}

interface MetaValidator {
  (schema: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/**
 * Before compiling a schema, ajv validates it against its meta-schema, which it first has to compile
 * itself: some 16 ms at start-up. build-meta.mjs generated those validators at build time, from an ajv
 * made by createAjv, so with the same options. (The saving is nearer 10 ms: the user's schema is then the
 * first thing ajv compiles, and pays for warming up ajv's code generator instead.)
 *
 * They replace ajv's lookup inside its own validateSchema rather than running before ajv.compile: ajv
 * calls validateSchema partway through compile, after its checks of `$id`s and anchors, so that whichever
 * error ajv reports first for a schema, we still report first. Any `$schema` but the class's own
 * meta-schema (another draft, a non-string, a different spelling of the URI) is left to ajv as before.
 */
function usePrecompiledMeta(ajv: AjvType, meta: { id: string; file: string }): void {
  const ajvValidateSchema = ajv.validateSchema.bind(ajv);
  ajv.validateSchema = (schema: AnySchema, throwOrLogError?: boolean) => {
    // From here on, ajv's own validateSchema (lib/core.ts) with only the meta-schema swapped.
    if (typeof schema === 'boolean') return true;
    const $schema: unknown = schema.$schema;
    // ajv takes an empty $schema for the default too; it strips a trailing "#" or "#/" from ids.
    const ours = $schema === undefined || $schema === '' || (typeof $schema === 'string' && $schema.replace(/#\/?$/, '') === meta.id);
    const validateMeta = ours ? precompiledMeta(meta.file) : undefined;
    if (validateMeta === undefined) return ajvValidateSchema(schema, throwOrLogError);
    const valid = validateMeta(schema);
    ajv.errors = validateMeta.errors ?? null;
    if (!valid && throwOrLogError) throw new Error(`schema is invalid: ${ajv.errorsText()}`);
    return valid;
  };
}

const metaValidators = new Map<string, MetaValidator | undefined>();

/**
 * dist/meta/<file>.cjs, required on first use. Absent when running from src without a build, or made by
 * another ajv version than the one loaded (its messages could differ): then ajv validates as before.
 */
function precompiledMeta(file: string): MetaValidator | undefined {
  if (metaValidators.has(file)) return metaValidators.get(file);
  let validate: MetaValidator | undefined;
  const path = builtFile(`meta/${file}.cjs`);
  if (path !== undefined) {
    let module: MetaValidator & { ajvVersion?: string };
    try {
      module = require(path) as MetaValidator & { ajvVersion?: string };
    } catch (e) {
      // Part of the install (it requires ajv's runtime helpers): not a problem of the user's schema.
      throw incompleteInstall(e) ?? packageFileBroken(`dist/meta/${file}.cjs`, e);
    }
    if (module.ajvVersion === ajvRuntime().ajvVersion) validate = module;
  }
  metaValidators.set(file, validate);
  return validate;
}

/** The text of a JSON Schema file; a read failure names the file as `schema PATH`. */
export function readSchemaText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw fileError(e, `schema ${path}`);
  }
}

/** Reads a JSON Schema file. */
export function readSchemaFile(path: string): JsonSchema {
  const text = readSchemaText(path);
  try {
    return JSON.parse(text) as JsonSchema;
  } catch (cause) {
    throw schemaJsonError(text, `schema ${path}`, cause);
  }
}

/**
 * Validates data against a compiled schema; an empty list means valid. Paths inside a value marked
 * `sensitive` stop at that field, so no part of a secret (not even a key of a secret map) is reported.
 */
export function validateWith(validate: ValidateFunction, data: unknown): ValidationIssue[] {
  return runValidator(validate, data).issues;
}
