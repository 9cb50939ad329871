import { lineCounter, MAX_DEPTH, parseTree, type JsonNode } from '../config/tree.js';
import { InvalidJson, UnsafeNumber } from '../errors.js';
import { toDotPath } from '../schema/validate.js';
import type { BigNumbers } from './types.js';

/**
 * The loader's number rule. `JSON.parse` rounds every number to the nearest double, silently: an id
 * `12345678901234567891` comes back as `12345678901234567000`, `1e400` as `Infinity`. A number is *safe*
 * when the double is the value written, as far as a config can tell: an integer within ±(2^53−1), or a
 * finite non-integer. Anything else is refused (default) or delivered exactly (`bigNumbers`).
 *
 * Boot cost: the check is one walk over the parsed value, looking at each number once. Only when it finds
 * something unsafe (and the caller opted in) is the text parsed again, losslessly.
 */

// Nesting deeper than tree.ts's MAX_DEPTH (1000, about where Python's json module gives up) is refused as
// invalid JSON, as the CLI refuses it: every later step (validation, freezing) recurses.

/**
 * Python's limit on the digits of an int it converts from text (sys.get_int_max_str_digits(), 4300): the
 * largest BigInt the loader builds from a literal, so that `1e999999999` cannot make it allocate without end.
 */
export const MAX_BIGINT_DIGITS = 4300;

type Container = Record<string, unknown> | unknown[];

/** A number the double does not hold exactly, found in the parsed value. */
export interface UnsafeSpot {
  /** The object or array that holds it (the holder array `[root]` for a bare number document). */
  parent: Container;
  key: string;
  /** The rounded double JSON.parse gave. */
  rounded: number;
  /** Its path from the root, as keys. */
  path: string[];
}

export interface NumberScan {
  unsafe: UnsafeSpot[];
  /** Members of all objects in the parsed value (where the text repeats a key, the copies count once). */
  members: number;
}

export const isSafeNumber = (n: number): boolean => (Number.isInteger(n) ? Number.isSafeInteger(n) : Number.isFinite(n));

/**
 * Walks a freshly parsed value (inside `holder`, `[value]`, so a bare top-level number has a parent
 * too): collects the unsafe numbers, counts object members, and refuses nesting deeper than MAX_DEPTH
 * before the recursion could get anywhere near the stack's limit.
 */
export function scanParsed(holder: [unknown], text: string, source: string): NumberScan {
  const scan: NumberScan = { unsafe: [], members: 0 };
  const path: string[] = [];
  // for-in (half the time of Object.keys here) also lists enumerable keys an app added to Object.prototype;
  // only then does each key need checking.
  let inherited = false;
  for (const _ in Object.prototype) inherited = true;
  const visit = (node: Container, depth: number): void => {
    if (depth > MAX_DEPTH) throw tooDeep(text, source);
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const v: unknown = node[i];
        if (typeof v === 'number') {
          if (!isSafeNumber(v)) scan.unsafe.push({ parent: node, key: String(i), rounded: v, path: depth === 0 ? [] : [...path, String(i)] });
        } else if (typeof v === 'object' && v !== null) {
          if (depth > 0) path.push(String(i));
          visit(v as Container, depth + 1);
          if (depth > 0) path.pop();
        }
      }
      return;
    }
    for (const k in node) {
      if (inherited && !Object.hasOwn(node, k)) continue;
      scan.members++;
      const v = node[k];
      if (typeof v === 'number') {
        if (!isSafeNumber(v)) scan.unsafe.push({ parent: node, key: k, rounded: v, path: [...path, k] });
      } else if (typeof v === 'object' && v !== null) {
        path.push(k);
        visit(v as Container, depth + 1);
        path.pop();
      }
    }
  };
  visit(holder, 0);
  return scan;
}

function tooDeep(text: string, source: string): InvalidJson {
  const { line, column } = lineCounter(text)(offsetOfDepth(text, MAX_DEPTH + 1));
  return new InvalidJson(source, line, column, `nested deeper than ${MAX_DEPTH} levels`, {
    hint: 'flatten the structure; Python cannot read it either',
  });
}

/** Offset of the bracket that opens nesting level `level` (text is valid JSON). */
function offsetOfDepth(text: string, level: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string: a backslash escapes the next character.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth >= level) return i;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return 0;
}

/** Dot path for messages; the whole document has none. */
export const describePath = (path: readonly string[]): string => (path.length === 0 ? '(the whole config)' : toDotPath(path));

/** The error for unsafe numbers under the default rule: paths only, never a value. */
export function unsafeNumberError(source: string, spots: readonly Pick<UnsafeSpot, 'path'>[], hint?: string): UnsafeNumber {
  const paths = spots.map((s) => describePath(s.path));
  const shown = paths.slice(0, 5).join(', ') + (paths.length > 5 ? ` and ${paths.length - 5} more` : '');
  const what = spots.length === 1 ? 'a number' : `${spots.length} numbers`;
  return new UnsafeNumber(`${source} has ${what} that a JavaScript number would round (at ${shown})`, paths, {
    hint: hint ?? "to receive it exactly, load with bigNumbers: 'bigint' (or 'string'); or store it as a JSON string",
  });
}

