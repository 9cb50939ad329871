import type { FormattingOptions } from 'jsonc-parser';
import { InvalidJson, InvalidPath, InvalidUtf8, PathNotFound } from '../errors.js';
import { MAX_DEPTH, TOO_DEEP, assertNoDuplicateKeys, formatPath, walkJson, type JsonEvents } from './tree.js';

/** Drops a leading byte-order mark, which some editors write and JSON does not allow. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses strict JSON. On failure the error names the line and column and what was expected — never a
 * fragment of the text, which V8's own SyntaxError messages quote and which may be a secret. Nesting
 * deeper than MAX_DEPTH is refused too (JSON.parse accepts it; what consumes the value would not).
 */
export function parseJson(text: string, source: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw locateJsonError(text, source);
  }
  // Nesting deeper than MAX_DEPTH needs more than 2 * MAX_DEPTH characters: small texts skip the scan.
  if (text.length > 2 * MAX_DEPTH && deeperThan(text, MAX_DEPTH)) walkJson(text, source, {});
  return value;
}

// The walker finds the same first error JSON.parse did, with its line and column, and without quoting the
// text as V8's SyntaxError messages do (the text may be a secret).
function locateJsonError(text: string, source: string): InvalidJson {
  try {
    walkJson(text, source, {});
  } catch (e) {
    if (e instanceof InvalidJson) return e;
    throw e;
  }
  return new InvalidJson(source, 1, 1, 'unexpected content');
}

/** Whether brackets nest deeper than `max`, strings skipped. One quick pass over text JSON.parse accepted. */
function deeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = stringEnd(text, i);
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Offset of the quote closing the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  let i = text.indexOf('"', start + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0 || i < 0) return i < 0 ? text.length : i;
    i = text.indexOf('"', i + 1);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes that must be UTF-8 text (RFC 3629: no overlong forms, no surrogates, nothing above
 * U+10FFFF). InvalidUtf8 names the byte offset of the first bad sequence, never the bytes.
 */
export function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8(bytes);
    throw new InvalidUtf8(`${source} is not UTF-8 text: invalid byte sequence at byte offset ${offset}`, offset, {
      hint: 'convert it to UTF-8 first (e.g. iconv -f latin1 -t utf-8)',
    });
  }
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (bytes.length if none). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return bytes.length;
}

export type PathSegment = string | number;

/**
 * Parses a dot path: `database.password`, `servers.0.host`. A literal dot or backslash in a key is
 * escaped with a backslash (`"a\.b"` is the key "a.b"). Numeric segments index arrays; on objects they
 * are ordinary keys.
 */
export function parsePath(path: string): string[] {
  if (path === '') throw new InvalidPath('empty path', { hint: 'use dot notation, e.g. database.password' });
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '\\' && i + 1 < path.length) {
      current += path[++i];
    } else if (ch === '.') {
      segments.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  segments.push(current);
  if (segments.some((s) => s === '')) {
    throw new InvalidPath(`path "${path}" has an empty segment`, { hint: 'use dot notation, e.g. database.password' });
  }
  return segments;
}

const isIndex = (s: string) => /^(0|[1-9]\d*)$/.test(s);

/** Indentation and line ending of an existing document, so edits look like the user's own. */
export function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const m = /\n([ \t]+)\S/.exec(text);
  if (m && m[1]!.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: m ? m[1]!.length : 2, eol };
}

/*
 * Editing JSON text in place. Every edit is one splice found by one linear walk of the text: the value
 * a path names is located by its offsets, and only its bytes (plus one separator when a member comes or
 * goes) change. Untouched members keep their bytes, and new members copy the style of their neighbours
 * (separators, colon spacing, indentation, line endings), so a one-line document that Python's
 * json.dumps wrote stays one line. jsonc-parser's `modify` is not used: it re-formats siblings and its
 * cost grows faster than the document.
 */

type NodeType = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

