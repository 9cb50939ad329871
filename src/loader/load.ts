import { openAgeRingFor } from '../age/select.js';
import { openConfig } from '../config/file.js';
import { findDuplicateKeys } from '../config/tree.js';
import { ConfigValidationError, InvalidSchema, UsageError } from '../errors.js';
import type { KeyOptions } from '../keys/resolve.js';
import { compileSchema, readSchemaFile, type JsonSchema } from '../schema/compile.js';
import { runValidator, toDotPath, fromPointer, type ValidatorLike } from '../schema/validate.js';
import { applyEnvOverrides, type AppliedOverride } from './env.js';
import { inLibraryWords } from './words.js';
import { finishConfig, registration } from './finish.js';
import { applyExact, exactNumbers, mayRepeatKeys, scanParsed } from './numbers.js';
import type { BigNumbers, ConfigStore, DeepReadonly, LoadedConfig, LoadOptions, LoadOptionsBase, PrecompiledValidator } from './types.js';

/**
 * Loading, in this order (the README's "Loading config at runtime" says the same):
 *
 *  1. resolve the key ring (the CLI's resolution: options, FERNET_CONFIG_KEY*, files beside the config)
 *  2. read and decrypt the file, checking `ttl`; parse the JSON; check its numbers (refuse, or find the
 *     exact values of, numbers a double would round) and, with `onWarning`, warn of repeated keys
 *  3. apply environment overrides (`env.prefix`): file < env
 *  4. validate: schema defaults fill in what is still missing, every violation is collected; then the
 *     exact values (bigNumbers) replace the rounded ones
 *  5. deep-freeze; with `onAccess`, route reads of sensitive values through it
 */

// Overloads, most specific first: a schema file (type unknown, or named by the caller), a schema object
// (type inferred), a precompiled validator (its type), anything else (unknown, or named by the caller).
// NoInfer: inside another generic call (expect(...), Promise.all) TypeScript would otherwise try to infer
// through json-schema-to-ts's types and give up ("excessively deep").
type FileOptions = LoadOptionsBase & { schema: string; validate?: undefined };
type SchemaOptions<S> = LoadOptionsBase & { schema: S; validate?: undefined };
type ValidatorOptions<T> = LoadOptionsBase & { validate: PrecompiledValidator<T>; schema?: undefined };
type OtherOptions = LoadOptionsBase & { schema?: string | Record<string, unknown> | boolean; validate?: undefined };

/** Decrypts, overrides, validates and freezes a config. The type follows from a schema written `as const`. */
export function loadConfig<T = unknown>(options: FileOptions): Promise<DeepReadonly<T>>;
export function loadConfig<const S extends Record<string, unknown> | boolean>(options: SchemaOptions<S>): Promise<NoInfer<LoadedConfig<S>>>;
export function loadConfig<T>(options: ValidatorOptions<T>): Promise<DeepReadonly<T>>;
export function loadConfig<T = unknown>(options: OtherOptions): Promise<DeepReadonly<T>>;
export async function loadConfig(options: LoadOptions): Promise<unknown> {
  const prepared = prepare(options, 'loadConfig');
  await openRing(prepared); // a .age key ring opens only asynchronously (issue 13)
  return load(prepared).config;
}

/** loadConfig, synchronously: for module top levels and code that cannot await. */
export function loadConfigSync<T = unknown>(options: FileOptions): DeepReadonly<T>;
export function loadConfigSync<const S extends Record<string, unknown> | boolean>(options: SchemaOptions<S>): NoInfer<LoadedConfig<S>>;
export function loadConfigSync<T>(options: ValidatorOptions<T>): DeepReadonly<T>;
export function loadConfigSync<T = unknown>(options: OtherOptions): DeepReadonly<T>;
export function loadConfigSync(options: LoadOptions): unknown {
  return load(prepare(options, 'loadConfigSync')).config;
}

/** Loads a config and keeps it, for apps that reload it without a restart (on SIGHUP, say). */
export function createConfigStore<T = unknown>(options: FileOptions): Promise<ConfigStore<DeepReadonly<T>>>;
export function createConfigStore<const S extends Record<string, unknown> | boolean>(options: SchemaOptions<S>): Promise<ConfigStore<NoInfer<LoadedConfig<S>>>>;
export function createConfigStore<T>(options: ValidatorOptions<T>): Promise<ConfigStore<DeepReadonly<T>>>;
export function createConfigStore<T = unknown>(options: OtherOptions): Promise<ConfigStore<DeepReadonly<T>>>;
export async function createConfigStore(options: LoadOptions): Promise<ConfigStore<unknown>> {
  const prepared = prepare(options, 'createConfigStore');
  await openRing(prepared);
  return storeOf(prepared);
}

