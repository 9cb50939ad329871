import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockTimeout } from '../src/errors.js';
import { Fernet } from '../src/fernet/fernet.js';
import { withLock } from '../src/fs/lock.js';
import { makeKeyFile, REPO, runCli, spawnCli, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-locks-');

function exited(child: ReturnType<typeof spawn>): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout?.resume();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

/** The pid of a process that has already exited (the OS may reuse it later, which the lock also handles). */
function deadPid(): number {
  const r = spawnSync('true');
  return r.pid!;
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

function startOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function decryptConfig(path: string, key: string): Record<string, unknown> {
  return JSON.parse(new Fernet(key).decryptText(readFileSync(path, 'utf8'))) as Record<string, unknown>;
}

const hour = 3600;
function age(path: string, seconds: number): void {
  const t = Date.now() / 1000 - seconds;
  utimesSync(path, t, t);
}

describe('a lock left by a dead writer, then 16 writers at once', () => {
  // Each round leaves a different kind of abandoned lock: ours with a dead pid, an older version's
  // `pid@host` line, and an empty file (a crash of an old version on a full disk) that only age can clear.
  const rounds: { name: string; content: () => string; ageSeconds?: number }[] = [
    { name: 'owner record of a dead process', content: () => JSON.stringify({ nonce: 'a1', pid: deadPid(), host: hostname() }) + '\n' },
    { name: 'pid@host of a dead process', content: () => `${deadPid()}@${hostname()}\n` },
    { name: 'empty, older than the stale limit', content: () => '', ageSeconds: hour },
  ];
  it('three rounds, one per kind: every update lands and nothing is left behind', async () => {
    const d = fresh();
    const { keys } = makeKeyFile(d);
    const config = join(d, 'config.enc');
    writeFileSync(config, new Fernet(keys[0]!).encrypt('{}\n') + '\n');
    const n = 16;
    for (const [round, { name, content, ageSeconds }] of rounds.entries()) {
      writeFileSync(`${config}.lock`, content());
      if (ageSeconds !== undefined) age(`${config}.lock`, ageSeconds);
      const results = await Promise.all(Array.from({ length: n }, (_, i) => exited(spawnCli(['set', 'config.enc', `r${round}.k${i}`, String(i)], { cwd: d }))));
      for (const r of results) expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      const value = decryptConfig(config, keys[0]!) as Record<string, Record<string, number>>;
      for (let r = 0; r <= round; r++) for (let i = 0; i < n; i++) expect(value[`r${r}`]?.[`k${i}`], `${name}: r${r}.k${i} lost`).toBe(i);
      expect(readdirSync(d).sort()).toEqual(['config.enc', 'secret.key']);
    }
  }, 240_000);
});

/** A child process holding the lock on `config` until it reads a line on stdin; then it sets `holder`. */
function startHolder(d: string, config: string) {
  const script = join(d, 'holder.mjs');
  writeFileSync(
    script,
    `import { withLock } from ${JSON.stringify(join(REPO, 'dist/src/fs/lock.js'))};
import { openConfig, writeConfig } from ${JSON.stringify(join(REPO, 'dist/src/config/file.js'))};
import { setInText } from ${JSON.stringify(join(REPO, 'dist/src/config/json.js'))};
await withLock(process.argv[2], async () => {
  process.stdout.write('locked\\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const opened = openConfig(process.argv[2]);
  writeConfig(process.argv[2], setInText(opened.text, 'holder', 'true'), opened.ring);
});
process.stdin.destroy();
`,
  );
  const child = spawn(process.execPath, [script, config], { cwd: d, stdio: ['pipe', 'pipe', 'pipe'] });
  const done = exited(child);
  const locked = new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return { child, done, locked };
}

describe('a live holder is never broken, whatever its age', () => {
  it('an hour-old lock of a running process holds off `set` until released; both updates land', async () => {
    const d = fresh();
    const { keys } = makeKeyFile(d);
    const config = join(d, 'config.enc');
    writeFileSync(config, new Fernet(keys[0]!).encrypt('{}\n') + '\n');
    const holder = startHolder(d, config);
    await holder.locked;
    const lock = `${config}.lock`;
    const before = { ino: statSync(lock).ino, text: readFileSync(lock, 'utf8') };
    age(lock, hour);

    // In-process: with a short timeout the waiter gives up rather than break it, and says who holds it.
    const err = await withLock(config, () => 'broken', { timeout: 300, stale: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockTimeout);
    expect((err as LockTimeout).message).toContain(`process ${holder.child.pid}`);

    // A CLI writer waits meanwhile; let it retry a while before the holder finishes.
    const writer = exited(spawnCli(['set', 'config.enc', 'writer', 'true'], { cwd: d }));
    await new Promise((r) => setTimeout(r, 1500));
    expect({ ino: statSync(lock).ino, text: readFileSync(lock, 'utf8') }).toEqual(before);
    holder.child.stdin!.write('go\n');
    expect((await holder.done).code).toBe(0);
    const w = await writer;
    expect(w.code, w.stderr).toBe(0);
    expect(decryptConfig(config, keys[0]!)).toEqual({ holder: true, writer: true });
    expect(existsSync(lock)).toBe(false);
  }, 60_000);

  it('the key command runs before the lock is taken, so a slow vault does not hold up other writers', async () => {
    const d = fresh();
    const { keys } = makeKeyFile(d);
    const config = join(d, 'config.enc');
    writeFileSync(config, new Fernet(keys[0]!).encrypt('{}\n') + '\n');
    // The key command waits until the test lets it go, as a vault CLI waits for a login.
    const command = 'touch started; while [ ! -e go ]; do sleep 0.05; done; cat secret.key';
    const slow = exited(spawnCli(['set', 'config.enc', 'slow', '1', '--key-command', command], { cwd: d }));
    for (let i = 0; i < 600 && !existsSync(join(d, 'started')); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(join(d, 'started'))).toBe(true);
    expect(existsSync(`${config}.lock`)).toBe(false);
    const fast = runCli(['set', 'config.enc', 'fast', '2'], { cwd: d });
    expect(fast.status, fast.stderr).toBe(0);
    writeFileSync(join(d, 'go'), '');
    const s = await slow;
    expect(s.code, s.stderr).toBe(0);
    expect(decryptConfig(config, keys[0]!)).toEqual({ fast: 2, slow: 1 });
  }, 60_000);
});

describe('who counts as abandoned', () => {
  const boot = bootId();
  const initStart = startOf(1);
  // pid 1 is alive on every Linux system; only its start time and the boot id are varied.
  const cases: { name: string; record: () => object; mtimeAgo?: number; abandoned: boolean; linuxOnly?: boolean }[] = [
    { name: 'a live local process, an hour old', record: () => ({ nonce: 'n1', pid: 1, host: hostname(), start: initStart, boot }), mtimeAgo: hour, abandoned: false },
    { name: 'a live local process without a start time (older version)', record: () => ({ pid: 1, host: hostname() }), mtimeAgo: hour, abandoned: false },
    { name: 'a dead local process, fresh', record: () => ({ nonce: 'n2', pid: deadPid(), host: hostname() }), abandoned: true },
    { name: 'a reused pid (start time differs)', record: () => ({ nonce: 'n3', pid: 1, host: hostname(), start: '1', boot }), abandoned: true, linuxOnly: true },
    { name: 'a lock from before a reboot', record: () => ({ nonce: 'n4', pid: 1, host: hostname(), start: initStart, boot: 'another-boot' }), abandoned: true, linuxOnly: true },
    { name: 'another host, fresh', record: () => ({ nonce: 'n5', pid: 1, host: 'elsewhere.invalid' }), abandoned: false },
    { name: 'another host, older than the stale limit', record: () => ({ nonce: 'n6', pid: 1, host: 'elsewhere.invalid' }), mtimeAgo: hour, abandoned: true },
    { name: 'garbage, fresh', record: () => ({}), abandoned: false },
  ];
  it.each(cases)('$name: abandoned=$abandoned', async ({ record, mtimeAgo, abandoned, linuxOnly }) => {
    if (linuxOnly && (boot === undefined || initStart === undefined)) {
      console.log('skipped: needs /proc (Linux)');
      return;
    }
    const d = fresh();
    const file = join(d, 'config.enc');
    const lock = `${file}.lock`;
    writeFileSync(lock, JSON.stringify(record()));
    if (mtimeAgo !== undefined) age(lock, mtimeAgo);
    const got = await withLock(file, () => 'taken', { timeout: 200, stale: 30_000 }).catch((e: unknown) => e);
    if (abandoned) {
      expect(got).toBe('taken');
      expect(readdirSync(d)).toEqual([]);
    } else {
      expect(got).toBeInstanceOf(LockTimeout);
      expect(readdirSync(d)).toEqual(['config.enc.lock']);
    }
  });

  it('a guard left by a breaker that died is itself broken, and leaves nothing behind', async () => {
    const d = fresh();
    const file = join(d, 'config.enc');
    writeFileSync(`${file}.lock`, JSON.stringify({ nonce: 'dead-holder', pid: deadPid(), host: hostname() }));
    // The guard's name is derived from the abandoned lock's id (its nonce); this one's breaker died too.
    const { createHash } = await import('node:crypto');
    const guard = `${file}.lock.break-${createHash('sha256').update('dead-holder').digest('hex').slice(0, 16)}`;
    writeFileSync(guard, JSON.stringify({ nonce: 'dead-breaker', pid: deadPid(), host: hostname() }));
    expect(await withLock(file, () => 'taken', { timeout: 2000 })).toBe('taken');
    expect(readdirSync(d)).toEqual([]);
  });

  it('a holder sweeps break guards whose breaker died (and keeps a live breaker\'s)', async () => {
    const d = fresh();
    const file = join(d, 'config.enc');
    const name = (id: string) => `${file}.lock.break-${id}`;
    const dead = name('0123456789abcdef');
    const deadNested = `${dead}.break-fedcba9876543210`;
    const live = name('aaaaaaaaaaaaaaaa');
    const notOurs = `${file}.lock.break-notes.txt`;
    writeFileSync(dead, JSON.stringify({ nonce: 'n1', pid: deadPid(), host: hostname() }));
    writeFileSync(deadNested, JSON.stringify({ nonce: 'n2', pid: deadPid(), host: hostname() }));
    writeFileSync(live, JSON.stringify({ nonce: 'n3', pid: process.pid, host: hostname() }));
    writeFileSync(notOurs, 'a file of the user that merely looks similar');
    expect(await withLock(file, () => 'taken')).toBe('taken');
    expect(readdirSync(d).sort()).toEqual(['config.enc.lock.break-aaaaaaaaaaaaaaaa', 'config.enc.lock.break-notes.txt']);
  });

  it('a lock of the same file through a symbolic link is the same lock', async () => {
    const d = fresh();
    writeFileSync(join(d, 'real.enc'), 'x');
    spawnSync('ln', ['-s', 'real.enc', join(d, 'link.enc')]);
    await withLock(join(d, 'real.enc'), async () => {
      expect(existsSync(join(d, 'real.enc.lock'))).toBe(true);
      const err = await withLock(join(d, 'link.enc'), () => 'twice', { timeout: 100 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LockTimeout);
    });
    expect(readdirSync(d).sort()).toEqual(['link.enc', 'real.enc']);
  });
});
