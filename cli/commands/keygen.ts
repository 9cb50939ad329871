import { basename, dirname, relative, resolve } from 'node:path';
import { FileExists, FileNotFound } from '../../src/errors.js';
import { generateKey } from '../../src/fernet/key.js';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { backupFile } from '../../src/fs/backup.js';
import { withLock } from '../../src/fs/lock.js';
import { MAX_KEY_FILE_BYTES, readRegularFile } from '../../src/fs/read.js';
import { ignoredPaths, topLevel } from '../../src/git/git.js';
import { fingerprintKey, formatKeyFile, parseKeyFile } from '../../src/keys/ring.js';
import { info, out, printJson, stdinIsTTY, warn } from '../io.js';

interface Flags {
  force?: boolean;
  add?: boolean;
  json?: boolean;
}

export default async function keygen(path: string, flags: Flags): Promise<number> {
  const key = generateKey();
  if (path === '-') {
    out(key + '\n');
    return 0;
  }

  let keys = [key];
  const label = `key file ${path}`;
  if (flags.add) {
    // Read-modify-write of the ring: under the same lock as every other writer of it.
    await withLock(path, () => {
      keys = [key, ...readExistingRing(path, label)];
      // Keys are forced to 0600 even if the old file was looser: a ring is never widened by us.
      writeFileAtomic(path, formatKeyFile(keys), { mode: 0o600, keepMode: false, label, onWarning: warn });
    });
  } else {
    try {
      writeFileAtomic(path, formatKeyFile(keys), { mode: 0o600, exclusive: true, label });
    } catch (e) {
      if (!(e instanceof FileExists)) throw e;
      if (!flags.force) {
        if (!stdinIsTTY()) throw new FileExists(`key file ${path} already exists`, { hint: 'pass --add to add a key to the ring, or --force to replace it (the old ring is kept as a backup)' });
        // The prompt comes before the lock: a user thinking it over must not hold up other writers.
        const { default: confirm } = await import('@inquirer/confirm');
        const ok = await confirm({ message: `${path} exists. Replace it? Configs encrypted with its keys need the backup to be opened.`, default: false });
        if (!ok) {
          info('kept the existing key file');
          return 1;
        }
      }
      const backup = await withLock(path, () => {
        const kept = backupFile(path, label);
        writeFileAtomic(path, formatKeyFile(keys), { mode: 0o600, keepMode: false, label, onWarning: warn });
        return kept;
      });
      info(`kept the old key ring as ${backup} (mode 0600): configs encrypted with its keys need it`);
    }
  }

  const fingerprint = fingerprintKey(key);
  if (flags.json) printJson({ path, fingerprint, keys: keys.length });
  else info(`wrote ${flags.add ? 'a new primary key' : 'a new key'} to ${path} (fingerprint ${fingerprint}${keys.length > 1 ? `, ${keys.length} keys in the ring` : ''})`);
  suggestGitignore(path);
  return 0;
}

/** The keys of an existing ring, or none when there is no file yet. */
function readExistingRing(path: string, label: string): string[] {
  let data: Buffer;
  try {
    data = readRegularFile(path, label, MAX_KEY_FILE_BYTES).data;
  } catch (e) {
    if (e instanceof FileNotFound) return [];
    throw e;
  }
  const text = data.toString('utf8');
  data.fill(0);
  return parseKeyFile(text, label);
}

/** Inside a git work tree, a key file that git would pick up gets a warning with the exact fix. */
function suggestGitignore(path: string): void {
  const dir = dirname(path);
  try {
    const top = topLevel(dir);
    if (top === undefined) return;
    const rel = relative(top, resolve(path));
    if (ignoredPaths(top, [rel]).has(rel)) return;
  } catch {
    // No git, or it failed: this is advice, not part of writing the key.
    return;
  }
  warn(`${path} is not ignored by git; add it to .gitignore (echo '${basename(path)}' >> ${dir === '.' ? '' : dir + '/'}.gitignore)`);
}
