/**
 * Findings from an installed package (the `.age` ring and team commands), each fixed as a kind: check
 * opens the ring of every config its walk finds; the cache of opened rings never serves a call that names
 * another identity; library errors speak option names and CLI errors list only what was tried; the
 * recipients commands name what really changed and fail where there is nothing; errors carry hints.
 * HOME is a temp directory in every run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { addRecipient } from '../src/age/ring-ops.js';
import { forgetRings } from '../src/age/select.js';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { loadConfig, loadConfigSync } from '../src/loader/load.js';
import { listKeys } from '../src/ops/prune.js';
import { rotateConfigs } from '../src/ops/rotate.js';
import { configStatus } from '../src/ops/status.js';
import { cleanEnv, REPO, runCli, useTempDirs, type CliResult } from './helpers/cli.js';
import { person, type Person } from './helpers/age.js';

const fresh = useTempDirs('fcfg-fix-findings-');
const SECRET = 'pa55-never-printed';

interface Failure {
  code: string;
  message: string;
  hint: string;
}

/** The error a promise rejects with (a resolution fails the test). */
async function rejection(p: Promise<unknown>): Promise<Failure> {
  try {
    await p;
  } catch (e) {
    return e as Failure;
  }
  throw new Error('expected a rejection');
}

const cli = (cwd: string, home: string, args: string[]) => runCli(args, { cwd, env: { HOME: home }, timeout: 60_000 });

function ok(r: CliResult): CliResult {
  expect(r.status, r.stderr).toBe(0);
  return r;
}

/** A folder with a config sealed with a new key, and a ring of that key for `recipients` (no plain key file). */
async function sealed(dir: string, recipients: Person[], value: unknown = { db: { password: SECRET } }, ring = join(dir, 'secret.key.age')): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const key = generateKey();
  writeFileSync(join(dir, 'c.enc'), new Fernet(key).encrypt(JSON.stringify(value)) + '\n');
  for (const [i, p] of recipients.entries()) await addRecipient(`p${i}`, p.recipient, ring, i === 0 ? { key } : { identity: recipients[0]!.identity });
  forgetRings();
  return key;
}

describe('1. check opens the ring of every config it finds', () => {
  it.each([
    ['no path', []],
    ['.', ['.']],
    ['named folders', ['a', 'b', 'deep', 'svc']],
  ])('%s: rings in subfolders, deeper ones and behind a link are opened', async (_what, args) => {
    const d = fresh();
    const alice = await person(fresh(), 'alice'); // outside the checked tree
    await sealed(join(d, 'a'), [alice]);
    await sealed(join(d, 'b'), [alice]);
    await sealed(join(d, 'deep', 'er'), [alice]);
    // svc/secret.key.age -> ../shared/prod.key.age
    mkdirSync(join(d, 'shared'));
    mkdirSync(join(d, 'svc'));
    await sealed(join(d, 'svc'), [alice], { x: 1 }, join(d, 'shared', 'prod.key.age'));
    symlinkSync('../shared/prod.key.age', join(d, 'svc', 'secret.key.age'));
    const r = cli(d, alice.home, ['check', ...args]);
    expect(r.stdout).not.toContain('asynchronously');
    expect(r.stderr).not.toContain('no key for');
    expect(ok(r).stderr).toContain('check passed (4 configs');
  }, 120_000);

  it('a config its ring does not open is reported (the ring was used, not skipped)', async () => {
    const d = fresh();
    const alice = await person(fresh(), 'alice');
    await sealed(join(d, 'a'), [alice]);
    await sealed(join(d, 'b'), [alice]);
    // b's config re-sealed with another key: the ring opens, the config does not
    writeFileSync(join(d, 'b', 'c.enc'), new Fernet(generateKey()).encrypt('{}') + '\n');
    const r = cli(d, alice.home, ['check']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^b\/c\.enc: .*\[decrypt\]$/m);
    expect(r.stdout).not.toMatch(/^a\/c\.enc/m);
  }, 120_000);
});

