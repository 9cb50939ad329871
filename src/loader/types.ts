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
