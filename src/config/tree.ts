import { createRequire } from 'node:module';
import type * as Jsonc from 'jsonc-parser';
import { DuplicateKey as DuplicateKeyError, InvalidJson } from '../errors.js';

/**
 * A lossless view of JSON text: every node knows where it sits in the text, and every scalar keeps its
 * literal exactly as written (`12345678901234567891`, `-0`, `1.50`, `"a\u0041"`), so commands can print,
 * compare and splice values without a round trip through JavaScript numbers.
 *
 * Tokens come from jsonc-parser's scanner (Microsoft, the JSON scanner of VS Code): it reports the offset
 * and length of every token and is a loop, not a recursion. The grammar on top is strict JSON (RFC 8259:
 * no comments, no trailing commas, only space/tab/CR/LF between tokens) and is driven by an explicit
 * stack, so depth costs heap, never call stack. jsonc-parser's own `parse`/`visit`/`parseTree` recurse
 * once per nesting level and accept comments, which is why they are not used here.
 */

// Loaded on first use, like in json.ts: the package root must stay cheap to import.
const require = createRequire(import.meta.url);
let jsoncModule: typeof Jsonc | undefined;
const jsonc = (): typeof Jsonc => (jsoncModule ??= require('jsonc-parser') as typeof Jsonc);

/**
 * Deepest nesting accepted. Python's json module stops just below 1000 (its recursion limit), and
 * JSON.stringify and schema validators recurse per level: deeper text is refused up front with
 * ERR_INVALID_JSON rather than failing later with a RangeError.
 */
export const MAX_DEPTH = 1000;
/** The reason InvalidJson gives for nesting deeper than MAX_DEPTH. */
export const TOO_DEEP = `nested deeper than ${MAX_DEPTH} levels`;

export type JsonNode =
  | { type: 'object'; offset: number; length: number; members: JsonMember[] }
  | { type: 'array'; offset: number; length: number; items: JsonNode[] }
  | { type: 'string' | 'number' | 'boolean' | 'null'; offset: number; length: number; literal: string };

export type ScalarType = 'string' | 'number' | 'boolean' | 'null';

export interface JsonMember {
  /** The key decoded (`"a\u0041"` in the text is the key `aA`). */
  key: string;
  keyOffset: number;
  keyLength: number;
  value: JsonNode;
  /** From the key's opening quote to the end of the value. */
  offset: number;
  length: number;
}

/** A key repeated in one object: its dot path (escaped as parsePath reads it) and where the repeat is. */
export interface DuplicateKey {
  path: string;
  line: number;
  column: number;
}

// jsonc-parser's SyntaxKind and ScanError are `const enum`s, which isolated modules cannot import.
const enum Tok {
  OpenBrace = 1,
  CloseBrace = 2,
  OpenBracket = 3,
  CloseBracket = 4,
  Comma = 5,
  Colon = 6,
  Null = 7,
  True = 8,
  False = 9,
  String = 10,
  Number = 11,
  LineComment = 12,
  BlockComment = 13,
  LineBreak = 14,
  Trivia = 15,
  Unknown = 16,
  EOF = 17,
}

const SCAN_ERRORS: Record<number, string> = {
  1: 'unterminated comment',
  2: 'unterminated string',
  3: 'incomplete number',
  4: 'invalid \\u escape',
  5: 'invalid escape character',
  6: 'control character in string',
};

/** Tokens Python's json.dumps writes for non-finite floats unless allow_nan=False. */
const PYTHON_NON_FINITE = ['-Infinity', 'Infinity', 'NaN'];

/** What a walk reports. Offsets are UTF-16 code unit offsets into the text; `end` is exclusive. */
export interface JsonEvents {
  objectBegin?(offset: number): void;
  /** A key was read (the colon and value follow). */
  member?(key: string, keyOffset: number, keyLength: number): void;
  objectEnd?(end: number): void;
  arrayBegin?(offset: number): void;
  arrayEnd?(end: number): void;
  scalar?(type: ScalarType, offset: number, length: number): void;
}

/**
 * Walks strict JSON text once, left to right, reporting structure as it goes. Linear time; memory is the
 * nesting stack only. Throws InvalidJson (line, column, reason; never a fragment of the text) on the
 * first error, including nesting deeper than MAX_DEPTH.
 */
