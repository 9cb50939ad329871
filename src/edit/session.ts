import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigValidationError, FileAccessError, InvalidJson, MalformedConfigFile, type FernetConfigError, type ValidationIssue } from '../errors.js';
import { openToken, plaintextToText, readToken, ringFor, stampOf, writeConfig, type KeySource } from '../config/file.js';
import { parseJson, stripBom } from '../config/json.js';
import { fileError } from '../fs/errors.js';
import { withLock, type LockOptions } from '../fs/lock.js';
import type { KeyRing } from '../keys/ring.js';

/** A config about to be edited: its key ring and the version the edit starts from. */
export interface EditTarget {
  path: string;
  ring: KeyRing;
  /** The token on disk when the edit started; undefined when the config does not exist yet. */
  baseToken: string | undefined;
  /** Its plaintext (for a new config: the text the edit starts from). Saving this text is "no change". */
  baseText: string;
  exists: boolean;
}

export interface OpenForEditOptions {
  /** Starting text of a config that does not exist yet (default "{}\n"); computed only when needed. */
  createWith?: string | (() => string);
}

/**
 * Opens a config for editing. Unlike openConfig, content that is not valid JSON is accepted: editing is
 * how it gets fixed. Everything that would make the save fail later is checked now, before the user
 * spends time in the editor: the key, and whether the directory takes new files (the atomic write
 * renames a temp file into it).
 */
export function openForEdit(path: string, keys: KeySource = {}, options: OpenForEditOptions = {}): EditTarget {
  const exists = stampOf(path) !== undefined;
  let target: EditTarget;
  if (exists) {
    const token = readToken(path);
    const ring = ringFor(path, keys);
    const text = plaintextToText(openToken(token, ring, path).bytes, path);
    target = { path, ring, baseToken: token, baseText: text, exists };
  } else {
    const ring = ringFor(path, keys);
    const start = options.createWith ?? '{}\n';
    target = { path, ring, baseToken: undefined, baseText: typeof start === 'function' ? start() : start, exists };
  }
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw fileError(e, `directory ${dir}`);
  }
  return target;
}

/** The temp file's name: the config's, ending in .json so that editors highlight it. */
export function editFileName(config: string): string {
  const stem = basename(config).replace(/\.enc$/i, '') || 'config';
  return stem.toLowerCase().endsWith('.json') ? stem : `${stem}.json`;
}

export interface EditedFile {
  text: string;
  /** False when the bytes were not UTF-8 (the text then holds replacement characters). */
  utf8: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/**
 * Reads the file back from the editor; undefined when the editor removed it. A byte-order mark, which
 * some editors add and JSON does not allow, is dropped.
 */
export function readEditedFile(path: string): EditedFile | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(e, `the edited file ${path}`);
  }
  let text: string;
  let utf8 = true;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    text = lenientUtf8.decode(bytes);
    utf8 = false;
  }
  return { text: stripBom(text), utf8 };
}

export type Validator = (value: unknown) => ValidationIssue[];

/**
 * What is wrong with an edit, or undefined when it can be saved: invalid UTF-8, invalid JSON (with line
 * and column), or schema violations (paths and messages). Never any of the text itself.
 */
export function checkEdit(edited: EditedFile, validate?: Validator): FernetConfigError | undefined {
  if (!edited.utf8) return new MalformedConfigFile('your edit is not UTF-8 text');
  let value: unknown;
  try {
    value = parseJson(edited.text, 'your edit');
  } catch (e) {
    if (e instanceof InvalidJson) return e;
    throw e;
  }
  if (validate) {
    const issues = validate(value);
    if (issues.length > 0) return new ConfigValidationError(issues);
  }
  return undefined;
}

export type SchemaReference = { path: string } | { url: string };

/**
 * The schema a document names in a top-level "$schema" (the convention editors such as VS Code follow):
 * a path relative to the config's directory, an absolute path or a file: URL. Other URLs are returned as
 * such and not fetched.
 */
export function schemaReference(value: unknown, configPath: string): SchemaReference | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const ref = (value as Record<string, unknown>)['$schema'];
  if (typeof ref !== 'string' || ref.trim() === '') return undefined;
  if (/^file:/i.test(ref)) {
    try {
      return { path: fileURLToPath(ref) };
    } catch {
      return { url: ref };
    }
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref) && !/^[a-z]:[\\/]/i.test(ref)) return { url: ref };
  return { path: resolve(dirname(configPath), ref) };
}

export type SaveResult = { outcome: 'unchanged' } | { outcome: 'saved' | 'created' } | { outcome: 'conflict'; draft: string };

export interface SaveOptions {
  /** Keeps the text safe when the config changed meanwhile; returns where it went. */
  keepDraft: (text: string) => string;
  lock?: LockOptions;
}

/**
 * Saves an edit unless it changes nothing. The editor session can last hours, so the config is not locked
 * meanwhile; instead, under the lock that `set`/`unset` also take, the token on disk is compared with the
 * one the edit started from. Any rewrite (another edit, a git pull, a key rotation — each encryption
 * yields a new token) or a deletion counts as a change: the edit then goes to a draft instead of
 * overwriting someone else's work.
 */
export async function saveEdit(target: EditTarget, text: string, options: SaveOptions): Promise<SaveResult> {
  if (text === target.baseText) return { outcome: 'unchanged' };
  return withLock(
    target.path,
    (): SaveResult => {
      if (currentToken(target.path) !== target.baseToken) return { outcome: 'conflict', draft: options.keepDraft(text) };
      writeConfig(target.path, text, target.ring);
      return { outcome: target.exists ? 'saved' : 'created' };
    },
    options.lock,
  );
}

// A file that is no longer a readable token has changed too; the sentinel never equals a token.
const UNREADABLE = '\0unreadable';

function currentToken(path: string): string | undefined {
  if (stampOf(path) === undefined) return undefined;
  try {
    return readToken(path);
  } catch (e) {
    if (e instanceof FileAccessError) throw e;
    return UNREADABLE;
  }
}
