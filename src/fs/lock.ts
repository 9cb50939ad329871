import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, fsyncSync, futimesSync, linkSync, lstatSync, openSync, readFileSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockTimeout } from '../errors.js';
import { holdSignals, releaseSignals, removeLeftoverTemps, resolveTarget, sweepDirectory, tempPathFor } from './atomic.js';
import { fileError } from './errors.js';

export interface LockOptions {
  /**
   * How long to wait for another holder, in milliseconds (default 30 s). Holders only read, encrypt and
   * write (slow work comes before the lock), so a long wait means many writers queued on a busy disk.
   */
  timeout?: number;
  /**
   * Age in milliseconds after which a lock whose holder cannot be checked — one taken on another host
   * (a shared or network file system), or one without an owner record — is taken to be abandoned
   * (default 30 s). A holder on this host is checked by process id instead and is never broken while
   * it lives, whatever its age; the holder refreshes the lock's mtime while it waits for its work.
   */
  stale?: number;
}

/**
 * Who holds a lock. `nonce` makes every lock file unique, so a lock that was removed and taken again is
 * never mistaken for the one judged abandoned. `start` (the process start time from /proc, in clock
 * ticks since boot) and `boot` (the kernel's boot id) tell a live holder from a reused process id.
 */
interface Owner {
  nonce?: string;
  pid?: number;
  host?: string;
  start?: string;
  boot?: string;
}

/** A lock file as read by a waiter. */
interface Seen {
  owner: Owner;
  mtimeMs: number;
  /** What identifies this very lock file: its nonce, or for an owner record without one, inode and content. */
  id: string;
}

interface Held {
  fd: number;
  dev: number;
  ino: number;
}

/**
 * Runs `fn` while holding `<real path>.lock`, so that read-modify-write cycles on one file from several
 * processes never lose an update. Links are resolved first: a config and a symbolic link to it share
 * one lock.
 *
 * - Taking it: the owner record is written to a temp file and fsynced, then hard-linked to the lock
 *   name. link() is atomic and fails if the name exists, so the lock file, when it exists, is always
 *   complete; a failure while writing the record (disk full, read-only, I/O error) leaves no lock.
 * - A holder on this host that is alive (same pid, same process start time, same boot) is never
 *   broken. A dead one's lock, or one from another host older than `stale`, is abandoned.
 * - Breaking an abandoned lock is race-free: only the process that creates `<lock>.break-<id>` for that
 *   very lock file may remove it, and it checks, holding that guard, that the lock is still the same
 *   one (the id never comes back once removed). A waiter that judged it abandoned late finds another
 *   lock (or none) and leaves it alone — it can never remove a lock another waiter has just taken.
 *
 * - Holding it, temp files of the target left by killed writers (older than LEFTOVER_TEMP_AGE_MS) are
 *   removed first.
 *
 * Slow work — running a key command, prompting, reading key files — belongs before this call: `fn`
 * holds up every other writer of the file.
 */
export async function withLock<T>(path: string, fn: () => Promise<T> | T, options: LockOptions = {}): Promise<T> {
  const target = resolveTarget(path);
  const lockPath = `${target}.lock`;
  const timeout = options.timeout ?? 30_000;
  const stale = options.stale ?? 30_000;
  const held = await acquire(path, lockPath, timeout, stale);
  // Holders on other hosts are judged by age: keep ours young while fn awaits something slow.
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      futimesSync(held.fd, now, now);
    } catch {
      // nothing to refresh
    }
  }, Math.max(1000, stale / 3));
  heartbeat.unref();
  try {
    // Temp files left by a killed writer would stay forever (a key ring's in plaintext); see removeLeftoverTemps.
    removeLeftoverTemps(target);
    removeOrphanGuards(lockPath, stale);
    return await fn();
  } finally {
    clearInterval(heartbeat);
    release(lockPath, held);
  }
}

