import { UsageError } from '../errors.js';
import { compileSchema, readSchemaFile, type JsonSchema } from '../schema/compile.js';
import { runValidator, type ValidatorLike } from '../schema/validate.js';
import { redactPointers, registration } from './finish.js';
import type { ConfigSchema, PrecompiledValidator } from './types.js';

export { REDACTED } from './finish.js';

/** Which values are sensitive: a schema object, a schema file, or a validator from `fcfg compile-schema`. */
export type RedactSchema = ConfigSchema | Record<string, unknown> | string | PrecompiledValidator<unknown>;

/**
 * A copy of `config` with every value its schema marks `"sensitive": true` replaced by "[redacted]", for
 * logs and error reports. For a config (or any part of one) that loadConfig returned, the schema is
 * already known; anything else needs it. Redacting never reads a sensitive value, so it does not trigger
 * `onAccess`.
 */
export function redact(config: unknown, schema?: RedactSchema): unknown {
  const known = registration(config);
  if (schema === undefined) {
    if (!known) {
      throw new UsageError('redact() needs a schema for a value that loadConfig did not return', {
        hint: 'pass the schema (object, file or compiled validator) as the second argument',
      });
    }
    return redactPointers(known.raw, relativeTo(known.pointer, known.sensitive));
  }
  const data = known ? known.raw : config;
  return redactPointers(data, sensitivePaths(data, schema));
}

/** For the CLI's `--redact --schema FILE` (and git's textconv). */
export function redactWithSchemaFile(value: unknown, schemaPath: string): unknown {
  return redact(value, schemaPath);
}

function sensitivePaths(data: unknown, schema: RedactSchema): string[] {
  if (typeof schema === 'function') {
    // Compiled validators fill in defaults, which would write into the (possibly frozen) config.
    return runValidator(schema as ValidatorLike, cloneJson(data)).sensitive;
  }
  const validate = typeof schema === 'string' ? compileSchema(readSchemaFile(schema), { useDefaults: false }, `schema ${schema}`) : compiled(schema);
  return runValidator(validate, data).sensitive;
}

// Without defaults ajv does not touch the data, so the config itself can be validated.
const cache = new WeakMap<object, ReturnType<typeof compileSchema>>();

function compiled(schema: JsonSchema | ConfigSchema): ReturnType<typeof compileSchema> {
  if (typeof schema !== 'object' || schema === null) return compileSchema(schema as JsonSchema, { useDefaults: false });
  let validate = cache.get(schema);
  if (!validate) {
    validate = compileSchema(schema as JsonSchema, { useDefaults: false });
    cache.set(schema, validate);
  }
  return validate;
}

function relativeTo(pointer: string, sensitive: readonly string[]): string[] {
  if (pointer === '') return [...sensitive];
  const out: string[] = [];
  for (const p of sensitive) {
    // The node is itself sensitive, or lies inside a sensitive value: all of it is masked.
    if (p === '' || p === pointer || pointer.startsWith(p + '/')) return [''];
    if (p.startsWith(pointer + '/')) out.push(p.slice(pointer.length));
  }
  return out;
}

// structuredClone first: a JSON round trip throws on a bigint (bigNumbers: 'bigint'). Values it cannot
// clone (a function in a caller's object) get the round trip, which drops them, as before.
function cloneJson(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch {
    return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
  }
}
