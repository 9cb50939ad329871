/**
 * Team access (issue 13): the rough edges testers found, each as a kind, through the built CLI — a hand
 * rename in the recipients file, `recipients list` output, symlinked rings, `identity new --json`, the
 * no-key hint for stdout, adding a key to a `.age` ring, and revocation being all or nothing (strace
 * failing each rename in turn). HOME is a temp directory in every run.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { compareRing } from '../src/age/header.js';
import { openAgeRing } from '../src/age/open.js';
import { runCheck } from '../src/check/check.js';
import { formatRecipientsFile, parseRecipientsFile } from '../src/age/recipients-file.js';
import { addRecipient, removeRecipient } from '../src/age/ring-ops.js';
import { forgetRings } from '../src/age/select.js';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { withLock } from '../src/fs/lock.js';
import { CLI, cleanEnv, runCli, useTempDirs, type CliResult } from './helpers/cli.js';
import { person, type Person } from './helpers/age.js';

const fresh = useTempDirs('fcfg-team-edges-');
const HAVE_SSH_KEYGEN = spawnSync('ssh-keygen', ['-?'], { encoding: 'utf8' }).error === undefined;
const HAVE_STRACE = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true']).status === 0;
const SECRET = 'pa55-never-printed';

const cli = (cwd: string, home: string, args: string[], env: Record<string, string> = {}) => runCli(args, { cwd, env: { HOME: home, ...env }, timeout: 60_000 });

function ok(r: CliResult): CliResult {
  expect(r.status, r.stderr).toBe(0);
  return r;
}

function expectClean(r: CliResult, secrets: string[]): void {
  for (const s of secrets) {
    expect(r.stdout).not.toContain(s);
    expect(r.stderr).not.toContain(s);
  }
}

/** A ring in `d` for alice and bob (library calls: fast), and configs sealed with its key. */
async function team(d: string, configs: Record<string, unknown> = { 'config.enc': { db: { password: SECRET } } }) {
  const alice = await person(d, 'alice');
  const bob = await person(d, 'bob');
  const key = generateKey();
  for (const [name, value] of Object.entries(configs)) writeFileSync(join(d, name), new Fernet(key).encrypt(JSON.stringify(value)) + '\n');
  const ring = join(d, 'secret.key.age');
  await addRecipient('alice', alice.recipient, ring, { key });
  await addRecipient('bob', bob.recipient, ring, { identity: alice.identity });
  forgetRings();
  return { alice, bob, key, ring };
}

