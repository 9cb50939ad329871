import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openToken, plaintextToText, sealConfigBytes } from '../config/file.js';
import { assertNoDuplicateKeys, parseTree, type JsonNode } from '../config/tree.js';
import { MalformedConfigFile } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { fileError } from '../fs/errors.js';
import { resolveKeyRing, type KeyOptions } from '../keys/resolve.js';
import type { KeyRing } from '../keys/ring.js';
import { literalOf, type Literal } from './canonical.js';
import { jsonEqual, mergeJson, mergedText, type MergeConflict } from './merge.js';

export interface MergeDriverOptions {
  keys?: KeyOptions;
  /** Where git runs the driver: the top of the work tree, which `path` is relative to. */
  cwd?: string;
  onWarning?: (message: string) => void;
}

export interface MergeDriverResult {
  conflicts: MergeConflict[];
  /** Whether the ours file was rewritten (false: our side already is the result). */
  written: boolean;
}

interface Side {
  raw: Buffer;
  text: string;
  tree: JsonNode;
  /** Every scalar as its literal text: compared exactly, never through a double. */
  value: Literal;
}

/**
 * git's merge driver for encrypted configs (`%O %A %B %P`). Decrypts the three versions with the keys of
 * the real file `path` (git's temp files sit elsewhere), merges them key by key and leaves the result,
 * encrypted, in `ours` — which is what git takes as the merge result. With conflicts the file still holds
 * every clean change, our value at each conflicting path, and is never plaintext.
 *
 * Values are compared by their literal text (a number exactly as written), so a change on one side is
 * never lost to rounding, and a key written twice on either side is refused (DuplicateKey): which copy
 * was meant cannot be known, and every writer refuses such text.
 *
 * Failures (no key, a side that does not decrypt) throw before anything is written: `ours` stays as it
 * was and git reports a conflict.
 */
export function mergeEncrypted(base: string, ours: string, theirs: string, path: string, options: MergeDriverOptions = {}): MergeDriverResult {
  const cwd = options.cwd ?? process.cwd();
  const ring = resolveKeyRing(resolve(cwd, path), { ...options.keys, onWarning: options.keys?.onWarning ?? options.onWarning });
  const oursSide = open(resolve(cwd, ours), ring, `our version of ${path}`);
  const theirsSide = open(resolve(cwd, theirs), ring, `their version of ${path}`);
  assertNoDuplicateKeys(oursSide.text, `our version of ${path}`);
  assertNoDuplicateKeys(theirsSide.text, `their version of ${path}`);
  const baseSide = openBase(resolve(cwd, base), ring, path, options.onWarning);

  const { value, conflicts } = mergeJson(baseSide?.value, oursSide.value, theirsSide.value, baseSide !== undefined);
  if (jsonEqual(value, oursSide.value)) return { conflicts, written: false };
  const target = resolve(cwd, ours);
  if (conflicts.length === 0 && jsonEqual(value, theirsSide.value)) {
    // Only their side changed anything: take their token as it is, so the merge adds no spurious diff.
    writeFileAtomic(target, theirsSide.raw, { label: `the merge result for ${path}` });
    return { conflicts, written: true };
  }
  const text = mergedText(oursSide.text, value as Literal, oursSide.tree);
  writeFileAtomic(target, sealConfigBytes(text, ring, `the merged ${path}`), { label: `the merge result for ${path}` });
  return { conflicts, written: true };
}

function readRaw(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw fileError(e, what);
  }
}

function open(file: string, ring: KeyRing, what: string): Side {
  const raw = readRaw(file, what);
  const token = raw.toString('latin1').trim();
  if (token === '') throw new MalformedConfigFile(`${what} is empty`, { hint: 'resolve this file by hand with `fcfg edit`' });
  const { bytes } = openToken(token, ring, what);
  const text = plaintextToText(bytes, what);
  const tree = parseTree(text, `the decrypted content of ${what}`);
  return { raw, text, tree, value: literalOf(tree) };
}

/** The common ancestor; missing (both sides added the file) or unreadable means a merge without one. */
function openBase(file: string, ring: KeyRing, path: string, onWarning?: (message: string) => void): Side | undefined {
  const raw = readRaw(file, `the common ancestor of ${path}`);
  if (raw.toString('latin1').trim() === '') return undefined;
  try {
    return open(file, ring, `the common ancestor of ${path}`);
  } catch (e) {
    onWarning?.(`${(e as Error).message}; merging without it, so every difference counts as a conflict`);
    return undefined;
  }
}