/** createConfigStore, synchronously. */
export function createConfigStoreSync<T = unknown>(options: FileOptions): ConfigStore<DeepReadonly<T>>;
export function createConfigStoreSync<const S extends Record<string, unknown> | boolean>(options: SchemaOptions<S>): ConfigStore<NoInfer<LoadedConfig<S>>>;
export function createConfigStoreSync<T>(options: ValidatorOptions<T>): ConfigStore<DeepReadonly<T>>;
export function createConfigStoreSync<T = unknown>(options: OtherOptions): ConfigStore<DeepReadonly<T>>;
export function createConfigStoreSync(options: LoadOptions): ConfigStore<unknown> {
  return storeOf(prepare(options, 'createConfigStoreSync'));
}

// The schema is compiled once; every reload reads the file, the keys and the environment afresh.
function storeOf(prepared: Prepared): ConfigStore<unknown> {
  let current = load(prepared);
  let fingerprint = fingerprintOf(current.value);
  const listeners = new Set<(config: unknown, previous: unknown) => void>();
  const reloadSync = (): unknown => {
    const next = load(prepared);
    const nextFingerprint = fingerprintOf(next.value);
    if (nextFingerprint === fingerprint) return current.config;
    const previous = current;
    current = next;
    fingerprint = nextFingerprint;
    for (const listener of [...listeners]) listener(next.config, previous.config);
    return next.config;
  };
  return {
    get: () => current.config,
    reloadSync,
    reload: async () => {
      await openRing(prepared);
      return reloadSync();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}

/** Opens the config's `.age` ring, if it has one, with errors in the loader's words. */
async function openRing(p: Prepared): Promise<void> {
  try {
    await openAgeRingFor(p.path, p.keys);
  } catch (e) {
    throw inLibraryWords(e, p.caller);
  }
}

// JSON.stringify throws on a bigint (bigNumbers: 'bigint'); the replacer runs only when there is one.
function fingerprintOf(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
  }
}

interface Prepared {
  path: string;
  keys: KeyOptions;
  open: { ttl?: number; now?: number };
  validate: ValidatorLike | undefined;
  /** For coercing environment overrides. */
  schema: unknown;
  env: { prefix: string } | undefined;
  environment: Record<string, string | undefined> | undefined;
  onWarning: ((message: string) => void) | undefined;
  onAccess: ((path: string) => void) | undefined;
  /** The function the app called, for messages. */
  caller: string;
  bigNumbers: BigNumbers;
}

interface Loaded {
  config: unknown;
  /** The same, frozen but without `onAccess` getters: what the store compares across reloads. */
  value: unknown;
}

/** Option checks and schema compilation: everything that does not depend on the file. */
function prepare(options: LoadOptions, caller: string): Prepared {
  if (typeof options !== 'object' || options === null) throw new UsageError(`${caller}() expects an options object`, { hint: `for example ${caller}({ path: 'config.enc' })` });
  const { path, schema, validate, ttl, now, env, environment, onAccess } = options;
  if (typeof path !== 'string' || path === '') throw new UsageError(`${caller}() needs \`path\`, the encrypted config file`);
  if (schema !== undefined && validate !== undefined) throw new UsageError(`give ${caller}() either \`schema\` or \`validate\`, not both`);
  if (validate !== undefined && typeof validate !== 'function') {
    throw new UsageError('`validate` must be a validator function, such as the default export of a module from `fcfg compile-schema`');
  }
  for (const [name, value] of [['ttl', ttl], ['now', now]] as const) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value < 0)) {
      throw new UsageError(`\`${name}\` must be a non-negative number of seconds`);
    }
  }
  if (env !== undefined && (typeof env !== 'object' || env === null || typeof env.prefix !== 'string')) {
    throw new UsageError('`env` must be an object with a `prefix`', { hint: "for example { env: { prefix: 'APP_' } }" });
  }
  if (onAccess !== undefined && typeof onAccess !== 'function') throw new UsageError('`onAccess` must be a function');
  const bigNumbers = options.bigNumbers ?? 'error';
  if (bigNumbers !== 'error' && bigNumbers !== 'string' && bigNumbers !== 'bigint') {
    throw new UsageError("`bigNumbers` must be 'error', 'string' or 'bigint'");
  }

  let validator: ValidatorLike | undefined = validate as ValidatorLike | undefined;
  let schemaObject: unknown = validate?.schema;
  if (typeof schema === 'string') {
    schemaObject = readSchemaFile(schema);
    validator = compileSchema(schemaObject as JsonSchema, { useDefaults: true }, `schema ${schema}`);
  } else if (schema !== undefined) {
    schemaObject = schema;
    validator = compiled(schema as JsonSchema);
  }
  if ((validator as { $async?: unknown } | undefined)?.$async) {
    throw new InvalidSchema('the schema is asynchronous ("$async"), which the config loader does not support', { hint: 'remove "$async" from the schema' });
  }

  const keys: KeyOptions = {};
  for (const name of ['key', 'keyFile', 'keyCommand', 'keyCommandTimeout', 'strictPermissions', 'onWarning', 'identity', 'identityFile', 'passphrase', 'home'] as const) {
    if (options[name] !== undefined) (keys as Record<string, unknown>)[name] = options[name];
  }
  if (environment !== undefined) keys.env = environment;
  const open: Prepared['open'] = {};
  if (ttl !== undefined) open.ttl = ttl;
  if (now !== undefined) open.now = now;
  return { path, keys, open, validate: validator, schema: schemaObject, env, environment, onWarning: options.onWarning, onAccess, caller, bigNumbers };
}