describe('1. the record binds names to recipients', () => {
  it('a hand rename (two names swapped) is a disagreement: list and check report it, writes refuse until --force', async () => {
    const d = fresh();
    const { alice, bob } = await team(d);
    const file = join(d, 'secret.recipients');
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# fcfg-ring sha256=[0-9a-f]{16} recipients=[0-9a-f]{16} names=[0-9a-f]{16}$/m);
    writeFileSync(file, text.replace(/^alice /m, 'tmp ').replace(/^bob /m, 'alice ').replace(/^tmp /m, 'bob '));

    const listed = cli(d, alice.home, ['recipients', 'list']);
    expect(listed.status).toBe(1);
    expect(listed.stderr).toMatch(/recipients were renamed in the recipients file since secret\.key\.age was written/);
    const checked = cli(d, alice.home, ['check', '--json']);
    expect(checked.status).toBe(1);
    const report = JSON.parse(checked.stdout) as { problems: { check: string; message: string }[] };
    expect(report.problems.filter((p) => p.check === 'ring').map((p) => p.message)).toEqual([
      'recipients were renamed in the recipients file since secret.key.age was written (the same keys under other names)',
    ]);
    // `remove bob` would now remove alice's key: refused, and nothing written
    const before = readFileSync(join(d, 'secret.key.age'));
    const refused = cli(d, alice.home, ['recipients', 'remove', 'bob']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/\[ERR_RING_MISMATCH\]/);
    expect(readFileSync(join(d, 'secret.key.age')).equals(before)).toBe(true);
    // --force takes the file's names as the truth and records them
    ok(cli(d, alice.home, ['recipients', 'remove', 'bob', '--force']));
    ok(cli(d, alice.home, ['check']));
    // "bob" was alice's key: alice is out, the person holding bob's identity is in
    expect(cli(d, alice.home, ['get', 'config.enc', 'db.password']).stderr).toMatch(/ERR_NOT_A_RECIPIENT/);
    expect(ok(cli(d, bob.home, ['get', 'config.enc', 'db.password'])).stdout).toBe(SECRET + '\n');
  }, 120_000);

  it.each([
    ['same names', (t: string) => t, []],
    ['a rename', (t: string) => t.replace(/^a /m, 'c '), ['recipients were renamed in the recipients file since ring was written (the same keys under other names)']],
    ['a record without names= (written before it existed): not checked', (t: string) => t.replace(/ names=[0-9a-f]{16}/, '').replace(/^a /m, 'c '), []],
  ])('compareRing, %s', async (_what, edit, problems) => {
    const entries = parseRecipientsFile(`a ${await identityToRecipient(await generateX25519Identity())}\nb ${await identityToRecipient(await generateX25519Identity())}\n`, 'f').entries;
    // Two X25519 stanzas are all compareRing can see of the ring's header.
    const ring = Buffer.from('age-encryption.org/v1\n-> X25519 AAAA\nAAAA\n-> X25519 BBBB\nBBBB\n--- mac\n');
    const text = edit(formatRecipientsFile('ring', entries, ring));
    expect(compareRing(parseRecipientsFile(text, 'f'), ring, 'ring')).toEqual(problems);
  });
});

describe.skipIf(!HAVE_SSH_KEYGEN)('2. recipients list', () => {
  it('prints type, a short fingerprint and the comment; --full the whole recipient; --json everything, ssh-keygen fingerprint included', async () => {
    const d = fresh();
    const alice = await person(d, 'alice');
    const key = join(d, 'id_rsa');
    expect(spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '3072', '-N', '', '-C', 'bob@laptop', '-f', key]).status).toBe(0);
    const pub = readFileSync(key + '.pub', 'utf8').trim();
    const blob = pub.split(' ')[1]!;
    ok(cli(d, alice.home, ['recipients', 'add', 'alice', alice.recipient]));
    ok(cli(d, alice.home, ['recipients', 'add', 'bob', key + '.pub']));
    // the comment is kept in the recipients file, after the key
    expect(readFileSync(join(d, 'secret.recipients'), 'utf8')).toContain(`bob ${pub}\n`);
    const keygen = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', key + '.pub'], { encoding: 'utf8' }).stdout.split(' ')[1]!;
    expect(keygen).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);

    const short = ok(cli(d, alice.home, ['recipients', 'list'])).stdout.split('\n').filter(Boolean);
    expect(short).toEqual([`alice  x25519          ${alice.recipient.slice(0, 9)}…${alice.recipient.slice(-6)}`, `bob    ssh-rsa         ${keygen.slice(0, 19)}  bob@laptop`]);

    const full = ok(cli(d, alice.home, ['recipients', 'list', '--full'])).stdout.split('\n').filter(Boolean);
    expect(full).toEqual([`alice ${alice.recipient}`, `bob ${pub}`]);

    const json = JSON.parse(ok(cli(d, alice.home, ['recipients', 'list', '--json'])).stdout) as { recipients: Record<string, unknown>[] };
    expect(json.recipients).toEqual([
      { name: 'alice', kind: 'x25519', fingerprint: `${alice.recipient.slice(0, 9)}…${alice.recipient.slice(-6)}`, recipient: alice.recipient },
      { name: 'bob', kind: 'ssh-rsa', fingerprint: keygen.slice(0, 19), sshFingerprint: keygen, recipient: `ssh-rsa ${blob}`, comment: 'bob@laptop' },
    ]);
  }, 120_000);
});

