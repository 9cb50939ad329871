import type { ExtendedJSONSchema, FromExtendedSchema } from 'json-schema-to-ts';
import type { KeyOptions } from '../keys/resolve.js';
import type { SchemaErrorLike } from '../schema/validate.js';

/** The keyword this project adds to JSON Schema. */
export type SensitiveKeyword = { sensitive?: boolean };

/** A JSON Schema, as far as types go: json-schema-to-ts's, plus `sensitive`. */
export type ConfigSchema = ExtendedJSONSchema<SensitiveKeyword>;

/**
 * The config type a schema describes. Properties with a `default` are not optional: the loader fills
 * them in. Unsupported constructs come out as `unknown`, never as a wrong type.
 */
export type ConfigFromSchema<S extends ConfigSchema> = FromExtendedSchema<SensitiveKeyword, S>;

/**
 * What loading with schema `S` returns. When `S` is no particular schema (a widened object such as an
 * imported .json file, or an inference that fell back to the constraint) the answer is `unknown`, rather
 * than asking json-schema-to-ts to expand every schema there is.
 */
export type LoadedConfig<S> = [Record<string, unknown>] extends [S]
  ? unknown
  : [S] extends [ConfigSchema]
    ? [ConfigSchema] extends [S]
      ? unknown
      : DeepReadonly<ConfigFromSchema<S>>
    : unknown;

/** What the loader returns is deep-frozen; its type says so. */
export type DeepReadonly<T> = T extends (...args: never[]) => unknown ? T : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/**
 * A compiled validator: what `fcfg compile-schema` writes, or a function ajv compiled (with
 * `passContext: true` if `sensitive` is to be honoured). The type predicate carries the config type.
 */
export interface PrecompiledValidator<T = unknown> {
  (data: unknown): data is T;
  errors?: readonly SchemaErrorLike[] | null;
  /** The schema it was compiled from; used to coerce environment overrides to the right types. */
  schema?: unknown;
}

/** Environment variables that override values of the file (file < env). */
export interface EnvOverrideOptions {
  /**
   * Names are this prefix, then the path with each key upper-cased, other characters as `_`, and levels
   * joined by `__`: with `APP_`, `APP_DATABASE__PASSWORD` sets `database.password`. `fcfg run` uses the
   * same naming the other way round.
   */
  prefix: string;
}

/**
 * What the loader does with a number a JavaScript number cannot hold exactly. JSON itself has no limit;
 * `JSON.parse` rounds to the nearest double, which would change an id like `12345678901234567891` into
 * `12345678901234567000` without a word. The rule:
 *
 * - **safe** (always a `number`): an integer within ±(2^53−1), or a finite non-integer (`1.5`, `-0`, `1.50`,
 *   `1E+2` are all safe; a decimal fraction is a double by nature, as in every JSON reader).
 * - **unsafe**: an integer beyond ±(2^53−1), however written (`12345678901234567891`, `1e20`,
 *   `100000000000000000000000`), or a number beyond the double range (`1e400`).
 *
 * Unsafe numbers, by mode:
 * - `'error'` (default): loading fails with UnsafeNumber (`ERR_UNSAFE_NUMBER`) naming each dot path, never
 *   the value.
 * - `'string'`: each unsafe number is delivered as its literal text, exactly as written (`"1e400"`).
 * - `'bigint'`: each unsafe number whose value is an integer is delivered as a `bigint` of that exact value
 *   (`1e20` → `100000000000000000000n`, `1e400` → 10n ** 400n); one that is not an integer
 *   (`9007199254740993.5`), or has more than 4300 digits (Python's int limit), is still UnsafeNumber —
 *   a bigint cannot hold a fraction, and rounding it is what this rule refuses.
 *
 * Safe numbers stay `number`s in every mode. A schema (or compiled validator) checks the document as
 * parsed, so an unsafe value passes `type: "integer"`; numeric bounds (`maximum`, `multipleOf`) are
 * checked against the nearest double. The exact value replaces it afterwards, and the types inferred from
 * a schema still say `number` where the run-time value may be a `bigint` or `string`. Environment
 * overrides follow the same rule. Opting in costs nothing unless an unsafe number is present: only then is
 * the text parsed again, losslessly.
 */
export type BigNumbers = 'error' | 'string' | 'bigint';

/** Everything but the validation part of the options. */
export interface LoadOptionsBase extends Omit<KeyOptions, 'env'> {
  /** The encrypted config file. */
  path: string;
  /** Maximum age of the token in seconds: an older config fails with TokenExpired. */
  ttl?: number;
  /** Unix time in seconds to check `ttl` against (default: the clock). */
  now?: number;
  /** Environment overrides; off unless given. */
  env?: EnvOverrideOptions;
  /** Where FERNET_CONFIG_KEY* and the overrides are read from (default: process.env). */
  environment?: Record<string, string | undefined>;
  /**
   * Called with the dot path (`database.password`) whenever a value marked `sensitive` is read from the
   * returned config. Without it the config is plain frozen data, with no cost on any read.
   */
  onAccess?: (path: string) => void;
  /** Unsafe numbers (see BigNumbers): refused (`'error'`, the default), or delivered exactly. */
  bigNumbers?: BigNumbers;
}

/** Options for a config validated against a schema object or a schema file, or not validated at all. */
export interface LoadOptions extends LoadOptionsBase {
  /** A JSON Schema, or the path of a JSON Schema file. Compiled with ajv (loaded only then). */
  schema?: ConfigSchema | Record<string, unknown> | string;
  /** A validator from `fcfg compile-schema` (no ajv at run time). Not together with `schema`. */
  validate?: PrecompiledValidator<unknown>;
}

/** A config held for the life of an app, and refreshed without a restart. */
export interface ConfigStore<T> {
  /** The current config (frozen). The same object until a reload changes something. */
  get(): T;
  /**
   * Reads, decrypts and validates the file again (and the environment). On success the new config
   * replaces the old one and is returned; on any failure the error is thrown and the old config stays.
   */
  reload(): Promise<T>;
  /** `reload`, synchronously. */
  reloadSync(): T;
  /** Calls `listener` after each reload that changed the config. Returns a function that unsubscribes. */
  subscribe(listener: (config: T, previous: T) => void): () => void;
}