export function walkJson(text: string, source: string, events: JsonEvents): void {
  const scanner = jsonc().createScanner(text, false);
  const fail = (reason: string): never => {
    const offset = scanner.getTokenOffset();
    const { line, column } = lineCounter(text)(offset);
    const python = PYTHON_NON_FINITE.find((t) => text.startsWith(t, offset));
    if (python !== undefined) {
      throw new InvalidJson(source, line, column, `${python} is not JSON (Python's json.dumps writes it for a non-finite float unless allow_nan=False)`, {
        hint: 'store null or a string instead; json.dumps(..., allow_nan=False) catches these in Python',
      });
    }
    if (reason === TOO_DEEP) throw new InvalidJson(source, line, column, reason, { hint: `a config nests at most ${MAX_DEPTH} levels: flatten the deepest part` });
    throw new InvalidJson(source, line, column, text.charCodeAt(offset) === 0xfeff ? 'a byte-order mark is not JSON' : reason);
  };
  const next = (): number => {
    for (;;) {
      // Whitespace is skipped here: the scanner would build a string of it, char by char, for nothing.
      let pos = scanner.getPosition();
      let c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        do c = text.charCodeAt(++pos);
        while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09);
        scanner.setPosition(pos);
      }
      const tok: number = scanner.scan();
      if (tok === Tok.Trivia || tok === Tok.LineBreak) continue;
      if (tok === Tok.LineComment || tok === Tok.BlockComment) fail('comments are not JSON');
      const error = scanner.getTokenError();
      if (error !== 0) fail(SCAN_ERRORS[error] ?? 'invalid token');
      return tok;
    }
  };
  // true = object, false = array
  const stack: boolean[] = [];
  // The scanner is on a key's string token.
  const readKey = (): void => {
    events.member?.(scanner.getTokenValue(), scanner.getTokenOffset(), scanner.getTokenLength());
    if (next() !== Tok.Colon) fail('colon expected');
  };
  const push = (isObject: boolean): void => {
    if (stack.length >= MAX_DEPTH) fail(TOO_DEEP);
    stack.push(isObject);
  };

  let tok = next();
  if (tok === Tok.EOF) fail('empty input');
  for (;;) {
    // A value starts at `tok`.
    let closed = false;
    switch (tok) {
      case Tok.OpenBrace:
        push(true);
        events.objectBegin?.(scanner.getTokenOffset());
        tok = next();
        if (tok === Tok.CloseBrace) {
          stack.pop();
          events.objectEnd?.(scanner.getPosition());
          closed = true;
        } else if (tok !== Tok.String) {
          fail('property name expected');
        } else {
          readKey();
          tok = next();
        }
        break;
      case Tok.OpenBracket:
        push(false);
        events.arrayBegin?.(scanner.getTokenOffset());
        tok = next();
        if (tok === Tok.CloseBracket) {
          stack.pop();
          events.arrayEnd?.(scanner.getPosition());
          closed = true;
        }
        break;
      case Tok.String:
      case Tok.Number:
      case Tok.True:
      case Tok.False:
      case Tok.Null:
        events.scalar?.(scalarType(tok), scanner.getTokenOffset(), scanner.getTokenLength());
        closed = true;
        break;
      default:
        fail('value expected');
    }
    if (!closed) continue;
    // After a complete value: close containers, or move to the next member or item.
    for (;;) {
      if (stack.length === 0) {
        if (next() !== Tok.EOF) fail('end of input expected');
        return;
      }
      const inObject = stack[stack.length - 1]!;
      tok = next();
      if (tok === Tok.Comma) {
        tok = next();
        if (inObject) {
          if (tok !== Tok.String) fail(tok === Tok.CloseBrace ? 'trailing comma' : 'property name expected');
          readKey();
          tok = next();
        } else if (tok === Tok.CloseBracket) {
          fail('trailing comma');
        }
        break;
      }
      if (inObject && tok === Tok.CloseBrace) {
        stack.pop();
        events.objectEnd?.(scanner.getPosition());
      } else if (!inObject && tok === Tok.CloseBracket) {
        stack.pop();
        events.arrayEnd?.(scanner.getPosition());
      } else {
        fail(inObject ? 'comma or close brace expected' : 'comma or close bracket expected');
      }
    }
  }
}

/**
 * 1-based line and column of an offset (lines end at LF, columns count UTF-16 units). Calls with
 * increasing offsets continue where the last one stopped, so naming many positions stays linear.
 */
