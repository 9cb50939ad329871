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
 * user should know: one warning per repeat, with its position and path, never a value.
 */
export function warnDuplicateKeys(text: string, config: string): void {
  for (const d of findDuplicateKeys(text, config)) {
    warn(`${config} has the key ${d.path} more than once (repeated at line ${d.line}, column ${d.column}); the last one is used, as Python and JSON.parse do`);
  }
}
