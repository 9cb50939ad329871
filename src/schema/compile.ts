import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as AjvModule from 'ajv';
import type { Ajv as AjvType, CodeKeywordDefinition, KeywordCxt, Options as AjvOptions, ValidateFunction } from 'ajv';
import { InvalidSchema, type ValidationIssue } from '../errors.js';
import { fileError } from '../fs/errors.js';
import { runValidator, SENSITIVE_SINK, toIssues } from './validate.js';

export { toIssues };

// ajv costs tens of milliseconds to import: it is required on first use only, never at start-up, so the
// commands and the loader paths that do not validate do not pay for it.
const require = createRequire(import.meta.url);

export type JsonSchema = Record<string, unknown> | boolean;

/** The `sensitive: true` annotation marks secrets: masked by redact, never echoed by anything. */
export const SENSITIVE_KEYWORD = 'sensitive';

export interface SchemaOptions {
  /** Fill in `default`s from the schema while validating (mutates the data). Default true. */
  useDefaults?: boolean;
  /** ajv standalone code generation needs the source kept (used by `fcfg compile-schema`). */
  code?: AjvOptions['code'];
}

/** Creates an ajv instance with formats and our keywords; draft 2020-12 when the schema asks for it. */
export function createAjv(schema: JsonSchema, options: SchemaOptions = {}): AjvType {
  const draft2020 = typeof schema === 'object' && typeof schema.$schema === 'string' && schema.$schema.includes('2020-12');
  const Ajv = (draft2020 ? require('ajv/dist/2020') : require('ajv')).default as typeof AjvType;
  const addFormats = require('ajv-formats').default as (ajv: AjvType) => AjvType;
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: options.useDefaults ?? true,
    strict: false,
    // The `sensitive` keyword reports through `this` (see sensitiveKeyword); it must reach $ref'd functions.
    passContext: true,
    ...(options.code ? { code: options.code } : {}),
  });
  addFormats(ajv);
  ajv.addKeyword(sensitiveKeyword());
  return ajv;
}

/**
 * `sensitive: true` compiles to a line that pushes the current instance path into the array the caller
 * passed as `this[SENSITIVE_SINK]` (see runValidator). Generated code rather than a callback, so that it
 * survives into the self-contained modules `fcfg compile-schema` writes, where there is no ajv to call.
 */
function sensitiveKeyword(): CodeKeywordDefinition {
  const { _, Name } = require('ajv/dist/compile/codegen') as Pick<typeof AjvModule, '_' | 'Name'>;
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
  try {
    return { ajv, validate: ajv.compile(schema) };
  } catch (cause) {
    throw new InvalidSchema(`${source} is not a valid JSON Schema: ${(cause as Error).message}`, { cause });
  }
}

/** Reads a JSON Schema file. */
export function readSchemaFile(path: string): JsonSchema {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw fileError(e, `schema ${path}`);
  }
  try {
    return JSON.parse(text) as JsonSchema;
  } catch (cause) {
    throw new InvalidSchema(`schema ${path} is not valid JSON`, { cause });
  }
}

/**
 * Validates data against a compiled schema; an empty list means valid. Paths inside a value marked
 * `sensitive` stop at that field, so no part of a secret (not even a key of a secret map) is reported.
 */
export function validateWith(validate: ValidateFunction, data: unknown): ValidationIssue[] {
  return runValidator(validate, data).issues;
}
