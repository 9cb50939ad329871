/**
 * Team access (issue 13): the `.age` key ring, its recipients file, `fcfg recipients` and `fcfg identity`,
 * through the built CLI and the library, with the real `age` CLI as the reference. HOME is a temp
 * directory in every run, so the default identity paths are sandboxed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateHybridIdentity, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareRing } from '../src/age/header.js';
import { openAgeRing } from '../src/age/open.js';
import { parseRecipientsFile, recipientKind } from '../src/age/recipients-file.js';
import { addRecipient, removeRecipient } from '../src/age/ring-ops.js';
import { forgetRings, openAgeRingFor } from '../src/age/select.js';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { loadConfig, loadConfigSync } from '../src/loader/load.js';
import { CLI, runCli, useTempDirs, type CliResult } from './helpers/cli.js';
import { runCliInPty } from './helpers/pty.js';

const fresh = useTempDirs('fcfg-team-');
const SECRET = 'pa55-w0rd-never-printed';
const CONFIG = { database: { host: 'db.internal', password: SECRET }, api: { token: 'tok-abc-123' }, ports: [5432] };

const has = (cmd: string, arg = '--version') => spawnSync(cmd, [arg], { encoding: 'utf8' }).error === undefined;
const HAVE_AGE = has('age');
const HAVE_SSH_KEYGEN = spawnSync('ssh-keygen', ['-?'], { encoding: 'utf8' }).error === undefined;
const HAVE_GIT = has('git');
const HAVE_STRACE = has('strace', '-V');

interface Person {
  home: string;
  identityFile: string;
  identity: string;
  recipient: string;
}

/** A person with an age identity at the default path (~/.config/fernet-config/identities). */
async function person(root: string, name: string, pq = false): Promise<Person> {
  const home = join(root, `home-${name}`);
  mkdirSync(join(home, '.config', 'fernet-config'), { recursive: true });
  const identity = pq ? await generateHybridIdentity() : await generateX25519Identity();
  const identityFile = join(home, '.config', 'fernet-config', 'identities');
  writeFileSync(identityFile, identity + '\n', { mode: 0o600 });
  return { home, identityFile, identity, recipient: await identityToRecipient(identity) };
}

/** A person whose only identity is ~/.ssh/id_ed25519 (or id_rsa). */
function sshPerson(root: string, name: string, type: 'ed25519' | 'rsa', passphrase = ''): { home: string; key: string; pub: string } {
  const home = join(root, `home-${name}`);
  mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
  const key = join(home, '.ssh', `id_${type}`);
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', passphrase, '-C', `${name}@test`, '-f', key], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return { home, key, pub: readFileSync(key + '.pub', 'utf8').trim() };
}

const cli = (cwd: string, home: string, args: string[], env: Record<string, string> = {}) => runCli(args, { cwd, env: { HOME: home, ...env } });

function ok(r: CliResult): CliResult {
  expect(r.stderr + r.stdout && r.status, r.stderr).toBe(0);
  return r;
}

function expectClean(r: CliResult, secrets: string[]): void {
  for (const s of secrets) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
}

/** A project directory with secret.key and config.enc holding CONFIG. */
function project(d: string): { key: string } {
  const key = generateKey();
  writeFileSync(join(d, 'secret.key'), key + '\n', { mode: 0o600 });
  writeFileSync(join(d, 'config.enc'), new Fernet(key).encrypt(JSON.stringify(CONFIG)) + '\n');
  return { key };
}

const ageDecrypt = (ring: string, identity: string) => spawnSync('age', ['-d', '-i', identity, ring], { encoding: 'utf8' });

