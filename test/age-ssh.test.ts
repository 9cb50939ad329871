/**
 * age's ssh-ed25519 and ssh-rsa recipient types (src/age/ssh.ts) against the reference: keys made by
 * ssh-keygen at test time, files encrypted and decrypted by the age CLI (1.1.1, whose agessh package is
 * the reference implementation), and malformed input that must fail clearly without repeating the key.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient, type Stanza } from 'age-encryption';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseSshRecipient, sshFingerprint, sshIdentityFromFile, type SshIdentity } from '../src/age/ssh.js';
import { runCli, useTempDirs } from './helpers/cli.js';
import { runCliInPty } from './helpers/pty.js';

const PASS = 'correct horse battery';

interface KeyKind {
  name: string;
  /** ssh-keygen arguments after -f/-N/-C. */
  args: string[];
  type: 'ssh-ed25519' | 'ssh-rsa';
  passphrase?: string;
}

// Every kind of private key file we read. The age CLI asks for passphrases on a terminal only, so it
// decrypts only the plain ones; our side covers all.
const KINDS: KeyKind[] = [
  { name: 'ed25519', args: ['-t', 'ed25519'], type: 'ssh-ed25519' },
  { name: 'ed25519-pass', args: ['-t', 'ed25519'], type: 'ssh-ed25519', passphrase: PASS },
  { name: 'ed25519-pass-gcm', args: ['-t', 'ed25519', '-Z', 'aes256-gcm@openssh.com'], type: 'ssh-ed25519', passphrase: PASS },
  { name: 'ed25519-pass-chacha', args: ['-t', 'ed25519', '-Z', 'chacha20-poly1305@openssh.com'], type: 'ssh-ed25519', passphrase: PASS },
  { name: 'ed25519-pass-cbc', args: ['-t', 'ed25519', '-Z', 'aes128-cbc'], type: 'ssh-ed25519', passphrase: PASS },
  { name: 'rsa2048', args: ['-t', 'rsa', '-b', '2048'], type: 'ssh-rsa' },
  { name: 'rsa2048-pass', args: ['-t', 'rsa', '-b', '2048'], type: 'ssh-rsa', passphrase: PASS },
  { name: 'rsa3072', args: ['-t', 'rsa', '-b', '3072'], type: 'ssh-rsa' },
  { name: 'rsa2048-pem', args: ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], type: 'ssh-rsa' },
  { name: 'rsa2048-pem-pass', args: ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], type: 'ssh-rsa', passphrase: PASS },
  { name: 'rsa2048-pkcs8', args: ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8'], type: 'ssh-rsa' },
  { name: 'rsa2048-pkcs8-pass', args: ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8'], type: 'ssh-rsa', passphrase: PASS },
];

const tmp = useTempDirs('fcfg-age-ssh-');
let dir: string;

function keygen(name: string, args: string[], passphrase = ''): string {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', ...args, '-N', passphrase, '-C', `${name}@test`, '-f', path], { stdio: 'ignore', timeout: 60_000 });
  return path;
}

function age(args: string[], input?: Uint8Array): Buffer {
  return execFileSync('age', args, { input, timeout: 60_000, stdio: ['pipe', 'pipe', 'pipe'] });
}

function pub(kind: string): string {
  return readFileSync(join(dir, `${kind}.pub`), 'utf8');
}

function identity(kind: KeyKind, passphrase: () => Promise<string> = async () => kind.passphrase ?? ''): Promise<SshIdentity> {
  return sshIdentityFromFile(readFileSync(join(dir, kind.name), 'utf8'), { passphrase, source: kind.name });
}

async function encryptTo(recipients: (string | ReturnType<typeof parseSshRecipient>)[], text: string): Promise<Uint8Array> {
  const e = new Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return e.encrypt(text);
}

async function decryptWith(identities: (string | SshIdentity)[], file: Uint8Array): Promise<string> {
  const d = new Decrypter();
  for (const i of identities) d.addIdentity(i);
  return d.decrypt(file, 'text');
}

/** The stanzas of an age file's header, as the library hands them to identities. */
function stanzasOf(file: Uint8Array): Stanza[] {
  const lines = Buffer.from(file).toString('latin1').split('\n');
  const out: Stanza[] = [];
  for (let i = 1; i < lines.length && !lines[i]!.startsWith('---'); i++) {
    const args = lines[i]!.slice(3).split(' ');
    let body = '';
    while (true) {
      const line = lines[++i]!;
      body += line;
      if (line.length < 64) break;
    }
    out.push({ args, body: Buffer.from(body, 'base64') } as Stanza);
  }
  return out;
}

beforeAll(() => {
  dir = tmp();
  for (const k of KINDS) keygen(k.name, k.args, k.passphrase);
  keygen('other-ed25519', ['-t', 'ed25519']);
  keygen('other-rsa', ['-t', 'rsa', '-b', '2048']);
  keygen('ecdsa', ['-t', 'ecdsa']);
  keygen('rsa1024', ['-t', 'rsa', '-b', '1024']);
}, 240_000);

describe.each(KINDS)('$name', (kind) => {
  it('recipient and identity agree with ssh-keygen on the fingerprint', async () => {
    const expected = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, `${kind.name}.pub`)], { encoding: 'utf8' }).split(' ')[1];
    const recipient = parseSshRecipient(pub(kind.name));
    const id = await identity(kind, async () => {
      throw new Error('the public part must not need the passphrase');
    }).catch((err: unknown) => err);
    expect(recipient.type).toBe(kind.type);
    expect(recipient.fingerprint).toBe(expected);
    expect(sshFingerprint(pub(kind.name))).toBe(expected);
    expect(recipient.publicKey).toBe(pub(kind.name).split(' ').slice(0, 2).join(' '));
    if (/(pem|pkcs8)-pass$/.test(kind.name)) {
      // Encrypted PEM has no public part in clear: it must ask up front.
      expect(String(id)).toContain('the public part must not need the passphrase');
    } else {
      expect((id as SshIdentity).fingerprint).toBe(expected);
      expect((id as SshIdentity).tag).toBe(recipient.tag);
      expect((id as SshIdentity).encrypted).toBe(kind.passphrase !== undefined);
    }
  });

  it('a file encrypted by age -R key.pub opens with our identity', async () => {
    const file = age(['-R', join(dir, `${kind.name}.pub`)], Buffer.from(`secret for ${kind.name}`));
    expect(await decryptWith([await identity(kind)], file)).toBe(`secret for ${kind.name}`);
  });

  it('a file we encrypt opens with our identity and, for plain keys, with age -d -i', async () => {
    const file = await encryptTo([parseSshRecipient(pub(kind.name))], `ours for ${kind.name}`);
    const header = Buffer.from(file).toString('latin1').split('\n')[1]!;
    expect(header.startsWith(`-> ${kind.type} ${parseSshRecipient(pub(kind.name)).tag}`)).toBe(true);
    expect(await decryptWith([await identity(kind)], file)).toBe(`ours for ${kind.name}`);
    if (kind.passphrase === undefined) {
      writeFileSync(join(dir, `${kind.name}.age`), file);
      expect(age(['-d', '-i', join(dir, kind.name), join(dir, `${kind.name}.age`)]).toString()).toBe(`ours for ${kind.name}`);
    }
  });

  // Encrypted PEM asks up front (no public part in clear); the wrong-passphrase test covers it.
  it.runIf(!/(pem|pkcs8)-pass$/.test(kind.name))('another key of the same type is no match, and is not asked for a passphrase', async () => {
    const other = kind.type === 'ssh-rsa' ? 'other-rsa' : 'other-ed25519';
    const file = await encryptTo([parseSshRecipient(pub(other))], 'not yours');
    let asked = 0;
    const id = await identity(kind, async () => {
      asked++;
      return PASS;
    });
    expect(await id.unwrapFileKey(stanzasOf(file))).toBeNull();
    expect(asked).toBe(0);
    await expect(decryptWith([id], file)).rejects.toThrow();
  });
});

