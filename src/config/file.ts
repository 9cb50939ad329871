import { statSync } from 'node:fs';
import { FileNotFound, InvalidToken, MalformedConfigFile, TokenExpired, UsageError, WrongKey } from '../errors.js';
import { checkTime, isTokenShape } from '../fernet/fernet.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { fileError } from '../fs/errors.js';
import { MAX_CONFIG_FILE_BYTES, readRegularFile } from '../fs/read.js';
import { withLock, type LockOptions } from '../fs/lock.js';
import { resolveKeyRing, type KeyOptions } from '../keys/resolve.js';
import { KeyRing } from '../keys/ring.js';
import { parseJson } from './json.js';
import { assertNoDuplicateKeys } from './tree.js';

/** A decrypted config file. `text` is the plaintext exactly as it was encrypted. */
export interface OpenedConfig {
  path: string;
  /** The token as stored (without the trailing newline). */
  token: string;
  text: string;
  value: unknown;
  ring: KeyRing;
  /** Index in the ring of the key that opened it (0 = primary). */
  keyIndex: number;
  /** When it was last encrypted (Unix seconds, from the token). */
  timestamp: number;
  /** File identity at read time, to notice a concurrent change before writing. */
  stat: FileStamp;
}

export interface FileStamp {
  mode: number;
  size: number;
  mtimeMs: number;
  ino: number;
}

export interface OpenOptions {
  /** Maximum token age in seconds. */
  ttl?: number;
  /** Clock for the ttl check (Unix seconds). */
  now?: number;
}

/** Key material: a ready ring, or options to resolve one for this config. */
export type KeySource = KeyRing | KeyOptions;

/**
 * Refuses what is not a KeySource. Plain JavaScript can pass a key string (or an array of them) where
 * options are meant, and resolution would then ignore it and find some other key: a rotation to "the new
 * key" would silently keep the old one. Only the argument's type is named, never its value.
 */
export function checkKeySource(keys: unknown): asserts keys is KeySource | undefined {
  if (keys === undefined || keys instanceof KeyRing) return;
  if (typeof keys === 'object' && keys !== null && !Array.isArray(keys)) return;
  const what = keys === null ? 'null' : Array.isArray(keys) ? 'an array' : `a ${typeof keys}`;
  throw new UsageError(`the keys argument must be key options ({ keyFile }, { key } or { keyCommand }) or a key ring, not ${what}`, {
    hint: "literal keys go in { key: 'KEY1,KEY2' } (comma-separated, the first encrypts)",
  });
}

export function ringFor(path: string | undefined, keys: KeySource = {}): KeyRing {
  checkKeySource(keys);
  return keys instanceof KeyRing ? keys : resolveKeyRing(path, keys);
}

