import { randomBytes } from 'node:crypto';
import { InvalidToken } from '../errors.js';
import { checkTime, Fernet, type DecryptOptions, type EncryptOptions, type VerifiedToken } from './fernet.js';

/**
 * A key ring, like Python's `MultiFernet`: encrypts with the first key, decrypts with any of them.
 */
export class MultiFernet {
  readonly fernets: readonly Fernet[];

  constructor(fernets: Iterable<Fernet>) {
    const list = [...fernets];
    if (list.length === 0) throw new TypeError('MultiFernet requires at least one Fernet instance');
    for (const f of list) if (!(f instanceof Fernet)) throw new TypeError('MultiFernet expected Fernet instances');
    this.fernets = Object.freeze(list);
  }

  encrypt(data: string | Uint8Array, options?: EncryptOptions): string {
    return this.fernets[0]!.encrypt(data, options);
  }

  /** @internal The token as ASCII bytes followed by `suffix` (see Fernet.encryptToBytes). */
  encryptToBytes(data: string | Uint8Array, suffix = ''): Buffer {
    return this.fernets[0]!.encryptToBytes(data, suffix);
  }

  decrypt(token: string | Uint8Array, options: DecryptOptions = {}): Buffer {
    const { plaintext, verified } = this.open(token);
    try {
      checkTime(verified.timestamp, options);
    } catch (e) {
      plaintext.fill(0);
      throw e;
    }
    return plaintext;
  }

  decryptText(token: string | Uint8Array, options: DecryptOptions = {}): string {
    return this.decrypt(token, options).toString('utf8');
  }

  extractTimestamp(token: string | Uint8Array): number {
    const { plaintext, verified } = this.open(token);
    plaintext.fill(0);
    return Number(verified.timestamp);
  }

  /**
   * Re-encrypts a token under the first key, keeping its original timestamp (as Python does), so a
   * rotation does not reset the age that `ttl` checks see.
   */
  rotate(token: string | Uint8Array): string {
    const { plaintext, verified } = this.open(token);
    const out = this.fernets[0]!.encryptAt(plaintext, verified.timestamp, randomBytes(16));
    plaintext.fill(0);
    return out;
  }

  /** Which key of the ring opens the token (its index), or -1. Never throws for a bad token. */
  indexOf(token: string | Uint8Array): number {
    try {
      const { index, plaintext } = this.open(token);
      plaintext.fill(0);
      return index;
    } catch (e) {
      if (e instanceof InvalidToken) return -1;
      throw e;
    }
  }

  /**
   * @internal Finds the first key that opens the token completely — HMAC and decryption — as Python's
   * MultiFernet does: a key that shares the signing half with the right one (a typo in its last
   * characters) passes the HMAC but fails to decrypt, and the next key must still be tried.
   */
  open(token: string | Uint8Array): { fernet: Fernet; index: number; verified: VerifiedToken; plaintext: Buffer } {
    for (let index = 0; index < this.fernets.length; index++) {
      const fernet = this.fernets[index]!;
      try {
        const verified = fernet.verify(token);
        return { fernet, index, verified, plaintext: fernet.decryptVerified(verified.data) };
      } catch (e) {
        if (!(e instanceof InvalidToken)) throw e;
      }
    }
    throw new InvalidToken();
  }
}
