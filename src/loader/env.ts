import { EnvOverrideError, UsageError } from '../errors.js';
import { checkEnvPrefix, envSegment } from '../ops/env.js';
import { fromPointer, toDotPath, toPointer } from '../schema/validate.js';
import { exactNumbers, scanParsed, type ExactSpot } from './numbers.js';
import type { BigNumbers } from './types.js';

/**
 * Environment overrides: `APP_DATABASE__PASSWORD=...` replaces `database.password` of the file. The
 * naming is `fcfg run`'s (src/ops/env.ts) read backwards. Names lose information (`api-key` and
 * `api_key` are both `API_KEY`), so a name is matched against the keys the config and the schema actually
 * have, never parsed into a path by guesswork; a name that fits two keys is an error.
 */

export interface AppliedOverride {
  /** The variable. */
  name: string;
  /** JSON pointer of the value it set. */
  pointer: string;
}

export interface OverrideContext {
  prefix: string;
  environment: Record<string, string | undefined>;
  /** The JSON Schema, when there is one: which keys exist and which types values must be coerced to. */
  schema: unknown;
  onWarning?: ((message: string) => void) | undefined;
  /** The loader's number rule for values the variables give (default 'error'). */
  bigNumbers?: BigNumbers;
  /** Where exact values for unsafe numbers are collected (bigNumbers 'string' or 'bigint'). */
  exact?: ExactSpot[];
}

/** Applies the overrides to `config` in place (it is freshly parsed) and says which variables set what. */
export function applyEnvOverrides(config: unknown, context: OverrideContext): AppliedOverride[] {
  const { prefix, environment } = context;
  if (typeof prefix !== 'string' || prefix === '') {
    throw new UsageError('env.prefix must be a non-empty string', { hint: "for example { env: { prefix: 'APP_' } }" });
  }
  checkEnvPrefix(prefix);
  const names = Object.keys(environment)
    .filter((name) => name.startsWith(prefix) && name.length > prefix.length && environment[name] !== undefined)
    // Sorted, so `APP_DATABASE` (a whole object) is applied before `APP_DATABASE__PORT` refines it.
    .sort();
  if (names.length === 0) return [];
  if (!isPlainObject(config)) {
    throw new EnvOverrideError(`environment overrides (${prefix}*) need a config whose top level is an object`);
  }
  const schemas = new SchemaIndex(context.schema);
  const applied: AppliedOverride[] = [];
  for (const name of names) {
    const matches: string[][] = [];
    findPaths(name.slice(prefix.length), config, schemas.root(), [], schemas, matches);
    if (matches.length === 0) {
      context.onWarning?.(`${name} matches no key of the config or its schema; ignored`);
      continue;
    }
    if (matches.length > 1) {
      throw new EnvOverrideError(`${name} is ambiguous: it could set ${matches.map((m) => toDotPath(m)).join(' or ')}`, {
        hint: 'rename one of the keys: names are upper-cased, other characters become _, and levels are joined by __',
      });
    }
    const path = matches[0]!;
    const existing = valueAt(config, path);
    const types = schemas.typesAt(path) ?? typeOfValue(existing);
    const value = coerce(environment[name]!, types);
    if (value === NO_FIT) {
      throw new EnvOverrideError(`${name} cannot set ${toDotPath(path)}: expected ${describeTypes(types)}`, {
        hint: 'write numbers as digits, booleans as true or false, objects and arrays as JSON (the value itself is not shown)',
      });
    }
    // A number from the environment follows the file's rule: never rounded silently.
    const holder: [unknown] = [value];
    const text = environment[name]!.trim();
    const spots = typeof value === 'number' || (typeof value === 'object' && value !== null) ? exactNumbers(text, `the environment variable ${name}`, holder, scanParsed(holder, text, name), context.bigNumbers ?? 'error', path) : [];
    setAt(config, path, value, name);
    for (const spot of spots) {
      // A bare number's spot is the holder; in the config it sits at `path`.
      if (spot.parent === holder) context.exact?.push({ ...spot, parent: valueAt(config, path.slice(0, -1)) as Record<string, unknown>, key: path[path.length - 1]! });
      else context.exact?.push(spot);
    }
    applied.push({ name, pointer: toPointer(path) });
  }
  return applied;
}

