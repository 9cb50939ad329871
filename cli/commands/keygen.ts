import { readFileSync } from 'node:fs';
import { basename, dirname, relative, resolve } from 'node:path';
import { FileExists } from '../../src/errors.js';
import { generateKey } from '../../src/fernet/key.js';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { fileError } from '../../src/fs/errors.js';
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
  if (flags.add) {
    let existing: string[] = [];
    try {
      existing = parseKeyFile(readFileSync(path, 'utf8'), `key file ${path}`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw (e as NodeJS.ErrnoException).code ? fileError(e, `key file ${path}`) : e;
    }
    keys = [key, ...existing];
    // Keys are forced to 0600 even if the old file was looser: a ring is never widened by us.
    writeFileAtomic(path, formatKeyFile(keys), { mode: 0o600, keepMode: false, label: `key file ${path}` });
  } else {
    try {
      writeFileAtomic(path, formatKeyFile(keys), { mode: 0o600, exclusive: true, label: `key file ${path}` });
    } catch (e) {
      if (!(e instanceof FileExists)) throw e;
      if (!flags.force) {
        if (!stdinIsTTY()) throw new FileExists(`key file ${path} already exists`, { hint: 'pass --add to add a key to the ring, or --force to replace it (its keys are lost)' });
        const { default: confirm } = await import('@inquirer/confirm');
        const ok = await confirm({ message: `${path} exists. Replace it? Configs encrypted with its keys can no longer be opened.`, default: false });
        if (!ok) {
          info('kept the existing key file');
          return 1;
        }
      }
      writeFileAtomic(path, formatKeyFile(keys), { mode: 0o600, keepMode: false, label: `key file ${path}` });
    }
  }

  const fingerprint = fingerprintKey(key);
  if (flags.json) printJson({ path, fingerprint, keys: keys.length });
  else info(`wrote ${flags.add ? 'a new primary key' : 'a new key'} to ${path} (fingerprint ${fingerprint}${keys.length > 1 ? `, ${keys.length} keys in the ring` : ''})`);
  suggestGitignore(path);
  return 0;
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
