import { homedir } from 'node:os';
import type { Identity } from 'age-encryption';
import { FileNotFound, InvalidIdentity, PassphraseRequired } from '../errors.js';
import { isFile, MAX_KEY_FILE_BYTES, readRegularFileIfExists } from '../fs/read.js';
import { ageLib } from './lib.js';
import { defaultIdentityFiles, ENV_IDENTITY, ENV_IDENTITY_FILE, type AgeKeyOptions } from './select.js';

/**
 * Where identities come from, in order (the README's "Key resolution" says the same):
 *
 *  1. `identity` (the identity itself) or `identityFile` / `--identity FILE`
 *  2. env FERNET_CONFIG_IDENTITY (the identity itself: a CI secret)
 *  3. env FERNET_CONFIG_IDENTITY_FILE
 *  4. ~/.config/fernet-config/identities, ~/.ssh/id_ed25519, ~/.ssh/id_rsa — every one that exists
 *
 * The first of 1-3 that is set is the only one used (a typo must not fall through to another identity);
 * otherwise the default files are tried in order until one opens the ring.
 */
export interface IdentitySource {
  /** For messages: a path, or the name of the option or variable. Never the identity. */
  label: string;
  path?: string;
  text?: string;
}

export interface LoadedIdentity {
  label: string;
  /** The public side, for messages: an age recipient or an SSH fingerprint (computed only for a message). */
  publicLabel: () => Promise<string>;
}

/** Says what an identity looks like and where one comes from; names no input. */
const IDENTITY_HINT = 'an identity is the secret half: the AGE-SECRET-KEY-1... line `fcfg identity new` (or age-keygen) wrote, whole, or an OpenSSH private key file such as ~/.ssh/id_ed25519 (not the .pub)';

export function identitySources(options: AgeKeyOptions & { env?: Record<string, string | undefined> }): { sources: IdentitySource[]; tried: string[] } {
  const env = options.env ?? process.env;
  if (options.identity !== undefined) return { sources: [{ label: 'the identity option', text: options.identity }], tried: ['the identity option'] };
  if (options.identityFile !== undefined) return { sources: [{ label: options.identityFile, path: options.identityFile }], tried: [options.identityFile] };
  const fromEnv = env[ENV_IDENTITY];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { sources: [{ label: ENV_IDENTITY, text: fromEnv }], tried: [ENV_IDENTITY] };
  const fileFromEnv = env[ENV_IDENTITY_FILE];
  if (fileFromEnv !== undefined && fileFromEnv !== '') return { sources: [{ label: fileFromEnv, path: fileFromEnv }], tried: [ENV_IDENTITY_FILE] };
  const home = options.home ?? env.HOME ?? homedir();
  const defaults = defaultIdentityFiles(home);
  return { sources: defaults.filter((p) => isFile(p)).map((p) => ({ label: p, path: p })), tried: [ENV_IDENTITY, ENV_IDENTITY_FILE, ...defaults] };
}

export { defaultIdentityFiles };

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
  const { identityToRecipient } = await ageLib();
  const out: LoadedIdentity[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const at = lines.length > 1 ? `${where}, line ${i + 1}` : where;
    if (!line.startsWith('AGE-SECRET-KEY-')) throw new InvalidIdentity(`${at}: not an identity (expected AGE-SECRET-KEY-1..., AGE-SECRET-KEY-PQ-1... or an OpenSSH private key)`, { hint: IDENTITY_HINT });
    try {
      target.addIdentity(line);
    } catch (cause) {
      throw new InvalidIdentity(`${at}: not a valid age identity (expected AGE-SECRET-KEY-1... or AGE-SECRET-KEY-PQ-1...)`, { cause, hint: IDENTITY_HINT });
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
