import { lstatSync, realpathSync } from 'node:fs';
import { FileNotFound, MalformedAgeFile } from '../errors.js';
import { MAX_RING_FILE_BYTES, readRegularFileIfExists } from '../fs/read.js';

/**
 * A `.age` key ring's files as bytes and paths: what opening a ring needs before any key is tried, and
 * what `decrypt -o` needs to protect them. Deliberately light (no age-encryption, no recipients-file
 * parser and with it no SSH code): an X25519 ring opens without loading either, and the young-generation
 * memory they cost was enough to make every such start-up pay a scavenge (bench/age.mjs).
 */

/** The bytes of a `.age` key ring. */
export function readRingBytes(ring: string): Uint8Array {
  // readRegularFile: a FIFO or device named like a ring is refused at once instead of blocking.
  const bytes = readRegularFileIfExists(ring, `key ring ${ring}`, MAX_RING_FILE_BYTES);
  if (bytes === undefined) throw new FileNotFound(`key ring ${ring} does not exist`, { hint: 'create it with `fcfg recipients add NAME RECIPIENT`' });
  return bytes;
}

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

/**
 * The recipients file of a ring: `secret.key.age` -> `secret.recipients`; `prod.key.age` ->
 * `prod.recipients`; anything else + `.recipients`. A ring that is a symbolic link is named by its
 * target: writes go through the link to the target, so the recipients file that records them lives
 * beside the target too, one for every link to that ring (a link whose target is missing keeps its own
 * name, and reads fail on the ring itself).
 */
export function recipientsPathFor(ring: string): string {
  return recipientsNameFor(ringTarget(ring));
}

function recipientsNameFor(ring: string): string {
  return ring.endsWith('.key.age') ? ring.slice(0, -'.key.age'.length) + '.recipients' : ring + '.recipients';
}

/** The ring itself when it is not a symbolic link (the path as given, for messages), else its real path. */
export function ringTarget(ring: string): string {
  try {
    if (!lstatSync(ring).isSymbolicLink()) return ring;
    return realpathSync(ring);
  } catch {
    return ring;
  }
}

/**
 * A recipients file named after a ring that is a symbolic link, which no command reads (they read the
 * one beside the link's target), or undefined. `check` reports it: someone may be editing it.
 */
export function unusedRecipientsFile(ring: string): string | undefined {
  const target = ringTarget(ring);
  if (target === ring) return undefined;
  const beside = recipientsNameFor(ring);
  try {
    return realpathSync(beside) === realpathSync(recipientsNameFor(target)) ? undefined : beside;
  } catch {
    try {
      lstatSync(beside);
      return beside;
    } catch {
      return undefined;
    }
  }
}