/** Where one node on a path sits. Offsets are UTF-16 offsets into the text; ends are exclusive. */
interface Spot {
  type: NodeType;
  offset: number;
  end: number;
  /** Where this node starts as a child: its key's quote for a member, the value itself for an item. */
  start: number;
  /** End of the previous sibling's value, or undefined for the first child. */
  prevEnd: number | undefined;
  /** Start of the next sibling, or undefined for the last child. */
  nextStart: number | undefined;
  /** Children so far (members or items), and the offsets the style is copied from. */
  count: number;
  firstStart: number;
  firstEnd: number;
  secondStart: number;
  lastEnd: number;
  /** Text between the first member's key and its value, e.g. ": " or ":". */
  colon: string | undefined;
}

interface Located {
  segments: string[];
  /** chain[k] is the node at segments[0..k); chain.length - 1 segments were found. */
  chain: Spot[];
  /** Keys of the object at level `collectKeysAt`, when asked for. */
  keys: string[];
}

interface Frame {
  spot: Spot;
  level: number;
  isObject: boolean;
  key: string;
  keyStart: number;
  keyEnd: number;
  /** The on-path child whose next sibling has not started yet. */
  pending: Spot | undefined;
}

const newSpot = (type: NodeType, offset: number, start: number, prevEnd: number | undefined): Spot => ({
  type, offset, end: offset, start, prevEnd, nextStart: undefined, count: 0, firstStart: -1, firstEnd: -1, secondStart: -1, lastEnd: -1, colon: undefined,
});

/**
 * One pass over the text following `segments` from the root. Containers off the path cost a stack slot
 * and nothing else. A repeated key on the path resolves to its last copy, as JSON.parse reads it.
 */
function locate(text: string, segments: string[], source: string, collectKeysAt = -1, refuseDuplicates = false): Located {
  const chain: Spot[] = [];
  // With refuseDuplicates, the keys of every open object (undefined for arrays): the same pass that
  // finds the path also checks for repeats, and only a repeat pays for the slower pass that names it.
  const keySets: (Set<string> | undefined)[] = [];
  let repeated = false;
  const keys: string[] = [];
  const frames: (Frame | null)[] = [];
  const childStarts = (f: Frame, start: number): void => {
    const s = f.spot;
    s.count++;
    if (s.count === 1) s.firstStart = start;
    else if (s.count === 2) s.secondStart = start;
    if (f.pending) {
      f.pending.nextStart = start;
      f.pending = undefined;
    }
  };
  // Returns the spot when this value lies on the path, with its level.
  const begin = (type: NodeType, offset: number): [Spot, number] | undefined => {
    if (frames.length === 0) {
      const root = newSpot(type, offset, offset, undefined);
      chain[0] = root;
      return [root, 0];
    }
    const f = frames[frames.length - 1];
    if (!f) return undefined;
    let match: boolean;
    if (f.isObject) {
      if (f.spot.count === 1 && f.spot.colon === undefined) f.spot.colon = text.slice(f.keyEnd, offset);
      match = f.level < segments.length && segments[f.level] === f.key;
    } else {
      childStarts(f, offset);
      match = f.level < segments.length && segments[f.level] === String(f.spot.count - 1);
    }
    if (!match) return undefined;
    const spot = newSpot(type, offset, f.isObject ? f.keyStart : offset, f.spot.count > 1 ? f.spot.lastEnd : undefined);
    chain[f.level + 1] = spot;
    chain.length = f.level + 2;
    f.pending = spot;
    return [spot, f.level + 1];
  };
  const ended = (end: number): void => {
    const f = frames[frames.length - 1];
    if (!f) return;
    f.spot.lastEnd = end;
    if (f.spot.count === 1) f.spot.firstEnd = end;
  };
  const open = (isObject: boolean) => (offset: number) => {
    if (refuseDuplicates) keySets.push(isObject ? new Set() : undefined);
    const on = begin(isObject ? 'object' : 'array', offset);
    frames.push(on ? { spot: on[0], level: on[1], isObject, key: '', keyStart: 0, keyEnd: 0, pending: undefined } : null);
  };
  const close = (end: number): void => {
    keySets.pop();
    const f = frames.pop();
    if (f) f.spot.end = end;
    ended(end);
  };
  const events: JsonEvents = {
    objectBegin: open(true),
    arrayBegin: open(false),
    objectEnd: close,
    arrayEnd: close,
    member: (key, keyOffset, keyLength) => {
      if (refuseDuplicates) {
        const keys = keySets[keySets.length - 1]!;
        if (keys.has(key)) repeated = true;
        else keys.add(key);
      }
      const f = frames[frames.length - 1];
      if (!f) return;
      f.key = key;
      f.keyStart = keyOffset;
      f.keyEnd = keyOffset + keyLength;
      childStarts(f, keyOffset);
      if (f.level === collectKeysAt) keys.push(key);
    },
    scalar: (type, offset, length) => {
      const on = begin(type, offset);
      if (on) on[0].end = offset + length;
      ended(offset + length);
    },
  };
  walkJson(text, source, events);
  if (repeated) assertNoDuplicateKeys(text, source);
  return { segments, chain, keys };
}

