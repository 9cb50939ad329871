/**
 * Output that cannot be written. Standard output on a full device is the command's failure (one line,
 * exit 1, no stack trace); a reader that closed the pipe is not (exit 0, tested in cli-startup). A message
 * lost on stderr never changes the outcome of a command that did what was asked.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { CLI, cleanEnv, makeKeyFile, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-output-errors-');
const HAVE_FULL = existsSync('/dev/full');

function seeded(): string {
  const d = fresh();
  const { keys } = makeKeyFile(d);
  writeFileSync(join(d, 'config.enc'), new Fernet(keys[0]!).encrypt(JSON.stringify({ db: { host: 'h', password: 'pw-not-shown' } })) + '\n');
  return d;
}

describe.skipIf(!HAVE_FULL)('standard output on a full device (/dev/full)', () => {
  it.each([
    ['get', ['get', 'config.enc', 'db.host']],
    ['decrypt', ['decrypt', 'config.enc']],
    ['keys list', ['keys', 'list']],
    ['--help', ['--help']],
    ['--version', ['--version']],
  ])('%s: exit 1, one error line and a hint, no stack trace', (_name, args) => {
    const d = seeded();
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: d, env: cleanEnv(), stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^fernet-config: standard output[^\n]*\(ENOSPC\)[^\n]*\[ERR_FILE_ACCESS\]\n {2}hint: [^\n]+\n$/);
      expect(r.stderr).not.toContain('pw-not-shown');
    } finally {
      closeSync(fd);
    }
  });
});
if (!HAVE_FULL) it('full-device output: skipped (no /dev/full)', () => console.log('skipped: /dev/full missing'));

describe.skipIf(!HAVE_FULL)('stderr on a full device', () => {
  it.each([
    ['keygen', ['keygen'], 'secret.key'],
    ['set', ['set', 'config.enc', 'db.port', '5432'], 'config.enc'],
  ])('%s does what was asked and exits 0, though its messages are lost', (_name, args, file) => {
    const d = (args[0] === 'keygen' ? fresh : seeded)();
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: d, env: cleanEnv(), stdio: ['ignore', 'pipe', fd], encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(existsSync(join(d, file as string))).toBe(true);
    } finally {
      closeSync(fd);
    }
  });
});
