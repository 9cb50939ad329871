import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { CLI, cleanEnv, makeKeyFile, removeDir, runCli, tempDir, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-files-');
const isRoot = process.geteuid?.() === 0;
const NOBODY = 65534;

function seal(key: string, value: unknown): string {
  return new Fernet(key).encrypt(JSON.stringify(value)) + '\n';
}
function open(path: string, key: string): unknown {
  return JSON.parse(new Fernet(key).decryptText(readFileSync(path, 'utf8')));
}
const keysOf = (path: string) => readFileSync(path, 'utf8').trim().split('\n');

describe('symbolic links are written through', () => {
  /** app/config.enc and app/secret.key are links into secrets/, where the real files live. */
  function linked() {
    const d = fresh();
    mkdirSync(join(d, 'app'));
    mkdirSync(join(d, 'secrets'));
    const { keys } = makeKeyFile(join(d, 'secrets'));
    writeFileSync(join(d, 'secrets/config.enc'), seal(keys[0]!, { a: 1 }), { mode: 0o600 });
    symlinkSync('../secrets/config.enc', join(d, 'app/config.enc'));
    symlinkSync('../secrets/secret.key', join(d, 'app/secret.key'));
    return { d, app: join(d, 'app'), key: keys[0]! };
  }
  const isLink = (p: string) => lstatSync(p).isSymbolicLink();

  it('set and unset update the target; the links stay links; nothing is left beside either', () => {
    const { d, app, key } = linked();
    expect(runCli(['set', 'config.enc', 'b', '2'], { cwd: app }).status).toBe(0);
    expect(runCli(['unset', 'config.enc', 'a'], { cwd: app }).status).toBe(0);
    expect(isLink(join(app, 'config.enc'))).toBe(true);
    expect(open(join(d, 'secrets/config.enc'), key)).toEqual({ b: 2 });
    expect(readdirSync(app).sort()).toEqual(['config.enc', 'secret.key']);
    expect(readdirSync(join(d, 'secrets')).sort()).toEqual(['config.enc', 'secret.key']);
  });

  it('keygen --add through a linked ring, then rotate through a linked config: the real config opens with the new key', () => {
    const { d, app } = linked();
    const old = keysOf(join(d, 'secrets/secret.key'));
    const add = runCli(['keygen', '--add', 'secret.key'], { cwd: app });
    expect(add.status, add.stderr).toBe(0);
    expect(isLink(join(app, 'secret.key'))).toBe(true);
    const ring = keysOf(join(d, 'secrets/secret.key'));
    expect(ring.slice(1)).toEqual(old);
    expect(statSync(join(d, 'secrets/secret.key')).mode & 0o777).toBe(0o600);
    const rot = runCli(['rotate', 'config.enc'], { cwd: app });
    expect(rot.status, rot.stderr).toBe(0);
    expect(isLink(join(app, 'config.enc'))).toBe(true);
    expect(open(join(d, 'secrets/config.enc'), ring[0]!)).toEqual({ a: 1 });
    // After the old key is gone, the real file (not a copy beside the link) still opens.
    const only = runCli(['get', join(d, 'secrets/config.enc'), 'a', '--key', ring[0]!], { cwd: d });
    expect(only.stdout).toBe('1\n');
    expect(readdirSync(join(d, 'secrets')).sort()).toEqual(['config.enc', 'secret.key']);
  });

  it('a dangling link is a clear error, and nothing is created at its target', () => {
    const { d, app } = linked();
    symlinkSync('../secrets/missing.enc', join(app, 'missing.enc'));
    const r = runCli(['set', 'missing.enc', 'a', '1'], { cwd: app });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('dangling');
    expect(r.stderr).toContain('[ERR_FILE_NOT_FOUND]');
    expect(readdirSync(join(d, 'secrets')).sort()).toEqual(['config.enc', 'secret.key']);
  });
});

describe('owner and group are kept', () => {
  it.skipIf(!isRoot)('a 0640 config and a ring owned by nobody keep their owner when root writes them', () => {
    const d = fresh();
    const { path: keyFile } = makeKeyFile(d);
    const config = join(d, 'config.enc');
    expect(runCli(['set', 'config.enc', 'a', '1'], { cwd: d }).status).toBe(0);
    chownSync(config, NOBODY, NOBODY);
    chmodSync(config, 0o640);
    chownSync(keyFile, NOBODY, NOBODY);
    for (const args of [['set', 'config.enc', 'b', '2'], ['keygen', '--add', 'secret.key'], ['rotate', 'config.enc']]) {
      const r = runCli(args, { cwd: d });
      expect(r.status, r.stderr).toBe(0);
      for (const p of [config, keyFile]) expect([statSync(p).uid, statSync(p).gid], `${args.join(' ')}: ${p}`).toEqual([NOBODY, NOBODY]);
    }
    expect(statSync(config).mode & 0o777).toBe(0o640);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });

  it.skipIf(!isRoot)('keygen --force as root keeps the backup of a ring owned by nobody readable by nobody', () => {
    const d = fresh();
    const { path: keyFile } = makeKeyFile(d);
    chownSync(keyFile, NOBODY, NOBODY);
    const r = runCli(['keygen', 'secret.key', '--force'], { cwd: d });
    expect(r.status, r.stderr).toBe(0);
    const backup = readdirSync(d).find((n) => n.startsWith('secret.key.bak-'))!;
    const st = statSync(join(d, backup));
    expect([st.uid, st.gid, st.mode & 0o777]).toEqual([NOBODY, NOBODY, 0o600]);
    expect([statSync(keyFile).uid, statSync(keyFile).gid]).toEqual([NOBODY, NOBODY]);
  });

  it.skipIf(!isRoot)('a user who cannot keep the owner is refused before anything is written', () => {
    // A directory nobody can reach and write in (the per-file temp root is private to root).
    const root = tempDir('fcfg-owner-');
    chmodSync(root, 0o755);
    const d = join(root, 'shared');
    mkdirSync(d, { mode: 0o777 });
    chmodSync(d, 0o777);
    onTestFinished(() => removeDir(root));
    const { path: keyFile, keys } = makeKeyFile(d);
    chownSync(keyFile, NOBODY, NOBODY);
    const config = join(d, 'config.enc');
    writeFileSync(config, seal(keys[0]!, { a: 1 }), { mode: 0o644 }); // root's, readable by all
    const before = readFileSync(config, 'utf8');
    // As nobody: the directory would let it replace root's file, but the file would become nobody's.
    const r = spawnSync(process.execPath, [CLI, 'set', 'config.enc', 'a', '2'], { cwd: d, env: cleanEnv(), uid: NOBODY, gid: NOBODY, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('belongs to uid 0');
    expect(r.stderr).toContain('[ERR_FILE_ACCESS]');
    expect(readFileSync(config, 'utf8')).toBe(before);
    expect(statSync(config).uid).toBe(0);
    expect(readdirSync(d).sort()).toEqual(['config.enc', 'secret.key']);
  });
  if (!isRoot) it('owner tests need root (chown); skipped', () => console.log('skipped: owner tests need root'));
});

describe('read-only files are left alone', () => {
  // Replacing a file goes through its directory, so nothing but our own check stops it: the mode does.
  it.each([
    ['set', 'config.enc', 0o444, ['set', 'config.enc', 'b', '2']],
    ['unset', 'config.enc', 0o400, ['unset', 'config.enc', 'a']],
    ['rotate', 'config.enc', 0o444, ['rotate', 'config.enc']],
    ['keygen --add', 'secret.key', 0o400, ['keygen', '--add']],
    // --force keeps a backup first: refused, it must not leave one behind (the directory check below).
    ['keygen --force', 'secret.key', 0o400, ['keygen', '--force']],
  ])('%s refuses a %s of mode %s, changes nothing, and works once it is writable', (_name, file, mode, args) => {
    const d = fresh();
    const { keys } = makeKeyFile(d, 'secret.key', 2);
    // Sealed with the older key, so that rotate has something to write.
    writeFileSync(join(d, 'config.enc'), seal(keys[1]!, { a: 1 }));
    const path = join(d, file as string);
    chmodSync(path, mode as number);
    const before = readFileSync(path);
    const r = runCli(args as string[], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^fernet-config: (key file )?${file} is read-only \\(mode 0${(mode as number).toString(8)}\\); it is not replaced \\[ERR_FILE_ACCESS\\]\n  hint: if the change is intended, make it writable first \\(chmod u\\+w ${file}\\)\n$`));
    expect(readFileSync(path)).toEqual(before);
    expect(statSync(path).mode & 0o7777).toBe(mode);
    expect(readdirSync(d).sort()).toEqual(['config.enc', 'secret.key']);
    chmodSync(path, (mode as number) | 0o200);
    expect(runCli(args as string[], { cwd: d }).status).toBe(0);
  });
});

describe('hard links', () => {
  it('a config with another hard link is written, with a warning that the other name keeps the old content', () => {
    const d = fresh();
    const { keys } = makeKeyFile(d);
    writeFileSync(join(d, 'config.enc'), seal(keys[0]!, { a: 1 }));
    linkSync(join(d, 'config.enc'), join(d, 'backup.enc'));
    const r = runCli(['set', 'config.enc', 'a', '2'], { cwd: d });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^fernet-config: warning: config\.enc has 1 other hard link; .*the other link keeps the old content$/m);
    expect(open(join(d, 'config.enc'), keys[0]!)).toEqual({ a: 2 });
    expect(open(join(d, 'backup.enc'), keys[0]!)).toEqual({ a: 1 });
  });
});

describe('no output replaces a file it must not', () => {
  function setup() {
    const d = fresh();
    const { keys } = makeKeyFile(d);
    writeFileSync(join(d, 'config.json'), '{"a":1}\n');
    writeFileSync(join(d, 'config.enc'), seal(keys[0]!, { a: 'newer' }));
    writeFileSync(join(d, 'out.json'), 'old\n');
    symlinkSync('secret.key', join(d, 'key-link'));
    return d;
  }
  // [args, exit status, error code, the file that must be unchanged]
  const refused: [string[], number, string, string][] = [
    [['encrypt', 'config.json'], 1, 'ERR_FILE_EXISTS', 'config.enc'],
    [['encrypt', 'config.json', '-o', 'secret.key', '--force'], 2, 'ERR_USAGE', 'secret.key'],
    [['encrypt', 'config.json', '-o', 'key-link', '--force'], 2, 'ERR_USAGE', 'secret.key'],
    [['encrypt', 'config.json', '-o', './config.json', '--force'], 2, 'ERR_USAGE', 'config.json'],
    [['decrypt', 'config.enc', '-o', 'config.enc', '--force'], 2, 'ERR_USAGE', 'config.enc'],
    [['decrypt', 'config.enc', '-o', 'secret.key', '--force'], 2, 'ERR_USAGE', 'secret.key'],
    [['decrypt', 'config.enc', '-o', 'out.json'], 1, 'ERR_FILE_EXISTS', 'out.json'],
  ];
  it.each(refused)('%j is refused (exit %i, %s)', (args, status, code, kept) => {
    const d = setup();
    const before = readFileSync(join(d, kept), 'utf8');
    const r = runCli(args, { cwd: d });
    expect(r.status, r.stderr).toBe(status);
    expect(r.stderr).toContain(`[${code}]`);
    expect(readFileSync(join(d, kept), 'utf8')).toBe(before);
  });

  it('--force replaces an output that is neither the input nor the key', () => {
    const d = setup();
    expect(runCli(['encrypt', 'config.json', '--force'], { cwd: d }).status).toBe(0);
    expect(runCli(['get', 'config.enc', 'a'], { cwd: d }).stdout).toBe('1\n');
    expect(runCli(['decrypt', 'config.enc', '-o', 'out.json', '--force'], { cwd: d }).status).toBe(0);
    expect(readFileSync(join(d, 'out.json'), 'utf8')).toBe('{"a":1}\n');
  });
});

describe('keygen --force keeps the old ring', () => {
  it('without a terminal: refused unless --force; with it, each replaced ring is kept as a new 0600 backup', () => {
    const d = fresh();
    const { keys: first } = makeKeyFile(d, 'secret.key', 2);
    const refused = runCli(['keygen', 'secret.key'], { cwd: d });
    expect(refused.stderr).toContain('[ERR_FILE_EXISTS]');
    expect(keysOf(join(d, 'secret.key'))).toEqual(first);

    const r1 = runCli(['keygen', 'secret.key', '--force'], { cwd: d });
    expect(r1.status, r1.stderr).toBe(0);
    const second = keysOf(join(d, 'secret.key'));
    const r2 = runCli(['keygen', 'secret.key', '--force'], { cwd: d });
    expect(r2.status, r2.stderr).toBe(0);
    const backups = readdirSync(d).filter((n) => n.startsWith('secret.key.bak-')).sort();
    expect(backups).toHaveLength(2);
    for (const [r, name] of [[r1, backups[0]!], [r2, backups[1]!]] as const) {
      expect(backups.some((b) => r.stderr.includes(b))).toBe(true);
      expect(statSync(join(d, name)).mode & 0o777).toBe(0o600);
    }
    const contents = backups.map((b) => keysOf(join(d, b)));
    expect(contents).toContainEqual(first);
    expect(contents).toContainEqual(second);
    expect(r1.stderr).not.toContain(first[0]);
  });
});

describe('special files and limits', () => {
  function mkfifo(path: string): void {
    const r = spawnSync('mkfifo', [path]);
    if (r.status !== 0) throw new Error('mkfifo failed');
  }
  // [what, setup, args]; every one must end promptly with a clear ERR_FILE_ACCESS.
  const cases: [string, (d: string) => void, string[], RegExp][] = [
    ['a FIFO config (get)', (d) => mkfifo(join(d, 'fifo.enc')), ['get', 'fifo.enc', 'a'], /fifo\.enc is not a regular file \(it is a FIFO\)/],
    ['a FIFO config (set)', (d) => mkfifo(join(d, 'fifo.enc')), ['set', 'fifo.enc', 'a', '1'], /fifo\.enc is not a regular file \(it is a FIFO\)/],
    ['a FIFO --key-file', (d) => mkfifo(join(d, 'fifo.key')), ['get', 'config.enc', 'a', '--key-file', 'fifo.key'], /key file fifo\.key is not a regular file \(it is a FIFO\)/],
    ['a FIFO named like the sibling key', (d) => mkfifo(join(d, 'other', 'secret.key')), ['get', 'other/config.enc', 'a'], /secret\.key is not a regular file \(it is a FIFO\)/],
    ['a device as key file', () => {}, ['get', 'config.enc', 'a', '--key-file', '/dev/zero'], /\/dev\/zero is not a regular file \(it is a character device\)/],
    // /proc files report size 0 and hold more: reading as many bytes as fstat said would cut them short.
    ['a config with more bytes than its size says', () => {}, ['get', '/proc/self/environ', 'a'], /\/proc\/self\/environ grew while it was being read/],
    ['an oversized key file', (d) => writeFileSync(join(d, 'big.key'), Buffer.alloc(2 * 1024 * 1024, 0x41), { mode: 0o600 }), ['get', 'config.enc', 'a', '--key-file', 'big.key'], /big\.key is larger than 1024 KiB/],
  ];
  it.each(cases)('%s: a clear error, at once', (_what, prepare, args, message) => {
    const d = fresh();
    const { keys } = makeKeyFile(d);
    writeFileSync(join(d, 'config.enc'), seal(keys[0]!, { a: 1 }));
    mkdirSync(join(d, 'other'));
    writeFileSync(join(d, 'other', 'config.enc'), seal(generateKey(), { a: 1 }));
    prepare(d);
    const r = runCli(args, { cwd: d, timeout: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('[ERR_FILE_ACCESS]');
    if (existsFifo(join(d, 'fifo.enc'))) expect(lstatSync(join(d, 'fifo.enc')).isFIFO()).toBe(true);
  });
});

function existsFifo(path: string): boolean {
  try {
    return lstatSync(path).isFIFO();
  } catch {
    return false;
  }
}
