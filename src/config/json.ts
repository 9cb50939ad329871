import { createRequire } from 'node:module';
import type * as Jsonc from 'jsonc-parser';
import type { FormattingOptions, ParseError } from 'jsonc-parser';
import { InvalidJson, InvalidPath, PathNotFound } from '../errors.js';

// jsonc-parser is a dozen modules, needed only to locate a syntax error or to edit text: loaded on first
// use, so that reading a config (the runtime loader at boot) does not pay for it.
const require = createRequire(import.meta.url);
let jsoncModule: typeof Jsonc | undefined;
const jsonc = (): typeof Jsonc => (jsoncModule ??= require('jsonc-parser') as typeof Jsonc);

/** Drops a leading byte-order mark, which some editors write and JSON does not allow. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses strict JSON. On failure the error names the line and column and what was expected — never a
 * fragment of the text, which V8's own SyntaxError messages quote and which may be a secret.
 */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw locateJsonError(text, source, cause);
  }
}

function locateJsonError(text: string, source: string, cause: unknown): InvalidJson {
  const errors: ParseError[] = [];
  jsonc().parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  let offset = first?.offset ?? 0;
  let reason = first ? describe(jsonc().printParseErrorCode(first.error)) : 'unexpected content';
  if (!first && text.trim() === '') reason = 'empty input';
  const { line, column } = lineColumn(text, offset);
  return new InvalidJson(source, line, column, reason, { cause: sanitizeCause(cause) });
}

// V8's SyntaxError message quotes the input; keep the type for --debug, drop the text.
function sanitizeCause(cause: unknown): Error {
  return new SyntaxError(cause instanceof Error ? cause.name : 'SyntaxError');
}

function describe(code: string): string {
  // "PropertyNameExpected" -> "property name expected"
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
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

/** Looks a path up in a parsed value. Throws PathNotFound when something along it is missing. */
export function getPath(value: unknown, path: string): unknown {
  let node = value;
  for (const seg of parsePath(path)) {
    if (Array.isArray(node) && isIndex(seg) && Number(seg) < node.length) node = node[Number(seg)];
    else if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, seg)) node = (node as Record<string, unknown>)[seg];
    else throw new PathNotFound(`${path} is not set`);
  }
  return node;
}

/** Resolves a dot path against a value into jsonc-parser segments, checking every step can be walked. */
function toSegments(root: unknown, path: string, forWrite: boolean): PathSegment[] {
  const segs = parsePath(path);
  const out: PathSegment[] = [];
  let node: unknown = root;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const walked = segs.slice(0, i).join('.') || '(the root)';
    if (Array.isArray(node)) {
      if (!isIndex(seg)) throw new InvalidPath(`${walked} is an array; "${seg}" is not an index`);
      const idx = Number(seg);
      if (idx > node.length || (!forWrite && idx >= node.length)) throw new PathNotFound(`${path} is not set`);
      out.push(idx);
      node = node[idx];
    } else if (node !== null && typeof node === 'object') {
      out.push(seg);
      node = Object.hasOwn(node, seg) ? (node as Record<string, unknown>)[seg] : undefined;
    } else if (node === undefined && forWrite) {
      // Missing objects on the way are created.
      out.push(seg);
    } else {
      if (node === undefined) throw new PathNotFound(`${path} is not set`);
      throw new InvalidPath(`${walked} is a ${node === null ? 'null' : typeof node}, not an object`, { hint: 'unset it first or choose another path' });
    }
  }
  return out;
}

/** Indentation and line ending of an existing document, so edits look like the user's own. */
export function detectFormatting(text: string): FormattingOptions {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const m = /\n([ \t]+)\S/.exec(text);
  if (m && m[1]!.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: m ? m[1]!.length : 2, eol };
}

/**
 * Sets a value in JSON text, changing only what it must: formatting, key order and every other byte of
 * the user's text survive.
 */
export function setInText(text: string, path: string, value: unknown): string {
  const root = parseJson(text, 'config');
  if (root === null || typeof root !== 'object') throw new InvalidPath('the config is not an object or array');
  const segments = toSegments(root, path, true);
  const edits = jsonc().modify(text, segments, value, { formattingOptions: detectFormatting(text) });
  return jsonc().applyEdits(text, edits);
}

/** Removes a value from JSON text; PathNotFound when it is not there. */
export function unsetInText(text: string, path: string): string {
  const root = parseJson(text, 'config');
  getPath(root, path);
  const segments = toSegments(root, path, false);
  const edits = jsonc().modify(text, segments, undefined, { formattingOptions: detectFormatting(text) });
  return jsonc().applyEdits(text, edits);
}
