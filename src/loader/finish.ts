import { fromPointer, toDotPath, toPointer } from '../schema/validate.js';

/**
 * The last step of loading: freeze the config, remember where its sensitive values are (so `redact(config)`
 * needs no schema), and — only when `onAccess` is given — route reads of those values through a hook.
 */

export const REDACTED = '[redacted]';

interface Registration {
  /** The node without audit getters, which redaction and re-validation may read freely. */
  raw: object;
  /** Its JSON pointer in the config. */
  pointer: string;
  /** All sensitive pointers of the config it belongs to. */
  sensitive: readonly string[];
}

// Every object node of every config the loader returned; weak, so configs that are dropped are collected.
const registry = new WeakMap<object, Registration>();

/** What the loader knows about a node it returned, if it returned it. */
export function registration(node: unknown): Registration | undefined {
  return typeof node === 'object' && node !== null ? registry.get(node) : undefined;
}

/** Freezes `value` (freshly parsed, owned by us) and, with `onAccess`, wraps sensitive reads. */
export function finishConfig<T>(value: T, sensitive: readonly string[], onAccess?: (path: string) => void): T {
  const list = Object.freeze([...sensitive]);
  freezeAndRegister(value, '', list);
  if (!onAccess || list.length === 0) return value;
  return audited(value, trieOf(list), [], list, onAccess) as T;
}

function freezeAndRegister(node: unknown, pointer: string, sensitive: readonly string[]): void {
  if (typeof node !== 'object' || node === null) return;
  registry.set(node, { raw: node, pointer, sensitive });
  for (const key of Object.keys(node)) freezeAndRegister((node as Record<string, unknown>)[key], `${pointer}/${escape(key)}`, sensitive);
  Object.freeze(node);
}

/** Sensitive paths as a tree of keys; `true` marks a sensitive value (whose own children need no more). */
type Trie = Map<string, Trie | true>;

function trieOf(pointers: readonly string[]): Trie {
  const root: Trie = new Map();
  for (const pointer of pointers) {
    const path = fromPointer(pointer);
    if (path.length === 0) continue; // the whole config: there is no read of it to intercept
    let node = root;
    for (let i = 0; i < path.length; i++) {
      const key = path[i]!;
      const existing = node.get(key);
      if (existing === true) break;
      if (i === path.length - 1) {
        node.set(key, true);
        break;
      }
      const next: Trie = existing ?? new Map();
      node.set(key, next);
      node = next;
    }
  }
  return root;
}

/**
 * A frozen copy of the nodes on the way to sensitive values, where each sensitive value is a getter that
 * calls `onAccess`. Getters rather than a Proxy: a Proxy of a frozen object must return the target's own
 * values, and a getter is also what spreading, JSON.stringify and structuredClone go through. Everything
 * off those paths is shared with the plain frozen config.
 */
function audited(node: unknown, trie: Trie, path: string[], sensitive: readonly string[], onAccess: (path: string) => void): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const source = node as Record<string, unknown>;
  const copy: Record<string, unknown> = Array.isArray(node) ? (new Array(node.length) as unknown as Record<string, unknown>) : {};
  for (const key of Object.keys(source)) {
    const sub = trie.get(key);
    const value = source[key];
    if (sub === true) {
      const dot = toDotPath([...path, key]);
      Object.defineProperty(copy, key, {
        get() {
          onAccess(dot);
          return value;
        },
        enumerable: true,
      });
    } else {
      Object.defineProperty(copy, key, { value: sub ? audited(value, sub, [...path, key], sensitive, onAccess) : value, enumerable: true });
    }
  }
  registry.set(copy, { raw: source, pointer: toPointer(path), sensitive });
  return Object.freeze(copy);
}

/**
 * A plain (unfrozen) deep copy of `value` with the values at `pointers` (relative to it) replaced by
 * "[redacted]". Sensitive values are never read, so no `onAccess` hook fires.
 */
export function redactPointers(value: unknown, pointers: readonly string[]): unknown {
  if (pointers.includes('')) return REDACTED;
  return copyRedacted(value, trieOf(pointers));
}

function copyRedacted(node: unknown, trie: Trie | undefined): unknown {
  if (typeof node !== 'object' || node === null) return node;
  const source = node as Record<string, unknown>;
  const out: Record<string, unknown> = Array.isArray(node) ? ([] as unknown as Record<string, unknown>) : {};
  for (const key of Object.keys(source)) {
    const sub = trie?.get(key);
    const value = sub === true ? REDACTED : copyRedacted(source[key], sub);
    Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  }
  return out;
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