describe.each(KINDS.filter((k) => k.passphrase !== undefined))('$name, protected', (kind) => {
  it('a wrong passphrase fails with ERR_WRONG_PASSPHRASE, the right one then works', async () => {
    const file = await encryptTo([parseSshRecipient(pub(kind.name))], 'guarded');
    const answers = ['wrong passphrase', PASS];
    const open = async () => {
      const id = await identity(kind, async () => answers.shift()!);
      return decryptWith([id], file);
    };
    const err = await open().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_WRONG_PASSPHRASE' });
    expect(String((err as Error).message)).not.toContain('wrong passphrase');
    expect(await open()).toBe('guarded');
  });

  it("the passphrase callback's own error (no terminal) comes out unchanged", async () => {
    const file = await encryptTo([parseSshRecipient(pub(kind.name))], 'guarded');
    const noTty = Object.assign(new Error('no terminal to ask on'), { code: 'ERR_TEST_NO_TTY' });
    const err = await identity(kind, async () => {
      throw noTty;
    })
      .then((id) => decryptWith([id], file))
      .catch((e: unknown) => e);
    expect(err).toBe(noTty);
  });

  it('a protected key without a way to ask fails clearly', async () => {
    const file = await encryptTo([parseSshRecipient(pub(kind.name))], 'guarded');
    const err = await sshIdentityFromFile(readFileSync(join(dir, kind.name), 'utf8'), { source: kind.name })
      .then((id) => decryptWith([id], file))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_PASSPHRASE_REQUIRED' });
    expect((err as Error).message).toContain(kind.name);
  });
});