export function stampOf(path: string): FileStamp | undefined {
  try {
    const st = statSync(path);
    return { mode: st.mode & 0o7777, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(e, path);
  }
}

export function sameStamp(a: FileStamp | undefined, b: FileStamp | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/**
 * Reads an encrypted file and returns its token, as Python's Fernet reads one: ASCII whitespace and line
 * breaks anywhere (a token wrapped at 76 columns by a base64 tool or an editor) and UTF-8 byte order marks
 * (an editor's "UTF-8 with BOM") are not part of the token. Only regular files are read, up to
 * MAX_CONFIG_FILE_BYTES: a FIFO or device gets an error at once instead of a hang.
 */
export function readToken(path: string): string {
  let raw: Buffer;
  try {
    raw = readRegularFile(path, path, MAX_CONFIG_FILE_BYTES).data;
  } catch (e) {
    if (e instanceof FileNotFound) throw new FileNotFound(`${path} does not exist`, { cause: e, hint: 'create it with `fcfg encrypt` or `fcfg set`' });
    throw e;
  }
  const token = tokenOf(raw);
  if (token === '') throw new MalformedConfigFile(`${path} is empty`, { hint: 'restore it from version control' });
  if (!isTokenShape(token)) {
    if (isPythonBytesRepr(token)) {
      throw new MalformedConfigFile(`${path} holds Python's bytes repr of a token (b'...'), not the token itself`, {
        hint: "it was written with str(token); write token.decode() (or open the file in 'wb' mode and write the bytes), or remove the b and the quotes",
      });
    }
    throw new MalformedConfigFile(`${path} is not a Fernet token: the file is corrupted or truncated`, { hint: 'restore it from version control' });
  }
  return token;
}

/** ASCII whitespace; and the first byte of a UTF-8 BOM (EF BB BF). */
const WHITESPACE_BYTES = [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20];
const BOM_FIRST_BYTE = 0xef;

/**
 * The file's content without whitespace and BOMs. The usual file — one token and a line break — becomes
 * one string straight from the bytes: a 67 MB token is not held twice more (as read, then as replaced).
 */
function tokenOf(raw: Buffer): string {
  let start = 0;
  let end = raw.length;
  while (start < end && WHITESPACE_BYTES.includes(raw[start]!)) start++;
  while (end > start && WHITESPACE_BYTES.includes(raw[end - 1]!)) end--;
  const inner = raw.subarray(start, end);
  if (inner.indexOf(BOM_FIRST_BYTE) === -1 && WHITESPACE_BYTES.every((b) => inner.indexOf(b) === -1)) return inner.toString('latin1');
  // Read as latin1, a UTF-8 BOM is these three characters.
  return raw.toString('latin1').replace(/[\t\n\v\f\r ]+|\xef\xbb\xbf/g, '');
}

/** `b'gAAAA...'`: what `f.write(str(token))` writes in Python 3. */
function isPythonBytesRepr(text: string): boolean {
  const m = /^b(['"])([^'"]*)\1$/.exec(text);
  return m !== null && isTokenShape(m[2]!);
}

/**
 * Opens a token with a ring, telling apart the failures a user can act on: a token that is not shaped
 * like one (corrupted), one no key in the ring opens (wrong key or tampered — one message, whether the
 * HMAC or the decryption failed, so nothing tells them apart), and one that is authentic but too old.
 * Every key is tried, as Python's MultiFernet does. Each distinction is public or post-HMAC.
 */
export function openToken(token: string, ring: KeyRing, what: string, options: OpenOptions = {}) {
  let opened;
  try {
    opened = ring.multi.open(token);
  } catch (e) {
    if (!(e instanceof InvalidToken)) throw e;
    if (!isTokenShape(token)) throw new MalformedConfigFile(`${what} is not a Fernet token: it is corrupted or truncated`);
    throw new WrongKey(`${what} cannot be opened with ${ring.source}: it was encrypted with another key, or modified`, {
      hint: WrongKey.hintFor(ring.source),
    });
  }
  const { index, verified, plaintext } = opened;
  try {
    checkTime(verified.timestamp, options);
  } catch {
    plaintext.fill(0);
    throw new TokenExpired(`${what} is older than the allowed ${options.ttl}s (or dated in the future)`, {
      hint: 're-encrypt it (`fcfg rotate`) or raise --ttl',
    });
  }
  return { bytes: plaintext, keyIndex: index, timestamp: Number(verified.timestamp) };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes decrypted bytes as UTF-8 JSON text. A BOM is not JSON, and neither is invalid UTF-8. */
export function plaintextToText(bytes: Uint8Array, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new MalformedConfigFile(`${what} decrypts to data that is not UTF-8 text`, { hint: 'it was not written by fernet-config; decrypt it with --raw to inspect' });
  }
}

/** Reads, decrypts and parses a config file. */
export function openConfig(path: string, keys: KeySource = {}, options: OpenOptions = {}): OpenedConfig {
  const stat = stampOf(path);
  const token = readToken(path);
  const ring = ringFor(path, keys);
  const { bytes, keyIndex, timestamp } = openToken(token, ring, path, options);
  const text = plaintextToText(bytes, path);
  const value = parseJson(text, `the decrypted content of ${path}`);
  return { path, token, text, value, ring, keyIndex, timestamp, stat: stat! };
}

/**
 * Reads and decrypts a config without parsing it: for read-modify-write, whose edit walks the text itself
 * and whose result is checked again on sealing. Skipping JSON.parse here keeps a `set` on a 50 MB config
 * from holding a parsed copy (several times the file's size) that nothing uses.
 */
export function openConfigText(path: string, ring: KeyRing, options: OpenOptions = {}): string {
  const { bytes } = openToken(readToken(path), ring, path, options);
  return plaintextToText(bytes, path);
}

/**
 * Encrypts JSON text for a config file: the file's bytes, the token and a newline. Every writer comes
 * through here, so this is where text that is not strict JSON (InvalidJson) or repeats a key
 * (DuplicateKey) is refused. Bytes rather than a string: a large config's token is never held twice.
 */
export function sealConfigBytes(text: string, ring: KeyRing, source = 'config'): Buffer {
  assertNoDuplicateKeys(text, source);
  return ring.multi.encryptToBytes(text, '\n');
}

export interface WriteOptions {
  /** Mode for a new file (default 0600); an existing file keeps its mode. */
  mode?: number;
  /** Receives warnings (a write that splits hard links). */
  onWarning?: (message: string) => void;
}

/** Encrypts JSON text under the ring's primary key and writes it atomically (through links, keeping mode and owner). */
export function writeConfig(path: string, text: string, ring: KeyRing, options: WriteOptions = {}): void {
  writeFileAtomic(path, sealConfigBytes(text, ring, path), { mode: options.mode ?? 0o600, ...(options.onWarning ? { onWarning: options.onWarning } : {}) });
}

/** Where a key source wants warnings to go (KeyOptions.onWarning), if anywhere. */
export function warningsOf(keys: KeySource | undefined): ((message: string) => void) | undefined {
  return keys === undefined || keys instanceof KeyRing ? undefined : keys.onWarning;
}

export interface UpdateOptions extends OpenOptions {
  /** Start from this text when the file does not exist (otherwise FileNotFound). */
  createWith?: string;
  lock?: LockOptions;
  /** Receives warnings (default: the key options' onWarning). */
  onWarning?: (message: string) => void;
}

/**
 * A locked read-modify-write of a config: `change` gets the current plaintext (or `createWith` for a new
 * file) and returns the new one. Concurrent updates from other processes are serialized, never lost.
 * The key ring is resolved before the lock is taken — a key command may wait minutes for a vault
 * login, and must not hold up other writers meanwhile. Returns whether the file was written (unchanged
 * text is not rewritten, so git sees no diff).
 */
export async function updateConfig(path: string, keys: KeySource, change: (text: string) => string, options: UpdateOptions = {}): Promise<boolean> {
  const ring = ringFor(path, keys);
  const onWarning = options.onWarning ?? warningsOf(keys);
  return withLock(
    path,
    () => {
      const create = options.createWith !== undefined && stampOf(path) === undefined;
      let text: string | undefined = create ? options.createWith! : openConfigText(path, ring, options);
      const next = change(text);
      // A new file is written even when `change` returns the starting text: the user asked for it.
      if (!create && next === text) return false;
      // Not held while sealing: once `next` is flattened the old text can go (50 MB for a 50 MB config).
      text = undefined;
      writeConfig(path, next, ring, onWarning ? { onWarning } : {});
      return true;
    },
    options.lock,
  );
}
