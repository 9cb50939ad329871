import { recipientNamesHash, recipientSetHash, shortHash, sshTag, type RecipientsFile } from './recipients-file.js';
import { readStanzas, type StanzaInfo } from './ring-file.js';

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
