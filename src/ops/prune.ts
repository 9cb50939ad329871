import { existsSync } from 'node:fs';
import { openToken, readToken, ringFor, type KeySource } from '../config/file.js';
import { findDrafts } from '../edit/draft.js';
import { KeyInUse, UsageError } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { withLock, type LockOptions } from '../fs/lock.js';
import { readKeyFile, type KeyOptions } from '../keys/resolve.js';
import { formatKeyFile, type KeyRing } from '../keys/ring.js';

export interface PruneOptions extends Pick<KeyOptions, 'strictPermissions' | 'onWarning'> {
  /** How many keys to keep, counting from the primary (the newest, as `keygen --add` puts new keys first). */
  keep: number;
  /**
   * Configs that must stay readable: pruning is refused if one of them, or an edit draft beside it
   * (`<config>.draft`, `<config>.draft.N`), needs a key that would go.
   */
  configs?: readonly string[];
  /**
   * Drop keys although no config was given to check them against. Without it, pruning with an empty
   * `configs` is refused: nothing would stop it from dropping the key every config still needs.
   */
  unchecked?: boolean;
  /** Check and report, write nothing. */
  dryRun?: boolean;
  lock?: LockOptions;
  /**
   * Where the keys live when `keyFile` is not a plain key file (a `.age` ring, src/age/ring-ops.ts):
   * read and rewritten through these, under the same lock on `keyFile`.
   */
  store?: KeyStore;
}

export interface KeyStore {
  read(): Promise<KeyRing>;
  write(keys: readonly string[]): Promise<void>;
  /** Set by `read`: write the kept keys even when none is dropped (to repair the store). */
  rewrite?: boolean;
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
  /** The edit drafts found beside them, likewise; an edit resumed from one needs its key. */
  drafts: { path: string; config: string; keyIndex: number; fingerprint: string }[];
  /** Whether the key file was rewritten (false with dryRun or when nothing is dropped). */
  written: boolean;
}

/**
 * Index and fingerprint of every key of a ring — everything about a key that may be shown. `keys` is a
 * ring or the options that find one (`{ keyFile }`, `{ key }`, `{ keyCommand }`; none: the environment,
 * then ./secret.key), as for every other operation. Throws ERR_USAGE for anything else (a bare string).
 */
export function listKeys(keys: KeySource = {}): KeyInfo[] {
  const ring = ringFor(undefined, keys);
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
  const store = options.store;
  const work = async (): Promise<PruneResult> => {
    const ring = store ? await store.read() : readKeyFile(keyFile, options);
    const keys = listKeys(ring);
    const configs = (options.configs ?? []).map((path) => {
      const { bytes, keyIndex } = openToken(readToken(path), ring, path);
      bytes.fill(0);
      return { path, keyIndex, fingerprint: ring.fingerprint(keyIndex) };
    });
    const drafts = (options.configs ?? []).flatMap((config) => openDrafts(config, ring, options.onWarning));
    const needed = [...configs, ...drafts].filter((c) => c.keyIndex >= keep);
    if (needed.length > 0) {
      const list = needed.map((c) => `${'config' in c ? 'draft ' : ''}${c.path} (key #${c.keyIndex}, ${c.fingerprint})`).join(', ');
      // `rotate` re-encrypts the drafts beside the configs it is given, so one command covers both.
      const configsToRotate = [...new Set(needed.map((c) => ('config' in c ? c.config : c.path)))];
      throw new KeyInUse(`refusing to prune ${keyFile}: still needed by ${list}`, {
        hint: `re-encrypt first: fcfg rotate ${store ? '' : `--key-file ${keyFile} `}${configsToRotate.join(' ')}`,
      });
    }
    const dropped = keys.slice(keep);
    if (dropped.length > 0 && configs.length === 0 && !options.unchecked && !options.dryRun) {
      throw new UsageError(`refusing to drop ${dropped.length} key${dropped.length === 1 ? '' : 's'} from ${keyFile} without configs to check`, {
        hint: 'list the configs this ring opens (they must stay readable), or drop the keys unchecked: --no-check (`unchecked: true` for pruneKeyRing())',
      });
    }
    const result: PruneResult = { keyFile, kept: keys.slice(0, keep), dropped, configs, drafts, written: false };
    if ((result.dropped.length > 0 || store?.rewrite === true) && !options.dryRun) {
      if (store) await store.write(ring.slice(keep).exportKeys());
      else writeFileAtomic(keyFile, formatKeyFile(ring.slice(keep).exportKeys()), { mode: 0o600, keepMode: false, label: `key file ${keyFile}` });
      result.written = true;
    }
    return result;
  };
  // A missing key file is reported by reading it, not by a lock file that cannot be created beside it.
  return options.dryRun || !existsSync(keyFile) ? work() : withLock(keyFile, work, options.lock);
}

/**
 * The drafts beside a config and the key that opens each. A draft no key of the ring opens is not this
 * ring's to protect (pruning changes nothing for it): it is reported through `onWarning` and left out.
 */
function openDrafts(config: string, ring: KeyRing, onWarning: ((message: string) => void) | undefined): PruneResult['drafts'] {
  const out: PruneResult['drafts'] = [];
  for (const path of findDrafts(config)) {
    const token = readToken(path);
    const keyIndex = ring.multi.indexOf(token);
    if (keyIndex < 0) {
      onWarning?.(`draft ${path} cannot be opened with this key ring; not checked`);
      continue;
    }
    out.push({ path, config, keyIndex, fingerprint: ring.fingerprint(keyIndex) });
  }
  return out;
}