describe('mixed files: X25519 + ssh-ed25519 + ssh-rsa', () => {
  let x25519: string;
  beforeAll(async () => {
    x25519 = await generateX25519Identity();
    writeFileSync(join(dir, 'x25519.txt'), `${x25519}\n`, { mode: 0o600 });
  });
  const ed = KINDS.find((k) => k.name === 'ed25519')!;
  const rsa = KINDS.find((k) => k.name === 'rsa2048')!;

  it('a file age writes to all three opens with each of our identities', async () => {
    const file = age(['-r', await identityToRecipient(x25519), '-R', join(dir, 'ed25519.pub'), '-R', join(dir, 'rsa2048.pub')], Buffer.from('for three'));
    expect(await decryptWith([await identity(ed)], file)).toBe('for three');
    expect(await decryptWith([await identity(rsa)], file)).toBe('for three');
    expect(await decryptWith([x25519], file)).toBe('for three');
    // An identity for a key that is not among them, next to one that is: still opens.
    expect(await decryptWith([await identity(KINDS.find((k) => k.name === 'rsa3072')!), await identity(ed)], file)).toBe('for three');
  });

  it('a file we write to all three opens with age -d -i for each identity', async () => {
    const file = await encryptTo([await identityToRecipient(x25519), parseSshRecipient(pub('ed25519')), parseSshRecipient(pub('rsa2048'))], 'from us');
    const path = join(dir, 'mixed.age');
    writeFileSync(path, file);
    for (const id of ['x25519.txt', 'ed25519', 'rsa2048']) expect(age(['-d', '-i', join(dir, id), path]).toString()).toBe('from us');
    const r = spawnSync('age', ['-d', '-i', join(dir, 'other-ed25519'), path], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
  });
});

describe('an Ed25519 key in PKCS#8 PEM (openssl genpkey), which ssh-keygen does not write', () => {
  it('opens files from age -R and from us, and the age CLI reads it too', async () => {
    const path = join(dir, 'openssl-ed25519.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', path], { stdio: 'ignore' });
    const id = await sshIdentityFromFile(readFileSync(path, 'utf8'));
    expect(id.type).toBe('ssh-ed25519');
    // The public key line comes from our own parse; the age CLI encrypting to it and decrypting with
    // the PEM file checks that both sides derive the same key from it.
    writeFileSync(`${path}.pub`, `${id.publicKey} openssl\n`);
    const fromAge = age(['-R', `${path}.pub`], Buffer.from('pkcs8'));
    expect(await decryptWith([id], fromAge)).toBe('pkcs8');
    writeFileSync(join(dir, 'pkcs8.age'), await encryptTo([parseSshRecipient(id.publicKey)], 'pkcs8 back'));
    expect(age(['-d', '-i', path, join(dir, 'pkcs8.age')]).toString()).toBe('pkcs8 back');
  });
});