/** Every path of existing or schema-declared keys whose variable name is `rest`. */
function findPaths(rest: string, node: unknown, here: Schema[], path: string[], schemas: SchemaIndex, out: string[][]): void {
  const candidates = new Set<string>();
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) candidates.add(String(i));
  } else {
    if (isPlainObject(node)) for (const key of Object.keys(node)) candidates.add(key);
    if (node === undefined || isPlainObject(node)) for (const key of schemas.propertyNames(here)) candidates.add(key);
  }
  for (const key of candidates) {
    const segment = envSegment(key);
    if (segment === '') continue;
    if (rest === segment) out.push([...path, key]);
    else if (rest.startsWith(segment + '__')) {
      findPaths(rest.slice(segment.length + 2), childOf(node, key), schemas.child(here, key), [...path, key], schemas, out);
    }
  }
}

function childOf(node: unknown, key: string): unknown {
  if (Array.isArray(node)) return node[Number(key)];
  if (isPlainObject(node) && Object.hasOwn(node, key)) return node[key];
  return undefined;
}

function valueAt(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const key of path) node = childOf(node, key);
  return node;
}

/** Sets a value, creating the objects on the way that the schema declares but the file lacks. */
function setAt(root: Record<string, unknown>, path: readonly string[], value: unknown, name: string): void {
  let node: Record<string, unknown> | unknown[] = root;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    if (i === path.length - 1) {
      define(node, key, value);
      return;
    }
    let next = childOf(node, key);
    if (next === undefined) {
      next = {};
      define(node, key, next);
    } else if (typeof next !== 'object' || next === null) {
      throw new EnvOverrideError(`${name} cannot set ${toDotPath(path)}: ${toDotPath(path.slice(0, i + 1))} is not an object in the config`);
    }
    node = next as Record<string, unknown> | unknown[];
  }
}

// A key such as "__proto__" must become an own property, never the prototype.
function define(node: object, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, writable: true, enumerable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------------------
// Coercion

type JsonType = 'null' | 'boolean' | 'integer' | 'number' | 'object' | 'array' | 'string';
/** Tried in this order; the first that fits wins, so `123` is a number where the schema allows both. */
const ORDER: readonly JsonType[] = ['null', 'boolean', 'integer', 'number', 'object', 'array', 'string'];
const NO_FIT = Symbol('no fit');
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function coerce(raw: string, types: ReadonlySet<JsonType>): unknown {
  const text = raw.trim();
  const numeric = types.has('integer') || types.has('number');
  for (const type of ORDER) {
    if (!types.has(type)) continue;
    switch (type) {
      case 'null':
        if (text === 'null') return null;
        break;
      case 'boolean':
        if (/^true$/i.test(text) || (!numeric && text === '1')) return true;
        if (/^false$/i.test(text) || (!numeric && text === '0')) return false;
        break;
      case 'integer':
      case 'number': {
        if (!NUMBER.test(text)) break;
        const n = Number(text);
        if (Number.isFinite(n) && (type === 'number' || Number.isInteger(n))) return n;
        break;
      }
      case 'object':
      case 'array': {
        const parsed = parseQuietly(text);
        if (type === 'array' ? Array.isArray(parsed) : isPlainObject(parsed)) return parsed;
        break;
      }
      case 'string':
        return raw;
    }
  }
  return NO_FIT;
}

/** JSON.parse without its error, whose message quotes the input: here, a secret. */
function parseQuietly(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return NO_FIT;
  }
}

function typeOfValue(value: unknown): ReadonlySet<JsonType> {
  if (value === null) return new Set(['null']);
  if (Array.isArray(value)) return new Set(['array']);
  switch (typeof value) {
    case 'boolean':
      return new Set(['boolean']);
    case 'number':
      return new Set(['number']);
    case 'object':
      return new Set(['object']);
    default:
      return new Set(['string']);
  }
}

const DESCRIPTION: Record<JsonType, string> = {
  null: 'null',
  boolean: 'true or false',
  integer: 'an integer',
  number: 'a number',
  object: 'a JSON object',
  array: 'a JSON array',
  string: 'a string',
};

function describeTypes(types: ReadonlySet<JsonType>): string {
  return ORDER.filter((t) => types.has(t) && !(t === 'integer' && types.has('number')))
    .map((t) => DESCRIPTION[t])
    .join(' or ');
}

// ---------------------------------------------------------------------------------------------------
// Just enough of the schema: which keys an object has and which types a value may take, through $ref,
// allOf/anyOf/oneOf and if/then/else. Anything it cannot follow counts as unknown, and then the type of
// the value in the file (or a string) decides.

type Schema = Record<string, unknown>;

class SchemaIndex {
  readonly #root: unknown;
  readonly #ids = new Map<string, Schema>();
  readonly #anchors = new Map<string, Schema>();

