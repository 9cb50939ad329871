import type { Identity } from 'age-encryption';
import { FileNotFound, InvalidIdentity, PassphraseRequired } from '../errors.js';
import { MAX_KEY_FILE_BYTES, readRegularFileIfExists } from '../fs/read.js';
import { ageOpenLib } from './lib.js';
import { ENV_IDENTITY, type AgeKeyOptions, type IdentitySource } from './select.js';

export { defaultIdentityFiles, identitySources, type IdentitySource } from './select.js';

export interface LoadedIdentity {
  label: string;
  /** The public side, for messages: an age recipient or an SSH fingerprint (computed only for a message). */
  publicLabel: () => Promise<string>;
}

/** Says what an identity looks like and where one comes from; names no input. */
const IDENTITY_HINT = 'an identity is the secret half: the AGE-SECRET-KEY-1... line `fcfg identity new` (or age-keygen) wrote, whole, or an OpenSSH private key file such as ~/.ssh/id_ed25519 (not the .pub)';


function readSource(source: IdentitySource): string {
  if (source.text !== undefined) return source.text;
  // readRegularFile: a FIFO (say `--identity <(pass show ...)`) is refused at once instead of blocking.
  const bytes = readRegularFileIfExists(source.path!, `identity file ${source.label}`, MAX_KEY_FILE_BYTES);
  if (bytes === undefined) throw new FileNotFound(`identity file ${source.label} does not exist`, { hint: 'create one with `fcfg identity new PATH`' });
  return bytes.toString('utf8');
}

/** What loadIdentities adds the identities to: an age Decrypter. */
export interface IdentityTarget {
  addIdentity(identity: string | Identity): void;
}

/**
 * The identities of one source, added to `target`: age identity lines (`AGE-SECRET-KEY-1...`,
 * `AGE-SECRET-KEY-PQ-1...`, `#` comments), or one OpenSSH/PEM private key (ssh-ed25519 or ssh-rsa). A
 * protected SSH key asks `options.passphrase` only when the ring has a stanza for it. Errors name the
 * source and line only. Adding is what checks an age identity line (bech32 checksum, length), and it
 * builds the identity, public key included: it is done once, to the decrypter that will use it.
 */
export async function loadIdentities(source: IdentitySource, options: AgeKeyOptions, target: IdentityTarget): Promise<LoadedIdentity[]> {
  const text = readSource(source);
  const where = source.text !== undefined ? source.label : `identity file ${source.label}`;
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    const ssh = await import('./ssh.js');
    const passphrase = async (): Promise<string> => {
      if (!options.passphrase) {
        throw new PassphraseRequired(`${where} is protected by a passphrase and there is no terminal to ask for it`, {
          hint: `run on a terminal, or give CI an unprotected age identity (${ENV_IDENTITY}; create one with \`fcfg identity new\`)`,
        });
      }
      return options.passphrase(where);
    };
    const identity = await ssh.sshIdentityFromFile(text, { passphrase, source: where });
    target.addIdentity(identity);
    return [{ label: source.label, publicLabel: async () => identity.fingerprint }];
  }
  if (text.startsWith('age-encryption.org/') || text.includes('-----BEGIN AGE ENCRYPTED FILE-----')) {
    throw new InvalidIdentity(`${where} is an encrypted identity file, which fernet-config does not open`, { hint: 'decrypt it to a 0600 file and pass that with --identity' });
  }
  const { identityToRecipient } = await ageOpenLib();
  const out: LoadedIdentity[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const at = lines.length > 1 ? `${where}, line ${i + 1}` : where;
    if (!line.startsWith('AGE-SECRET-KEY-')) throw new InvalidIdentity(`${at}: not an identity (expected AGE-SECRET-KEY-1..., AGE-SECRET-KEY-PQ-1... or an OpenSSH private key)`, { hint: IDENTITY_HINT });
    try {
      target.addIdentity(line);
    } catch {
      // No cause: age's own error quotes the line, which is a secret key with a typo in it.
      throw new InvalidIdentity(`${at}: not a valid age identity (expected AGE-SECRET-KEY-1... or AGE-SECRET-KEY-PQ-1...)`, { hint: IDENTITY_HINT });
    }
    const publicLabel = async () => {
      const r = await identityToRecipient(line);
      return `${r.slice(0, r.startsWith('age1pq1') ? 12 : 9)}…${r.slice(-6)}`;
    };
    out.push({ label: source.label, publicLabel });
  }
  if (out.length === 0) throw new InvalidIdentity(`${where} holds no identity`, { hint: 'create one with `fcfg identity new PATH`' });
  return out;
}