describe('malformed recipients', () => {
  const cases: { name: string; line: () => string; message: RegExp }[] = [
    { name: 'an ecdsa key', line: () => pub('ecdsa'), message: /unsupported key type ecdsa-sha2-nistp256, expected ssh-ed25519 or ssh-rsa/ },
    { name: 'an ssh-dss key', line: () => `ssh-dss ${'A'.repeat(40)} old@host`, message: /unsupported key type ssh-dss, expected ssh-ed25519 or ssh-rsa/ },
    { name: 'an age secret key pasted by mistake', line: () => 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQSECRET', message: /not an SSH public key, expected ssh-ed25519 or ssh-rsa/ },
    { name: 'a private key pasted by mistake', line: () => readFileSync(join(dir, 'ed25519'), 'utf8'), message: /private key/ },
    { name: 'a type without key data', line: () => 'ssh-ed25519', message: /ssh-ed25519 key data is missing/ },
    { name: 'truncated base64', line: () => pub('ed25519').split(' ')[0] + ' ' + pub('ed25519').split(' ')[1]!.slice(0, -5), message: /not valid base64 \(truncated or corrupted\)/ },
    { name: 'base64 cut at a block boundary', line: () => 'ssh-ed25519 ' + pub('ed25519').split(' ')[1]!.slice(0, 64), message: /truncated Ed25519 public key, expected a ssh-ed25519 public key/ },
    { name: 'an ssh-rsa line with ed25519 data', line: () => 'ssh-rsa ' + pub('ed25519').split(' ')[1], message: /key type does not match the key data/ },
    { name: 'an RSA key of 1024 bits', line: () => pub('rsa1024'), message: /ssh-rsa key of 1024 bits; 2048 to 16384 bits are supported/ },
    { name: 'trailing bytes in the key data', line: () => 'ssh-ed25519 ' + Buffer.concat([Buffer.from(pub('ed25519').split(' ')[1]!, 'base64'), Buffer.from('xyz')]).toString('base64'), message: /trailing bytes/ },
  ];
  it.each(cases)('$name: ERR_INVALID_RECIPIENT, says what was expected, does not echo the input', ({ line, message }) => {
    const input = line();
    let err: unknown;
    try {
      parseSshRecipient(input);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ERR_INVALID_RECIPIENT' });
    const text = `${(err as Error).message}\n${(err as { hint?: string }).hint ?? ''}`;
    expect(text).toMatch(message);
    // No 12-character run of the input (its key data, a pasted secret) reappears in the message; a
    // known key type's name may.
    for (const token of input.split(/\s+/).filter((t) => !/^(ssh|ecdsa)-[a-z0-9-]+$/.test(t))) for (let i = 0; i + 12 <= token.length; i += 6) expect(text).not.toContain(token.slice(i, i + 12));
  });
});

describe('an ssh-ed25519 key that is not a point on the curve', () => {
  it('is refused with ERR_INVALID_RECIPIENT when a file is encrypted to it', async () => {
    // y = 2 has no x on edwards25519 (2 is not a square mod p in (y^2 - 1) / (d y^2 + 1)); the wire
    // structure is fine, so parsing accepts it and the conversion to Curve25519 must refuse it.
    const y = new Uint8Array(32);
    y[0] = 2;
    const blob = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), y]);
    const recipient = parseSshRecipient(`ssh-ed25519 ${blob.toString('base64')}`);
    await expect(encryptTo([recipient], 'x')).rejects.toMatchObject({ code: 'ERR_INVALID_RECIPIENT', message: expect.stringMatching(/not a valid Ed25519 point/) });
  });
});

