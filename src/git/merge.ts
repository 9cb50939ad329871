import { parseTree, type JsonNode } from '../config/tree.js';
import { literalOf, parseLiteral, type Literal } from './canonical.js';

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
 *
 * The merge driver passes literal values (canonical.ts: every scalar as its JSON text), so equality is
 * exact: `12345678901234567891` and `12345678901234567892` differ, as `1.50` and `1.5` do, where parsed
 * JavaScript numbers would call the first pair equal and lose a change.
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
 * The merged document as text, written as edits to our side's text: a changed value is replaced where it
 * stands, a removed member goes with one separator, new members are appended to their object. Every other
 * byte of ours survives — untouched members, indentation, a one-line document staying on one line — and
 * new values are written in the style of the object they join (compact in a one-line object, indented
 * like their siblings otherwise), each number exactly as written on the side it came from. Falls back to
 * the whole merged value in our style only if the edited text would not read back as `merged`.
 */
export function mergedText(oursText: string, merged: Literal, oursTree?: JsonNode): string {
  const tree = oursTree ?? parseTree(oursText, 'our side');
  const style = styleOf(oursText, tree);
  const edits: Edit[] = [];
  const oursLiteral = literalOf(tree);
  if (jsonEqual(oursLiteral, merged)) return oursText;
  if (tree.type === 'object' && isObject(merged)) {
    editObject(oursText, tree, oursLiteral as LiteralObject, merged as LiteralObject, style, edits);
  } else {
    edits.push({ start: tree.offset, end: tree.offset + tree.length, text: render(merged, style, compactAt(oursText, tree), '') });
  }
  // In text order (an insertion at a removal's end after that removal), joined in one pass.
  edits.sort((a, b) => a.start - b.start || a.end - b.end);
  const parts: string[] = [];
  let at = 0;
  for (const e of edits) {
    parts.push(oursText.slice(at, e.start), e.text);
    at = e.end;
  }
  parts.push(oursText.slice(at));
  const text = parts.join('');
  try {
    if (jsonEqual(parseLiteral(text, 'merged config'), merged)) return text;
  } catch {
    // fall through to writing the whole value
  }
  return oursText.slice(0, tree.offset) + render(merged, style, compactAt(oursText, tree), '') + oursText.slice(tree.offset + tree.length);
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

interface Style {
  eol: string;
  /** One indentation level. */
  unit: string;
  /** Between a key and its value, colon included (`": "` in Python's json.dumps, `":"` in JSON.stringify's). */
  colon: string;
  /** Between members or items on one line. */
  comma: string;
}

type ObjectNode = Extract<JsonNode, { type: 'object' }>;
type LiteralObject = { [key: string]: Literal };

/** How ours writes things, taken from its first examples (separators from containers written on one line). */
function styleOf(text: string, tree: JsonNode): Style {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const m = /\n([ \t]+)\S/.exec(text);
  const unit = m ? (m[1]!.startsWith('\t') ? '\t' : m[1]!) : '  ';
  let colon: string | undefined;
  let comma: string | undefined;
  const stack: JsonNode[] = [tree];
  while (stack.length > 0 && (colon === undefined || comma === undefined)) {
    const node = stack.pop()!;
    if (node.type === 'object') {
      const [a, b] = node.members;
      if (a && colon === undefined) colon = text.slice(a.keyOffset + a.keyLength, a.value.offset);
      if (a && b && comma === undefined && sameLine(text, node.offset, a.offset) && sameLine(text, a.offset + a.length, b.offset)) comma = text.slice(a.offset + a.length, b.offset);
      for (const x of node.members) stack.push(x.value);
    } else if (node.type === 'array') {
      const [a, b] = node.items;
      if (a && b && comma === undefined && sameLine(text, node.offset, a.offset) && sameLine(text, a.offset + a.length, b.offset)) comma = text.slice(a.offset + a.length, b.offset);
      for (const x of node.items) stack.push(x);
    }
  }
  colon ??= ': ';
  comma ??= colon === ':' ? ',' : ', ';
  return { eol, unit, colon, comma };
}

/** Whether a container sits on one line (new values inside it are written compact, as its own are). */
const compactAt = (text: string, node: JsonNode): boolean => {
  const newline = text.indexOf('\n', node.offset);
  return newline === -1 || newline >= node.offset + node.length;
};

/** No line break between two offsets (the whitespace between tokens: short). */
const sameLine = (text: string, from: number, to: number): boolean => !text.slice(from, to).includes('\n');

/** The indentation of the line `offset` is on, when only whitespace precedes it there. */
function lineIndent(text: string, offset: number): string | undefined {
  // Backwards over spaces and tabs only: on a one-line document this stops at once.
  let start = offset;
  for (let c = text.charCodeAt(start - 1); c === 0x20 || c === 0x09; c = text.charCodeAt(--start - 1));
  return start === 0 || text.charCodeAt(start - 1) === 0x0a ? text.slice(start, offset) : undefined;
}

/** A literal value as text: compact (`colon`/`comma` of the style) or indented, starting at `indent`. */
function render(v: Literal, style: Style, compact: boolean, indent: string): string {
  if (typeof v === 'string') return v;
  const inner = indent + style.unit;
  const entries = Array.isArray(v) ? v.map((item) => render(item, style, compact, inner)) : Object.keys(v).map((k) => JSON.stringify(k) + style.colon + render(v[k]!, style, compact, inner));
  const [open, close] = Array.isArray(v) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  if (compact) return open + entries.join(style.comma) + close;
  return open + style.eol + inner + entries.join(',' + style.eol + inner) + style.eol + indent + close;
}

/** Edits that turn the object `node` of `text` into `to`. */
function editObject(text: string, node: ObjectNode, from: LiteralObject, to: LiteralObject, style: Style, edits: Edit[], inCompact = false): void {
  // Inside a one-line container everything is on one line; otherwise look (up to the first line break).
  const compact = inCompact || compactAt(text, node);
  // A repeated key: the last copy is the one readers see (writers refuse such text anyway).
  const index = new Map<string, number>();
  node.members.forEach((m, i) => index.set(m.key, i));
  const members = node.members.filter((m, i) => index.get(m.key) === i);
  const kept = members.map((m) => Object.hasOwn(to, m.key));
  const added = Object.keys(to).filter((k) => !index.has(k));
  const parentIndent = lineIndent(text, node.offset) ?? '';
  const memberIndent = (members.length > 0 ? lineIndent(text, members[members.length - 1]!.keyOffset) : undefined) ?? parentIndent + style.unit;
  if (!kept.includes(true)) {
    // Nothing of ours is left in it: write the object anew.
    edits.push({ start: node.offset, end: node.offset + node.length, text: render(to, style, compact, parentIndent) });
    return;
  }
  const end = (i: number) => members[i]!.offset + members[i]!.length;
  const lastKept = kept.lastIndexOf(true);
  members.forEach((m, i) => {
    if (!kept[i]) {
      // Before the last member we keep: up to the next member. After it: from the previous one's end.
      edits.push(i < lastKept ? { start: m.offset, end: members[i + 1]!.offset, text: '' } : { start: end(i - 1), end: end(i), text: '' });
      return;
    }
    const next = to[m.key]!;
    const before = from[m.key]!;
    if (jsonEqual(before, next)) return;
    if (m.value.type === 'object' && isObject(next)) editObject(text, m.value, before as LiteralObject, next as LiteralObject, style, edits, compact);
    else edits.push({ start: m.value.offset, end: m.value.offset + m.value.length, text: render(next, style, compact, memberIndent) });
  });
  if (added.length > 0) {
    const sep = compact ? style.comma : ',' + style.eol + memberIndent;
    const text2 = added.map((k) => sep + JSON.stringify(k) + style.colon + render(to[k]!, style, compact, memberIndent)).join('');
    const at = end(members.length - 1);
    edits.push({ start: at, end: at, text: text2 });
  }
}
