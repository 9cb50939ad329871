import { readFileSync } from 'node:fs';
import { decodeUtf8 } from '../src/config/json.js';
import { findDuplicateKeys } from '../src/config/tree.js';
import { fileError } from '../src/fs/errors.js';
import { warn } from './io.js';

/**
 * Reads a whole input (a file path, or `-` for standard input) as UTF-8 text. Bytes that are not UTF-8
 * are refused with their offset (InvalidUtf8) rather than turned into U+FFFD, which would change a secret.
 */
export function readUtf8Input(path: string): string {
  const label = path === '-' ? 'standard input' : path;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    throw fileError(e, label);
  }
  return decodeUtf8(bytes, label);
}

/**
 * Reading a config with a repeated key works as in Python and JSON.parse (the last copy wins), but the
 * user should know: one warning per repeat, with its position and path, never a value. `value`, what
 * JSON.parse made of `text` (an opened config), lets a text without repeats skip the full scan (see
 * mayRepeatKeys).
 */
export function warnDuplicateKeys(text: string, config: string, parsed?: { value: unknown }): void {
  if (parsed !== undefined && !mayRepeatKeys(text, parsed.value)) return;
  for (const d of findDuplicateKeys(text, config)) {
    warn(`${config} has the key ${d.path} more than once (repeated at line ${d.line}, column ${d.column}); the last one is used, as Python and JSON.parse do`);
  }
}

// Every string of a JSON text, in order: outside strings a JSON text has no `"`, so each match starts where
// a string starts. A key is a string followed by `:`. (The unrolled form has no backtracking per character.)
const JSON_STRING = /"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?/g;

/**
 * Whether `text`, which JSON.parse read as `value`, can repeat a key in an object: only if it writes more
 * keys than the parsed objects hold. One native regular-expression pass and a walk of the value, where
 * findDuplicateKeys tokenizes the text in JavaScript: a few milliseconds of every `get` and `decrypt`.
 */
export function mayRepeatKeys(text: string, value: unknown): boolean {
  let written = 0;
  JSON_STRING.lastIndex = 0;
  for (let m = JSON_STRING.exec(text); m !== null; m = JSON_STRING.exec(text)) if (m[1] !== undefined) written++;
  let held = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else {
      // JSON.parse makes "__proto__" an own property like any other key, so Object.keys counts it.
      const keys = Object.keys(v);
      held += keys.length;
      for (const k of keys) stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return written !== held;
}