/**
 * Whether the text may repeat a key in some object, judged against the parsed value's member count (where
 * repeated keys collapse). Every key is a closing quote, maybe whitespace, and a colon; counting the colons
 * that follow a quote (a native search and a look back each) bounds the keys from above and settles almost
 * every document — colons in URLs and times follow no quote. Only when that bound is too high are the
 * keys counted exactly.
 */
export function mayRepeatKeys(text: string, members: number): boolean {
  let bound = 0;
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    let j = i - 1;
    for (let c = text.charCodeAt(j); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(--j));
    if (text.charCodeAt(j) === 0x22 && ++bound > members) break;
  }
  if (bound <= members) return false;
  // Count exactly: from each opening quote to its closing one (a quote after an even run of backslashes),
  // then a colon means a key. Searches, not a regular expression: V8's runs out of stack on a string
  // with millions of escapes.
  let keys = 0;
  for (let open = text.indexOf('"'); open !== -1; ) {
    let close = open;
    for (;;) {
      close = text.indexOf('"', close + 1);
      if (close === -1) return false;
      let backslashes = 0;
      while (text.charCodeAt(close - 1 - backslashes) === 0x5c) backslashes++;
      if (backslashes % 2 === 0) break;
    }
    let after = close + 1;
    for (let c = text.charCodeAt(after); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++after));
    if (text.charCodeAt(after) === 0x3a && ++keys > members) return true;
    open = text.indexOf('"', after);
  }
  return false;
}

const LITERAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The exact value of a JSON number literal under `mode`: its text for 'string'; for 'bigint' the integer
 * it denotes, or undefined when it is not an integer (or has more than MAX_BIGINT_DIGITS digits).
 */
export function exactOf(literal: string, mode: Exclude<BigNumbers, 'error'>): string | bigint | undefined {
  if (mode === 'string') return literal;
  const m = LITERAL.exec(literal);
  if (!m) return undefined;
  let digits = (m[2]! + (m[3] ?? '')).replace(/^0+/, '');
  if (digits === '') return 0n;
  // Number() of a long exponent is a huge double or Infinity: either way the comparisons below hold.
  let exp = Number(m[4] ?? '0') - (m[3]?.length ?? 0);
  if (exp < 0) {
    let zeros = 0;
    while (digits.charCodeAt(digits.length - 1 - zeros) === 0x30) zeros++;
    const drop = Math.min(zeros, -exp);
    digits = digits.slice(0, digits.length - drop);
    exp += drop;
  }
  if (exp < 0 || digits.length + exp > MAX_BIGINT_DIGITS) return undefined;
  const n = BigInt(digits) * 10n ** BigInt(exp);
  return m[1] === '-' ? -n : n;
}

/** An unsafe number and the exact value that replaces it once validation is done. */
export interface ExactSpot {
  parent: Container;
  key: string;
  rounded: number;
  exact: string | bigint;
}

/**
 * The exact values of the unsafe numbers `scan` found in `holder` (parsed from `text`), by `mode`; with
 * 'error', or for a number 'bigint' cannot hold, UnsafeNumber. Paths in messages start with `base`.
 * Parses the text a second time, losslessly, walking the tree beside the parsed value: only the last of
 * repeated keys is what JSON.parse kept.
 */
export function exactNumbers(text: string, source: string, holder: [unknown], scan: NumberScan, mode: BigNumbers, base: readonly string[] = []): ExactSpot[] {
  const withBase = (path: readonly string[]) => ({ path: [...base, ...path] });
  if (scan.unsafe.length === 0) return [];
  if (mode === 'error') throw unsafeNumberError(source, scan.unsafe.map((s) => withBase(s.path)));
  const spots: ExactSpot[] = [];
  const refused: { path: string[] }[] = [];
  const stack: { node: JsonNode; parent: Container; key: string; path: string[] }[] = [{ node: parseTree(text, source), parent: holder, key: '0', path: [] }];
  while (stack.length > 0) {
    const { node, parent, key, path } = stack.pop()!;
    const v = (parent as Record<string, unknown>)[key];
    if (node.type === 'number') {
      if (typeof v !== 'number' || isSafeNumber(v)) continue;
      const exact = exactOf(node.literal, mode);
      if (exact === undefined) refused.push(withBase(path));
      else spots.push({ parent, key, rounded: v, exact });
    } else if (node.type === 'array') {
      node.items.forEach((item, i) => stack.push({ node: item, parent: v as Container, key: String(i), path: [...path, String(i)] }));
    } else if (node.type === 'object') {
      const last = new Map<string, JsonNode>();
      for (const m of node.members) last.set(m.key, m.value);
      for (const [k, child] of last) if (child.type !== 'string') stack.push({ node: child, parent: v as Container, key: k, path: [...path, k] });
    }
  }
  if (refused.length > 0) {
    throw unsafeNumberError(source, refused, "with bigNumbers: 'bigint' only integers (of up to 4300 digits) come exactly; load with bigNumbers: 'string' to receive the literal text");
  }
  return spots;
}

/** Puts the exact values in place of the rounded ones they were found as (unless something replaced those since). */
export function applyExact(spots: readonly ExactSpot[]): void {
  for (const s of spots) {
    const parent = s.parent as Record<string, unknown>;
    if (Object.is(parent[s.key], s.rounded)) Object.defineProperty(parent, s.key, { value: s.exact, writable: true, enumerable: true, configurable: true });
  }
}
