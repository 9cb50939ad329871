import { FernetConfigError, NoIdentity, NotARecipient, RingUnreadable } from '../errors.js';
import { incompleteInstall } from '../fs/errors.js';
import { KeyRing, parseKeyFile } from '../keys/ring.js';
import { identitySources, loadIdentities, type LoadedIdentity } from './identities.js';
import { ageOpenLib } from './lib.js';
import { dearmor, readRingBytes, readStanzas, recipientsPathFor } from './ring-file.js';
import type { AgeKeyOptions } from './select.js';

/** age-encryption's message when no identity matches a stanza (it has no error classes). */
const NO_MATCH = /no identity matched/i;

export interface OpenedAgeRing {
  ring: KeyRing;
  /** The identity source that opened it (a path or a variable name). */
  identity: string;
}

/**
 * Opens a `.age` key ring: an age file whose plaintext is a key file (one Fernet key per line, the first
 * the primary). Identity sources are tried in order (see identities.ts); the first that opens it wins.
 * Throws NoIdentity when there is none, NotARecipient when none of them is a recipient, RingUnreadable
 * when a matching identity finds the file damaged.
 */
export async function openAgeRingDetailed(ringPath: string, options: AgeKeyOptions & { env?: Record<string, string | undefined> } = {}): Promise<OpenedAgeRing> {
  const bytes = dearmor(readRingBytes(ringPath));
  const label = `key ring ${ringPath}`;
  const { sources, tried } = identitySources(options);
  if (sources.length === 0) throw new NoIdentity(ringPath, tried);
  const { Decrypter } = await ageOpenLib();
  const mine: LoadedIdentity[] = [];
  for (const source of sources) {
    const decrypter = new Decrypter();
    mine.push(...(await loadIdentities(source, options, decrypter)));
    let text: string;
    try {
      text = await decryptText(decrypter, bytes);
    } catch (e) {
      if (e instanceof FernetConfigError) throw e;
      const missing = incompleteInstall(e);
      if (missing) throw missing;
      if (NO_MATCH.test((e as Error)?.message ?? '')) continue;
      throw new RingUnreadable(`${label} does not open: it is damaged or not an age file`, { cause: e, hint: 'restore it from version control' });
    }
    return { ring: new KeyRing(parseKeyFile(text, label), `${label} (identity ${source.label})`), identity: source.label };
  }
  const publics = await Promise.all(mine.map((i) => i.publicLabel()));
  // Only now the recipients file, for the message: its parser takes SSH code with it, which a ring that
  // opens with an X25519 identity never needs.
  const recipients = await import('./recipients-file.js');
  const listedAs = nameInRecipientsFile(recipients, ringPath, publics);
  if (listedAs !== undefined) {
    // The recipients file (committed beside the ring, written with it) says we are one: then a ring that
    // does not open for us is damaged, or was changed without that file — not a question of access.
    throw new RingUnreadable(`${label} does not open with your identity, although its recipients file lists you (as ${listedAs}): the ring is damaged or was changed without its recipients file`, {
      hint: 'restore both from version control; `fcfg check` compares them',
    });
  }
  // SSH fingerprints as short as the recipients' below, so that the two lists compare at a glance.
  const short = (p: string) => (p.startsWith('SHA256:') ? p.slice(0, 'SHA256:'.length + 12) : p);
  const yours = mine.map((i, n) => `${i.label} (${short(publics[n]!)})`);
  throw new NotARecipient(`none of your identities is a recipient of ${ringPath} (yours: ${yours.join('; ')}; its recipients: ${describeRecipients(recipients, ringPath, bytes)})`, tried);
}

export async function openAgeRing(ringPath: string, options: AgeKeyOptions & { env?: Record<string, string | undefined> } = {}): Promise<KeyRing> {
  return (await openAgeRingDetailed(ringPath, options)).ring;
}

/**
 * The ring's text. age's Uint8Array form reads its output with `new Response(stream)`: in dist/age-open.cjs
 * that is the bundle's in-memory stand-in (scripts/age-web-streams.mjs), not Node's fetch. Decoded here,
 * strictly: a key file is UTF-8, and Response.text() would replace what is not.
 */
async function decryptText(decrypter: InstanceType<Awaited<ReturnType<typeof ageOpenLib>>['Decrypter']>, bytes: Uint8Array): Promise<string> {
  const out = await decrypter.decrypt(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(out);
  } finally {
    out.fill(0);
  }
}

type RecipientsModule = typeof import('./recipients-file.js');

/** The name under which the ring's recipients file lists one of `publics` (short recipients or SSH fingerprints), if any. */
function nameInRecipientsFile({ readRecipientsFile, recipientFingerprint }: RecipientsModule, ringPath: string, publics: readonly string[]): string | undefined {
  try {
    const file = readRecipientsFile(recipientsPathFor(ringPath));
    for (const e of file?.entries ?? []) {
      const fp = recipientFingerprint(e);
      if (publics.some((p) => p === fp || (fp.startsWith('SHA256:') && p.startsWith(fp)))) return e.name;
    }
  } catch {
    // no readable recipients file: nothing says we should be able to open it
  }
  return undefined;
}

/** Names and short fingerprints from the recipients file, else the stanza types of the ring. */
function describeRecipients({ readRecipientsFile, recipientFingerprint }: RecipientsModule, ringPath: string, bytes: Uint8Array): string {
  try {
    const file = readRecipientsFile(recipientsPathFor(ringPath));
    if (file && file.entries.length > 0) return file.entries.map((e) => `${e.name} ${recipientFingerprint(e)}`).join(', ');
  } catch {
    // fall back to what the ring itself says
  }
  try {
    const counts = new Map<string, number>();
    for (const s of readStanzas(bytes, ringPath)) counts.set(s.type, (counts.get(s.type) ?? 0) + 1);
    return [...counts].map(([t, n]) => `${n} ${t}`).join(', ') || 'none';
  } catch {
    return 'unknown';
  }
}
