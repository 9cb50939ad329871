import { existsSync, readFileSync } from 'node:fs';
import { FileNotFound } from '../errors.js';
import { fileError } from '../fs/errors.js';
import { compareRing } from './header.js';
import { readRecipientsFile, recipientsPathFor, type RecipientsFile } from './recipients-file.js';

/** The bytes of a `.age` key ring. */
export function readRingBytes(ring: string): Uint8Array {
  try {
    return readFileSync(ring);
  } catch (e) {
    const err = fileError(e, `key ring ${ring}`);
    if (err instanceof FileNotFound) throw new FileNotFound(`key ring ${ring} does not exist`, { cause: e, hint: 'create it with `fcfg recipients add NAME RECIPIENT`' });
    throw err;
  }
}

/**
 * How a ring and its recipients file disagree, as sentences (empty when they agree, or when neither
 * exists). Needs no identity and does not load age-encryption: `check` runs it on every ring it finds.
 */
export function ringAgreement(ring: string, file: RecipientsFile | undefined = readRecipientsFile(recipientsPathFor(ring))): string[] {
  const recipientsFile = recipientsPathFor(ring);
  const ringExists = existsSync(ring);
  if (!file && !ringExists) return [];
  if (!file) return [`${ring} has no recipients file (${recipientsFile})`];
  if (!ringExists) return file.entries.length > 0 ? [`${recipientsFile} lists recipients but ${ring} does not exist`] : [];
  return compareRing(file, readRingBytes(ring), ring);
}

/** The rings `check` looks at for the files it walked: each `*.key.age`, and the ring of each `*.recipients`. */
export function ringsOf(files: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const f of files) {
    if (f.endsWith('.key.age')) out.add(f);
    else if (f.endsWith('.recipients')) out.add(f.slice(0, -'.recipients'.length) + '.key.age');
  }
  return [...out].sort();
}