describe('2. an opened ring is never reused for another identity', () => {
  type Call = 'default' | 'bob' | 'garbage' | 'alice-explicit' | 'alice-file';
  const expected: Record<Call, string> = { default: 'opens', bob: 'ERR_NOT_A_RECIPIENT', garbage: 'ERR_INVALID_IDENTITY', 'alice-explicit': 'opens', 'alice-file': 'opens' };
  const orders: Call[][] = [
    ['bob', 'default', 'bob', 'garbage'],
    ['default', 'bob', 'garbage', 'default'],
    ['alice-explicit', 'bob', 'alice-file', 'garbage'],
    ['garbage', 'alice-file', 'garbage', 'bob', 'default', 'bob'],
    ['alice-file', 'alice-explicit', 'default', 'garbage', 'bob'],
  ];

  /** A fresh process state and directory: c.enc sealed with a ring that only alice opens; bob exists too. */
  async function sealedForAlice() {
    forgetRings();
    const d = fresh();
    const alice = await person(d, 'alice');
    const bob = await person(d, 'bob');
    await sealed(d, [alice]);
    return { d, alice, bob, path: join(d, 'c.enc') };
  }

  it.each(orders.map((o) => [o.join(' → '), o] as const))('%s', async (_name, order) => {
    const { d, alice, bob, path } = await sealedForAlice();
    const options: Record<Call, object> = {
      default: { home: alice.home },
      bob: { home: alice.home, identityFile: bob.identityFile },
      garbage: { home: alice.home, identity: `garbage-${SECRET}` },
      'alice-explicit': { home: bob.home, identity: alice.identity },
      'alice-file': { home: bob.home, identityFile: alice.identityFile },
    };
    const opened = (config: unknown) => ((config as { db: { password: string } }).db.password === SECRET ? 'opens' : 'wrong value');
    const outcome = (o: object) => loadConfig({ path, environment: {}, ...o }).then(opened, (e: { code?: string }) => e.code);
    const syncOutcome = (o: object) => {
      try {
        return opened(loadConfigSync({ path, environment: {}, ...o }));
      } catch (e) {
        return (e as { code?: string }).code;
      }
    };
    for (const call of order) {
      expect([call, await outcome(options[call])]).toEqual([call, expected[call]]);
      // and the synchronous resolution that follows sees the same outcome for the same options
      expect([call, syncOutcome(options[call])]).toEqual([call, expected[call]]);
    }
    // a synchronous call with an identity that was never tried gets no ring that another identity opened
    expect(syncOutcome({ home: alice.home, identityFile: join(d, 'never-used') })).not.toBe('opens');
  }, 120_000);

  it('an identity file replaced in place is read again', async () => {
    const { d, alice, bob, path } = await sealedForAlice();
    const id = join(d, 'id.txt');
    const put = (identity: string) => {
      writeFileSync(join(d, 'id.tmp'), identity + '\n', { mode: 0o600 });
      renameSync(join(d, 'id.tmp'), id);
    };
    put(alice.identity);
    await expect(loadConfig({ path, identityFile: id, environment: {} })).resolves.toBeTruthy();
    put(bob.identity);
    await expect(loadConfig({ path, identityFile: id, environment: {} })).rejects.toMatchObject({ code: 'ERR_NOT_A_RECIPIENT' });
  }, 60_000);
});