// Schemas given as objects are usually module constants: compile each once per process.
const cache = new WeakMap<object, ValidatorLike>();

function compiled(schema: JsonSchema): ValidatorLike {
  if (typeof schema !== 'object' || schema === null) return compileSchema(schema, { useDefaults: true });
  let validate = cache.get(schema);
  if (!validate) {
    validate = compileSchema(schema, { useDefaults: true });
    cache.set(schema, validate);
  }
  return validate;
}

function load(p: Prepared): Loaded {
  let opened;
  try {
    opened = openConfig(p.path, p.keys, p.open);
  } catch (e) {
    throw inLibraryWords(e, p.caller);
  }
  const source = `the decrypted content of ${p.path}`;
  const holder: [unknown] = [opened.value];
  const scan = scanParsed(holder, opened.text, source);
  // Only worth finding when someone hears of it; mayRepeatKeys is cheap and settles almost every file.
  if (p.onWarning && mayRepeatKeys(opened.text, scan.members)) {
    for (const d of findDuplicateKeys(opened.text, source)) {
      p.onWarning(`${p.path}: the key ${d.path} appears more than once (again at line ${d.line}, column ${d.column}); the last one is used`);
    }
  }
  const exact = exactNumbers(opened.text, source, holder, scan, p.bigNumbers);
  const value = holder[0];
  let applied: AppliedOverride[] = [];
  if (p.env) {
    applied = applyEnvOverrides(value, { prefix: p.env.prefix, environment: p.environment ?? process.env, schema: p.schema, onWarning: p.onWarning, bigNumbers: p.bigNumbers, exact });
  }
  let sensitive: string[] = [];
  if (p.validate) {
    const result = runValidator(p.validate, value);
    if (!result.valid) {
      const issues = result.issues.map((issue) => {
        // The most specific override that covers the path (APP_DATABASE__PORT rather than APP_DATABASE).
        const from = applied
          .filter((o) => issue.path === o.pointer || issue.path.startsWith(o.pointer + '/'))
          .sort((a, b) => b.pointer.length - a.pointer.length)[0];
        return from ? { ...issue, message: `${issue.message} (set by ${from.name})` } : issue;
      });
      const vars = applied.length > 0 ? ' or the environment overrides' : '';
      throw new ConfigValidationError(issues, { hint: `fix ${p.path}${vars} (\`fcfg edit\`, \`fcfg set\`), or the schema` });
    }
    sensitive = result.sensitive;
  }
  applyExact(exact);
  const exactValue = holder[0];
  return { config: finishConfig(exactValue, sensitive, p.onAccess), value: exactValue };
}

/** The dot paths of the sensitive values in a config that loadConfig returned (for tests and audits). */
export function sensitivePathsOf(config: unknown): string[] {
  const known = registration(config);
  if (!known) throw new UsageError('sensitivePathsOf() takes a config that loadConfig returned');
  return known.sensitive.map((p) => toDotPath(fromPointer(p)));
}
