import { existsSync, realpathSync } from 'node:fs';
import { compareRing } from './header.js';
import { readRecipientsFile, type RecipientsFile } from './recipients-file.js';
import { readRingBytes, recipientsPathFor, ringTarget, unusedRecipientsFile } from './ring-file.js';

/**
 * How a ring and its recipients file disagree, as sentences (empty when they agree, or when neither
 * exists). Needs no identity and does not load age-encryption: `check` runs it on every ring it finds.
 */
export function ringAgreement(ring: string, file: RecipientsFile | undefined = readRecipientsFile(recipientsPathFor(ring))): string[] {
  const recipientsFile = recipientsPathFor(ring);
  const ringExists = existsSync(ring);
  const stray = unusedRecipientsFile(ring);
  const link = stray === undefined ? [] : [`${stray} is not used: ${ring} is a link to ${ringTarget(ring)}, whose recipients file is ${recipientsFile}`];
  if (!file && !ringExists) return link;
  if (!file) return [`${ring} has no recipients file (${recipientsFile})`, ...link];
  if (!ringExists) return file.entries.length > 0 ? [`${recipientsFile} lists recipients but ${ring} does not exist`, ...link] : link;
  return [...compareRing(file, readRingBytes(ring), ring), ...link];
}

/**
 * The rings `check` looks at for the files it walked: each `*.key.age`, and the ring of each
 * `*.recipients`; a ring reached both directly and through a link is checked once, by the first name.
 */
export function ringsOf(files: Iterable<string>): string[] {
  const out = new Map<string, string>();
  for (const f of files) {
    const ring = f.endsWith('.key.age') ? f : f.endsWith('.recipients') ? f.slice(0, -'.recipients'.length) + '.key.age' : undefined;
    if (ring === undefined) continue;
    let id = ring;
    try {
      id = realpathSync(ring);
    } catch {
      // missing: checked under its own name
    }
    if (!out.has(id)) out.set(id, ring);
  }
  return [...out.values()].sort();
}
