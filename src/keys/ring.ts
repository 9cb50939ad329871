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

  constructor(keys: readonly string[], source: string) {
    if (keys.length === 0) throw new InvalidKey(`${source} holds no key`);
    this.#keys = Object.freeze([...keys]);
    this.multi = new MultiFernet(keys.map((k) => new Fernet(k)));
    this.source = source;
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
    return new KeyRing(this.#keys.slice(0, count), this.source);
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
    throw new InvalidKey(`${where}: not a valid Fernet key (expected 32 url-safe base64-encoded bytes, 44 characters ending in "=")`, { cause });
  }
}
