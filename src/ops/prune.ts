import { existsSync } from 'node:fs';
import { openToken, readToken } from '../config/file.js';
import { KeyInUse, UsageError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { withLock, type LockOptions } from '../fs/lock.js';
import { readKeyFile, type KeyOptions } from '../keys/resolve.js';
import { formatKeyFile, type KeyRing } from '../keys/ring.js';

export interface PruneOptions extends Pick<KeyOptions, 'strictPermissions' | 'onWarning'> {
  /** How many keys to keep, counting from the primary (the newest, as `keygen --add` puts new keys first). */
  keep: number;
  /** Configs that must stay readable: pruning is refused if one of them needs a key that would go. */
  configs?: readonly string[];
  /** Check and report, write nothing. */
  dryRun?: boolean;
  lock?: LockOptions;
}

export interface KeyInfo {
  index: number;
  fingerprint: string;
}

export interface PruneResult {
  keyFile: string;
  kept: KeyInfo[];
  dropped: KeyInfo[];
  /** The configs checked, with the index of the key that opens each. */
  configs: { path: string; keyIndex: number; fingerprint: string }[];
  /** Whether the key file was rewritten (false with dryRun or when nothing is dropped). */
  written: boolean;
}

/** Index and fingerprint of every key of a ring — everything about a key that may be shown. */
export function listKeys(ring: KeyRing): KeyInfo[] {
  return Array.from({ length: ring.size }, (_, index) => ({ index, fingerprint: ring.fingerprint(index) }));
}

/**
 * Keeps the `keep` newest keys of a key file and drops the rest. Every listed config is opened with the
 * ring first; if one can only be opened by a key that would be dropped (or by none), nothing is written.
 * The new file is written atomically with mode 0600, whatever the old one had.
 */
export async function pruneKeyRing(keyFile: string, options: PruneOptions): Promise<PruneResult> {
  const keep = options.keep;
  if (!Number.isInteger(keep) || keep < 1) throw new UsageError('--keep must be a whole number of keys, at least 1');
  const work = (): PruneResult => {
    const ring = readKeyFile(keyFile, options);
    const keys = listKeys(ring);
    const configs = (options.configs ?? []).map((path) => {
      const { bytes, keyIndex } = openToken(readToken(path), ring, path);
      bytes.fill(0);
      return { path, keyIndex, fingerprint: ring.fingerprint(keyIndex) };
    });
    const needed = configs.filter((c) => c.keyIndex >= keep);
    if (needed.length > 0) {
      const list = needed.map((c) => `${c.path} (key #${c.keyIndex}, ${c.fingerprint})`).join(', ');
      throw new KeyInUse(`refusing to prune ${keyFile}: still needed by ${list}`, {
        hint: `re-encrypt first: fcfg rotate --key-file ${keyFile} ${needed.map((c) => c.path).join(' ')}`,
      });
    }
    const result: PruneResult = { keyFile, kept: keys.slice(0, keep), dropped: keys.slice(keep), configs, written: false };
    if (result.dropped.length > 0 && !options.dryRun) {
      writeFileAtomic(keyFile, formatKeyFile(ring.slice(keep).exportKeys()), { mode: 0o600, keepMode: false, label: `key file ${keyFile}` });
      result.written = true;
    }
    return result;
  };
  // A missing key file is reported by reading it, not by a lock file that cannot be created beside it.
  return options.dryRun || !existsSync(keyFile) ? work() : withLock(keyFile, work, options.lock);
}
