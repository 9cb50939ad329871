import { existsSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { FileExists, FileNotFound, UsageError } from '../../src/errors.js';
import { generateKey } from '../../src/fernet/key.js';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { backupFile } from '../../src/fs/backup.js';
import { withLock } from '../../src/fs/lock.js';
import { MAX_KEY_FILE_BYTES, readRegularFile } from '../../src/fs/read.js';
import { ignoredPaths, topLevel } from '../../src/git/git.js';
import { fingerprintKey, formatKeyFile, parseKeyFile } from '../../src/keys/ring.js';
import { askPassphrase } from '../age.js';
import { info, keyOptions, out, printJson, stdinIsTTY, warn } from '../io.js';
import { ringShown, written } from '../written.js';

interface Flags {
  force?: boolean;
  add?: boolean;
  json?: boolean;
  identity?: string;
}

export default async function keygen(path: string, flags: Flags): Promise<number> {
  if (path === '-') {
    if (flags.identity !== undefined) throw new UsageError('--identity goes with --add on a .age key ring');
    out(generateKey() + '\n');
    return 0;
  }
  const ring = ageRingOf(path, flags);
  if (ring !== undefined) return addToRing(ring, flags);
  const key = generateKey();

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
  if (existsSync(path + '.age')) {
    warn(`${path}.age is beside it: ${path} now wins key resolution over that ring; to add a key to the ring instead, delete ${path} and run fcfg keygen --add ${path}.age`);
  }
  return 0;
}

/**
 * The `.age` ring `keygen` works on, or undefined for a plain key file: PATH itself when it ends in
 * `.age`, or `<PATH>.age` with --add when only the ring exists (the ring replaced `secret.key`: adding
 * to a new plain file beside it would start a second ring that wins key resolution).
 */
function ageRingOf(path: string, flags: Flags): string | undefined {
  const ring = path.endsWith('.age') ? path : flags.add && !existsSync(path) && existsSync(path + '.age') ? path + '.age' : undefined;
  if (ring === undefined) {
    if (flags.identity !== undefined) throw new UsageError('--identity goes with --add on a .age key ring');
    return undefined;
  }
  if (!flags.add) {
    throw new UsageError(`${ring} is a .age key ring: keygen adds keys to it (--add), \`fcfg recipients add\` creates one`, { hint: `fcfg keygen --add ${ring}` });
  }
  return ring;
}

/** keygen --add on a .age ring: a new primary key, the ring rewritten for its recipients, no plain key file. */
async function addToRing(ring: string, flags: Flags): Promise<number> {
  const { addRingKey } = await import('../../src/age/ring-ops.js');
  const result = await addRingKey(ring, { ...keyOptions(flags), passphrase: askPassphrase, ...(flags.force ? { force: true } : {}) });
  if (flags.json) {
    printJson({ path: result.ring, fingerprint: result.fingerprint, keys: result.keys });
    return 0;
  }
  const { recipientsPathFor } = await import('../../src/age/recipients-file.js');
  info(`wrote a new primary key to ${ringShown(result.ring)} (fingerprint ${result.fingerprint}, ${result.keys} keys in the ring) for ${result.recipients.map((r) => r.name).join(', ')}`);
  info(`next: fcfg rotate CONFIG... (re-encrypts them with it), then fcfg keys prune ${result.ring} --keep 1 CONFIG...; commit ${written(result.ring)}, ${written(recipientsPathFor(result.ring))} and the configs`);
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