export function lineCounter(text: string): (offset: number) => { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  let counted = 0;
  return (offset) => {
    if (offset < counted) [line, lineStart, counted] = [1, 0, 0];
    for (let i = text.indexOf('\n', counted); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    counted = offset;
    return { line, column: offset - lineStart + 1 };
  };
}

function scalarType(tok: number): ScalarType {
  if (tok === Tok.String) return 'string';
  if (tok === Tok.Number) return 'number';
  if (tok === Tok.Null) return 'null';
  return 'boolean';
}

/** Dot path for messages, escaped the way parsePath reads it (`a\.b` is the key "a.b"). */
export function formatPath(path: readonly (string | number)[]): string {
  return path.map((k) => String(k).replace(/[\\.]/g, '\\$&')).join('.');
}

/** Parses strict JSON into a lossless tree. InvalidJson (with line and column) on any error. */
export function parseTree(text: string, source: string): JsonNode {
  interface Frame {
    node: Extract<JsonNode, { type: 'object' | 'array' }>;
    key?: { key: string; keyOffset: number; keyLength: number };
  }
  const stack: Frame[] = [];
  let root: JsonNode | undefined;
  const attach = (node: JsonNode): void => {
    const top = stack[stack.length - 1];
    if (top === undefined) root = node;
    else if (top.node.type === 'array') top.node.items.push(node);
    else {
      const { key, keyOffset, keyLength } = top.key!;
      top.node.members.push({ key, keyOffset, keyLength, value: node, offset: keyOffset, length: node.offset + node.length - keyOffset });
    }
  };
  const close = (end: number): void => {
    const { node } = stack.pop()!;
    node.length = end - node.offset;
    attach(node);
  };
  walkJson(text, source, {
    objectBegin: (offset) => stack.push({ node: { type: 'object', offset, length: 0, members: [] } }),
    arrayBegin: (offset) => stack.push({ node: { type: 'array', offset, length: 0, items: [] } }),
    member: (key, keyOffset, keyLength) => {
      stack[stack.length - 1]!.key = { key, keyOffset, keyLength };
    },
    objectEnd: close,
    arrayEnd: close,
    scalar: (type, offset, length) => attach({ type, offset, length, literal: text.slice(offset, offset + length) }),
  });
  return root!;
}

/**
 * Every repeated key, in text order, with the position of the repeat. One pass, no tree: memory is the
 * keys of the objects currently open. Text that is not JSON throws InvalidJson (source "config").
 */
export function findDuplicateKeys(text: string, source = 'config'): DuplicateKey[] {
  interface Frame {
    keys: Set<string> | undefined; // undefined for arrays
    segment: string | undefined; // how the parent reaches this container (undefined at the root)
    count: number; // items so far, for arrays
    key: string; // last key read, for objects
  }
  const found: DuplicateKey[] = [];
  const stack: Frame[] = [];
  const position = lineCounter(text);
  const segmentForNext = (): string | undefined => {
    const top = stack[stack.length - 1];
    if (top === undefined) return undefined;
    return top.keys ? top.key : String(top.count++);
  };
  const open = (isObject: boolean) => () => {
    const segment = segmentForNext();
    stack.push({ keys: isObject ? new Set() : undefined, segment, count: 0, key: '' });
  };
  const close = () => {
    stack.pop();
  };
  walkJson(text, source, {
    objectBegin: open(true),
    arrayBegin: open(false),
    objectEnd: close,
    arrayEnd: close,
    scalar: () => {
      segmentForNext();
    },
    member: (key, offset) => {
      const top = stack[stack.length - 1]!;
      top.key = key;
      if (!top.keys!.has(key)) {
        top.keys!.add(key);
        return;
      }
      const path = stack.slice(1).map((f) => f.segment!);
      path.push(key);
      found.push({ path: formatPath(path), ...position(offset) });
    },
  });
  return found;
}

/** Throws DuplicateKey (ERR_DUPLICATE_KEY) naming the first repeat's line, column and path; never a value. */
export function assertNoDuplicateKeys(text: string, source: string): void {
  const found = findDuplicateKeys(text, source);
  const first = found[0];
  if (first === undefined) return;
  const more = found.length > 1 ? ` (and ${found.length - 1} more)` : '';
  throw new DuplicateKeyError(`${source} has the key ${first.path} twice: repeated at line ${first.line}, column ${first.column}${more}`, {
    hint: 'readers use the last one (as Python and JSON.parse do); remove the copy you do not want, e.g. with `fcfg edit`',
    line: first.line,
    column: first.column,
    path: first.path,
  });
}

/** The value a node stands for, with JSON.parse semantics (a repeated key: the last one wins). */
export function valueOf(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const m of node.members) {
        // A "__proto__" key is an own property in JSON.parse's result, not the prototype.
        if (m.key === '__proto__') Object.defineProperty(out, m.key, { value: valueOf(m.value), enumerable: true, writable: true, configurable: true });
        else out[m.key] = valueOf(m.value);
      }
      return out;
    }
    case 'array':
      return node.items.map(valueOf);
    default:
      return JSON.parse(node.literal) as unknown;
  }
}

export interface PrintOptions {
  /** One level of indentation (default two spaces, as JSON.stringify(value, null, 2)). */
  indent?: string;
  /**
   * Text to print instead of a node, e.g. a mask; undefined prints the node. `path` runs from the
   * printed node (array indexes as strings).
   */
  replace?: (path: readonly string[], node: JsonNode) => string | undefined;
}

/**
 * Prints a tree as indented JSON with every scalar's literal as written (numbers are never re-printed,
 * strings keep their escapes). A repeated key is printed once, where it first appears, with its last
 * value — what JSON.parse and Python read.
 */
export function printTree(node: JsonNode, options: PrintOptions = {}): string {
  const unit = options.indent ?? '  ';
  const print = (n: JsonNode, path: string[], indent: string): string => {
    const replaced = options.replace?.(path, n);
    if (replaced !== undefined) return replaced;
    const inner = indent + unit;
    if (n.type === 'array') {
      if (n.items.length === 0) return '[]';
      return `[\n${n.items.map((item, i) => inner + print(item, [...path, String(i)], inner)).join(',\n')}\n${indent}]`;
    }
    if (n.type === 'object') {
      const last = new Map<string, JsonMember>();
      for (const m of n.members) last.set(m.key, m);
      if (last.size === 0) return '{}';
      const lines = [...last.values()].map((m) => `${inner}${JSON.stringify(m.key)}: ${print(m.value, [...path, m.key], inner)}`);
      return `{\n${lines.join(',\n')}\n${indent}}`;
    }
    return n.literal;
  };
  return print(node, [], '');
}
