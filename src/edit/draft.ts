import { createHash } from 'node:crypto';
import { readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FileExists, FileNotFound } from '../errors.js';
import { openToken, plaintextToText, readToken } from '../config/file.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { fileError } from '../fs/errors.js';
import type { KeyRing } from '../keys/ring.js';

/**
 * An edit that could not be saved (invalid JSON, a schema violation, the config changed meanwhile, the
 * session was interrupted) is kept beside the config as `<config>.draft`: one Fernet token under the
 * config's own primary key, like the config itself. Its plaintext is a small JSON envelope holding the
 * user's text exactly as typed (which may not be JSON) and which version of the config the edit
 * started from, so that resuming can tell whether the config changed since.
 */
export interface Draft {
  path: string;
  token: string;
  text: string;
  /** tokenId of the config the edit started from; null: it did not exist; undefined: unknown. */
  base: string | null | undefined;
  /**
   * The plaintext of the config the edit started from, when the draft records it (drafts since this
   * field was added): a rewrite that kept the content (a key rotation) is then not a change.
   */
  baseText?: string;
  /** When the draft was written (Unix seconds). */
  timestamp: number;
}

const FORMAT = 'fernet-config-draft/1';

export function draftPathFor(config: string): string {
  return `${config}.draft`;
}

/** Identifies a version of a config without revealing anything: a hash of its (public) token. */
export function tokenId(token: string | undefined): string | null {
  return token === undefined ? null : createHash('sha256').update(token).digest('hex');
}

/** Reads and decrypts a draft with the config's key ring. */
export function readDraft(path: string, ring: KeyRing): Draft {
  let token: string;
  try {
    token = readToken(path);
  } catch (e) {
    if (e instanceof FileNotFound) throw new FileNotFound(`there is no draft ${path}`, { cause: e, hint: 'drop --resume to edit the config itself' });
    throw e;
  }
  const { bytes, timestamp } = openToken(token, ring, `draft ${path}`);
  const plaintext = plaintextToText(bytes, `draft ${path}`);
  let text = plaintext;
  let base: string | null | undefined;
  let baseText: string | undefined;
  try {
    const envelope = JSON.parse(plaintext) as { format?: unknown; base?: unknown; baseText?: unknown; text?: unknown };
    if (envelope?.format === FORMAT && typeof envelope.text === 'string') {
      text = envelope.text;
      base = typeof envelope.base === 'string' ? envelope.base : envelope.base === null ? null : undefined;
      if (typeof envelope.baseText === 'string') baseText = envelope.baseText;
    }
  } catch {
    // Not our envelope: a hand-made draft is plain text to resume, of unknown origin.
  }
  return { path, token, text, base, timestamp, ...(baseText === undefined ? {} : { baseText }) };
}

export interface KeepDraftOptions {
  /** tokenId of the config the edit started from. */
  base: string | null;
  /** The plaintext of that config (it is encrypted with the draft, like the text). */
  baseText?: string;
  /** The draft this edit resumed: it is replaced, unless someone else replaced it meanwhile. */
  replace?: { path: string; token: string };
}

/**
 * Writes a draft atomically (mode 0600) and returns its path. Never overwrites a draft this edit did not
 * start from — that would lose someone's edit — but takes the next free `<config>.draft.N` instead.
 */
export function keepDraft(config: string, text: string, ring: KeyRing, options: KeepDraftOptions): string {
  const sealed = ring.multi.encrypt(JSON.stringify({ format: FORMAT, config: basename(config), base: options.base, ...(options.baseText === undefined ? {} : { baseText: options.baseText }), text })) + '\n';
  const write = (path: string, exclusive: boolean) => writeFileAtomic(path, sealed, { mode: 0o600, keepMode: false, exclusive, label: `draft ${path}` });
  const replace = options.replace;
  if (replace !== undefined && currentToken(replace.path) === replace.token) {
    write(replace.path, false);
    return replace.path;
  }
  const main = draftPathFor(config);
  for (let n = 1; n < 1000; n++) {
    const path = n === 1 ? main : `${main}.${n}`;
    try {
      write(path, true);
      return path;
    } catch (e) {
      if (!(e instanceof FileExists)) throw e;
    }
  }
  throw new FileExists(`too many drafts of ${config}`, { hint: `resume or delete the ${main}.N files` });
}

function currentToken(path: string): string | undefined {
  try {
    return readToken(path);
  } catch {
    return undefined;
  }
}

/** The drafts beside a config: `<config>.draft` and the numbered ones, the main one first. */
export function findDrafts(config: string): string[] {
  const dir = dirname(config);
  const main = basename(draftPathFor(config));
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const numbered = (name: string) => (name.startsWith(`${main}.`) && /^\d+$/.test(name.slice(main.length + 1)) ? Number(name.slice(main.length + 1)) : 0);
  return names
    .filter((name) => name === main || numbered(name) > 1)
    .sort((a, b) => numbered(a) - numbered(b))
    .map((name) => join(dir, name));
}

/** Deletes a draft; one that is already gone is fine. */
export function removeDraft(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(e, `draft ${path}`);
  }
}
