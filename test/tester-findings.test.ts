import { copyFileSync, existsSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileError } from '../src/fs/errors.js';
import { withLock } from '../src/fs/lock.js';
import { generateHybridIdentity, generateIdentity } from 'age-encryption';
import { makeKeyFile, runCli, useTempDirs } from './helpers/cli.js';
import { useGitSandbox } from './helpers/git.js';

const fresh = useTempDirs('fcfg-findings-');

describe('file errors name the cause and give a hint', () => {
  const errno = (code: string) => Object.assign(new Error(code), { code });
  it.each([
    ['ENOSPC', 'lock file c.enc.lock: no space left on the device (ENOSPC)', /free some space.*nothing was changed/],
    ['EDQUOT', 'lock file c.enc.lock: no space left on the device (EDQUOT)', /disk quota.*nothing was changed/],
    ['EROFS', 'lock file c.enc.lock: read-only file system', /read-write.*nothing was changed/],
  ])('%s', (code, message, hint) => {
    const e = fileError(errno(code), 'lock file c.enc.lock') as Error & { code: string; hint?: string };
    expect(e.message).toBe(message);
    expect(e.code).toBe('ERR_FILE_ACCESS');
    expect(e.hint).toMatch(hint);
  });
});

describe('a dangling key link is named as one, like a dangling config link', () => {
  it.each([
    ['--key-file', (d: string) => ({ args: ['-k', join(d, 'dk.key')], env: {} })],
    ['FERNET_CONFIG_KEY_FILE', (d: string) => ({ args: [], env: { FERNET_CONFIG_KEY_FILE: join(d, 'dk.key') } })],
  ])('from %s', (_from, how) => {
    const d = fresh();
    makeKeyFile(d, 'real.key');
    expect(runCli(['encrypt', '-', '-k', 'real.key', '-o', 'c.enc'], { cwd: d, input: '{"a":1}' }).status).toBe(0);
    symlinkSync('missing.key', join(d, 'dk.key'));
    const { args, env } = how(d);
    const r = runCli(['get', 'c.enc', 'a', ...args], { cwd: d, env });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('dk.key is a symbolic link to missing.key, which does not exist (a dangling link) [ERR_FILE_NOT_FOUND]');
    expect(r.stderr).toContain('hint: create the file it points to, or replace the link');
  });
});

describe('temp files left by a killed writer', () => {
  /** A config and key ring with a fake leftover temp of each (the name shape of tempPathFor), aged `ageS` seconds. */
  function withLeftovers(ageS: number) {
    const d = fresh();
    makeKeyFile(d, 'secret.key');
    expect(runCli(['encrypt', '-', '-o', 'c.enc'], { cwd: d, input: '{"a":1}' }).status).toBe(0);
    const keyTmp = join(d, '.secret.key.0123456789ab.tmp');
    const encTmp = join(d, '.c.enc.ba9876543210.tmp');
    copyFileSync(join(d, 'secret.key'), keyTmp);
    copyFileSync(join(d, 'c.enc'), encTmp);
    const then = new Date(Date.now() - ageS * 1000);
    for (const p of [keyTmp, encTmp]) utimesSync(p, then, then);
    return { d, keyTmp, encTmp };
  }

  it('check reports a key file\'s as an error and a config\'s as a warning', () => {
    const { d } = withLeftovers(0);
    const r = runCli(['check', '--json'], { cwd: d });
    expect(r.status).toBe(1);
    const found = (JSON.parse(r.stdout) as { problems: { check: string; severity: string; path: string; hint?: string }[] }).problems.filter((p) => p.check === 'leftover-temp');
    expect(found.map(({ severity, path }) => ({ severity, path }))).toEqual([
      { severity: 'warning', path: '.c.enc.ba9876543210.tmp' },
      { severity: 'error', path: '.secret.key.0123456789ab.tmp' },
    ]);
    expect(found[1]!.hint).toContain('rm .secret.key.0123456789ab.tmp');
  });

  it.each([
    ['keygen --add', ['keygen', '--add'], 'keyTmp'],
    ['set', ['set', 'c.enc', 'b', '2'], 'encTmp'],
  ] as const)('the next locked write (%s) removes its target\'s old leftovers', (_name, args, which) => {
    const t = withLeftovers(120);
    expect(runCli([...args], { cwd: t.d }).status).toBe(0);
    expect(existsSync(t[which])).toBe(false);
    // the other target's leftover is not this writer's business
    expect(existsSync(t[which === 'keyTmp' ? 'encTmp' : 'keyTmp'])).toBe(true);
    expect(readdirSync(t.d).filter((n) => n.endsWith('.tmp') || n.endsWith('.lock'))).toHaveLength(1);
  });

  it('a young temp (a live writer\'s, maybe unlocked) and other names are left alone', async () => {
    const d = fresh();
    const target = join(d, 'c.enc');
    writeFileSync(target, 'x');
    const keep = ['.c.enc.0123456789ab.tmp', '.c.enc.lock.0123456789ab.tmp', '.c.enc.xyz.tmp', 'c.enc.0123456789ab.tmp', '.d.enc.0123456789ab.tmp'];
    const old = new Date(Date.now() - 120_000);
    for (const n of keep) writeFileSync(join(d, n), 'x');
    for (const n of keep.slice(1)) utimesSync(join(d, n), old, old);
    await withLock(target, () => undefined);
    expect(readdirSync(d).sort()).toEqual([...keep, 'c.enc'].sort());
  });
});

describe('age identities', () => {
  const sandbox = useGitSandbox('fcfg-findings-age-');

  it.each([
    ['an X25519 identity file', 'ci.txt', (id: string) => `# created: 2026-01-01T00:00:00Z\n# public key: age1xyz\n${id}\n`, 'ci.txt:3:1: age-identity AGE-SECRET-KEY-1***', generateIdentity],
    ['a post-quantum identity in .env', '.env', (id: string) => `AGE_KEY=${id}\n`, '.env:1:9: age-identity AGE-SECRET-KEY-PQ-1***', generateHybridIdentity],
  ])('scan finds %s, masked', async (_what, name, content, line, make) => {
    const d = sandbox.dir();
    const id = await make();
    writeFileSync(join(d, name), content(id));
    const r = sandbox.cli(d, ['scan', '.']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(line);
    expect(r.stdout + r.stderr).not.toContain(id.slice(id.lastIndexOf('1') + 1, id.lastIndexOf('1') + 12));
  });

  it('check reports a tracked identity file as an error, and leaves an untracked one and other text alone', async () => {
    const d = sandbox.repo();
    const id = await generateIdentity();
    writeFileSync(join(d, 'ci.txt'), `# public key: age1xyz\n${id}\n`);
    writeFileSync(join(d, 'notes.txt'), `the key is\n${id}\n`);
    expect(sandbox.cli(d, ['check']).status).toBe(0);
    sandbox.git(d, ['add', 'ci.txt', 'notes.txt']);
    const r = sandbox.cli(d, ['check', '--json']);
    expect(r.status).toBe(1);
    const problems = (JSON.parse(r.stdout) as { problems: { check: string; severity: string; path: string }[] }).problems;
    expect(problems.map(({ check, severity, path }) => ({ check, severity, path }))).toEqual([{ check: 'tracked-key', severity: 'error', path: 'ci.txt' }]);
    expect(r.stdout).not.toContain(id);
  });
});
