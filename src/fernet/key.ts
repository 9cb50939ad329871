import { randomBytes } from 'node:crypto';
import { InvalidKey } from '../errors.js';
import { decodeBase64Url, encodeBase64Url } from './encoding.js';

/** A new random Fernet key: 32 bytes as padded url-safe base64 (44 characters), like `Fernet.generate_key()`. */
export function generateKey(): string {
  return encodeBase64Url(randomBytes(32));
}

/** The two halves of a Fernet key. */
export interface KeyParts {
  signingKey: Buffer;
  encryptionKey: Buffer;
}

/**
 * Decodes a key as Python writes it. Throws InvalidKey — whose message describes the expected shape and
 * never repeats the input, since a near-miss key is still mostly a secret.
 */
export function decodeKey(key: string | Uint8Array): KeyParts {
  if (typeof key !== 'string') {
    if (!(key instanceof Uint8Array)) throw new TypeError('"key" expected string or Uint8Array');
    key = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
  }
  const raw = decodeBase64Url(key);
  if (raw === undefined || raw.length !== 32) {
    // `openssl rand -base64 32` writes the standard alphabet; say how to fix it rather than just "invalid".
    if (/[+/]/.test(key) && decodeBase64Url(key.replace(/\+/g, '-').replace(/\//g, '_'))?.length === 32) {
      throw new InvalidKey('Fernet key uses the standard base64 alphabet; Fernet keys are url-safe base64', {
        hint: 'replace "+" with "-" and "/" with "_", or generate one with `fcfg keygen`',
      });
    }
    throw new InvalidKey();
  }
  return { signingKey: raw.subarray(0, 16), encryptionKey: raw.subarray(16, 32) };
}
