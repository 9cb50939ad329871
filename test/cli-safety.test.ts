import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { CLI, cleanEnv, makeKeyFile, removeDir, runCli, spawnCli, tempDir } from './helpers/cli.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => removeDir(dir));
const HAVE_STRACE = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true']).status === 0;

/**
 * Polls until `list` returns a file (true) or `done` settles first (false): the moment to
 * send a signal into the middle of a write.
 */
async function tempAppears(list: () => string[], done: Promise<unknown>): Promise<boolean> {
  let ended = false;
  void done.then(() => (ended = true));
  for (let i = 0; i < 2_000_000 && !ended; i++) {
    if (list().length > 0) return true;
    await new Promise((r) => setImmediate(r));
  }
  return false;
}

function exited(child: ReturnType<typeof spawnCli>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdout.resume();
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

describe('atomic writes', () => {
  it('a writer killed at any instant leaves the old or the new config, never a broken one', async () => {
    const d = join(dir, 'kill');
    mkdirSync(d);
    const { keys } = makeKeyFile(d);
    const fernet = new Fernet(keys[0]!);
    // A multi-megabyte config, so the write takes long enough to be interrupted in the middle.
    const big: Record<string, unknown> = { generation: 0 };
    for (let i = 0; i < 15000; i++) big[`entry${i}`] = { text: 'x'.repeat(120), n: i };
    writeFileSync(join(d, 'config.enc'), fernet.encrypt(JSON.stringify(big, null, 2)) + '\n');

    let generation = 0;
    let interrupted = 0;
    for (let round = 1; round <= 12; round++) {
      const child = spawnCli(['set', 'config.enc', 'generation', String(round)], { cwd: d });
      const done = exited(child);
      // Spread the kills over the whole run: start-up, decrypt, encrypt, write, rename.
      await new Promise((r) => setTimeout(r, 20 + ((round * 37) % 220)));
      child.kill('SIGKILL');
      const { code, signal } = await done;
      if (signal === 'SIGKILL') interrupted++;
      else expect(code).toBe(0);
      const value = JSON.parse(fernet.decryptText(readFileSync(join(d, 'config.enc'), 'utf8'))) as { generation: number };
      expect([generation, round]).toContain(value.generation);
      generation = value.generation;
    }
    expect(interrupted).toBeGreaterThan(0);
    // Leftovers of killed writers are hidden temp files, never taken for the config, and a stale lock
    // from a killed writer does not block the next one.
    for (const name of readdirSync(d)) {
      // A writer killed while breaking a stale lock may leave that guard, or the temp file the guard was made from.
      const leftover = name === 'config.enc' || name === 'secret.key' || /^\.config\.enc(\.lock(\.break-[0-9a-f]{16})*)?\.[0-9a-f]{12}\.tmp$/.test(name) || /^config\.enc\.lock(\.break-[0-9a-f]{16})*$/.test(name);
      expect(leftover, name).toBe(true);
    }
    const r = runCli(['set', 'config.enc', 'generation', '99'], { cwd: d });
    expect(r.stderr).toBe('set generation in config.enc\n');
    expect(runCli(['get', 'config.enc', 'generation'], { cwd: d }).stdout).toBe('99\n');
    expect(existsSync(join(d, 'config.enc.lock'))).toBe(false);
  });
});

describe('concurrent writers', () => {
  it('N parallel `set`s of different keys all land', async () => {
    const d = join(dir, 'concurrent');
    mkdirSync(d);
    const { keys } = makeKeyFile(d);
    writeFileSync(join(d, 'config.enc'), new Fernet(keys[0]!).encrypt('{}\n') + '\n');
    const n = 10;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => exited(spawnCli(['set', 'config.enc', `service${i}.port`, String(8000 + i)], { cwd: d }))),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const value = JSON.parse(new Fernet(keys[0]!).decryptText(readFileSync(join(d, 'config.enc'), 'utf8'))) as Record<string, { port: number }>;
    for (let i = 0; i < n; i++) expect(value[`service${i}`]?.port).toBe(8000 + i);
    expect(readdirSync(d).sort()).toEqual(['config.enc', 'secret.key']);
  });
});

