import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkKeySource, openToken, readToken, warningsOf, type KeySource } from '../config/file.js';
import { findDrafts } from '../edit/draft.js';
import { KeyRing } from '../keys/ring.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { withLock, type LockOptions } from '../fs/lock.js';
import { openAgeRingsFor, ringResolver } from './rings.js';

export interface RotateOptions {
  /**
   * Keep each token's original timestamp, as Python's `MultiFernet.rotate` does. By default a rotated
   * config is stamped with the time of rotation: the timestamp says when the file was last encrypted,
   * which is what `status --max-age` checks, so rotating is what satisfies it.
   */
  keepTimestamp?: boolean;
  /** Also re-encrypt configs that the primary key already opens (fresh IV, and timestamp unless kept). */
  force?: boolean;
  /** Check and report, write nothing. */
  dryRun?: boolean;
  /** Unix seconds to stamp into new tokens (default: the clock). */
  now?: number;
  lock?: LockOptions;
  /** Called for every config that cannot be rotated; all are checked before the first error is thrown. */
  onError?: (path: string, error: unknown) => void;
  /** Called after each config is written (or would be, with dryRun), so progress survives a later failure. */
  onRotated?: (result: RotateResult) => void;
  /**
   * Called once every config is locked and opened, before the first write: a caller that must write
   * something first (the `.age` ring holding the new key) does it here, so that a config that is locked
   * or does not open stops the run before anything at all is written.
   */
  beforeWrite?: () => Promise<void>;
}

export interface RotateResult {
  path: string;
  /** Whether the file was (or, with dryRun, would be) re-encrypted. */
  rotated: boolean;
  /** Index in the ring of the key that opened it before (0 = primary). */
  fromKey: number;
  fromFingerprint: string;
  toFingerprint: string;
  /** Token timestamp after rotation (Unix seconds). */
  timestamp: number;
  /**
   * The edit drafts beside the config (`<config>.draft`, `<config>.draft.N`), re-encrypted under the same
   * primary key so that `edit --resume` still opens them once old keys are pruned. A draft keeps its
   * timestamp (it says when the edit was saved) and its text byte for byte.
   */
  drafts: { path: string; rotated: boolean; /** -1: no key of the ring opens it. */ fromKey: number }[];
}

interface Plan {
  result: RotateResult;
  token?: string;
  drafts: { path: string; token: string }[];
}

/**
 * Re-encrypts configs under the primary key of their ring, keeping the plaintext byte for byte.
 *
 * All files are locked and opened before any is written: a ring that cannot open one of them stops the
 * whole run with nothing changed. Each write is atomic, so even a failure while writing (disk full)
 * leaves every file either as it was or fully rotated — and old keys still open the ones not yet done.
 */
export async function rotateConfigs(paths: readonly string[], keys: KeySource = {}, options: RotateOptions = {}): Promise<RotateResult[]> {
  const files = unique(paths);
  // Listed before locking, so that the drafts are locked too (an edit saving one meanwhile would be lost).
  const drafts = new Map(files.map((f) => [f, findDrafts(f)]));
  // Asynchronous, so the .age rings of its configs are opened here (key resolution cannot): an app need
  // not call openAgeRingFor first. Rings opened or tried already (the CLI's, with its prompt) stay so.
  checkKeySource(keys);
  if (!(keys instanceof KeyRing)) await openAgeRingsFor(files, keys, { retry: false });
  const ringOf = preResolved(files, ringResolver(keys));
  const onWarning = warningsOf(keys);
  const work = async (): Promise<RotateResult[]> => {
    const plans: Plan[] = [];
    let first: { error: unknown } | undefined;
    for (const path of files) {
      try {
        plans.push(plan(path, drafts.get(path) ?? [], ringOf, options));
      } catch (error) {
        first ??= { error };
        if (!options.onError) break;
        options.onError(path, error);
      }
    }
    if (first) throw first.error;
    if (!options.dryRun) await options.beforeWrite?.();
    for (const { result, token, drafts: rotatedDrafts } of plans) {
      if (token !== undefined && !options.dryRun) writeFileAtomic(result.path, token + '\n', onWarning ? { onWarning } : {});
      if (!options.dryRun) for (const d of rotatedDrafts) writeFileAtomic(d.path, d.token + '\n', { mode: 0o600, keepMode: false, label: `draft ${d.path}` });
      options.onRotated?.(result);
    }
    return plans.map((p) => p.result);
  };
  return options.dryRun ? work() : withLocks(lockOrder([...files, ...[...drafts.values()].flat()]), work, options.lock);
}

/**
 * Every ring resolved before any lock is taken (a key command may wait for a vault login); a failure is
 * kept and thrown when that file's turn comes, so errors are still reported per file.
 */
function preResolved(files: readonly string[], ringOf: (path: string) => KeyRing): (path: string) => KeyRing {
  const rings = new Map<string, { ring: KeyRing } | { error: unknown }>();
  for (const path of files) {
    try {
      rings.set(path, { ring: ringOf(path) });
    } catch (error) {
      rings.set(path, { error });
    }
  }
  return (path) => {
    const entry = rings.get(path) ?? { ring: ringOf(path) };
    if ('error' in entry) throw entry.error;
    return entry.ring;
  };
}

function plan(path: string, draftPaths: readonly string[], ringOf: (path: string) => KeyRing, options: RotateOptions): Plan {
  const token = readToken(path);
  const ring = ringOf(path);
  const { bytes, keyIndex, timestamp } = openToken(token, ring, path);
  const result: RotateResult = {
    path,
    rotated: false,
    fromKey: keyIndex,
    fromFingerprint: ring.fingerprint(keyIndex),
    toFingerprint: ring.fingerprint(0),
    timestamp,
    drafts: [],
  };
  // A draft no key of the ring opens is left as it is (fromKey -1): rotation cannot help it, and it must
  // not stop the configs from being rotated.
  const drafts: Plan['drafts'] = [];
  for (const draft of draftPaths) {
    const draftToken = readToken(draft);
    const fromKey = ring.multi.indexOf(draftToken);
    const rotate = fromKey > 0 || (fromKey === 0 && options.force === true);
    result.drafts.push({ path: draft, rotated: rotate, fromKey });
    if (rotate) drafts.push({ path: draft, token: ring.multi.rotate(draftToken) });
  }
  if (keyIndex === 0 && !options.force) return { result, drafts };
  let next: string;
  if (options.keepTimestamp) {
    next = ring.multi.rotate(token);
  } else {
    const now = options.now ?? Math.floor(Date.now() / 1000);
    next = ring.multi.encrypt(bytes, { now });
    result.timestamp = Math.floor(now);
  }
  bytes.fill(0);
  result.rotated = true;
  return { result, token: next, drafts };
}

/** The same file named twice (`a.enc ./a.enc`) is rotated once — and locked once, which must not deadlock. */
function unique(paths: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const p of paths) {
    const id = canonical(p);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(p);
  }
  return out;
}

function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * A fixed global order, so two rotations over overlapping sets of files cannot deadlock. A missing file
 * is not locked: opening it reports it missing, which says more than a failed lock would.
 */
function lockOrder(paths: readonly string[]): string[] {
  return paths.filter((p) => existsSync(p)).sort((a, b) => (canonical(a) < canonical(b) ? -1 : canonical(a) > canonical(b) ? 1 : 0));
}

async function withLocks<T>(paths: readonly string[], fn: () => Promise<T>, options?: LockOptions): Promise<T> {
  const [head, ...rest] = paths;
  if (head === undefined) return fn();
  return withLock(head, () => withLocks(rest, fn, options), options);
}
