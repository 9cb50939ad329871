/**
 * Faults from outside the process, the way SQLite tests itself: a real full or read-only file system
 * (a small tmpfs, as root), and strace's syscall tampering failing the N-th open, write, fsync, rename
 * or link of a command, for every N. After each: the file holds the old or the new content (the new
 * one exactly when the command reported success), no temp file and no lock file is left, and the next
 * writer gets the lock at once.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openConfig, updateConfig } from '../src/config/file.js';
import { setInText } from '../src/config/json.js';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { withLock } from '../src/fs/lock.js';
import { CLI, cleanEnv, runCli, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-faults-');
const isRoot = process.geteuid?.() === 0;

function seal(key: string, value: unknown): string {
  return new Fernet(key).encrypt(JSON.stringify(value)) + '\n';
}
function writeKeys(dir: string, keys: string[]): void {
  writeFileSync(join(dir, 'secret.key'), keys.join('\n') + '\n', { mode: 0o600 });
}

/** The next writer must get the lock at once (timeout 0) and find a config it can open. */
async function nextWriterSucceeds(dir: string): Promise<void> {
  await updateConfig(join(dir, 'config.enc'), { keyFile: join(dir, 'secret.key') }, (t) => setInText(t, 'next', 'true'), { lock: { timeout: 0 } });
}

interface Scenario {
  name: string;
  args: string[];
  prepare: (dir: string) => void;
  /** Which state the directory is in: 'old', 'new', or undefined for neither (a broken file). */
  state: (dir: string, before: Buffer) => 'old' | 'new' | undefined;
  /** The file the command rewrites. */
  file: string;
  next: (dir: string) => Promise<void>;
}

const scenarios: Scenario[] = (() => {
  const k1 = generateKey();
  const k2 = generateKey();
  const opens = (dir: string, key: string): unknown => {
    try {
      return openConfig(join(dir, 'config.enc'), { key }).value;
    } catch {
      return undefined;
    }
  };
  return [
    {
      name: 'set',
      args: ['set', 'config.enc', 'b', '2'],
      file: 'config.enc',
      prepare: (dir) => {
        writeKeys(dir, [k1]);
        writeFileSync(join(dir, 'config.enc'), seal(k1, { a: 1 }), { mode: 0o600 });
      },
      state: (dir, before) => {
        if (readFileSync(join(dir, 'config.enc')).equals(before)) return 'old';
        return JSON.stringify(opens(dir, k1)) === '{"a":1,"b":2}' ? 'new' : undefined;
      },
      next: nextWriterSucceeds,
    },
    {
      name: 'rotate',
      args: ['rotate', 'config.enc'],
      file: 'config.enc',
      prepare: (dir) => {
        writeKeys(dir, [k2, k1]);
        writeFileSync(join(dir, 'config.enc'), seal(k1, { a: 1 }), { mode: 0o600 });
      },
      state: (dir, before) => {
        if (readFileSync(join(dir, 'config.enc')).equals(before)) return 'old';
        return JSON.stringify(opens(dir, k2)) === '{"a":1}' ? 'new' : undefined;
      },
      next: nextWriterSucceeds,
    },
    {
      name: 'keygen --add',
      args: ['keygen', '--add', 'secret.key'],
      file: 'secret.key',
      prepare: (dir) => writeKeys(dir, [k1]),
      state: (dir, before) => {
        const now = readFileSync(join(dir, 'secret.key'));
        if (now.equals(before)) return 'old';
        const lines = now.toString('utf8').split('\n');
        return lines.length === 3 && lines[1] === k1 && lines[2] === '' && lines[0] !== k1 ? 'new' : undefined;
      },
      next: async (dir) => {
        await withLock(join(dir, 'secret.key'), () => undefined, { timeout: 0 });
      },
    },
  ];
})();

/** The names a command may leave in its directory: the files themselves, never a temp, lock or guard file. */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((n) => n !== 'config.enc' && n !== 'secret.key');
}

const SYSCALLS = ['openat', 'pwrite64', 'fsync', 'rename', 'link'] as const;
const ERRNOS = ['ENOSPC', 'EIO'] as const;

function straceWorks(): boolean {
  if (process.platform !== 'linux') return false;
  const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true']);
  return r.status === 0;
}
const haveStrace = straceWorks();

