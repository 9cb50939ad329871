import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { InvalidRecipient } from '../errors.js';
import { MAX_KEY_FILE_BYTES, readRegularFileIfExists } from '../fs/read.js';
import { ringTarget } from './ring-file.js';
import { parseSshRecipient } from './ssh.js';

export { recipientsPathFor, ringTarget, unusedRecipientsFile } from './ring-file.js';

/**
 * The recipients file: committed text beside a `.age` key ring naming everyone the ring is encrypted to.
 * Format (schemas/recipients-file.md):
 *
 *   # comments and blank lines are ignored
 *   # fcfg-ring sha256=<16 hex> recipients=<16 hex> names=<16 hex>   (written by fcfg: what the ring was last written for)
 *   alice age1...
 *   bob ssh-ed25519 AAAA... bob@laptop
 *
 * One `NAME RECIPIENT` per line. NAME: letters, digits and `._@+-`, unique in the file. RECIPIENT: an
 * age X25519 recipient (`age1...`), a post-quantum hybrid one (`age1pq1...`), or an SSH public key
 * (`ssh-ed25519 AAAA...`, `ssh-rsa AAAA...`) with its comment, if any, kept for display.
 *
 * The record binds the file to the ring: `sha256` is the ring file's hash, `recipients` the set of
 * recipients it was encrypted to, `names` which name each of them had (so a hand-made rename, or two
 * names swapped, is a disagreement: `recipients remove bob` must remove the key that was bob's).
 */

export type RecipientKind = 'x25519' | 'mlkem768x25519' | 'ssh-ed25519' | 'ssh-rsa';

export interface RecipientEntry {
  name: string;
  kind: RecipientKind;
  /** Normalized: `age1...`, or `ssh-ed25519 AAAA...` without the comment. Public; safe to print. */
  recipient: string;
  /** An SSH key's comment (`bob@laptop`), for display only: not part of the recipient. */
  comment?: string;
}

export interface RecipientsFile {
  entries: RecipientEntry[];
  /**
   * The `# fcfg-ring` record: hashes of the ring file, of the recipient set it was written for and of
   * the name-recipient pairs (`names`, absent in records written before it was added).
   */
  record?: { ring: string; recipients: string; names?: string };
}

export const RECORD_PREFIX = '# fcfg-ring ';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
const BECH32 = /^[02-9ac-hj-np-z]+$/;

/** What a recipient looks like, for hints (names no input). */
export const RECIPIENT_HINT = 'a recipient is a public key: age1... (`fcfg identity new` prints yours), age1pq1..., or an ssh-ed25519/ssh-rsa line from a .pub file (or the path of that file)';

/**
 * The kind of a recipient string, checked for shape (the age library and the SSH parser check the rest
 * when the ring is written). Throws InvalidRecipient naming the kind that was expected, never the input.
 */
export function recipientKind(recipient: string, where = 'recipient'): RecipientKind {
  const r = recipient.trim();
  if (r.startsWith('age1pq1')) {
    if (!BECH32.test(r.slice('age1pq1'.length)) || r.length < 1000) {
      throw new InvalidRecipient(`${where}: not a valid post-quantum age recipient (expected "age1pq1" followed by bech32 characters)`, { hint: 'copy the whole recipient: a post-quantum one is over 1900 characters long' });
    }
    return 'mlkem768x25519';
  }
  if (r.startsWith('age1tag')) throw new InvalidRecipient(`${where}: hardware tag recipients (age1tag1..., age1tagpq1...) are not supported`, { hint: 'use an age1..., age1pq1..., ssh-ed25519 or ssh-rsa recipient' });
  if (r.startsWith('age1')) {
    if (r.length !== 62 || !BECH32.test(r.slice(4))) throw new InvalidRecipient(`${where}: not a valid age X25519 recipient (expected "age1" and 58 bech32 characters)`, { hint: 'copy the whole recipient, as `fcfg identity new` or `age-keygen -y` prints it (62 characters, lower case)' });
    return 'x25519';
  }
  if (r.startsWith('ssh-ed25519 ')) return 'ssh-ed25519';
  if (r.startsWith('ssh-rsa ')) return 'ssh-rsa';
  if (/^(ssh-|ecdsa-|sk-)/.test(r)) throw new InvalidRecipient(`${where}: unsupported SSH key type (expected ssh-ed25519 or ssh-rsa)`, { hint: 'age opens rings only for ssh-ed25519 and ssh-rsa keys: create one with `ssh-keygen -t ed25519`, or use an age identity (`fcfg identity new`)' });
  if (r.startsWith('AGE-SECRET-KEY-')) {
    throw new InvalidRecipient(`${where}: that is an identity (a secret key), not a recipient`, { hint: 'give the public recipient: `fcfg identity new` printed it (age1...)' });
  }
  throw new InvalidRecipient(`${where}: not a recipient (expected age1..., age1pq1..., ssh-ed25519 AAAA... or ssh-rsa AAAA...)`, { hint: RECIPIENT_HINT });
}

