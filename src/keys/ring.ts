import { createHash } from 'node:crypto';
import { InvalidKey } from '../errors.js';
import { Fernet } from '../fernet/fernet.js';
import { decodeKey } from '../fernet/key.js';
import { MultiFernet } from '../fernet/multi.js';

/**
 * A key ring: the first key is the primary (it encrypts), the others only decrypt — Python's MultiFernet.
 * The key strings themselves stay private to this object; everything printable is a fingerprint.
 */
export class KeyRing {
  readonly #keys: readonly string[];
  readonly multi: MultiFernet;
  /** Where the keys came from, for messages: "key file ./secret.key", "FERNET_CONFIG_KEY", ... */
  readonly source: string;
  /** The key file the ring was read from, if any: outputs must never replace it. */
  readonly file: string | undefined;

  constructor(keys: readonly string[], source: string, file?: string) {
    if (keys.length === 0) throw new InvalidKey(`${source} holds no key`);
    this.#keys = Object.freeze([...keys]);
    this.multi = new MultiFernet(keys.map((k) => new Fernet(k)));
    this.source = source;
    this.file = file;
  }

  get size(): number {
    return this.#keys.length;
  }

  /** Short, non-reversible identifier of key `index` (first 8 hex digits of SHA-256 of the raw key). */
  fingerprint(index: number): string {
    const key = this.#keys[index];
    if (key === undefined) throw new RangeError(`no key at index ${index}`);
    return fingerprintKey(key);
  }

  /** @internal The key strings, for writing a key file. Never print them. */
  exportKeys(): string[] {
    return [...this.#keys];
  }

  /** A ring holding the first `count` keys. */
  slice(count: number): KeyRing {
    return new KeyRing(this.#keys.slice(0, count), this.source, this.file);
  }
}

export function fingerprintKey(key: string): string {
  const { signingKey, encryptionKey } = decodeKey(key);
  return createHash('sha256').update(signingKey).update(encryptionKey).digest('hex').slice(0, 8);
}

/**
 * Parses key-file text: one key per line, blank lines and `#` comments ignored. Every key is checked;
 * a bad one is reported by line number only.
 */
export function parseKeyFile(text: string, source: string): string[] {
  const keys: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    checkKey(line, `${source}, line ${i + 1}`);
    keys.push(line);
  }
  if (keys.length === 0) throw new InvalidKey(`${source} holds no key`, { hint: 'a key file holds one Fernet key per line; create one with `fcfg keygen`' });
  return keys;
}

/** Parses a list of keys separated by commas or whitespace (FERNET_CONFIG_KEY, --key). */
export function parseKeyList(text: string, source: string): string[] {
  const keys = text.split(/[\s,]+/).filter((k) => k !== '');
  if (keys.length === 0) throw new InvalidKey(`${source} is empty`);
  keys.forEach((k, i) => checkKey(k, keys.length > 1 ? `${source}, key ${i + 1}` : source));
  return keys;
}

/** The text of a key file: the keys, one per line, with a trailing newline (readable by Python's Fernet). */
export function formatKeyFile(keys: readonly string[]): string {
  return keys.join('\n') + '\n';
}

function checkKey(key: string, where: string): void {
  try {
    decodeKey(key);
  } catch (cause) {
    // The specific diagnosis (standard alphabet) says how to fix the key; keep it rather than the generic one.
    if (cause instanceof InvalidKey && cause.message !== GENERIC_KEY_MESSAGE) throw new InvalidKey(`${where}: ${cause.message}`, { cause, hint: cause.hint });
    if (isPythonBytesRepr(key)) {
      throw new InvalidKey(`${where}: holds Python's bytes repr of a key (b'...'), not the key itself`, {
        cause,
        hint: "it was written with str(key); write key.decode() (or open the file in 'wb' mode and write the bytes), or remove the b and the quotes",
      });
    }
    throw new InvalidKey(`${where}: not a valid Fernet key (expected 32 url-safe base64-encoded bytes, 44 characters ending in "=")`, { cause });
  }
}

const GENERIC_KEY_MESSAGE = new InvalidKey().message;

/** `b'...'` or `b"..."` around a valid key: what `f.write(str(key))` writes in Python 3. */
function isPythonBytesRepr(text: string): boolean {
  const m = /^b(['"])([^'"]*)\1$/.exec(text);
  if (!m) return false;
  try {
    decodeKey(m[2]!);
    return true;
  } catch {
    return false;
  }
}