describe('3. a symlinked ring: its recipients file is the one beside the target', () => {
  it('a link into a shared directory: check, list, reads and writes all use the target’s recipients file', async () => {
    const d = fresh();
    const shared = join(d, 'shared');
    const svc = join(d, 'svc');
    mkdirSync(shared);
    mkdirSync(svc);
    const { alice, key } = await team(shared, {});
    writeFileSync(join(svc, 'config.enc'), new Fernet(key).encrypt(JSON.stringify({ db: { password: SECRET } })) + '\n');
    symlinkSync('../shared/secret.key.age', join(svc, 'secret.key.age'));

    ok(cli(svc, alice.home, ['check', 'secret.key.age', 'config.enc']));
    expect(ok(cli(svc, alice.home, ['recipients', 'list'])).stdout).toMatch(/^alice .*\nbob /);
    expect(ok(cli(svc, alice.home, ['get', 'config.enc', 'db.password'])).stdout).toBe(SECRET + '\n');
    // a write through the link: the target and the recipients file beside it change, the link stays a link
    const carol = await person(d, 'carol');
    ok(cli(svc, alice.home, ['recipients', 'add', 'carol', carol.recipient]));
    expect(lstatSync(join(svc, 'secret.key.age')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(svc, 'secret.recipients'))).toBe(false);
    expect(readFileSync(join(shared, 'secret.recipients'), 'utf8')).toMatch(/^carol age1/m);
    ok(cli(svc, alice.home, ['check', 'secret.key.age']));
    ok(cli(shared, alice.home, ['check']));
    expect(ok(cli(svc, carol.home, ['get', 'config.enc', 'db.password'])).stdout).toBe(SECRET + '\n');
  }, 120_000);

  it('a link to a ring of another name, with a recipients file left beside the link: check names the unused one', async () => {
    const d = fresh();
    const shared = join(d, 'shared');
    const svc = join(d, 'svc');
    mkdirSync(shared);
    mkdirSync(svc);
    const { alice } = await team(shared, {});
    cpSync(join(shared, 'secret.key.age'), join(shared, 'prod.key.age'));
    cpSync(join(shared, 'secret.recipients'), join(shared, 'prod.recipients'));
    symlinkSync('../shared/prod.key.age', join(svc, 'secret.key.age'));
    ok(cli(svc, alice.home, ['check', 'secret.key.age']));
    writeFileSync(join(svc, 'secret.recipients'), readFileSync(join(shared, 'prod.recipients')));
    const r = cli(svc, alice.home, ['check']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`secret.key.age: ${join(svc, 'secret.recipients')} is not used: secret.key.age is a link to ${join(shared, 'prod.key.age')}, whose recipients file is ${join(shared, 'prod.recipients')}`);
    // a link for the recipients file too is the way to keep one beside the link
    rmSync(join(svc, 'secret.recipients'));
    symlinkSync('../shared/prod.recipients', join(svc, 'secret.recipients'));
    ok(cli(svc, alice.home, ['check']));
  }, 120_000);
});

