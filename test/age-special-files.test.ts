/**
 * Files on the `.age` path that are not regular files: a FIFO given as an identity file, named like the
 * ring or its recipients file, or passed as a recipient file must be refused at once (ERR_FILE_ACCESS),
 * as key files and configs are — reading one would block until some writer appears, which is never.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { runCli, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-age-special-');

function mkfifo(path: string): void {
  const r = spawnSync('mkfifo', [path]);
  if (r.status !== 0) throw new Error('mkfifo failed');
}

/** A directory with config.enc opened through secret.key.age for one X25519 identity at ~/…/identities. */
async function ringDir() {
  const d = fresh();
  const home = join(d, 'home');
  mkdirSync(join(home, '.config', 'fernet-config'), { recursive: true });
  const identity = await generateX25519Identity();
  writeFileSync(join(home, '.config', 'fernet-config', 'identities'), identity + '\n', { mode: 0o600 });
  const key = generateKey();
  writeFileSync(join(d, 'secret.key'), key + '\n', { mode: 0o600 });
  writeFileSync(join(d, 'config.enc'), new Fernet(key).encrypt('{"a":1}') + '\n');
  const env = { HOME: home };
  const added = runCli(['recipients', 'add', 'me', await identityToRecipient(identity)], { cwd: d, env });
  expect(added.status, added.stderr).toBe(0);
  spawnSync('rm', [join(d, 'secret.key')]);
  expect(runCli(['get', 'config.enc', 'a'], { cwd: d, env }).stdout).toBe('1\n');
  return { d, env };
}

describe('FIFOs on the .age path are refused at once', () => {
  // [what, setup (returns the args), the file named in the message]
  const cases: [string, (d: string) => string[], RegExp][] = [
    ['--identity FIFO', (d) => (mkfifo(join(d, 'id.fifo')), ['get', 'config.enc', 'a', '--identity', 'id.fifo']), /identity file id\.fifo is not a regular file \(it is a FIFO\)/],
    ['a FIFO named like the recipients file (list)', (d) => (renameSync(join(d, 'secret.recipients'), join(d, 'r.bak')), mkfifo(join(d, 'secret.recipients')), ['recipients', 'list']), /secret\.recipients is not a regular file \(it is a FIFO\)/],
    ['a FIFO named like the ring (list)', (d) => (renameSync(join(d, 'secret.key.age'), join(d, 'k.bak')), mkfifo(join(d, 'secret.key.age')), ['recipients', 'list']), /secret\.key\.age is not a regular file \(it is a FIFO\)/],
    ['a FIFO as a .pub recipient file', (d) => (mkfifo(join(d, 'pub.pub')), ['recipients', 'add', 'z', './pub.pub']), /pub\.pub is not a regular file \(it is a FIFO\)/],
  ];
  it.each(cases)('%s', async (_what, prepare, message) => {
    const { d, env } = await ringDir();
    const args = prepare(d);
    const r = runCli(args, { cwd: d, env, timeout: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('[ERR_FILE_ACCESS]');
  }, 60_000);

  it('FERNET_CONFIG_IDENTITY_FILE naming a FIFO', async () => {
    const { d, env } = await ringDir();
    mkfifo(join(d, 'id.fifo'));
    const r = runCli(['get', 'config.enc', 'a'], { cwd: d, env: { ...env, FERNET_CONFIG_IDENTITY_FILE: join(d, 'id.fifo') }, timeout: 20_000 });
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/id\.fifo is not a regular file \(it is a FIFO\) \[ERR_FILE_ACCESS\]/);
  }, 60_000);
});

describe('a damaged ring', () => {
  it('a changed stanza, for a user the recipients file lists: damaged (ERR_RING_UNREADABLE), not "not a recipient"', async () => {
    const { d, env } = await ringDir();
    const ring = join(d, 'secret.key.age');
    const text = readFileSync(ring, 'latin1');
    // The X25519 stanza's argument is the ephemeral share: one changed character makes the file key unreachable.
    const at = text.indexOf('-> X25519 ') + '-> X25519 '.length + 5;
    writeFileSync(ring, Buffer.from(text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1), 'latin1'));
    const r = runCli(['get', 'config.enc', 'a'], { cwd: d, env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^fernet-config: key ring secret\.key\.age does not open with your identity, although its recipients file lists you \(as me\): the ring is damaged or was changed without its recipients file \[ERR_RING_UNREADABLE\]\n {2}hint: restore both from version control; `fcfg check` compares them\n$/);
  }, 60_000);
});
