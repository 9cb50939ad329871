/**
 * Outputs never replace key material (the .age ring, recipients files, identity files), even with
 * --force; `identity new` keeps a replaced identity and refuses a missing directory; `-o /dev/stdout`
 * writes to standard output. Built CLI, HOME a temp directory in every run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-outkeys-');
const CONFIG = '{"db":{"password":"pa55-never-printed"}}\n';

/** A config encrypted to a .age ring (secret.key.age) opened with ~/.config/fernet-config/identities. */
function teamSandbox() {
  const dir = fresh();
  const home = join(dir, 'home');
  mkdirSync(home);
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: dir, env: { HOME: home, ...env } });
  const made = cli(['identity', 'new']);
  expect(made.status, made.stderr).toBe(0);
  const recipient = made.stdout.trim();
  expect(cli(['recipients', 'add', 'me', recipient]).status).toBe(0);
  writeFileSync(join(dir, 'c.json'), CONFIG);
  const enc = cli(['encrypt', 'c.json']);
  expect(enc.status, enc.stderr).toBe(0);
  const identities = join(home, '.config', 'fernet-config', 'identities');
  return { dir, home, cli, identities };
}

describe('outputs never replace key material, even with --force', () => {
  const cases: { name: string; args: (s: ReturnType<typeof teamSandbox>) => string[]; env?: (s: ReturnType<typeof teamSandbox>) => Record<string, string>; protects: (s: ReturnType<typeof teamSandbox>) => string }[] = [
    { name: 'decrypt -o the .age ring', args: () => ['decrypt', 'c.enc', '-o', 'secret.key.age', '--force'], protects: (s) => join(s.dir, 'secret.key.age') },
    { name: 'encrypt -o the .age ring', args: () => ['encrypt', 'c.json', '-o', 'secret.key.age', '--force'], protects: (s) => join(s.dir, 'secret.key.age') },
    { name: 'decrypt -o the recipients file', args: () => ['decrypt', 'c.enc', '-o', 'secret.recipients', '--force'], protects: (s) => join(s.dir, 'secret.recipients') },
    { name: 'decrypt -o the default identity file', args: (s) => ['decrypt', 'c.enc', '-o', s.identities, '--force'], protects: (s) => s.identities },
    { name: 'decrypt -o the --identity file', args: (s) => ['decrypt', 'c.enc', '--identity', s.identities, '-o', s.identities, '--force'], protects: (s) => s.identities },
    {
      name: 'decrypt -o FERNET_CONFIG_IDENTITY_FILE (through a link)',
      args: (s) => { symlinkSync(s.identities, join(s.dir, 'id-link')); return ['decrypt', 'c.enc', '-o', 'id-link', '--force']; },
      env: (s) => ({ FERNET_CONFIG_IDENTITY_FILE: s.identities }),
      protects: (s) => s.identities,
    },
    {
      name: 'decrypt -o ~/.ssh/id_ed25519 (a candidate, even unused)',
      args: (s) => { mkdirSync(join(s.home, '.ssh')); writeFileSync(join(s.home, '.ssh', 'id_ed25519'), 'not really a key\n', { mode: 0o600 }); return ['decrypt', 'c.enc', '-o', join(s.home, '.ssh', 'id_ed25519'), '--force']; },
      protects: (s) => join(s.home, '.ssh', 'id_ed25519'),
    },
    { name: 'decrypt -o a new *.key.age name', args: () => ['decrypt', 'c.enc', '-o', 'other.key.age', '--force'], protects: (s) => join(s.dir, 'c.json') },
  ];
  // Refused outputs change nothing, so the cases share one sandbox (each builds the files it adds).
  let shared: ReturnType<typeof teamSandbox> | undefined;
  for (const c of cases) {
    it(c.name, () => {
      const s = (shared ??= teamSandbox());
      const args = c.args(s);
      const path = c.protects(s);
      const before = readFileSync(path);
      const r = s.cli(args, c.env?.(s) ?? {});
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/the output must not replace it \(not even with --force\) \[ERR_USAGE\]/);
      expect(r.stderr).not.toContain('pa55-never-printed');
      expect(readFileSync(path)).toEqual(before);
      expect(readdirSync(s.dir)).not.toContain('other.key.age');
    });
  }

  it('the ring still opens afterwards, and a plain output still works', () => {
    const s = teamSandbox();
    s.cli(['decrypt', 'c.enc', '-o', 'secret.key.age', '--force']);
    const r = s.cli(['decrypt', 'c.enc', '-o', 'plain.json']);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(s.dir, 'plain.json'), 'utf8')).toBe(CONFIG);
  });
});

describe('identity new', () => {
  it('--force keeps the old identity as NAME.bak-<UTC time> (0600) and says where', () => {
    const dir = fresh();
    const cli = (args: string[]) => runCli(args, { cwd: dir, env: { HOME: dir } });
    expect(cli(['identity', 'new', 'id']).status).toBe(0);
    const old = readFileSync(join(dir, 'id'), 'utf8');
    const refused = cli(['identity', 'new', 'id']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('[ERR_FILE_EXISTS]');
    const r = cli(['identity', 'new', 'id', '--force']);
    expect(r.status, r.stderr).toBe(0);
    const backups = readdirSync(dir).filter((n) => /^id\.bak-\d{8}T\d{6}Z(-\d+)?$/.test(n));
    expect(backups).toHaveLength(1);
    expect(r.stderr).toContain(`kept the old identity as ${backups[0]}`);
    expect(readFileSync(join(dir, backups[0]!), 'utf8')).toBe(old);
    expect(statSync(join(dir, backups[0]!)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'id'), 'utf8')).not.toBe(old);
    expect(r.stderr).not.toContain('AGE-SECRET-KEY');
    // A second replacement in the same second does not overwrite the first backup.
    const again = cli(['identity', 'new', 'id', '--force']);
    expect(again.status, again.stderr).toBe(0);
    const all = readdirSync(dir).filter((n) => n.startsWith('id.bak-'));
    expect(all).toHaveLength(2);
    expect(all.map((n) => readFileSync(join(dir, n), 'utf8'))).toContain(old);
  });

  it('refuses a missing parent directory instead of creating it', () => {
    const dir = fresh();
    const r = runCli(['identity', 'new', join(dir, 'missing', 'deeper', 'id')], { cwd: dir, env: { HOME: dir } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERR_FILE_NOT_FOUND]');
    expect(r.stderr).toContain('hint:');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('-o /dev/stdout', () => {
  it('decrypt writes the plaintext to standard output', () => {
    const s = teamSandbox();
    const r = s.cli(['decrypt', 'c.enc', '-o', '/dev/stdout', '--force']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(CONFIG);
  });

  it('a pipe given under another name is refused as not a regular file, not as missing', () => {
    const s = teamSandbox();
    spawnSync('mkfifo', [join(s.dir, 'fifo')]);
    const r = s.cli(['decrypt', 'c.enc', '-o', 'fifo', '--force']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('fifo is not a regular file (it is a FIFO)');
    expect(r.stderr).not.toContain('does not exist');
  });
});