/** Normalizes a recipient: an SSH key's comment moves out of the recipient into `comment`. */
export function normalizeRecipient(recipient: string, where = 'recipient'): { kind: RecipientKind; recipient: string; comment?: string } {
  const kind = recipientKind(recipient, where);
  const r = recipient.trim();
  if (kind === 'ssh-ed25519' || kind === 'ssh-rsa') {
    // The full check (key data of the type named, RSA size) now, not first when the ring is written.
    try {
      // Control characters stay out: the comment is printed by `recipients list`.
      const comment = r.split(/\s+/).slice(2).join(' ').replace(/[\u0000-\u001f\u007f]/g, '');
      return { kind, recipient: parseSshRecipient(r).publicKey, ...(comment === '' ? {} : { comment }) };
    } catch (e) {
      if (e instanceof InvalidRecipient) throw new InvalidRecipient(`${where}: ${e.message}`, { cause: e, ...(e.hint ? { hint: e.hint } : {}) });
      throw e;
    }
  }
  return { kind, recipient: r };
}

export function checkName(name: string, where = 'name'): void {
  if (!NAME.test(name)) throw new InvalidRecipient(`${where}: a recipient name is 1-64 letters, digits or ._@+- (starting with a letter or digit)`, { hint: 'name the person or machine, for example alice or ci-deploy' });
}

/** Parses recipients-file text. Errors name the file and line, never the line's content. */
export function parseRecipientsFile(text: string, source: string): RecipientsFile {
  const entries: RecipientEntry[] = [];
  let record: RecipientsFile['record'];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    const where = `${source}, line ${i + 1}`;
    if (line.startsWith(RECORD_PREFIX)) {
      const m = /sha256=([0-9a-f]{16})\s+recipients=([0-9a-f]{16})(?:\s+names=([0-9a-f]{16}))?/.exec(line);
      if (m) record = { ring: m[1]!, recipients: m[2]!, ...(m[3] ? { names: m[3] } : {}) };
      return;
    }
    if (line === '' || line.startsWith('#')) return;
    const space = line.search(/\s/);
    if (space === -1) throw new InvalidRecipient(`${where}: expected "NAME RECIPIENT"`, { hint: 'restore the file from version control; change recipients with `fcfg recipients add` and `fcfg recipients remove`' });
    const name = line.slice(0, space);
    checkName(name, where);
    if (seen.has(name)) throw new InvalidRecipient(`${where}: the name ${name} is used twice`, { hint: 'restore the file from version control; change recipients with `fcfg recipients add` and `fcfg recipients remove`' });
    seen.add(name);
    entries.push({ name, ...normalizeRecipient(line.slice(space + 1), where) });
  });
  return record ? { entries, record } : { entries };
}

export function readRecipientsFile(path: string): RecipientsFile | undefined {
  const bytes = readRegularFileIfExists(path, `recipients file ${path}`, MAX_KEY_FILE_BYTES);
  if (bytes === undefined) return undefined;
  return parseRecipientsFile(bytes.toString('utf8'), `recipients file ${path}`);
}

export function shortHash(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex').slice(0, 16);
}

/** Hash of a recipient set: order and names do not matter, only who can open the ring. */
export function recipientSetHash(entries: readonly { recipient: string }[]): string {
  return shortHash([...new Set(entries.map((e) => e.recipient))].sort().join('\n'));
}

/** Hash of the name-recipient pairs: which name stands for which recipient (order does not matter). */
export function recipientNamesHash(entries: readonly { name: string; recipient: string }[]): string {
  return shortHash(entries.map((e) => `${e.name} ${e.recipient}`).sort().join('\n'));
}

export function formatRecipientsFile(ring: string, entries: readonly RecipientEntry[], ringBytes: Uint8Array): string {
  const lines = [
    `# Recipients of ${basename(ringTarget(ring))}: one "NAME RECIPIENT" per line. Change them with`,
    '# `fcfg recipients add/remove`, which rewrite the ring; the next line records what it was written for.',
    `${RECORD_PREFIX}sha256=${shortHash(ringBytes)} recipients=${recipientSetHash(entries)} names=${recipientNamesHash(entries)}`,
    ...entries.map((e) => `${e.name} ${e.recipient}${e.comment === undefined ? '' : ` ${e.comment}`}`),
  ];
  return lines.join('\n') + '\n';
}

/**
 * A short, printable fingerprint of a recipient: `SHA256:` and the first 12 characters of the OpenSSH
 * fingerprint for SSH keys; for age recipients their start and end (`age1qyqs…x7f3k2`), which is how
 * people compare them by eye.
 */
export function recipientFingerprint(entry: { kind: RecipientKind; recipient: string }): string {
  if (entry.kind === 'ssh-ed25519' || entry.kind === 'ssh-rsa') return sshFingerprint(entry.recipient).slice(0, 'SHA256:'.length + 12);
  const r = entry.recipient;
  const head = entry.kind === 'mlkem768x25519' ? 12 : 9;
  return `${r.slice(0, head)}…${r.slice(-6)}`;
}

/** An SSH key's fingerprint exactly as `ssh-keygen -l` prints it (`SHA256:` and 43 base64 characters). */
export function sshFingerprint(recipient: string): string {
  const blob = Buffer.from(recipient.split(' ')[1] ?? '', 'base64');
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** age's stanza tag for an SSH recipient: base64 (no padding) of the first 4 bytes of SHA-256 of the key. */
export function sshTag(recipient: string): string {
  const blob = Buffer.from(recipient.split(' ')[1] ?? '', 'base64');
  return createHash('sha256').update(blob).digest().subarray(0, 4).toString('base64').replace(/=+$/, '');
}
