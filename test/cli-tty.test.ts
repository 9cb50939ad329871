import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Fernet } from '../src/fernet/fernet.js';
import { makeKeyFile, removeDir, tempDir } from './helpers/cli.js';
import { runCliInPty } from './helpers/pty.js';

let dir: string;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => removeDir(dir));

describe('on a terminal', () => {
  it('keygen asks before replacing a key file, and keeps it on "no"', () => {
    const { path, keys } = makeKeyFile(dir, 'ask.key');
    const no = runCliInPty(['keygen', 'ask.key'], { cwd: dir, steps: [{ expect: 'Replace it\\?', send: 'n\r' }] });
    expect(no.status).toBe(1);
    expect(readFileSync(path, 'utf8')).toBe(keys[0] + '\n');
    const yes = runCliInPty(['keygen', 'ask.key'], { cwd: dir, steps: [{ expect: 'Replace it\\?', send: 'y\r' }] });
    expect(yes.status).toBe(0);
    expect(readFileSync(path, 'utf8')).not.toBe(keys[0] + '\n');
  });

  it('set without VALUE prompts with hidden input, never echoing the secret', () => {
    const d = join(dir, 'prompt');
    mkdirSync(d);
    const { keys } = makeKeyFile(d);
    writeFileSync(join(d, 'config.enc'), new Fernet(keys[0]!).encrypt('{}') + '\n');
    const secret = 'typed-s3cret-VALUE';
    const r = runCliInPty(['set', 'config.enc', 'db.password'], { cwd: d, steps: [{ expect: 'value for db\\.password', send: `${secret}\r` }] });
    expect(r.status).toBe(0);
    expect(r.output).not.toContain(secret);
    expect(r.output).toContain('*'.repeat(secret.length));
    expect(JSON.parse(new Fernet(keys[0]!).decryptText(readFileSync(join(d, 'config.enc'), 'utf8')))).toEqual({ db: { password: secret } });
  });
});