describe('recipients file', () => {
  it.each([
    ['age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq', 'x25519'],
    ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN alice@host', 'ssh-ed25519'],
    ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDULTit0KUehbi', 'ssh-rsa'],
  ])('recognizes %s', (recipient, kind) => {
    expect(recipientKind(recipient)).toBe(kind);
  });

  it.each([
    ['age1short', /expected "age1" and 58 bech32/],
    ['age1pq1short', /post-quantum/],
    ['AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ', /identity \(a secret key\), not a recipient/],
    ['ecdsa-sha2-nistp256 AAAAE2VjZHNh', /expected ssh-ed25519 or ssh-rsa/],
    ['age1tag1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq', /tag recipients/],
    ['hello world', /expected age1\.\.\., age1pq1\.\.\., ssh-ed25519/],
  ])('refuses %s, saying what was expected, without echoing it', (recipient, message) => {
    let error: { code?: string; message: string } | undefined;
    try {
      recipientKind(recipient);
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.code).toBe('ERR_INVALID_RECIPIENT');
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(recipient);
  });

  it.each([
    ['alice age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\nalice age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n', /line 2: the name alice is used twice/],
    ['# comment\n\nal/ice age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n', /line 3: a recipient name/],
    ['alice\n', /line 1: expected "NAME RECIPIENT"/],
  ])('reports a bad recipients file by line: %j', (text, message) => {
    expect(() => parseRecipientsFile(text, 'f')).toThrow(message);
  });
});

describe('ring and recipients file, library level', () => {
  it('round-trips a post-quantum hybrid recipient; compareRing sees the file and the ring agree, then not', async () => {
    const d = fresh();
    const pq = await person(d, 'pq', true);
    expect(pq.recipient.startsWith('age1pq1')).toBe(true);
    const x = await person(d, 'x');
    const keys = [generateKey(), generateKey()];
    writeFileSync(join(d, 'secret.key'), keys.join('\n') + '\n', { mode: 0o600 });
    const ring = join(d, 'secret.key.age');
    await addRecipient('pq', pq.recipient, ring, { keyFile: join(d, 'secret.key') });
    await addRecipient('x', x.recipient, ring, { identity: pq.identity });
    for (const who of [pq, x]) {
      forgetRings();
      expect((await openAgeRing(ring, { identity: who.identity, env: {} })).exportKeys()).toEqual(keys);
    }
    const recipientsFile = join(d, 'secret.recipients');
    const file = parseRecipientsFile(readFileSync(recipientsFile, 'utf8'), 'f');
    expect(file.entries.map((e) => [e.name, e.kind])).toEqual([['pq', 'mlkem768x25519'], ['x', 'x25519']]);
    expect(compareRing(file, readFileSync(ring), 'ring')).toEqual([]);
    const edited = parseRecipientsFile(readFileSync(recipientsFile, 'utf8').replace(/^x .*$/m, 'y age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq'), 'f');
    expect(compareRing(edited, readFileSync(ring), 'ring').join('\n')).toMatch(/edited since/);
    const dropped = parseRecipientsFile(readFileSync(recipientsFile, 'utf8').replace(/^x .*$/m, ''), 'f');
    expect(compareRing(dropped, readFileSync(ring), 'ring').join('\n')).toMatch(/has 1 X25519 recipient, the recipients file 0/);
  });

  it('refuses to remove the last recipient', async () => {
    const d = fresh();
    const a = await person(d, 'a');
    const ring = join(d, 'secret.key.age');
    await addRecipient('a', a.recipient, ring, { key: generateKey() });
    await expect(removeRecipient('a', ring, [], { identity: a.identity })).rejects.toMatchObject({ code: 'ERR_RECIPIENT', message: expect.stringMatching(/last recipient/) });
  });
});