describe('malformed identities', () => {
  const cases: { name: string; text: () => string; message: RegExp }[] = [
    { name: 'an ecdsa private key', text: () => readFileSync(join(dir, 'ecdsa'), 'utf8'), message: /unsupported key type ecdsa-sha2-nistp256, expected ssh-ed25519 or ssh-rsa/ },
    { name: 'a public key', text: () => pub('ed25519'), message: /is an SSH public key, not a private key/ },
    { name: 'not a key at all', text: () => 'hello\n', message: /no "-----BEGIN OPENSSH PRIVATE KEY-----" or PEM private key block/ },
    {
      name: 'a truncated OpenSSH key',
      text: () => {
        const lines = readFileSync(join(dir, 'ed25519'), 'utf8').trim().split('\n');
        return [...lines.slice(0, 3), lines.at(-1)!].join('\n');
      },
      message: /truncated|not valid base64/,
    },
  ];
  it.each(cases)('$name: ERR_INVALID_IDENTITY with a clear message', async ({ text, message }) => {
    const err = await sshIdentityFromFile(text(), { source: 'key.file' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_INVALID_IDENTITY' });
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain('key.file');
  });

  it('a corrupted stanza addressed to our key is an error, not a silent miss', async () => {
    const kind = KINDS[0]!;
    const id = await identity(kind);
    const [stanza] = stanzasOf(await encryptTo([parseSshRecipient(pub(kind.name))], 'x'));
    const body = Uint8Array.from(stanza!.body);
    body[0] ^= 1;
    await expect(id.unwrapFileKey([{ args: stanza!.args, body } as Stanza])).rejects.toMatchObject({ code: 'ERR_MALFORMED_AGE_FILE' });
    await expect(id.unwrapFileKey([{ args: stanza!.args.slice(0, 2), body } as Stanza])).rejects.toMatchObject({ code: 'ERR_MALFORMED_AGE_FILE' });
  });
});

/**
 * The SSH flow through the built CLI, where it goes beyond test/team.test.ts: rings that `age -R KEY.pub`
 * writes, passphrases typed on a real terminal, and a protected key that is not a recipient never being
 * asked for its passphrase.
 */
describe('end to end through the CLI with SSH identities', () => {
  const SECRET = 'ssh-flow-s3cret-value';
  let project: string;
  let fernetKey: string;

  /** A home whose ~/.ssh holds copies of the named test keys as id_ed25519 / id_rsa. */
  function home(name: string, keys: { ed25519?: string; rsa?: string }): string {
    const h = join(project, `home-${name}`);
    mkdirSync(join(h, '.ssh'), { recursive: true, mode: 0o700 });
    if (keys.ed25519) writeFileSync(join(h, '.ssh', 'id_ed25519'), readFileSync(join(dir, keys.ed25519)), { mode: 0o600 });
    if (keys.rsa) writeFileSync(join(h, '.ssh', 'id_rsa'), readFileSync(join(dir, keys.rsa)), { mode: 0o600 });
    return h;
  }

  beforeAll(() => {
    project = join(dir, 'project');
    mkdirSync(project);
    fernetKey = generateKey();
    writeFileSync(join(project, 'config.enc'), new Fernet(fernetKey).encrypt(JSON.stringify({ db: { password: SECRET } })) + '\n');
    writeFileSync(join(project, 'keys.txt'), fernetKey + '\n');
    // The ring as the age CLI writes it for an ssh-ed25519, a protected ssh-ed25519 and an ssh-rsa key.
    age(['-R', join(dir, 'ed25519.pub'), '-R', join(dir, 'ed25519-pass.pub'), '-R', join(dir, 'rsa2048.pub'), '-o', join(project, 'secret.key.age'), join(project, 'keys.txt')]);
  });

  it.each([
    { who: 'ssh-ed25519 at ~/.ssh/id_ed25519', keys: { ed25519: 'ed25519' } },
    { who: 'ssh-rsa at ~/.ssh/id_rsa', keys: { rsa: 'rsa2048' } },
    // A protected key that is not a recipient must be skipped without a prompt (there is no terminal here).
    { who: 'ssh-rsa, after a protected id_ed25519 that is not a recipient', keys: { ed25519: 'ed25519-pass-gcm', rsa: 'rsa2048' } },
  ])('a ring written by age -R opens with $who', ({ keys }) => {
    const r = runCli(['get', 'config.enc', 'db.password'], { cwd: project, env: { HOME: home(Object.values(keys).join('+'), keys) } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${SECRET}\n`);
  });

  it('--identity with a private key file opens it too', () => {
    const r = runCli(['get', 'config.enc', 'db.password', '--identity', join(dir, 'rsa2048')], { cwd: project, env: { HOME: join(project, 'nobody') } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${SECRET}\n`);
  });

  it('a protected key asks for its passphrase on a terminal and never echoes it', () => {
    const h = home('pass', { ed25519: 'ed25519-pass' });
    const r = runCliInPty(['get', 'config.enc', 'db.password'], { cwd: project, env: { HOME: h }, steps: [{ expect: 'passphrase for', send: `${PASS}\r` }], timeout: 40_000 });
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain(SECRET);
    expect(r.output).not.toContain(PASS);
  });

  // Ctrl-C cancels; Ctrl-D on an empty line ends the prompt's input. Neither is a damaged ring, and neither
  // may end the process with status 0 as if the command had run.
  it.each([
    ['Ctrl-C', '\x03', 'cancelled at the passphrase prompt'],
    ['Ctrl-D', '\x04', 'the input it was waiting for ended'],
  ])('%s at the passphrase prompt: ERR_ABORTED, exit 1, nothing done', (_, key, message) => {
    const h = home(`abort-${key.charCodeAt(0)}`, { ed25519: 'ed25519-pass' });
    for (const args of [['get', 'config.enc', 'db.password'], ['set', 'config.enc', 'db.aborted', '1']]) {
      const before = readFileSync(join(project, 'config.enc'));
      const r = runCliInPty(args, { cwd: project, env: { HOME: h }, steps: [{ expect: 'passphrase for', send: key }], timeout: 40_000 });
      expect(r.status, r.output).toBe(1);
      expect(r.output).toContain('[ERR_ABORTED]');
      expect(r.output).toContain(message);
      expect(r.output).not.toContain('ERR_RING_UNREADABLE');
      expect(r.output).not.toContain(SECRET);
      expect(readFileSync(join(project, 'config.enc'))).toEqual(before);
    }
  });

  it('a wrong passphrase on a terminal fails with ERR_WRONG_PASSPHRASE, without echoing what was typed', () => {
    const h = home('wrong', { ed25519: 'ed25519-pass' });
    const typed = 'not-the-passphrase';
    // Answered wrong however often it is asked (a CLI may offer a retry or two); it must end in the error.
    const steps = Array.from({ length: 3 }, () => ({ expect: 'passphrase for', send: `${typed}\r` }));
    const r = runCliInPty(['get', 'config.enc', 'db.password'], { cwd: project, env: { HOME: h }, steps, timeout: 40_000 });
    expect(r.status).toBe(1);
    expect(r.output).toContain('ERR_WRONG_PASSPHRASE');
    expect(r.output).not.toContain(typed);
    expect(r.output).not.toContain(SECRET);
  });
});