describe('3. errors in the words of the surface', () => {
  it('library: no identity names the loader options, and loadConfigSync keeps the code', async () => {
    forgetRings();
    const d = fresh();
    const alice = await person(d, 'alice');
    await sealed(d, [alice]);
    const path = join(d, 'c.enc');
    const home = join(d, 'nobody');
    const err = await rejection(loadConfig({ path, home, environment: {} }));
    expect(err.code).toBe('ERR_NO_IDENTITY');
    expect(err.message).toContain('(no identity or identityFile option given; tried: FERNET_CONFIG_IDENTITY; FERNET_CONFIG_IDENTITY_FILE; ');
    expect(err.hint).toContain('pass identity or identityFile to loadConfig()');
    expect(`${err.message} ${err.hint}`).not.toMatch(/--identity|--key/);
    expect(() => loadConfigSync({ path, home, environment: {} })).toThrow(expect.objectContaining({ code: 'ERR_NO_IDENTITY', hint: expect.stringContaining('loadConfigSync()') }) as Error);
  });

  it('library: a garbage identity is refused with a hint, and never quoted', async () => {
    forgetRings();
    const d = fresh();
    const alice = await person(d, 'alice');
    await sealed(d, [alice]);
    const err = await rejection(loadConfig({ path: join(d, 'c.enc'), identity: `garbage-${SECRET}`, environment: {} }));
    expect(err.code).toBe('ERR_INVALID_IDENTITY');
    expect(err.hint).toContain('AGE-SECRET-KEY-1');
    expect(`${err.message} ${err.hint}`).not.toContain(SECRET);
  });

  it('library: an age identity with a typo is never quoted, not even in the cause that inspect() prints', async () => {
    forgetRings();
    const d = fresh();
    const alice = await person(d, 'alice');
    await sealed(d, [alice]);
    const real = alice.identity.trim().split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!;
    // One character changed in the middle: the checksum fails, and the rest is still the secret.
    const typo = real.slice(0, 30) + (real[30] === 'Q' ? 'P' : 'Q') + real.slice(31);
    writeFileSync(join(d, 'typo.txt'), typo + '\n', { mode: 0o600 });
    for (const options of [{ identityFile: join(d, 'typo.txt') }, { identity: typo }]) {
      const err = await rejection(loadConfig({ path: join(d, 'c.enc'), ...options, environment: {} }));
      expect(err.code).toBe('ERR_INVALID_IDENTITY');
      const shown = inspect(err, { depth: 10 });
      for (let i = 16; i + 12 <= typo.length; i += 6) expect(shown).not.toContain(typo.slice(i, i + 12));
    }
  });

  it('library: a key string where key options belong is refused, never ignored for some other key', async () => {
    const d = fresh();
    const key = generateKey();
    writeFileSync(join(d, 'secret.key'), key + '\n', { mode: 0o600 });
    writeFileSync(join(d, 'c.enc'), new Fernet(key).encrypt('{"a":1}') + '\n');
    const newKey = generateKey();
    const refused = expect.objectContaining({ code: 'ERR_USAGE', message: expect.stringContaining('not a string') });
    await expect(rotateConfigs([join(d, 'c.enc')], newKey as never)).rejects.toThrow(refused as Error);
    expect(() => configStatus(join(d, 'c.enc'), newKey as never)).toThrow(refused as Error);
    expect(() => listKeys(join(d, 'secret.key') as never)).toThrow(refused as Error);
    expect(() => listKeys([key] as never)).toThrow(expect.objectContaining({ code: 'ERR_USAGE', message: expect.stringContaining('not an array') }) as Error);
    const err = await rotateConfigs([join(d, 'c.enc')], newKey as never).catch((e: Error) => e);
    expect(inspect(err)).not.toContain(newKey);
    // What the README gives works: options, or a ring.
    expect(listKeys({ keyFile: join(d, 'secret.key') })).toEqual([{ index: 0, fingerprint: expect.stringMatching(/^[0-9a-f]{8}$/) }]);
    const [r] = await rotateConfigs([join(d, 'c.enc')], { key: `${newKey},${key}` });
    expect(r).toMatchObject({ rotated: true });
    expect(configStatus(join(d, 'c.enc'), { key: `${newKey},${key}` }).keyIndex).toBe(0);
  });

  it('library: identity with keyFile names the options', async () => {
    const d = fresh();
    const err = await rejection(loadConfig({ path: join(d, 'c.enc'), identity: 'x', keyFile: 'k' }));
    expect(err.code).toBe('ERR_USAGE');
    expect(`${err.message} ${err.hint}`).not.toMatch(/--/);
    expect(err.message).toContain('identity/identityFile');
    expect(err.message).not.toContain('x');
  });

  it('library: no key names the options, not flags', () => {
    const d = fresh();
    writeFileSync(join(d, 'c.enc'), new Fernet(generateKey()).encrypt('{}') + '\n');
    expect(() => loadConfigSync({ path: join(d, 'c.enc'), environment: {}, home: d })).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_NOT_FOUND', message: expect.stringMatching(/^no key found \(no keyFile, key or keyCommand option given; tried: FERNET_CONFIG_KEY; /) as string }) as Error,
    );
  });

  it('CLI: no identity and no key list what was looked at, and say which flags were not given', async () => {
    const d = fresh();
    const alice = await person(d, 'alice');
    await sealed(d, [alice]);
    const home = join(d, 'nobody');
    mkdirSync(home);
    const r = cli(d, home, ['get', 'c.enc', 'db']);
    expect(r.stderr).toContain(`no identity found to open secret.key.age (no --identity given; tried: FERNET_CONFIG_IDENTITY; FERNET_CONFIG_IDENTITY_FILE; ${home}/.config/fernet-config/identities; `);
    const e = fresh();
    writeFileSync(join(e, 'c.enc'), new Fernet(generateKey()).encrypt('{}') + '\n');
    const k = cli(e, home, ['get', 'c.enc', 'a']);
    expect(k.status).toBe(1);
    expect(k.stderr).toContain('no key found (no --key-file, --key or --key-command given; tried: FERNET_CONFIG_KEY; FERNET_CONFIG_KEY_FILE; FERNET_CONFIG_KEY_COMMAND; c.key; secret.key; c.key.age; secret.key.age)');
  }, 60_000);
});