/** The error for a path that stops at chain[found]: what is there instead, and what may have been meant. */
function notThere(text: string, path: string, at: Located, source: string, forWrite: boolean): Error {
  const { segments, chain } = at;
  const found = chain.length - 1;
  const node = chain[found]!;
  const walked = formatPath(segments.slice(0, found)) || '(the root)';
  const seg = segments[found]!;
  if (node.type === 'array') {
    if (!isIndex(seg)) return new InvalidPath(`${walked} is an array; "${seg}" is not an index`, { hint: `use a number from 0 to ${node.count - 1}` });
    const items = `${walked} is an array of ${node.count} item${node.count === 1 ? '' : 's'}`;
    const append = formatPath([...segments.slice(0, found), String(node.count)]);
    if (forWrite) return new InvalidPath(`${items}: index ${seg} is past its end`, { hint: `use ${append} to append` });
    return new PathNotFound(`${path} is not set: ${items}`, node.count === 0 ? {} : { hint: `indexes run from 0 to ${node.count - 1}` });
  }
  if (node.type !== 'object') {
    if (found === 0) return new InvalidPath('the config is not an object or array');
    if (!forWrite) return new PathNotFound(`${path} is not set: ${walked} is ${node.type === 'null' ? 'null' : `a ${node.type}`}`);
    return new InvalidPath(`${walked} is ${node.type === 'null' ? 'null' : `a ${node.type}`}, not an object`, { hint: 'unset it first or choose another path' });
  }
  const guess = closest(seg, locate(text, segments, source, found).keys);
  const hint = guess === undefined ? undefined : `did you mean ${formatPath([...segments.slice(0, found), guess, ...segments.slice(found + 1)])}?`;
  return new PathNotFound(`${path} is not set`, hint === undefined ? {} : { hint });
}

/**
 * The key nearest to `wanted`, if it is near enough to be a typo: an edit distance of at most a quarter
 * of the two names' lengths together (at least 1), so short names get some room too (`lvl` for `level`,
 * two letters left out), or else an abbreviation (`lvl`, `db`: its letters in order in the key, the first
 * one first). The limit counts both names: from the wanted one alone, a 3-letter name allowed 1 edit.
 */
function closest(wanted: string, keys: readonly string[]): string | undefined {
  const w = wanted.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const key of keys) {
    const limit = Math.max(1, Math.floor((wanted.length + key.length) / 4));
    if (Math.abs(key.length - wanted.length) > limit) continue;
    const d = editDistance(w, key.toLowerCase());
    if (d <= limit && d < bestDistance) {
      best = key;
      bestDistance = d;
    }
  }
  if (best !== undefined || w.length < 2) return best;
  const abbreviations = keys.filter((k) => isAbbreviation(w, k.toLowerCase()));
  return abbreviations.length === 1 ? abbreviations[0] : undefined;
}