async function acquire(path: string, lockPath: string, timeout: number, staleMs: number): Promise<Held> {
  const deadline = Date.now() + timeout;
  let delay = 5;
  let lastSeen: Seen | undefined;
  for (;;) {
    const held = tryCreate(lockPath, `lock file ${lockPath}`);
    if (held !== undefined) return held;
    const seen = readLock(lockPath);
    if (seen === undefined) continue; // released meanwhile: try again at once
    lastSeen = seen;
    // Another waiter busy breaking it: wait like for a live holder, rather than spin.
    if (isAbandoned(seen, staleMs) && breakAbandoned(lockPath, seen, staleMs, 0)) continue;
    if (Date.now() >= deadline) throw lockTimeout(path, lockPath, lastSeen);
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
}

function lockTimeout(path: string, lockPath: string, seen: Seen | undefined): LockTimeout {
  const owner = seen?.owner;
  if (owner?.pid !== undefined && owner.host === hostname()) {
    return new LockTimeout(`${path} is locked by process ${owner.pid}, which is still running`, {
      hint: `wait for it to finish (a key command or prompt may be waiting for you), or stop it; ${lockPath} is removed when it exits`,
    });
  }
  const where = owner?.host !== undefined ? ` on host ${owner.host}` : '';
  return new LockTimeout(`${path} is locked by another process${where}`, {
    hint: `a lock from another host is taken over once it is older than the stale limit; if no fernet-config is running anywhere, remove ${lockPath}`,
  });
}

/**
 * Creates `lockPath` holding our owner record, or returns undefined if it exists. The record is complete
 * before the name appears (temp file + fsync + link), and every failure removes the temp file.
 */
function tryCreate(lockPath: string, label: string): Held | undefined {
  const tmp = tempPathFor(lockPath);
  let fd: number | undefined;
  let linked = false;
  // A signal in the middle would leave the temp file (see holdSignals).
  holdSignals();
  try {
    // Readable by all (pid, host, nonce: nothing secret), so any user who writes the file can judge it.
    fd = openSync(tmp, 'wx', 0o644);
    fchmodSync(fd, 0o644);
    const record = Buffer.from(JSON.stringify(ownRecord()) + '\n', 'utf8');
    let off = 0;
    while (off < record.length) off += writeSync(fd, record, off, record.length - off, off);
    fsyncSync(fd);
    try {
      linkSync(tmp, lockPath);
      linked = true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return undefined;
      // A file system without hard links: fall back to an exclusive create, undone if its write fails.
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return createDirect(lockPath, record, label);
      throw e;
    }
    const st = fstatSync(fd);
    const held = { fd, dev: st.dev, ino: st.ino };
    fd = undefined;
    return held;
  } catch (e) {
    if (linked) {
      try {
        unlinkSync(lockPath);
      } catch {
        // nothing left to undo
      }
    }
    throw fileError(e, label);
  } finally {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone (or never made)
    }
    releaseSignals();
  }
}

function createDirect(lockPath: string, record: Buffer, label: string): Held | undefined {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw fileError(e, label);
  }
  try {
    let off = 0;
    while (off < record.length) off += writeSync(fd, record, off, record.length - off, off);
    fsyncSync(fd);
    const st = fstatSync(fd);
    return { fd, dev: st.dev, ino: st.ino };
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(lockPath);
    } catch {
      // nothing left to undo
    }
    throw fileError(e, label);
  }
}

/** Removes our lock — only if the name still holds our file (a lock wrongly broken by hand is not someone else's to lose). */
function release(lockPath: string, held: Held): void {
  try {
    const st = lstatSync(lockPath);
    if (st.dev === held.dev && st.ino === held.ino) unlinkSync(lockPath);
  } catch {
    // nothing to release
  } finally {
    closeSync(held.fd);
  }
}

/** The lock file's owner and identity, or undefined if it vanished. */
function readLock(lockPath: string): Seen | undefined {
  let fd: number;
  try {
    fd = openSync(lockPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // Not ours to read (an older version made locks 0600): an owner we cannot check, judged by age.
    if (code === 'EACCES' || code === 'EPERM') return unreadableLock(lockPath);
    throw fileError(e, `lock file ${lockPath}`);
  }
  try {
    const st = fstatSync(fd);
    const buf = Buffer.alloc(1024);
    const n = st.isFile() ? readSync(fd, buf, 0, buf.length, 0) : 0;
    const text = buf.subarray(0, n).toString('utf8');
    const owner = parseOwner(text);
    const id = owner.nonce ?? `${st.dev}:${st.ino}:${st.mtimeMs}:${createHash('sha256').update(text).digest('hex')}`;
    return { owner, mtimeMs: st.mtimeMs, id };
  } finally {
    closeSync(fd);
  }
}

function unreadableLock(lockPath: string): Seen | undefined {
  try {
    const st = lstatSync(lockPath);
    return { owner: {}, mtimeMs: st.mtimeMs, id: `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}` };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(e, `lock file ${lockPath}`);
  }
}

/** Our record, or an older version's `pid@host` line; anything else is an owner we cannot check. */
function parseOwner(text: string): Owner {
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    if (o !== null && typeof o === 'object') {
      return {
        nonce: typeof o.nonce === 'string' ? o.nonce : undefined,
        pid: Number.isSafeInteger(o.pid) && (o.pid as number) > 0 ? (o.pid as number) : undefined,
        host: typeof o.host === 'string' ? o.host : undefined,
        start: typeof o.start === 'string' ? o.start : undefined,
        boot: typeof o.boot === 'string' ? o.boot : undefined,
      };
    }
  } catch {
    // not ours
  }
  const legacy = /^(\d+)@(.+)$/.exec(text.trim());
  if (legacy) return { pid: Number(legacy[1]), host: legacy[2] };
  return {};
}