describe('signals', () => {
  // decrypt -o writes plaintext through a temp file beside the output. The write is synchronous: a signal
  // with no listener used to end the process in the middle of it and leave the temp file, plaintext nobody
  // asked for. The CLI holds such signals off until the write is done (src/fs/atomic.ts), then ends as the
  // signal would. The temp file is caught on disk and the signal sent at once.
  it.each(['SIGTERM', 'SIGINT', 'SIGHUP'] as const)('%s during decrypt -o leaves the output whole or absent, and no temp file', async (signal) => {
    const d = join(dir, `sig-${signal}`);
    mkdirSync(d);
    const { keys } = makeKeyFile(d);
    const plaintext = JSON.stringify({ big: 'v'.repeat(32 << 20) });
    writeFileSync(join(d, 'config.enc'), new Fernet(keys[0]!).encrypt(plaintext) + '\n');
    const child = spawnCli(['decrypt', 'config.enc', '-o', 'out.json'], { cwd: d });
    const done = exited(child);
    const temps = () => readdirSync(d).filter((f) => f.startsWith('.out.json.') && f.endsWith('.tmp'));
    const sawTemp = await tempAppears(temps, done);
    child.kill(signal);
    const { code, signal: by } = await done;
    expect(sawTemp).toBe(true);
    expect(temps()).toEqual([]);
    // Ended by the signal once the write was done, never as a success a supervisor would believe.
    expect([code, by]).toEqual([null, signal]);
    if (existsSync(join(d, 'out.json'))) expect(readFileSync(join(d, 'out.json'), 'utf8') === plaintext).toBe(true);
  }, 120_000);

  // The lock is made the same way (a temp file, fsynced, then linked): a signal there left the temp file.
  // strace slows every fsync down so that the signal lands while the temp file exists; it goes to the
  // CLI's own process (strace's child), which ends as the signal would, leaving no temp file (the lock
  // itself may stay: the next writer breaks it).
  it.skipIf(!HAVE_STRACE)('SIGTERM while set takes its lock leaves no temp file of the lock', async () => {
    const d = join(dir, 'sig-lock');
    mkdirSync(d);
    const { keys } = makeKeyFile(d);
    writeFileSync(join(d, 'config.enc'), new Fernet(keys[0]!).encrypt('{"a": 1}') + '\n');
    const child = spawn('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=fsync', '-e', 'inject=fsync:delay_enter=400000', process.execPath, CLI, 'set', 'config.enc', 'a', '2'], { cwd: d, env: cleanEnv() });
    const done = exited(child);
    const lockTemps = () => readdirSync(d).filter((f) => f.startsWith('.config.enc.lock.') && f.endsWith('.tmp'));
    const sawTemp = await tempAppears(lockTemps, done);
    const cli = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    process.kill(cli, 'SIGTERM');
    await done;
    expect(sawTemp).toBe(true);
    expect(lockTemps()).toEqual([]);
  }, 120_000);

  it("SIGUSR1 never opens Node's inspector in a process that holds keys", async () => {
    const d = join(dir, 'usr1');
    mkdirSync(d);
    const { path: keyFile, keys } = makeKeyFile(d);
    writeFileSync(join(d, 'config.enc'), new Fernet(keys[0]!).encrypt('{"a": 1}') + '\n');
    const started = join(d, 'started');
    // The key command marks that the CLI is past start-up, then holds it there while the signal arrives.
    const child = spawnCli(['get', 'config.enc', 'a', '--key-command', `touch '${started}'; sleep 1; cat '${keyFile}'`], { cwd: d });
    const done = exited(child);
    for (let i = 0; i < 600 && !existsSync(started); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(started)).toBe(true);
    child.kill('SIGUSR1');
    const { stderr } = await done;
    expect(stderr).not.toMatch(/Debugger listening|inspector/i);
  });
});