function isAbbreviation(short: string, long: string): boolean {
  if (short.length >= long.length || short[0] !== long[0]) return false;
  let i = 0;
  for (const c of long) if (c === short[i]) i++;
  return i === short.length;
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
function editDistance(a: string, b: string): number {
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      row.push(v);
    }
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** A value's place in the text: its type and its offsets (end exclusive). */
export interface ValueSpan {
  type: NodeType;
  offset: number;
  end: number;
}

/** Finds the value a dot path names. PathNotFound (with a did-you-mean hint) when it is not there. */
export function locateValue(text: string, path: string, source = 'config'): ValueSpan {
  const segments = parsePath(path);
  const at = locate(text, segments, source);
  if (at.chain.length <= segments.length) throw notThere(text, path, at, source, false);
  const { type, offset, end } = at.chain[segments.length]!;
  return { type, offset, end };
}

/**
 * The JSON text a command-line VALUE stands for: VALUE itself (without surrounding whitespace) when it
 * is JSON, so numbers, objects and arrays are stored exactly as typed; otherwise, or with `asString`,
 * VALUE as a JSON string. A VALUE that is JSON but repeats a key is refused (DuplicateKey); one that
 * starts with `{`, `[` or `"` (after whitespace) but is not JSON is refused (InvalidJson, with a hint
 * to pass --string).
 */
export function valueLiteral(raw: string, asString: boolean, source = 'the value'): string {
  if (asString) return JSON.stringify(raw);
  const trimmed = raw.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  try {
    walkJson(trimmed, source, {});
  } catch (e) {
    // JSON nested too deep is still meant as JSON: storing it as a string would change what was typed.
    if (!(e instanceof InvalidJson) || e.message.includes(TOO_DEEP)) throw e;
    // A VALUE that starts like an object, an array or a string was meant as JSON: a typo in it must not
    // turn it into a string silently. The error gives line and column, never the text.
    if (/^[{["]/.test(trimmed)) {
      let positioned = e;
      try {
        walkJson(raw, source, {}); // the same error, its line and column counted in VALUE as given
      } catch (inRaw) {
        if (inRaw instanceof InvalidJson) positioned = inRaw;
      }
      throw Object.assign(positioned, { hint: 'fix the JSON, or pass --string (-s) to store VALUE as text exactly as given' });
    }
    return JSON.stringify(raw);
  }
  assertNoDuplicateKeys(trimmed, source);
  return trimmed;
}

/** How new text should look where it goes: the document's own separators and indentation. */
interface Style {
  multiline: boolean;
  /** Indentation of the line the new child starts on (multi-line only). */
  indent: string;
  unit: string;
  eol: string;
  colon: string;
  sep: string;
}

function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let i = lineStart;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return text.slice(lineStart, i);
}

/** Whether the document breaks lines anywhere inside its value (trailing newlines do not count). */
function isMultiline(text: string): boolean {
  const first = text.indexOf('\n');
  if (first < 0) return false;
  let last = text.length - 1;
  while (last >= 0 && ' \t\r\n'.includes(text[last]!)) last--;
  return first < last;
}

/**
 * The style of a new child: line breaks and indentation as its siblings have them; spacing after colons
 * and commas as a choice (": " or ":", ", " or ","), not copied character for character, so that one
 * member written `"a" :   1` by hand does not set the pattern for every new one.
 */
function styleFor(text: string, container: Spot, chain: readonly Spot[]): Style {
  const sample = [...chain].reverse().find((s) => s.colon !== undefined)?.colon;
  const spaced = sample === undefined || /:[ \t]/.test(sample);
  const colon = spaced ? ': ' : ':';
  const format = detectFormatting(text);
  const unit = format.insertSpaces ? ' '.repeat(format.tabSize ?? 2) : '\t';
  // Whitespace before a child: after the comma between the first two, or after the opening bracket.
  let gap: string | undefined;
  if (container.count >= 2) {
    const between = text.slice(container.firstEnd, container.secondStart);
    gap = between.slice(between.indexOf(',') + 1);
  } else if (container.count === 1) {
    gap = text.slice(container.offset + 1, container.firstStart);
  }
  if (gap !== undefined && gap.includes('\n')) {
    const eol = gap.includes('\r\n') ? '\r\n' : '\n';
    const indent = gap.slice(gap.lastIndexOf('\n') + 1);
    return { multiline: true, indent, unit, eol, colon, sep: ',' + eol + indent };
  }
  const sep = (container.count >= 2 ? gap !== '' : spaced) ? ', ' : ',';
  const multiline = container.count === 0 && isMultiline(text);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return { multiline, indent: multiline ? lineIndent(text, container.offset) + unit : '', unit, eol, colon, sep };
}

/** `literal` under the keys `rest`, as nested objects in the document's style. */
function nest(rest: readonly string[], literal: string, style: Style, indent: string): string {
  if (rest.length === 0) return literal;
  const member = JSON.stringify(rest[0]) + style.colon + nest(rest.slice(1), literal, style, indent + style.unit);
  return style.multiline ? `{${style.eol}${indent}${style.unit}${member}${style.eol}${indent}}` : `{${member}}`;
}

/**
 * Sets the value at a dot path to `literal` (JSON text, written as given), creating missing objects on
 * the way; an array index equal to the array's length appends. Only the bytes of the value (or of the
 * new member and one separator) change. Refuses a document with a repeated key (DuplicateKey), since an
 * edit there could change the copy readers do not see. Returns `text` itself when nothing changes.
 */
export function setInText(text: string, path: string, literal: string, source = 'config'): string {
  const segments = parsePath(path);
  const at = locate(text, segments, source, -1, true);
  const { chain } = at;
  if (chain.length > segments.length) {
    const target = chain[segments.length]!;
    if (text.slice(target.offset, target.end) === literal) return text;
    return text.slice(0, target.offset) + literal + text.slice(target.end);
  }
  const found = chain.length - 1;
  const container = chain[found]!;
  const seg = segments[found]!;
  if (container.type === 'array' ? seg !== String(container.count) : container.type !== 'object') throw notThere(text, path, at, source, true);
  const style = styleFor(text, container, chain);
  const value = nest(segments.slice(found + 1), literal, style, style.indent);
  const child = container.type === 'object' ? JSON.stringify(seg) + style.colon + value : value;
  if (container.count > 0) return text.slice(0, container.lastEnd) + style.sep + child + text.slice(container.lastEnd);
  const [open, close] = container.type === 'object' ? ['{', '}'] : ['[', ']'];
  const inner = style.multiline ? `${style.eol}${style.indent}${child}${style.eol}${lineIndent(text, container.offset)}` : child;
  return text.slice(0, container.offset) + open + inner + close + text.slice(container.end);
}

/**
 * Removes the member or item at a dot path together with exactly one separator; the last child of a
 * container leaves it empty (`{}` / `[]`). PathNotFound when it is not there; DuplicateKey as for setInText.
 */
export function unsetInText(text: string, path: string, source = 'config'): string {
  const segments = parsePath(path);
  const at = locate(text, segments, source, -1, true);
  if (at.chain.length <= segments.length) throw notThere(text, path, at, source, false);
  const target = at.chain[segments.length]!;
  const parent = at.chain[segments.length - 1]!;
  if (target.nextStart !== undefined) return text.slice(0, target.start) + text.slice(target.nextStart);
  if (target.prevEnd !== undefined) return text.slice(0, target.prevEnd) + text.slice(target.end);
  return text.slice(0, parent.offset) + (parent.type === 'object' ? '{}' : '[]') + text.slice(parent.end);
}