  constructor(root: unknown) {
    this.#root = root;
    this.#collect(root, 0);
  }

  root(): Schema[] {
    return this.#expand(this.#root);
  }

  propertyNames(schemas: readonly Schema[]): string[] {
    const names = new Set<string>();
    for (const s of schemas) if (isPlainObject(s.properties)) for (const key of Object.keys(s.properties)) names.add(key);
    return [...names];
  }

  child(schemas: readonly Schema[], key: string): Schema[] {
    const out: Schema[] = [];
    const index = /^(0|[1-9]\d*)$/.test(key) ? Number(key) : undefined;
    for (const s of schemas) {
      let named = false;
      if (isPlainObject(s.properties) && Object.hasOwn(s.properties, key)) {
        out.push(...this.#expand(s.properties[key]));
        named = true;
      }
      if (isPlainObject(s.patternProperties)) {
        for (const [pattern, sub] of Object.entries(s.patternProperties)) {
          if (testPattern(pattern, key)) {
            out.push(...this.#expand(sub));
            named = true;
          }
        }
      }
      if (!named) out.push(...this.#expand(s.additionalProperties));
      if (index !== undefined) {
        const tuple = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : undefined;
        if (tuple && index < tuple.length) out.push(...this.#expand(tuple[index]));
        else if (tuple) out.push(...this.#expand(Array.isArray(s.items) ? s.additionalItems : s.items));
        else out.push(...this.#expand(s.items));
      }
    }
    return out;
  }

  /** The types a value at `path` may have, or undefined when the schema does not say. */
  typesAt(path: readonly string[]): ReadonlySet<JsonType> | undefined {
    let schemas = this.root();
    for (const key of path) schemas = this.child(schemas, key);
    const types = new Set<JsonType>();
    for (const s of schemas) {
      const declared = typeof s.type === 'string' ? [s.type] : Array.isArray(s.type) ? s.type : [];
      for (const t of declared) if (ORDER.includes(t as JsonType)) types.add(t as JsonType);
      const values = Object.hasOwn(s, 'const') ? [s.const] : Array.isArray(s.enum) ? s.enum : [];
      for (const v of values) for (const t of typeOfValue(v)) types.add(Number.isInteger(v) ? 'integer' : t);
    }
    return types.size > 0 ? types : undefined;
  }

  /** A subschema and everything it pulls in: its $ref and the branches of allOf/anyOf/oneOf/then/else. */
  #expand(schema: unknown, seen = new Set<Schema>()): Schema[] {
    if (!isPlainObject(schema) || seen.has(schema)) return [];
    seen.add(schema);
    const out = [schema];
    if (typeof schema.$ref === 'string') {
      const target = this.#resolve(schema.$ref);
      if (target) out.push(...this.#expand(target, seen));
    }
    for (const keyword of ['allOf', 'anyOf', 'oneOf']) {
      const list = schema[keyword];
      if (Array.isArray(list)) for (const sub of list) out.push(...this.#expand(sub, seen));
    }
    out.push(...this.#expand(schema.then, seen), ...this.#expand(schema.else, seen));
    return out;
  }

  #resolve(ref: string): unknown {
    if (ref === '#') return this.#root;
    if (ref.startsWith('#/')) {
      let node: unknown = this.#root;
      for (const raw of fromPointer(ref.slice(1))) {
        let key: string;
        try {
          key = decodeURIComponent(raw);
        } catch {
          return undefined;
        }
        node = Array.isArray(node) ? node[Number(key)] : isPlainObject(node) ? node[key] : undefined;
      }
      return node;
    }
    if (ref.startsWith('#')) return this.#anchors.get(ref.slice(1));
    return this.#ids.get(ref) ?? this.#ids.get(ref.replace(/#$/, ''));
  }

  #collect(node: unknown, depth: number): void {
    if (depth > 64) return;
    if (Array.isArray(node)) {
      for (const item of node) this.#collect(item, depth + 1);
      return;
    }
    if (!isPlainObject(node)) return;
    if (typeof node.$id === 'string') this.#ids.set(node.$id.replace(/#$/, ''), node);
    if (typeof node.$anchor === 'string') this.#anchors.set(node.$anchor, node);
    for (const [key, value] of Object.entries(node)) if (key !== 'enum' && key !== 'const' && key !== 'default') this.#collect(value, depth + 1);
  }
}

function testPattern(pattern: string, key: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(key);
  } catch {
    return false;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