describe('4-6. recipients: errors alone, the files that changed, a missing ring', () => {
  it('remove of an unknown name: the error and the names, nothing else', async () => {
    const d = fresh();
    const alice = await person(d, 'alice');
    const bob = await person(d, 'bob');
    await sealed(d, [alice, bob]);
    const r = cli(d, alice.home, ['recipients', 'remove', 'nobody']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('fernet-config: no recipient named nobody in secret.recipients [ERR_RECIPIENT]\n  hint: its recipients: p0, p1\n');
  }, 60_000);

  it('a ring behind a link: add and remove name the link target and its recipients file', async () => {
    const d = realpathSync(fresh());
    const alice = await person(d, 'alice');
    const erin = await person(d, 'erin');
    mkdirSync(join(d, 'shared'));
    await sealed(join(d, 'svc'), [alice], { x: 1 }, join(d, 'shared', 'prod.key.age'));
    symlinkSync('../shared/prod.key.age', join(d, 'svc', 'secret.key.age'));
    const fromTop = ok(cli(d, alice.home, ['recipients', 'add', 'erin', erin.recipient, '--ring', 'svc/secret.key.age']));
    expect(fromTop.stderr).toMatch(/^added erin \(x25519 \S+\) to shared\/prod\.key\.age \(through svc\/secret\.key\.age\)$/m);
    expect(fromTop.stderr).toContain('\ncommit shared/prod.key.age and shared/prod.recipients\n');
    // from inside svc the target is outside the working directory: absolute
    const inside = ok(cli(join(d, 'svc'), alice.home, ['recipients', 'remove', 'erin']));
    expect(inside.stderr).toContain(`removed erin (x25519 `);
    expect(inside.stderr).toContain(`; ${d}/shared/prod.key.age (through secret.key.age) now opens for: p0\n`);
    expect(inside.stderr).toContain(`commit ${d}/shared/prod.key.age and ${d}/shared/prod.recipients\n`);
  }, 60_000);

  it.each([
    ['--ring to a missing file', ['--ring', 'nope.key.age'], 'key ring nope.key.age does not exist [ERR_FILE_NOT_FOUND]', 'check the path given to --ring'],
    ['no ring here', [], 'key ring secret.key.age does not exist [ERR_FILE_NOT_FOUND]', '`fcfg recipients add NAME RECIPIENT`'],
    ['no ring here, --json', ['--json'], 'key ring secret.key.age does not exist [ERR_FILE_NOT_FOUND]', '`fcfg recipients add NAME RECIPIENT`'],
  ])('list, %s: exit 1 with a hint', (_what, args, message, hint) => {
    const d = fresh();
    const r = cli(d, d, ['recipients', 'list', ...args]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(message);
    expect(r.stderr).toMatch(new RegExp(`\\n  hint: .*${hint.replace(/[.*+?^${}()|[\]\\`]/g, '\\$&')}`));
  });
});

describe('7. every error says what to do', () => {
  it('usage and recipient errors, and did-you-mean for short keys, each with a hint and no secret', async () => {
    const d = fresh();
    const alice = await person(d, 'alice');
    await sealed(d, [alice], { s2: { backup: { level: 3 } }, db: { password: SECRET } });
    writeFileSync(join(d, 'k.key'), generateKey() + '\n', { mode: 0o600 });
    const cases: [string[], RegExp, RegExp][] = [
      [['get', 'c.enc', 'db', '--identity', alice.identityFile, '--key-file', 'k.key'], /give either --identity .* not both \[ERR_USAGE\]/, /hint: --identity opens the \.age key ring/],
      [['recipients', 'add', 'pp2', alice.recipient], /already in the ring, as p0 \[ERR_RECIPIENT\]/, /hint: nothing to add: p0 already opens the ring/],
      [['recipients', 'add', 'x', 'not-a-recipient'], /\[ERR_INVALID_RECIPIENT\]/, /hint: a recipient is a public key: age1/],
      [['recipients', 'add', 'x', alice.recipient.slice(0, -1)], /not a valid age X25519 recipient .*\[ERR_INVALID_RECIPIENT\]/, /hint: copy the whole recipient/],
      [['recipients', 'add', 'bad name!', alice.recipient], /a recipient name is .*\[ERR_INVALID_RECIPIENT\]/, /hint: name the person or machine/],
      [['get', 'c.enc', 's2.backup.lvl'], /s2\.backup\.lvl is not set \[ERR_PATH_NOT_FOUND\]/, /hint: did you mean s2\.backup\.level\?/],
    ];
    for (const [args, message, hint] of cases) {
      const r = cli(d, alice.home, args);
      expect(r.status, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr, args.join(' ')).toMatch(hint);
      expect(r.stderr).not.toContain(SECRET);
      expect(r.stderr).not.toContain(alice.identity);
    }
  }, 120_000);
});

describe('breaker round 3: a broken install, a FIFO ring', () => {
  /** A copy of the built package with `missing` (paths under dist/) deleted; returns its CLI. */
  function brokenCopy(root: string, missing: string[]): string {
    const pkg = join(root, 'pkg');
    mkdirSync(pkg);
    cpSync(join(REPO, 'dist'), join(pkg, 'dist'), { recursive: true });
    cpSync(join(REPO, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(REPO, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    for (const m of missing) rmSync(join(pkg, 'dist', m));
    return join(pkg, 'dist/cli/main.js');
  }
  const run = (cli: string, cwd: string, home: string, args: string[]) =>
    spawnSync(process.execPath, [cli, ...args], { cwd, env: cleanEnv({ HOME: home }), encoding: 'utf8', timeout: 60_000 });

  it.each([
    ['cli/run-read-age.js', ['get', 'c.enc', 'db.password']],
    ['cli/run.js', ['set', 'c.enc', 'db.port', '1']],
  ])('dist/%s missing: "fernet-config is incomplete", exit 1, no stack, not a ring error', async (file, args) => {
    const d = fresh();
    const alice = await person(d, 'alice');
    await sealed(join(d, 'p'), [alice]);
    const cli = brokenCopy(d, [file]);
    const r = run(cli, join(d, 'p'), alice.home, args);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^fernet-config: fernet-config is incomplete: (dist\/[\w./-]+|a file of dist\/cli) is missing \[ERR_FERNET_CONFIG\]\n  hint: reinstall fernet-config\n$/);
  });

  it('a FIFO where the .age ring should be is named as such, not "no key found"', async () => {
    const d = fresh();
    const alice = await person(d, 'alice');
    await sealed(join(d, 'p'), [alice]);
    rmSync(join(d, 'p', 'secret.key.age'));
    execFileSync('mkfifo', [join(d, 'p', 'secret.key.age')]);
    const r = cli(join(d, 'p'), alice.home, ['get', 'c.enc', 'db.password']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('secret.key.age is not a regular file (it is a FIFO) [ERR_FILE_ACCESS]');
  });
});
