import { MalformedAgeFile } from '../errors.js';
import { recipientNamesHash, recipientSetHash, shortHash, sshTag, type RecipientsFile } from './recipients-file.js';

/**
 * What can be learnt about an age file without a key: its stanza types and, for SSH stanzas, the tag of
 * the public key (https://age-encryption.org/v1, "Header"). X25519 and post-quantum stanzas carry only an
 * ephemeral share, so for those only the count can be compared with the recipients file.
 */
export interface StanzaInfo {
  type: string;
  /** For ssh-ed25519 and ssh-rsa stanzas: base64 of the first 4 bytes of SHA-256 of the recipient key. */
  tag?: string;
}

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const ARMOR_END = '-----END AGE ENCRYPTED FILE-----';
const VERSION_LINE = 'age-encryption.org/v1';

/** The binary form of an age file that may be ASCII-armored (`age -a`). */
export function dearmor(bytes: Uint8Array): Uint8Array {
  const head = Buffer.from(bytes.subarray(0, 64)).toString('latin1').trimStart();
  if (!head.startsWith(ARMOR_BEGIN)) return bytes;
  const text = Buffer.from(bytes).toString('latin1').trim();
  if (!text.endsWith(ARMOR_END)) throw new MalformedAgeFile('the armored age file is truncated');
  const body = text.slice(ARMOR_BEGIN.length, -ARMOR_END.length).replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}

export function isAgeFile(bytes: Uint8Array): boolean {
  return Buffer.from(dearmor(bytes).subarray(0, VERSION_LINE.length)).toString('latin1') === VERSION_LINE;
}

/** The stanzas of an age file's header. Throws MalformedAgeFile when it is not an age v1 file. */
export function readStanzas(bytes: Uint8Array, source: string): StanzaInfo[] {
  const bin = dearmor(bytes);
  const end = Buffer.from(bin).indexOf('\n--- ');
  if (end === -1 || !isAgeFile(bin)) throw new MalformedAgeFile(`${source} is not an age file`, { hint: 'restore it from version control' });
  const lines = Buffer.from(bin.subarray(0, end)).toString('latin1').split('\n');
  const out: StanzaInfo[] = [];
  for (const line of lines.slice(1)) {
    if (!line.startsWith('-> ')) continue;
    const [type, ...args] = line.slice(3).split(' ');
    if (type === undefined) continue;
    out.push(type === 'ssh-ed25519' || type === 'ssh-rsa' ? { type, tag: args[0] ?? '' } : { type });
  }
  return out;
}

/** The stanza type a recipient kind produces. */
const STANZA_OF: Record<string, string> = { x25519: 'X25519', mlkem768x25519: 'mlkem768x25519', 'ssh-ed25519': 'ssh-ed25519', 'ssh-rsa': 'ssh-rsa' };

/**
 * Every way a recipients file and its ring disagree, as sentences naming recipients (never keys): the
 * recorded hashes (the ring written since, or the file edited since), then the stanzas themselves.
 * Stanza types fcfg never writes (an `age` CLI's grease) are ignored. Empty when they agree.
 */
export function compareRing(file: RecipientsFile, ringBytes: Uint8Array, ringLabel: string): string[] {
  const problems: string[] = [];
  if (!file.record) problems.push(`the recipients file has no record of ${ringLabel} (not written by fcfg)`);
  else {
    if (file.record.ring !== shortHash(ringBytes)) problems.push(`${ringLabel} was rewritten since the recipients file was (by another tool, or a merge)`);
    if (file.record.recipients !== recipientSetHash(file.entries)) problems.push(`the recipients file was edited since ${ringLabel} was written`);
    else if (file.record.names !== undefined && file.record.names !== recipientNamesHash(file.entries)) {
      // Same keys, other names: remove/list would act on the wrong person.
      problems.push(`recipients were renamed in the recipients file since ${ringLabel} was written (the same keys under other names)`);
    }
  }
  let stanzas: StanzaInfo[];
  try {
    stanzas = readStanzas(ringBytes, ringLabel);
  } catch (e) {
    return [...problems, (e as Error).message];
  }
  for (const type of Object.values(STANZA_OF)) {
    const want = file.entries.filter((e) => STANZA_OF[e.kind] === type).length;
    const have = stanzas.filter((s) => s.type === type).length;
    if (want !== have) problems.push(`${ringLabel} has ${have} ${type} recipient${have === 1 ? '' : 's'}, the recipients file ${want}`);
  }
  for (const e of file.entries) {
    if (e.kind !== 'ssh-ed25519' && e.kind !== 'ssh-rsa') continue;
    const tag = sshTag(e.recipient);
    if (!stanzas.some((s) => s.type === e.kind && s.tag === tag)) problems.push(`${e.name} is in the recipients file but ${ringLabel} is not encrypted to that SSH key`);
  }
  return [...new Set(problems)];
}
