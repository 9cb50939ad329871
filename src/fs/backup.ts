import { basename, dirname, join } from 'node:path';
import { FileExists } from '../errors.js';
import { refuseReadOnly, resolveTarget, writeFileAtomic } from './atomic.js';
import { MAX_KEY_FILE_BYTES, readRegularFile } from './read.js';

/**
 * Copies a key file (a Fernet key ring, an age identity) about to be replaced to `<name>.bak-<UTC time>`
 * beside the real file (0600, owned like the original where the writer may set that), never over an older backup; returns its path. The copy is made whatever the old file holds: it may be the only
 * copy of keys that configs still need. Throws FileExists after 99 backups in one second.
 */
export function backupFile(path: string, label: string, maxBytes = MAX_KEY_FILE_BYTES): string {
  const real = resolveTarget(path, label);
  const { data, stat } = readRegularFile(real, label, maxBytes);
  // A backup is only the first half of replacing the file: refused now, it would be left for nothing.
  refuseReadOnly(stat, path, label);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  // Shown beside the name the user gave, unless the file is really elsewhere (a link).
  const shownDir = resolveTarget(dirname(path)) === dirname(real) ? dirname(path) : dirname(real);
  try {
    for (let n = 1; n < 100; n++) {
      const name = `${basename(real)}.bak-${stamp}${n === 1 ? '' : `-${n}`}`;
      try {
        writeFileAtomic(join(dirname(real), name), data, { mode: 0o600, keepMode: false, exclusive: true, label: `backup ${name}`, owner: { uid: stat.uid, gid: stat.gid } });
        return join(shownDir, name);
      } catch (e) {
        if (!(e instanceof FileExists)) throw e;
      }
    }
  } finally {
    data.fill(0);
  }
  throw new FileExists(`too many backups of ${path} from this second`, { hint: 'try again in a second' });
}

