import { applyEdits, modify } from 'jsonc-parser';
import { detectFormatting, parseJson } from '../config/json.js';

/**
 * Three-way merge of JSON values, key by key.
 *
 * At every node: if both sides agree, or only one side changed it (from the base), the result is clear.
 * When both changed it differently and all three are objects, the merge recurses into their keys; otherwise
 * it is a conflict. Arrays and scalars are merged as whole values: index-wise merging of arrays guesses at
 * intent (an insertion shifts every later index) and a wrong guess would be silent, where a conflict is not.
 *
 * A key missing on one side is a value like any other ("absent"), so deleting a key that the other side
 * left alone merges cleanly, deleting one that the other side changed is a conflict, and both sides
 * adding the same key with different values is a conflict. Without a base (both sides added the file)
 * every difference is a conflict.
 */

export type ConflictKind = 'both-changed' | 'both-added' | 'deleted-ours' | 'deleted-theirs';

export interface MergeConflict {
  /** Dot path as `fcfg get/set` take it ("" for the whole document). */
  path: string;
  kind: ConflictKind;
}

export interface MergeResult {
  /** The merged value; at each conflicting path it holds our side's value (or no key, if ours deleted it). */
  value: unknown;
  conflicts: MergeConflict[];
}

/** The "absent" marker: a key that does not exist on that side. */
const ABSENT: unique symbol = Symbol('absent');
type Node = unknown | typeof ABSENT;

type JsonObject = Record<string, unknown>;

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);
const own = (o: JsonObject, k: string): Node => (Object.hasOwn(o, k) ? o[k] : ABSENT);

/** Structural equality of parsed JSON values (object key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    for (const k of ka) if (!Object.hasOwn(b, k) || !jsonEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** Sets a key without ever invoking the `__proto__` setter. */
function put(o: JsonObject, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Escapes a key for a dot path: `.` and `\` get a backslash, as parsePath expects. */
export function pathSegment(key: string): string {
  return key.replace(/[\\.]/g, (c) => '\\' + c);
}

const join = (base: string, key: string) => (base === '' ? pathSegment(key) : `${base}.${pathSegment(key)}`);

const same = (a: Node, b: Node) => (a === ABSENT || b === ABSENT ? a === b : jsonEqual(a, b));

/**
 * Merges `ours` and `theirs` against their common ancestor `base` (undefined: no common ancestor).
 */
export function mergeJson(base: unknown, ours: unknown, theirs: unknown, hasBase = base !== undefined): MergeResult {
  const conflicts: MergeConflict[] = [];
  const value = mergeNode(hasBase ? base : ABSENT, ours, theirs, '', conflicts);
  return { value: value === ABSENT ? null : value, conflicts };
}

function mergeNode(base: Node, ours: Node, theirs: Node, path: string, conflicts: MergeConflict[]): Node {
  if (same(ours, theirs)) return ours;
  if (same(base, ours)) return theirs;
  if (same(base, theirs)) return ours;
  if (isObject(ours) && isObject(theirs) && (base === ABSENT || isObject(base))) {
    const b = base === ABSENT ? undefined : base;
    const out: JsonObject = {};
    // Our key order first, then keys only theirs has, so the result reads like our file.
    const keys = [...Object.keys(ours), ...Object.keys(theirs).filter((k) => !Object.hasOwn(ours, k))];
    for (const k of keys) {
      const merged = mergeNode(b ? own(b, k) : ABSENT, own(ours, k), own(theirs, k), join(path, k), conflicts);
      if (merged !== ABSENT) put(out, k, merged);
    }
    return out;
  }
  let kind: ConflictKind;
  if (ours === ABSENT) kind = 'deleted-ours';
  else if (theirs === ABSENT) kind = 'deleted-theirs';
  else kind = base === ABSENT ? 'both-added' : 'both-changed';
  conflicts.push({ path, kind });
  return ours;
}

export function describeConflict(kind: ConflictKind): string {
  switch (kind) {
    case 'both-changed':
      return 'changed differently on both sides';
    case 'both-added':
      return 'added on both sides with different values';
    case 'deleted-ours':
      return 'deleted on our side, changed on theirs';
    case 'deleted-theirs':
      return 'changed on our side, deleted on theirs';
  }
}

/**
 * The merged document as text, written as edits to our side's text: our formatting, key order and every
 * untouched byte survive, and only what the merge changed differs. Falls back to plain two-space JSON when
 * the edits cannot reproduce the merged value (for example a replaced root).
 */
export function mergedText(oursText: string, oursValue: unknown, merged: unknown): string {
  const ops: { segments: string[]; value: unknown }[] = [];
  collectChanges(oursValue, merged, [], ops);
  if (ops.length === 0) return oursText;
  if (!ops.some((op) => op.segments.length === 0)) {
    try {
      let text = oursText;
      const formattingOptions = detectFormatting(oursText);
      for (const op of ops) text = applyEdits(text, modify(text, op.segments, op.value, { formattingOptions }));
      if (jsonEqual(parseJson(text, 'merged config'), merged)) return text;
    } catch {
      // fall through to re-serializing
    }
  }
  const eol = oursText.includes('\r\n') ? '\r\n' : '\n';
  return JSON.stringify(merged, null, 2).replace(/\n/g, eol) + eol;
}

function collectChanges(from: unknown, to: unknown, segments: string[], ops: { segments: string[]; value: unknown }[]): void {
  if (jsonEqual(from, to)) return;
  if (isObject(from) && isObject(to)) {
    for (const k of Object.keys(from)) if (!Object.hasOwn(to, k)) ops.push({ segments: [...segments, k], value: undefined });
    for (const k of Object.keys(to)) {
      if (Object.hasOwn(from, k)) collectChanges(from[k], to[k], [...segments, k], ops);
      else ops.push({ segments: [...segments, k], value: to[k] });
    }
    return;
  }
  ops.push({ segments, value: to });
}