describe('team workflow through the CLI', () => {
  it('two people and a CI identity; onboarding a third; revoking one', async () => {
    const d = fresh();
    const { key: firstKey } = project(d);
    const alice = await person(d, 'alice');
    const bob = HAVE_SSH_KEYGEN ? sshPerson(d, 'bob', 'ed25519') : undefined;
    const ci = await person(d, 'ci');
    const carol = await person(d, 'carol');

    // alice turns the plain key file into a ring
    const created = ok(cli(d, alice.home, ['recipients', 'add', 'alice', alice.recipient]));
    expect(created.stderr).toMatch(/created secret\.key\.age with the keys of key file secret\.key/);
    expect(created.stderr).toMatch(/secret\.key is no longer needed/);
    rmSync(join(d, 'secret.key'));
    if (bob) {
      writeFileSync(join(d, 'bob.pub'), bob.pub + '\n');
      ok(cli(d, alice.home, ['recipients', 'add', 'bob', 'bob.pub']));
    }
    ok(cli(d, alice.home, ['recipients', 'add', 'ci', ci.recipient]));
    const listed = ok(cli(d, alice.home, ['recipients', 'list']));
    expect(listed.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0])).toEqual(['alice', ...(bob ? ['bob'] : []), 'ci']);

    // everyone opens the config with nothing but their own identity
    expect(ok(cli(d, alice.home, ['get', 'config.enc', 'database.host'])).stdout).toBe('db.internal\n');
    if (bob) expect(ok(cli(d, bob.home, ['get', 'config.enc', 'database.host'])).stdout).toBe('db.internal\n');
    const ciEnv = { FERNET_CONFIG_IDENTITY: ci.identity };
    const empty = join(d, 'home-empty');
    mkdirSync(empty);
    expect(ok(cli(d, empty, ['get', 'config.enc', 'database.host'], ciEnv)).stdout).toBe('db.internal\n');

    // the age CLI opens what fcfg wrote
    if (HAVE_AGE) {
      const r = ageDecrypt(join(d, 'secret.key.age'), alice.identityFile);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(firstKey + '\n');
      if (bob) expect(ageDecrypt(join(d, 'secret.key.age'), bob.key).stdout).toBe(firstKey + '\n');
    }

    // onboarding carol: she sends her recipient, ci adds her (any recipient can), she pulls
    const carolFile = join(d, 'carol.id');
    writeFileSync(carolFile, carol.identity + '\n', { mode: 0o600 });
    expect(cli(d, empty, ['get', 'config.enc', 'database.host', '--identity', carolFile]).stderr).toMatch(/ERR_NOT_A_RECIPIENT/);
    ok(cli(d, empty, ['recipients', 'add', 'carol', carol.recipient], ciEnv));
    expect(ok(cli(d, empty, ['get', 'config.enc', 'database.host', '--identity', carolFile])).stdout).toBe('db.internal\n');

    // revoking: alice removes ci and rotates
    const before = readFileSync(join(d, 'config.enc'), 'utf8');
    const revoked = ok(cli(d, alice.home, ['recipients', 'remove', 'ci', '--rotate', 'config.enc']));
    expectClean(revoked, [SECRET, 'tok-abc-123', firstKey, ci.identity, alice.identity]);
    expect(revoked.stdout.split('\n').filter(Boolean)).toEqual(['config.enc: database.host', 'config.enc: database.password', 'config.enc: api.token', 'config.enc: ports.0']);
    expect(readFileSync(join(d, 'config.enc'), 'utf8')).not.toBe(before);
    // ci's identity no longer opens the ring; the old key no longer opens the config
    const denied = cli(d, empty, ['get', 'config.enc', 'database.host'], ciEnv);
    expect(denied.status).toBe(1);
    expect(denied.stderr).toMatch(/none of your identities is a recipient of secret\.key\.age/);
    expect(denied.stderr).toMatch(/its recipients: alice age1/);
    expectClean(denied, [ci.identity]);
    expect(cli(d, empty, ['get', 'config.enc', 'database.host', '--key', firstKey]).status).toBe(1);
    if (HAVE_AGE) expect(ageDecrypt(join(d, 'secret.key.age'), join(ci.home, '.config', 'fernet-config', 'identities')).status).not.toBe(0);
    // the others keep working without doing anything
    expect(ok(cli(d, alice.home, ['get', 'config.enc', 'database.password'])).stdout).toBe(SECRET + '\n');
    if (bob) expect(ok(cli(d, bob.home, ['get', 'config.enc', 'database.host'])).stdout).toBe('db.internal\n');
    expect(ok(cli(d, empty, ['get', 'config.enc', 'database.host', '--identity', carolFile])).stdout).toBe('db.internal\n');
    // the ring holds only the new key, and fcfg check finds nothing wrong
    if (HAVE_AGE) expect(ageDecrypt(join(d, 'secret.key.age'), alice.identityFile).stdout.trim().split('\n')).toHaveLength(1);
    ok(cli(d, alice.home, ['check']));
  }, 300_000); // some 30 CLI runs: minutes on a loaded 2-core machine

  it('opens a ring written by age -r / -R', async () => {
    if (!HAVE_AGE) return void console.warn('skipped: no age CLI');
    const d = fresh();
    const { key } = project(d);
    rmSync(join(d, 'secret.key'));
    const a = await person(d, 'a');
    writeFileSync(join(d, 'keys.txt'), key + '\n');
    writeFileSync(join(d, 'r.txt'), `# recipients\n${a.recipient}\n`);
    for (const args of [['-r', a.recipient], ['-R', 'r.txt'], ['-a', '-r', a.recipient]]) {
      rmSync(join(d, 'secret.key.age'), { force: true });
      const r = spawnSync('age', [...args, '-o', 'secret.key.age', 'keys.txt'], { cwd: d, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(ok(cli(d, a.home, ['get', 'config.enc', 'database.host'])).stdout).toBe('db.internal\n');
    }
    // no recipients file: check reports it, writes refuse until --force
    const checked = cli(d, a.home, ['check']);
    expect(checked.status).toBe(1);
    expect(checked.stdout + checked.stderr).toMatch(/has no recipients file/);
    const b = await person(d, 'b');
    expect(cli(d, a.home, ['recipients', 'add', 'b', b.recipient]).stderr).toMatch(/ERR_RING_MISMATCH/);
    ok(cli(d, a.home, ['recipients', 'add', 'b', b.recipient, '--force']));
    expect(ok(cli(d, b.home, ['get', 'config.enc', 'database.host'])).stdout).toBe('db.internal\n');
  });

  it('ssh-ed25519 and ssh-rsa recipients: rings fcfg writes open with age -d -i KEY', async () => {
    if (!HAVE_SSH_KEYGEN) return void console.warn('skipped: no ssh-keygen');
    const d = fresh();
    const { key } = project(d);
    const ed = sshPerson(d, 'ed', 'ed25519');
    const rsa = sshPerson(d, 'rsa', 'rsa');
    ok(cli(d, d, ['recipients', 'add', 'ed', ed.pub]));
    ok(cli(d, ed.home, ['recipients', 'add', 'rsa', ed.pub.replace(/^.*$/, rsa.pub)]));
    rmSync(join(d, 'secret.key'));
    for (const p of [ed, rsa]) {
      expect(ok(cli(d, p.home, ['get', 'config.enc', 'database.host'])).stdout).toBe('db.internal\n');
      if (HAVE_AGE) {
        const r = ageDecrypt(join(d, 'secret.key.age'), p.key);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toBe(key + '\n');
      }
    }
    expect(ok(cli(d, d, ['recipients', 'list'])).stdout).toMatch(/^rsa\s+ssh-rsa\s+SHA256:/m);
  });

  it('a passphrase-protected SSH key without a terminal fails clearly', async () => {
    if (!HAVE_SSH_KEYGEN) return void console.warn('skipped: no ssh-keygen');
    const d = fresh();
    project(d);
    const p = sshPerson(d, 'p', 'ed25519', 'correct horse battery');
    ok(cli(d, d, ['recipients', 'add', 'p', p.pub]));
    rmSync(join(d, 'secret.key'));
    const r = cli(d, p.home, ['get', 'config.enc', 'database.host']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/id_ed25519 is protected by a passphrase and there is no terminal to ask for it \[ERR_PASSPHRASE_REQUIRED\]/);
    // check (a pre-commit hook has no terminal) carries on without the key
    const checked = cli(d, p.home, ['check']);
    expect(checked.status, checked.stderr).toBe(0);
    expect(checked.stderr).toMatch(/no key for 1 config/);
    // on a terminal it asks, with hidden input, and opens the ring
    const asked = runCliInPty(['get', 'config.enc', 'database.host'], { cwd: d, env: { HOME: p.home }, steps: [{ expect: 'passphrase for identity file .*id_ed25519', send: 'correct horse battery\r' }] });
    expect(asked.status, asked.output).toBe(0);
    expect(asked.output).toContain('db.internal');
    expect(asked.output).not.toContain('correct horse battery');
  });
});

