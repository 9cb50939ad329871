import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileError } from '../src/fs/errors.js';
import { makeKeyFile, runCli, useTempDirs } from './helpers/cli.js';

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
