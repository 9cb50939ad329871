import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv as AjvType, ErrorObject, Options as AjvOptions, ValidateFunction } from 'ajv';
import { InvalidSchema, type ValidationIssue } from '../errors.js';
import { fileError } from '../fs/errors.js';

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
    ...(options.code ? { code: options.code } : {}),
  });
  addFormats(ajv);
  ajv.addKeyword({ keyword: SENSITIVE_KEYWORD, schemaType: 'boolean' });
  return ajv;
}

/** Compiles a schema; an invalid schema is InvalidSchema with ajv's reason (about the schema, not data). */
export function compileSchema(schema: JsonSchema, options: SchemaOptions = {}, source = 'schema'): ValidateFunction {
  const ajv = createAjv(schema, options);
  try {
    return ajv.compile(schema);
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
 * ajv errors as path + message. ajv's messages describe the rule ("must be equal to one of the allowed
 * values"), never the data; we only ever copy the message, the instance path and property *names*.
 */
export function toIssues(errors: readonly ErrorObject[] | null | undefined): ValidationIssue[] {
  if (!errors) return [];
  return errors.map((e) => {
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
      message = `must NOT have additional property "${e.params.additionalProperty}"`;
    }
    return { path: e.instancePath, message };
  });
}

/** Validates data against a compiled schema; an empty list means valid. */
export function validateWith(validate: ValidateFunction, data: unknown): ValidationIssue[] {
  return validate(data) ? [] : toIssues(validate.errors);
}
