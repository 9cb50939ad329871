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

  decrypt(token: string | Uint8Array, options: DecryptOptions = {}): Buffer {
    const { fernet, verified } = this.open(token);
    checkTime(verified.timestamp, options);
    return fernet.decryptVerified(verified.data);
  }

  decryptText(token: string | Uint8Array, options: DecryptOptions = {}): string {
    return this.decrypt(token, options).toString('utf8');
  }

  extractTimestamp(token: string | Uint8Array): number {
    return Number(this.open(token).verified.timestamp);
  }

  /**
   * Re-encrypts a token under the first key, keeping its original timestamp (as Python does), so a
   * rotation does not reset the age that `ttl` checks see.
   */
  rotate(token: string | Uint8Array): string {
    const { fernet, verified } = this.open(token);
    const plaintext = fernet.decryptVerified(verified.data);
    return this.fernets[0]!.encryptAt(plaintext, verified.timestamp, randomBytes(16));
  }

  /** Which key of the ring opens the token (its index), or -1. Never throws for a bad token. */
  indexOf(token: string | Uint8Array): number {
    for (let i = 0; i < this.fernets.length; i++) {
      try {
        this.fernets[i]!.verify(token);
        return i;
      } catch {
        // try the next key
      }
    }
    return -1;
  }

  /** @internal Finds the key whose HMAC matches. */
  open(token: string | Uint8Array): { fernet: Fernet; index: number; verified: VerifiedToken } {
    for (let index = 0; index < this.fernets.length; index++) {
      const fernet = this.fernets[index]!;
      try {
        return { fernet, index, verified: fernet.verify(token) };
      } catch (e) {
        if (!(e instanceof InvalidToken)) throw e;
      }
    }
    throw new InvalidToken();
  }
}