describe('bad input through the CLI', () => {
  it('no identity anywhere lists what was tried', async () => {
    const d = fresh();
    project(d);
    const a = await person(d, 'a');
    ok(cli(d, a.home, ['recipients', 'add', 'a', a.recipient]));
    rmSync(join(d, 'secret.key'));
    const home = join(d, 'nobody');
    mkdirSync(home);
    const r = cli(d, home, ['get', 'config.enc', 'database.host']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no identity found to open secret.key.age (no --identity given; tried: FERNET_CONFIG_IDENTITY; FERNET_CONFIG_IDENTITY_FILE; ' + `${home}/.config/fernet-config/identities; ${home}/.ssh/id_ed25519; ${home}/.ssh/id_rsa) [ERR_NO_IDENTITY]`);
  });

  it.each([
    [['recipients', 'add', 'x', 'age1nope'], /ERR_INVALID_RECIPIENT/, /age X25519 recipient/],
    [['recipients', 'add', 'x', 'ssh-dss AAAAB3NzaC1kc3M'], /ERR_INVALID_RECIPIENT/, /expected ssh-ed25519 or ssh-rsa/],
    [['recipients', 'add', 'x', 'no-such-file.pub'], /ERR_INVALID_RECIPIENT/, /neither a recipient nor an existing file/],
    [['recipients', 'remove', 'nobody'], /ERR_RECIPIENT/, /no recipient named nobody/],
    [['recipients', 'remove', 'a'], /ERR_RECIPIENT/, /last recipient/],
  ])('%j fails with %s', async (args, code, message) => {
    const d = fresh();
    project(d);
    const a = await person(d, 'a');
    ok(cli(d, a.home, ['recipients', 'add', 'a', a.recipient]));
    const r = cli(d, a.home, args);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(code);
    expect(r.stderr).toMatch(message);
  });

  it('a recipients file edited by hand: list and check report it, writes refuse until --force', async () => {
    const d = fresh();
    project(d);
    const a = await person(d, 'a');
    const b = await person(d, 'b');
    ok(cli(d, a.home, ['recipients', 'add', 'a', a.recipient]));
    writeFileSync(join(d, 'secret.recipients'), readFileSync(join(d, 'secret.recipients'), 'utf8') + `b ${b.recipient}\n`);
    const listed = cli(d, a.home, ['recipients', 'list']);
    expect(listed.status).toBe(1);
    expect(listed.stderr).toMatch(/edited since secret\.key\.age was written/);
    const checked = cli(d, a.home, ['check', '--json']);
    expect(checked.status).toBe(1);
    const report = JSON.parse(checked.stdout) as { problems: { check: string; path: string; message: string }[] };
    expect(report.problems.filter((p) => p.check === 'ring').map((p) => p.message)).toEqual([
      'the recipients file was edited since secret.key.age was written',
      'secret.key.age has 1 X25519 recipient, the recipients file 2',
    ]);
    const c = await person(d, 'c');
    expect(cli(d, a.home, ['recipients', 'add', 'c', c.recipient]).stderr).toMatch(/the recipients file and secret\.key\.age disagree.*\[ERR_RING_MISMATCH\]/);
    ok(cli(d, a.home, ['recipients', 'add', 'c', c.recipient, '--force']));
    ok(cli(d, a.home, ['recipients', 'list']));
    expect(ok(cli(d, b.home, ['get', 'config.enc', 'database.host'])).stdout).toBe('db.internal\n');
  });

  it('check fails on a plain key file tracked by git beside a ring', async () => {
    if (!HAVE_GIT) return void console.warn('skipped: no git');
    const d = fresh();
    project(d);
    const a = await person(d, 'a');
    ok(cli(d, a.home, ['recipients', 'add', 'a', a.recipient]));
    const git = (...args: string[]) => spawnSync('git', args, { cwd: d, encoding: 'utf8', env: { ...process.env, HOME: a.home, GIT_CONFIG_NOSYSTEM: '1' } });
    git('init', '-q');
    git('add', 'secret.key', 'secret.key.age', 'secret.recipients', 'config.enc');
    const r = cli(d, a.home, ['check', '--json']);
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as { problems: { check: string; path: string }[] };
    expect(report.problems).toContainEqual(expect.objectContaining({ check: 'tracked-key', path: 'secret.key' }));
    expect(report.problems.filter((p) => p.check === 'ring')).toEqual([]);
  });

  it('identity new writes a 0600 file, refuses to overwrite, prints only the recipient', () => {
    const d = fresh();
    const r = ok(cli(d, d, ['identity', 'new', 'me.id']));
    const text = readFileSync(join(d, 'me.id'), 'utf8');
    expect(statSync(join(d, 'me.id')).mode & 0o777).toBe(0o600);
    expect(r.stdout).toMatch(/^age1[0-9a-z]{58}\n$/);
    expect(text).toContain(`# public key: ${r.stdout.trim()}`);
    const secret = /^AGE-SECRET-KEY-1\S+$/m.exec(text)![0];
    expectClean(r, [secret]);
    expect(cli(d, d, ['identity', 'new', 'me.id']).stderr).toMatch(/ERR_FILE_EXISTS/);
    ok(cli(d, d, ['identity', 'new']));
    expect(existsSync(join(d, '.config', 'fernet-config', 'identities'))).toBe(true);
  });
});

describe('loader through a .age ring', () => {
  let d = '';
  let a: Person;
  beforeAll(async () => {
    d = fresh();
    project(d);
    a = await person(d, 'loader');
    ok(cli(d, a.home, ['recipients', 'add', 'a', a.recipient]));
    rmSync(join(d, 'secret.key'));
  });

  it.each([
    ['identityFile', () => ({ identityFile: a.identityFile })],
    ['identity', () => ({ identity: a.identity })],
    ['FERNET_CONFIG_IDENTITY', () => ({ environment: { FERNET_CONFIG_IDENTITY: a.identity } })],
    ['FERNET_CONFIG_IDENTITY_FILE', () => ({ environment: { FERNET_CONFIG_IDENTITY_FILE: a.identityFile } })],
  ])('loadConfig opens it with %s', async (_, options) => {
    forgetRings();
    const config = (await loadConfig({ path: join(d, 'config.enc'), home: join(d, 'nowhere'), ...options() })) as typeof CONFIG;
    expect(config.database.password).toBe(SECRET);
  });

  it('loadConfigSync fails clearly until the ring is opened, then works', async () => {
    forgetRings();
    const path = join(d, 'config.enc');
    expect(() => loadConfigSync({ path, identityFile: a.identityFile })).toThrow(expect.objectContaining({ code: 'ERR_AGE_RING_SYNC' }));
    await openAgeRingFor(path, { identityFile: a.identityFile });
    expect((loadConfigSync({ path, identityFile: a.identityFile }) as typeof CONFIG).api.token).toBe('tok-abc-123');
    // Without the identity it was opened with: refused, and the hint says which options to pass.
    const b = await person(d, 'not-the-opener');
    const otherOptions = [{ home: join(d, 'nowhere'), environment: {} }, { identityFile: b.identityFile }, { home: join(d, 'nowhere'), environment: { FERNET_CONFIG_IDENTITY_FILE: b.identityFile } }];
    for (const other of otherOptions) {
      expect(() => loadConfigSync({ path, ...other })).toThrow(
        expect.objectContaining({ code: 'ERR_AGE_RING_SYNC', hint: expect.stringContaining('pass the same identity or identityFile') }) as Error,
      );
    }
  });

  it('without an identity, loadConfig says what it tried', async () => {
    forgetRings();
    const home = join(d, 'nowhere');
    await expect(loadConfig({ path: join(d, 'config.enc'), home, environment: {} })).rejects.toMatchObject({ code: 'ERR_NO_IDENTITY' });
  });
});

describe('lazy loading', () => {
  it('a plain key file never loads age-encryption; a .age ring does', async () => {
    if (!HAVE_STRACE) return void console.warn('skipped: no strace');
    const d = fresh();
    project(d);
    const trace = (home: string) => {
      const out = join(d, 'trace.txt');
      const r = spawnSync('strace', ['-f', '-e', 'trace=openat', '-o', out, process.execPath, CLI, 'get', 'config.enc', 'database.host'], {
        cwd: d,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', HOME: home },
      });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(out, 'utf8');
    };
    expect(trace(d)).not.toMatch(/age-encryption|dist\/age[\w-]*\.[cm]?js|src\/age\/(open|identities|ring-ops)\.js/);
    const a = await person(d, 'a');
    ok(cli(d, a.home, ['recipients', 'add', 'a', a.recipient]));
    rmSync(join(d, 'secret.key'));
    expect(trace(a.home)).toMatch(/dist\/age-open\.cjs/);
  });
});