describe('4. identity new honours --json in every output mode', () => {
  it.each([
    ['-', ['-']],
    ['a path', ['id.txt']],
    ['the default path', []],
  ])('%s', (what, args) => {
    const d = fresh();
    const home = join(d, 'home');
    mkdirSync(home);
    const r = ok(cli(d, home, ['identity', 'new', ...args, '--json']));
    const report = JSON.parse(r.stdout) as { path: string; recipient: string; identity?: string };
    expect(report.recipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    expect(r.stderr).not.toContain('AGE-SECRET-KEY-');
    if (what === '-') {
      expect(report.path).toBe('-');
      expect(report.identity).toMatch(new RegExp(`^# created: .*\\n# public key: ${report.recipient}\\nAGE-SECRET-KEY-1[0-9A-Z]+\\n$`));
      expect(readdirSync(home)).toEqual([]);
      return;
    }
    expect(report.identity).toBeUndefined();
    expect(r.stdout).not.toContain('AGE-SECRET-KEY-');
    const file = args[0] === undefined ? join(home, '.config', 'fernet-config', 'identities') : join(d, args[0]);
    expect(report.path).toBe(args[0] ?? file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain(`# public key: ${report.recipient}\nAGE-SECRET-KEY-1`);
  });
});

describe('5. no key for a config written to stdout', () => {
  it('encrypt - with a ring here says to pass -o FILE; with -o FILE the ring beside it is used', async () => {
    const d = fresh();
    const { alice, key } = await team(d, {});
    const input = JSON.stringify({ db: { password: SECRET } });
    const piped = runCli(['encrypt', '-'], { cwd: d, env: { HOME: alice.home }, input });
    expect(piped.status).toBe(1);
    expect(piped.stderr).toMatch(/\[ERR_KEY_NOT_FOUND\]\n  hint: writing to stdout there is no config to find a key or \.age ring beside: pass -o FILE .*\(for secret\.key\.age here, -o FILE in this directory\)/);
    expectClean(piped, [SECRET, key, alice.identity]);
    // a file to stdout (-o -) is the same case
    writeFileSync(join(d, 'in.json'), input);
    expect(cli(d, alice.home, ['encrypt', 'in.json', '-o', '-']).stderr).toMatch(/hint: writing to stdout .*pass -o FILE/);
    const withId = runCli(['encrypt', '-', '--identity', alice.identityFile], { cwd: d, env: { HOME: alice.home }, input });
    expect(withId.status).toBe(1);
    expect(withId.stderr).toMatch(/hint: writing to stdout .*pass -o FILE/);
    ok(runCli(['encrypt', '-', '-o', 'c.enc'], { cwd: d, env: { HOME: alice.home }, input }));
    expect(ok(cli(d, alice.home, ['get', 'c.enc', 'db.password'])).stdout).toBe(SECRET + '\n');
  }, 120_000);
});

describe('6. a new primary key for a .age ring, without a plain key file', () => {
  it('keygen --add RING, rotate, keys prune RING: the others keep working, no secret.key is written', async () => {
    const d = fresh();
    const { alice, bob, key } = await team(d, { 'a.enc': { x: 1 }, 'b.enc': { y: SECRET } });
    const added = ok(cli(d, alice.home, ['keygen', '--add', 'secret.key.age', '--json']));
    const report = JSON.parse(added.stdout) as { path: string; fingerprint: string; keys: number };
    expect(report).toMatchObject({ path: 'secret.key.age', keys: 2 });
    // without a path, --add finds the ring the plain key file was replaced by
    const again = ok(cli(d, alice.home, ['keygen', '--add']));
    expect(again.stderr).toMatch(/wrote a new primary key to secret\.key\.age \(fingerprint [0-9a-f]{8}, 3 keys in the ring\) for alice, bob/);
    expect(existsSync(join(d, 'secret.key'))).toBe(false);
    ok(cli(d, alice.home, ['check']));
    expect(ok(cli(d, bob.home, ['keys', 'list', 'secret.key.age'])).stdout).toMatch(/: 3 keys\n  #0  [0-9a-f]{8}  primary/);

    ok(cli(d, bob.home, ['rotate', 'a.enc', 'b.enc']));
    const pruned = ok(cli(d, alice.home, ['keys', 'prune', 'secret.key.age', '--keep', '1', 'a.enc', 'b.enc']));
    expect(pruned.stderr).toMatch(/dropped 2 keys from secret\.key\.age/);
    expect(existsSync(join(d, 'secret.key'))).toBe(false);
    ok(cli(d, alice.home, ['check']));
    expect(ok(cli(d, bob.home, ['get', 'b.enc', 'y'])).stdout).toBe(SECRET + '\n');
    expect(cli(d, bob.home, ['get', 'b.enc', 'y', '--key', key]).status).toBe(1);
    // pruning below what a config needs is refused with the rotate command to run
    ok(cli(d, alice.home, ['keygen', '--add', 'secret.key.age']));
    const refused = cli(d, alice.home, ['keys', 'prune', 'secret.key.age', '--keep', '1', 'a.enc']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/hint: re-encrypt first: fcfg rotate a\.enc/);
  }, 180_000);

  it.each([
    [['keygen', 'secret.key.age'], 2, /secret\.key\.age is a \.age key ring: keygen adds keys to it \(--add\)/],
    [['keygen', '-', '--identity', 'x'], 2, /--identity goes with --add on a \.age key ring/],
  ])('%j is refused', async (args, status, message) => {
    const d = fresh();
    const { alice } = await team(d, {});
    const before = readFileSync(join(d, 'secret.key.age'));
    const r = cli(d, alice.home, args);
    expect(r.status).toBe(status);
    expect(r.stderr).toMatch(message);
    expect(readFileSync(join(d, 'secret.key.age')).equals(before)).toBe(true);
  }, 60_000);
});

describe('7. revocation is all or nothing', () => {
  /** Bytes of every file in the project directory. */
  const snapshot = (d: string) => new Map(readdirSync(d).filter((f) => !f.startsWith('home-')).map((f) => [f, readFileSync(join(d, f)).toString('base64')]));

  /** bob is out: his identity does not open the ring, the old key no config; alice reads everything; check agrees. */
  async function expectRevoked(d: string, alice: Person, bob: Person, oldKey: string): Promise<void> {
    const ring = join(d, 'secret.key.age');
    await expect(openAgeRing(ring, { identity: bob.identity, home: bob.home })).rejects.toMatchObject({ code: 'ERR_NOT_A_RECIPIENT' });
    const keys = await openAgeRing(ring, { identity: alice.identity });
    expect(keys.size).toBe(1);
    for (const [c, value] of [['a.enc', { x: 1 }], ['b.enc', { y: SECRET }]] as const) {
      const token = readFileSync(join(d, c), 'utf8').trim();
      expect(() => new Fernet(oldKey).decrypt(token)).toThrow();
      expect(JSON.parse(new Fernet(keys.exportKeys()[0]!).decrypt(token).toString())).toEqual(value);
    }
    expect(runCheck({ cwd: d }).problems.filter((p) => p.check === 'ring')).toEqual([]);
    forgetRings();
  }

  it.each([
    ['a config another ring encrypted', (d: string) => writeFileSync(join(d, 'b.enc'), new Fernet(generateKey()).encrypt('{}') + '\n'), /b\.enc/],
    ['a config that is not a token', (d: string) => writeFileSync(join(d, 'b.enc'), 'not a token\n'), /b\.enc/],
    ['a missing config', (d: string) => rmSync(join(d, 'b.enc')), /b\.enc does not exist/],
  ])('%s: nothing is written, and the error says which', async (_what, spoil, message) => {
    const d = fresh();
    const { alice } = await team(d, { 'a.enc': { x: 1 }, 'b.enc': { y: SECRET } });
    spoil(d);
    const before = snapshot(d);
    const r = cli(d, alice.home, ['recipients', 'remove', 'bob', '--rotate', 'a.enc', 'b.enc']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/nothing was changed: bob is still a recipient and every config is as it was/);
    expect(snapshot(d)).toEqual(before);
  }, 60_000);

  it('a config locked by another writer: nothing is written', async () => {
    const d = fresh();
    const { alice } = await team(d, { 'a.enc': { x: 1 }, 'b.enc': { y: SECRET } });
    const before = snapshot(d);
    await withLock(join(d, 'b.enc'), async () => {
      await expect(removeRecipient('bob', join(d, 'secret.key.age'), [join(d, 'a.enc'), join(d, 'b.enc')], { identity: alice.identity, lock: { timeout: 0 } })).rejects.toMatchObject({ code: 'ERR_LOCK_TIMEOUT' });
    });
    forgetRings();
    expect(snapshot(d)).toEqual(before);
  });

  it.skipIf(!HAVE_STRACE || process.geteuid?.() !== 0)('every rename failing in turn (once, or from then on): all undone, or a hint that finishes it', async () => {
    const d = fresh();
    const { alice, bob, key } = await team(d, { 'a.enc': { x: 1 }, 'b.enc': { y: SECRET } });
    const before = snapshot(d);
    const restore = () => {
      for (const f of readdirSync(d)) if (!f.startsWith('home-')) rmSync(join(d, f));
      for (const [f, b64] of before) writeFileSync(join(d, f), Buffer.from(b64, 'base64'));
    };
    const args = ['recipients', 'remove', 'bob', '--rotate', 'a.enc', 'b.enc'];
    const outcomes: string[] = [];
    // A full run renames 6 times (ring and recipients file, two configs, ring and recipients file again).
    // Once: for every rename. From then on (the undo fails too): the ring's first write, a config's, the prune's.
    const runs = [...[1, 2, 3, 4, 5, 6, 7].map(String), '2+', '3+', '5+'];
    for (const when of runs) {
      const n = Number.parseInt(when, 10);
      {
        restore();
        const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=rename', '-e', `inject=rename:error=EIO:when=${when}`, process.execPath, CLI, ...args], {
          cwd: d,
          env: cleanEnv({ HOME: alice.home }),
          encoding: 'utf8',
          timeout: 60_000,
        });
        expectClean({ status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr }, [SECRET, key, alice.identity, bob.identity]);
        if (r.status === 0) {
          outcomes.push(`${when}: done`);
          expect(n).toBe(7);
          continue;
        }
        expect(r.status, r.stderr).toBe(1);
        const hint = /\[ERR_REVOKE_INCOMPLETE\]\n  hint: .*(?:run again with --force|finish with): (fcfg .*)\n/.exec(r.stderr);
        if (!hint) {
          // undone: every file byte for byte as it was
          expect(r.stderr).toMatch(/nothing was changed: bob is still a recipient/);
          expect(snapshot(d)).toEqual(before);
          outcomes.push(`${when}: undone`);
          continue;
        }
        // left half-way: every config still opens, and the hint's commands finish the revocation
        for (const c of ['a.enc', 'b.enc']) ok(cli(d, alice.home, ['decrypt', c]));
        for (const command of hint[1]!.split(' && ')) ok(cli(d, alice.home, command.split(' ').slice(1)));
        await expectRevoked(d, alice, bob, key);
        outcomes.push(`${when}: finished by the hint`);
      }
    }
    // each single failure is undone; a failure that persists through the undo leaves a hint
    expect(outcomes).toEqual([...[1, 2, 3, 4, 5, 6].map((n) => `${n}: undone`), '7: done', '2+: finished by the hint', '3+: finished by the hint', '5+: finished by the hint']);
    restore();
    ok(cli(d, alice.home, args));
    await expectRevoked(d, alice, bob, key);
  }, 600_000);

  it.skipIf(!HAVE_STRACE || process.geteuid?.() !== 0)('every ring write changes the ring and its recipients file together: recipients add with either rename failing', async () => {
    const d = fresh();
    const { alice } = await team(d, {});
    const carol = await person(d, 'carol');
    const before = snapshot(d);
    for (const when of ['1', '2']) {
      const r = spawnSync('strace', ['-f', '-qq', '-o', '/dev/null', '-e', 'trace=rename', '-e', `inject=rename:error=EIO:when=${when}`, process.execPath, CLI, 'recipients', 'add', 'carol', carol.recipient], {
        cwd: d,
        env: cleanEnv({ HOME: alice.home }),
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/\(EIO\) \[ERR_FILE_ACCESS\]/);
      expect(snapshot(d)).toEqual(before);
    }
  }, 120_000);
});
