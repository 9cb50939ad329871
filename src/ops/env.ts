import { parseTree, type JsonNode } from '../config/tree.js';
import { EnvExportError, UsageError } from '../errors.js';

/**
 * Config as environment variables, for programs in any language (`fcfg run`), and the naming the loader
 * uses in reverse for its env overrides, so both directions agree on one rule:
 *
 *  - each object key is upper-cased, and every character other than `A`-`Z` and `0`-`9` becomes `_`
 *    (one `_` per character, nothing collapsed: `api-key` → `API_KEY`, `maxConns` → `MAXCONNS`);
 *  - nested keys are joined with `__` (`database.password` → `DATABASE__PASSWORD`);
 *  - the prefix is put in front exactly as given (`APP_` → `APP_DATABASE__PASSWORD`).
 *
 * Values: strings as they are; numbers exactly as written in the file (so `12345678901234567890` is not
 * rounded); `true`/`false`; arrays as compact JSON (objects inside them too); `null` and empty objects
 * produce no variable. Two paths that map to the same name are an error, never a silent overwrite.
 */

/** The name part for one object key. */
export function envSegment(key: string): string {
  return key.toUpperCase().replace(/[^A-Z0-9]/gu, '_');
}

/** The variable name for a path of object keys: `envName(['database', 'password'], 'APP_')` → `APP_DATABASE__PASSWORD`. */
export function envName(path: readonly string[], prefix = ''): string {
  return prefix + path.map(envSegment).join('__');
}

const PREFIX_SHAPE = /^([A-Za-z_][A-Za-z0-9_]*)?$/;

/** A prefix must itself be a portable variable name (or empty). */
export function checkEnvPrefix(prefix: string): void {
  if (!PREFIX_SHAPE.test(prefix)) {
    throw new UsageError(`prefix "${prefix}" is not usable in a variable name`, { hint: 'use letters, digits and _, not starting with a digit (e.g. APP_)' });
  }
}

export interface FlattenOptions {
  /** Put in front of every name (default none). */
  prefix?: string;
  /**
   * The JSON text `value` was parsed from. When given, numbers are exported as written there rather than
   * as JavaScript re-prints them (which rounds large integers and turns `1.50` into `1.5`).
   */
  text?: string;
}

/** Flattens a config object into variables (name → value), in the config's key order. */
export function flattenToEnv(value: unknown, options: FlattenOptions = {}): Record<string, string> {
  const prefix = options.prefix ?? '';
  checkEnvPrefix(prefix);
  if (!isPlainObject(value)) {
    throw new EnvExportError('only a config whose top level is an object can become environment variables', {
      hint: 'wrap the value in an object, e.g. {"settings": ...}',
    });
  }
  const numbers = options.text === undefined ? undefined : numberLiterals(options.text);
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  const origin = new Map<string, string[]>();
  const conflicts = new Set<string>();
  const nul: string[] = [];

  const json = (v: unknown, path: string[]): string => {
    if (Array.isArray(v)) return `[${v.map((item, i) => json(item, [...path, String(i)])).join(',')}]`;
    if (isPlainObject(v)) return `{${Object.entries(v).map(([k, item]) => `${JSON.stringify(k)}:${json(item, [...path, k])}`).join(',')}}`;
    if (typeof v === 'number') return numbers?.get(pathKey(path)) ?? JSON.stringify(v);
    return JSON.stringify(v) ?? 'null';
  };

  const visit = (v: unknown, path: string[]): void => {
    if (isPlainObject(v)) {
      for (const [k, item] of Object.entries(v)) visit(item, [...path, k]);
      return;
    }
    if (v === null || v === undefined) return;
    let text: string;
    if (typeof v === 'string') text = v;
    else if (typeof v === 'number') text = numbers?.get(pathKey(path)) ?? String(v);
    else if (typeof v === 'boolean') text = String(v);
    else text = json(v, path);
    const name = envName(path, prefix);
    const seen = origin.get(name);
    if (seen) {
      conflicts.add(name);
      seen.push(formatPath(path));
      return;
    }
    origin.set(name, [formatPath(path)]);
    // The OS cannot carry a NUL inside a variable; it would end the value early.
    if (text.includes('\0')) nul.push(formatPath(path));
    env[name] = text;
  };
  visit(value, []);

  if (conflicts.size > 0) {
    const list = [...conflicts].map((name) => `${name} from ${origin.get(name)!.join(' and ')}`).join('; ');
    throw new EnvExportError(`config keys map to the same variable name: ${list}`, {
      hint: 'rename one of the keys (names are upper-cased, other characters become _, nesting is __)',
    });
  }
  if (nul.length > 0) {
    throw new EnvExportError(`value at ${nul.join(', ')} contains a NUL character, which environment variables cannot hold`);
  }
  return env;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Dot path for messages, with the same escaping `get`/`set` accept (`a\.b` is the key "a.b"). */
function formatPath(path: readonly string[]): string {
  return path.map((k) => k.replace(/[\\.]/g, '\\$&')).join('.');
}

const pathKey = (path: readonly string[]) => path.join('\0');

/** Number literals of a JSON text by path, as written. A duplicated key keeps its last value, as JSON.parse does. */
function numberLiterals(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (node: JsonNode, path: string[]): void => {
    if (node.type === 'number') out.set(pathKey(path), node.literal);
    else if (node.type === 'array') node.items.forEach((child, i) => walk(child, [...path, String(i)]));
    else if (node.type === 'object') for (const m of node.members) walk(m.value, [...path, m.key]);
  };
  walk(parseTree(text, 'the config'), []);
  return out;
}