function ownRecord(): Required<Pick<Owner, 'nonce' | 'pid' | 'host'>> & Owner {
  const record: Owner & { nonce: string; pid: number; host: string } = { nonce: randomBytes(12).toString('hex'), pid: process.pid, host: hostname() };
  const start = processStart(process.pid);
  if (start !== undefined) record.start = start;
  const boot = bootId();
  if (boot !== undefined) record.boot = boot;
  return record;
}

/**
 * Whether a lock is abandoned. On this host: its process is gone, or the pid now belongs to a process
 * started later (pid reuse), or the machine rebooted since. Age never counts against a live local
 * holder — a key command waiting for a vault login may take minutes. From another host, or without a
 * pid to check: age only.
 */
function isAbandoned(seen: Seen, staleMs: number): boolean {
  const { pid, host, start, boot } = seen.owner;
  if (pid !== undefined && host === hostname()) {
    const ourBoot = bootId();
    if (boot !== undefined && ourBoot !== undefined && boot !== ourBoot) return true;
    if (pid === process.pid) return false; // our own (a nested lock of this process): never broken
    try {
      process.kill(pid, 0);
    } catch (e) {
      // EPERM: the process exists but belongs to another user — alive.
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
    if (start !== undefined) {
      const now = processStart(pid);
      if (now !== undefined && now !== start) return true;
    }
    return false;
  }
  return Date.now() - seen.mtimeMs > staleMs;
}

/**
 * Removes an abandoned lock, unless another waiter is doing so or has done so already. The guard's name
 * is derived from the abandoned lock's own id, so all waiters that judged the same lock abandoned
 * compete for one guard, and a guard can only ever remove that one lock. A guard left by a breaker that
 * died is itself abandoned and is broken the same way (bounded depth: each level needs a crash inside
 * a few system calls).
 */
function breakAbandoned(lockPath: string, seen: Seen, staleMs: number, depth: number): boolean {
  const guardPath = `${lockPath}.break-${createHash('sha256').update(seen.id).digest('hex').slice(0, 16)}`;
  const guard = tryCreate(guardPath, `lock file ${guardPath}`);
  if (guard === undefined) {
    const other = readLock(guardPath);
    if (other === undefined) return true; // that breaker just finished
    if (depth < 4 && isAbandoned(other, staleMs)) return breakAbandoned(guardPath, other, staleMs, depth + 1);
    return false;
  }
  try {
    const now = readLock(lockPath);
    if (now !== undefined && now.id === seen.id) unlinkSync(lockPath);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(e, `lock file ${lockPath}`);
    return true;
  } finally {
    release(guardPath, guard);
  }
}

/**
 * Removes break guards (`<lock>.break-<id>`, and guards of guards) whose breaker died between taking
 * and releasing one. Such a guard names a lock that is gone, so no waiter ever looks at it again; only
 * a holder of the lock itself sweeps them. A guard of a live breaker (one still finishing its check of
 * an older lock) is left alone, by the same rule as locks.
 */
function removeOrphanGuards(lockPath: string, staleMs: number): void {
  const prefix = `${basename(lockPath)}.break-`;
  sweepDirectory(dirname(lockPath), (entry) => entry.startsWith(prefix) && GUARD_SUFFIX.test(entry.slice(prefix.length)), (guardPath) => {
    const seen = readLock(guardPath);
    return seen !== undefined && isAbandoned(seen, staleMs) && readLock(guardPath)?.id === seen.id;
  });
}

/** What follows `.break-` in a guard's name: 16 hex digits, then possibly a guard of that guard. */
const GUARD_SUFFIX = /^[0-9a-f]{16}(?:\.break-[0-9a-f]{16})*$/;

let ourBoot: string | null | undefined;
/** The kernel's boot id (Linux), so a lock left before a reboot is never mistaken for a live one. */
function bootId(): string | undefined {
  if (ourBoot === undefined) {
    try {
      ourBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      ourBoot = null;
    }
  }
  return ourBoot ?? undefined;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or undefined where there is no /proc. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces; count fields after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}