function strace(options: string[], args: string[], cwd: string): Promise<{ status: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('strace', ['-f', '-qq', '--seccomp-bpf', ...options, process.execPath, CLI, ...args], { cwd, env: cleanEnv(), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status, signal) => resolve({ status, signal, stderr }));
  });
}

/**
 * Which invocations (1-based, counted per thread, as strace's `when=` counts them) of each syscall the
 * main thread makes from the moment the command first touches its directory: earlier ones only load
 * modules. Counted from one traced run of the command.
 */
async function countCalls(scenario: Scenario, dir: string): Promise<Record<(typeof SYSCALLS)[number], number[]>> {
  scenario.prepare(dir);
  const log = join(dir, '..', `${scenario.name.replace(/\W/g, '')}.strace`);
  const r = await strace(['-o', log, '-e', `trace=${SYSCALLS.join(',')}`], scenario.args, dir);
  expect(r.status, r.stderr).toBe(0);
  const lines = readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');
  rmSync(log);
  const main = lines[0]!.split(' ')[0]!;
  const out = Object.fromEntries(SYSCALLS.map((s) => [s, [] as number[]])) as Record<(typeof SYSCALLS)[number], number[]>;
  const seen = Object.fromEntries(SYSCALLS.map((s) => [s, 0])) as Record<(typeof SYSCALLS)[number], number>;
  let touched = false;
  for (const line of lines) {
    const m = /^(\d+) +(\w+)\((.*)$/.exec(line);
    if (!m || m[1] !== main || !(SYSCALLS as readonly string[]).includes(m[2]!)) continue;
    const name = m[2] as (typeof SYSCALLS)[number];
    seen[name]++;
    if (!touched && name === 'openat' && (m[3]!.includes(`"${dir}`) || /^AT_FDCWD, "[^/]/.test(m[3]!))) touched = true;
    if (touched) out[name].push(seen[name]);
  }
  return out;
}

async function pool<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: size }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
  }));
}

describe.skipIf(!haveStrace)('strace: every open, write, fsync, rename and link failing in turn', () => {
  it.each(scenarios)('$name: old or new content, nothing left behind, the next writer proceeds at once', async (scenario) => {
    const base = fresh();
    const calls = await countCalls(scenario, join(base, mkdir(base, 'count')));
    const runs: { syscall: string; n: number; errno: string }[] = [];
    for (const syscall of SYSCALLS) for (const n of calls[syscall]) for (const errno of ERRNOS) runs.push({ syscall, n, errno });
    // Every kind of call is covered: a command that writes nothing is not tested by this.
    for (const s of SYSCALLS) expect(calls[s].length, s).toBeGreaterThan(0);
    let failed = 0;
    let misplaced = 0;
    await pool(runs, 3, async ({ syscall, n, errno }) => {
      const dir = join(base, mkdir(base, `${syscall}-${n}-${errno}`));
      scenario.prepare(dir);
      const before = readFileSync(join(dir, scenario.file));
      const log = `${dir}.strace`;
      const r = await strace(['-y', '-o', log, '-e', `trace=${syscall}`, '-e', `inject=${syscall}:error=${errno}:when=${n}`], scenario.args, dir);
      const what = `${scenario.name}, ${syscall} #${n} -> ${errno}: status ${r.status} ${r.signal ?? ''} ${r.stderr}`;
      // The count comes from another run; if this run's calls were numbered differently (module loading
      // is not bit-for-bit the same under load) and the fault hit a file outside the command's directory,
      // this run tested Node failing to load itself, not our write path: counted, and must stay rare.
      const injected = readFileSync(log, 'utf8').split('\n').find((l) => l.includes('(INJECTED)'));
      rmSync(log);
      if (injected === undefined || !(injected.includes(dir) || /^\d+ +openat\(AT_FDCWD, "[^/]/.test(injected))) {
        misplaced++;
        return;
      }
      expect(r.signal, what).toBeNull();
      expect([0, 1], what).toContain(r.status);
      // Success is reported exactly when the new content is in place.
      expect(scenario.state(dir, before), what).toBe(r.status === 0 ? 'new' : 'old');
      if (r.status === 1) {
        failed++;
        expect(r.stderr, what).toMatch(/\[ERR_[A-Z_]+\]/);
      }
      expect(leftovers(dir), what).toEqual([]);
      await scenario.next(dir);
      expect(leftovers(dir), what).toEqual([]);
    });
    // Most injected faults must actually fail the command (else the counting missed the real calls).
    expect(misplaced).toBeLessThan(runs.length / 10);
    expect(failed).toBeGreaterThan(runs.length / 3);
    console.log(`${scenario.name}: ${runs.length} injected faults, ${failed} reported as failures, ${misplaced} numbered differently and not counted`);
  }, 600_000);
});
if (!haveStrace) it('strace fault injection: skipped (strace missing or ptrace not permitted)', () => console.log('skipped: strace cannot trace here'));

function mkdir(base: string, name: string): string {
  mkdirSync(join(base, name));
  return name;
}

/** A small tmpfs mounted for one test, or undefined (with a message) when this is not root or mount fails. */
function smallTmpfs(base: string, size: string): string | undefined {
  if (!isRoot) {
    console.log('skipped: tmpfs tests need root');
    return undefined;
  }
  const dir = join(base, 'mnt');
  mkdirSync(dir);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.log(`skipped: cannot mount a tmpfs (${r.stderr.trim()})`);
    return undefined;
  }
  return dir;
}
function unmount(dir: string): void {
  spawnSync('umount', [dir]);
}

/** Fills the file system with one file, then frees `freeBytes` of it (in whole pages). */
function fill(dir: string, freeBytes: number): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  if (freeBytes > 0) {
    const size = readFileSync(filler).length;
    truncateSync(filler, Math.max(0, size - freeBytes));
  }
  return filler;
}

