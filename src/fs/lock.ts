import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { LockTimeout } from '../errors.js';
import { fileError } from './errors.js';

export interface LockOptions {
  /** How long to wait for another holder, in milliseconds (default 10 s). */
  timeout?: number;
  /** A lock older than this is taken to be left by a crashed process (default 30 s). */
  stale?: number;
}

/**
 * Runs `fn` while holding `<path>.lock`, so that read-modify-write cycles on one config from several
 * processes never lose an update. The lock file is created exclusively and records pid and host; a lock
 * whose process is gone (same host) or that is older than `stale` is broken.
 */
export async function withLock<T>(path: string, fn: () => Promise<T> | T, options: LockOptions = {}): Promise<T> {
  const lockPath = `${path}.lock`;
  const timeout = options.timeout ?? 10_000;
  const stale = options.stale ?? 30_000;
  const deadline = Date.now() + timeout;
  let delay = 5;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, `${process.pid}@${hostname()}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fileError(e, `lock file ${lockPath}`);
    }
    if (isStale(lockPath, stale)) {
      try {
        unlinkSync(lockPath);
      } catch {
        // someone else broke it first
      }
      continue;
    }
    if (Date.now() > deadline) {
      throw new LockTimeout(`${path} is locked by another process`, { hint: `if no other fernet-config is running, remove ${lockPath}` });
    }
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lockPath);
    } catch {
      // nothing to release
    }
  }
}

function isStale(lockPath: string, staleMs: number): boolean {
  try {
    const st = statSync(lockPath);
    if (Date.now() - st.mtimeMs > staleMs) return true;
    const [pid, host] = readFileSync(lockPath, 'utf8').trim().split('@');
    if (host === hostname() && pid && /^\d+$/.test(pid)) {
      try {
        process.kill(Number(pid), 0);
      } catch (e) {
        return (e as NodeJS.ErrnoException).code === 'ESRCH';
      }
    }
    return false;
  } catch {
    // Vanished or half-written (its writer is between open and write): not stale, retry.
    return false;
  }
}
