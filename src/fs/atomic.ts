import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FileExists } from '../errors.js';
import { fileError } from './errors.js';

export interface AtomicWriteOptions {
  /** Mode for a new file (default 0600). An existing file keeps its own mode. */
  mode?: number;
  /** Keep an existing file's mode (default true); false applies `mode` to the new content too. */
  keepMode?: boolean;
  /** Fail with FileExists instead of replacing an existing file (exclusive create, race-free). */
  exclusive?: boolean;
  /** How to name the file in messages (default: its path). */
  label?: string;
}

/** Temp files are hidden, named after their target, and end in `.tmp`: never mistaken for a config. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes a file so that a crash or kill at any instant leaves either the old or the new content: the data
 * goes to a temp file in the same directory (same file system), is fsynced, then renamed over the target,
 * and the directory is fsynced so the rename itself survives a power loss.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const label = options.label ?? path;
  let mode = options.mode ?? 0o600;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (options.exclusive) throw new FileExists(`${label} already exists`, { hint: 'pass --force to replace it' });
    if (options.keepMode !== false) mode = st.mode & 0o7777;
  } catch (e) {
    if (e instanceof FileExists) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(e, label);
  }

  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx', mode);
    fchmodSync(fd, mode); // exact mode, whatever the umask
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (options.exclusive) {
      // link() fails if the target appeared meanwhile, where rename() would silently replace it.
      try {
        linkSync(tmp, path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExists(`${label} already exists`, { hint: 'pass --force to replace it' });
        throw e;
      }
      unlinkSync(tmp);
    } else {
      renameSync(tmp, path);
    }
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    if (e instanceof FileExists) throw e;
    throw fileError(e, label);
  }
  syncDirectory(dirname(path));
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
