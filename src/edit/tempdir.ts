import { createHash } from 'node:crypto';
import { accessSync, chmodSync, closeSync, constants, fchmodSync, fsyncSync, lstatSync, mkdtempSync, openSync, readdirSync, rmSync, statfsSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileAccessError } from '../errors.js';
import { fileError } from '../fs/errors.js';

/** Where `edit` puts its private directories instead of the automatic choice (tests, unusual systems). */
export const ENV_TMPDIR = 'FERNET_CONFIG_TMPDIR';

export interface TempRoot {
  path: string;
  /** Memory-backed (tmpfs): the plaintext never reaches a disk. */
  memory: boolean;
  /** Why this one: "FERNET_CONFIG_TMPDIR", "XDG_RUNTIME_DIR", "/dev/shm" or "os.tmpdir()". */
  source: string;
}

// statfs(2) magic numbers of the memory file systems (Linux).
const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

function isMemoryBacked(dir: string): boolean {
  try {
    const type = statfsSync(dir).type;
    return type === TMPFS_MAGIC || type === RAMFS_MAGIC;
  } catch {
    return false;
  }
}

function usableDir(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false;
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Chooses where the plaintext goes while it is edited: $FERNET_CONFIG_TMPDIR when set (it must exist),
 * else the first memory-backed one of $XDG_RUNTIME_DIR (private to the user) and /dev/shm, else the
 * system temp directory. A private 0700 directory is created inside it for every edit.
 */
export function chooseTempRoot(env: Record<string, string | undefined> = process.env): TempRoot {
  const forced = env[ENV_TMPDIR];
  if (forced !== undefined && forced !== '') {
    if (!usableDir(forced)) {
      throw new FileAccessError(`${ENV_TMPDIR} (${forced}) is not a directory you can write to`, { hint: `create it, or unset ${ENV_TMPDIR}` });
    }
    return { path: forced, memory: isMemoryBacked(forced), source: ENV_TMPDIR };
  }
  const runtime = env['XDG_RUNTIME_DIR'];
  const candidates: [string | undefined, string][] = [
    [runtime && runtime.startsWith('/') ? runtime : undefined, 'XDG_RUNTIME_DIR'],
    ['/dev/shm', '/dev/shm'],
  ];
  for (const [dir, source] of candidates) {
    if (dir !== undefined && usableDir(dir) && isMemoryBacked(dir)) return { path: dir, memory: true, source };
  }
  const fallback = tmpdir();
  return { path: fallback, memory: isMemoryBacked(fallback), source: 'os.tmpdir()' };
}

// Directory names carry the host and pid of their owner, so a later edit can tell an abandoned one
// (its process was killed with SIGKILL, or the machine lost power) from one that is in use.
const PREFIX = 'fcfg-edit-';
const hostTag = (): string => createHash('sha256').update(hostname()).digest('hex').slice(0, 8);

/** Creates a fresh directory only the current user can enter (0700), and checks that it is one. */
export function createPrivateDir(root: string): string {
  let dir: string;
  try {
    dir = mkdtempSync(join(root, `${PREFIX}${hostTag()}-${process.pid}-`));
    chmodSync(dir, 0o700);
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o077) !== 0) {
      throw new FileAccessError(`${dir} is not a private directory`);
    }
  } catch (e) {
    if (e instanceof FileAccessError) throw e;
    throw fileError(e, `temporary directory in ${root}`);
  }
  return dir;
}

/** Creates (or replaces) a 0600 file in a private directory, never following a planted link. */
export function writePrivateFile(path: string, text: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not there yet
  }
  let fd: number | undefined;
  try {
    fd = openSync(path, 'wx', 0o600);
    fchmodSync(fd, 0o600);
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    throw fileError(e, path);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Removes a directory and everything in it — the file, and the swap, backup and lock files editors leave
 * beside it. Subdirectories an editor made unwritable are opened up first. Returns false when something
 * could not be removed (the caller must tell the user where).
 */
export function removePrivateDir(dir: string): boolean {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    return true;
  } catch {
    // fall through: make every directory writable, then try once more
  }
  const openUp = (d: string): void => {
    try {
      chmodSync(d, 0o700);
      for (const entry of readdirSync(d, { withFileTypes: true })) if (entry.isDirectory()) openUp(join(d, entry.name));
    } catch {
      // best effort
    }
  };
  openUp(dir);
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    return true;
  } catch {
    return false;
  }
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes private directories left under `root` by edits of this user on this host whose process no
 * longer exists (killed with SIGKILL, which cannot be caught). Returns what it removed.
 */
export function sweepAbandonedDirs(root: string): string[] {
  const mine = `${PREFIX}${hostTag()}-`;
  const uid = process.getuid?.();
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return removed;
  }
  for (const name of entries) {
    if (!name.startsWith(mine)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(mine.length))?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || !processIsGone(pid)) continue;
    const dir = join(root, name);
    try {
      const st = lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
    } catch {
      continue;
    }
    if (removePrivateDir(dir)) removed.push(dir);
  }
  return removed;
}