describe('a real file system that is full or read-only', () => {
  it('full: set fails cleanly with the lock not yet taken, or taken; once space is freed the next set succeeds', async () => {
    const base = fresh();
    const mnt = smallTmpfs(base, '256k');
    if (mnt === undefined) return;
    try {
      const key = generateKey();
      writeKeys(mnt, [key]);
      writeFileSync(join(mnt, 'config.enc'), seal(key, { a: 1 }));
      // 0 free pages: the lock's owner record cannot be written. 1 free page: the lock is taken, the config's temp file cannot be.
      for (const free of [0, 4096]) {
        const filler = fill(mnt, free);
        const before = readFileSync(join(mnt, 'config.enc'));
        const r = runCli(['set', 'config.enc', `big${free}`, 'x'.repeat(20_000)], { cwd: mnt });
        expect(r.status, `free=${free}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toContain('ENOSPC');
        expect(readFileSync(join(mnt, 'config.enc')).equals(before)).toBe(true);
        expect(readdirSync(mnt).sort()).toEqual(['config.enc', 'filler', 'secret.key']);
        rmSync(filler);
        await nextWriterSucceeds(mnt);
        const ok = runCli(['set', 'config.enc', `big${free}`, 'x'.repeat(20_000)], { cwd: mnt });
        expect(ok.status, ok.stderr).toBe(0);
        expect(readdirSync(mnt).sort()).toEqual(['config.enc', 'secret.key']);
      }
    } finally {
      unmount(mnt);
    }
  }, 120_000);

  it('read-only: set, rotate and keygen --add fail with a clear error and leave no lock; after remount rw they succeed', async () => {
    const base = fresh();
    const mnt = smallTmpfs(base, '256k');
    if (mnt === undefined) return;
    try {
      const key = generateKey();
      writeKeys(mnt, [key]);
      writeFileSync(join(mnt, 'config.enc'), seal(key, { a: 1 }));
      expect(spawnSync('mount', ['-o', 'remount,ro', mnt]).status).toBe(0);
      for (const args of [['set', 'config.enc', 'b', '2'], ['rotate', '--force', 'config.enc'], ['keygen', '--add', 'secret.key']]) {
        const r = runCli(args, { cwd: mnt });
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(1);
        expect(r.stderr).toContain('read-only file system');
        expect(r.stderr).not.toContain('ERR_INTERNAL');
      }
      expect(readdirSync(mnt).sort()).toEqual(['config.enc', 'secret.key']);
      expect(spawnSync('mount', ['-o', 'remount,rw', mnt]).status).toBe(0);
      await nextWriterSucceeds(mnt);
      expect(runCli(['set', 'config.enc', 'b', '2'], { cwd: mnt }).status).toBe(0);
      expect(runCli(['get', 'config.enc', 'b'], { cwd: mnt }).stdout).toBe('2\n');
    } finally {
      unmount(mnt);
    }
  }, 120_000);
});
