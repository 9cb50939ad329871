import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidToken } from '../src/errors.js';
import { Fernet } from '../src/fernet/fernet.js';
import { MultiFernet } from '../src/fernet/multi.js';
import { runCli, useTempDirs } from './helpers/cli.js';
import { runPythonJson } from './helpers/python.js';

const fresh = useTempDirs('fcfg-pysem-');

/**
 * Python writes everything in the directory: a key ring whose first key is a near miss of the right one
 * (same signing half, another encryption half: a typo in the key's last characters), a ring holding only
 * that near miss, a config encrypted with the right key, and the same token wrapped, with BOMs, as a
 * bytes repr, and dated 100 years ahead. It also records what Python's MultiFernet makes of the ring.
 */
function pythonFiles(dir: string) {
  return runPythonJson<{ right: string; near: string; multi: string; nearOnly: string }>(
    `
import base64, json, os, sys, time, textwrap
from cryptography.fernet import Fernet, MultiFernet, InvalidToken
d = json.load(sys.stdin)['dir']
right = Fernet.generate_key()
raw = base64.urlsafe_b64decode(right)
near = base64.urlsafe_b64encode(raw[:16] + bytes(b ^ 0x5a for b in raw[16:]))
def write(name, data, mode=0o600):
    with open(os.path.join(d, name), 'wb') as f: f.write(data)
    os.chmod(os.path.join(d, name), mode)
write('ring.key', near + b'\\n' + right + b'\\n')
write('near.key', near + b'\\n')
write('secret.key', right + b'\\n')
token = Fernet(right).encrypt(b'{"a": "python"}')
write('config.enc', token + b'\\n')
s = token.decode()
write('wrapped.enc', '\\n'.join(textwrap.wrap(s, 76)).encode() + b'\\n')
write('wrapped-crlf.enc', '\\r\\n'.join(textwrap.wrap(s, 76)).encode() + b'\\r\\n')
with open(os.path.join(d, 'bom.enc'), 'w', encoding='utf-8-sig') as f: f.write(s + '\\n')
write('bom-inside.enc', token[:40] + b'\\xef\\xbb\\xbf' + token[40:])
write('spaced.enc', b'  ' + token[:10] + b' \\t ' + token[10:] + b'\\n\\n')
with open(os.path.join(d, 'repr.enc'), 'w') as f: f.write(str(token))
with open(os.path.join(d, 'repr.key'), 'w') as f: f.write(str(right))
os.chmod(os.path.join(d, 'repr.key'), 0o600)
write('future.enc', Fernet(right).encrypt_at_time(b'{"a": 1}', int(time.time()) + 100 * 365 * 86400) + b'\\n')
# What Python itself does with each file, read as bytes.
for name in ['wrapped.enc', 'wrapped-crlf.enc', 'bom.enc', 'bom-inside.enc', 'spaced.enc']:
    with open(os.path.join(d, name), 'rb') as f: assert Fernet(right).decrypt(f.read()) == b'{"a": "python"}', name
multi = MultiFernet([Fernet(near), Fernet(right)]).decrypt(token).decode()
try:
    Fernet(near).decrypt(token); near_only = 'opened'
except InvalidToken:
    near_only = 'InvalidToken'
json.dump({'right': right.decode(), 'near': near.decode(), 'multi': multi, 'nearOnly': near_only}, sys.stdout)
`,
    { dir },
  );
}

// Python runs once; each test reads its own files (the ones a test rewrites are not read by another).
let d = '';
let py: ReturnType<typeof pythonFiles>;
beforeAll(() => {
  d = fresh();
  py = pythonFiles(d);
});

describe("the ring tries every key, as Python's MultiFernet does", () => {
  it('a near-miss first key (same signing half) does not stop the search; alone it is ERR_WRONG_KEY', () => {
    expect(py.multi).toBe('{"a": "python"}');
    expect(py.nearOnly).toBe('InvalidToken');
    const r = runCli(['get', 'config.enc', 'a', '--key-file', 'ring.key'], { cwd: d });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('python\n');
    const status = runCli(['status', 'config.enc', '--key-file', 'ring.key'], { cwd: d });
    expect(status.stdout).toContain('#1 of 2');
    const alone = runCli(['get', 'config.enc', 'a', '--key-file', 'near.key'], { cwd: d });
    expect(alone.status).toBe(1);
    expect(alone.stderr).toContain('[ERR_WRONG_KEY]');
    expect(alone.stderr).not.toContain(py.near);
  });

  it('MultiFernet in the library: decrypt, indexOf, rotate and extractTimestamp skip the near miss', () => {
    const { right, near } = py;
    const token = readFileSync(join(d, 'config.enc'), 'utf8').trim();
    const ring = new MultiFernet([new Fernet(near), new Fernet(right)]);
    expect(ring.decryptText(token)).toBe('{"a": "python"}');
    expect(ring.indexOf(token)).toBe(1);
    expect(ring.extractTimestamp(token)).toBe(new Fernet(right).extractTimestamp(token));
    expect(new Fernet(near).decryptText(ring.rotate(token))).toBe('{"a": "python"}');
    expect(() => new MultiFernet([new Fernet(near)]).decrypt(token)).toThrow(InvalidToken);
    expect(new MultiFernet([new Fernet(near)]).indexOf(token)).toBe(-1);
  });
});

describe('tokens are read as Python reads them', () => {
  const files = ['wrapped.enc', 'wrapped-crlf.enc', 'bom.enc', 'bom-inside.enc', 'spaced.enc'];
  it.each(files)('%s (written by Python) opens, and set rewrites it as one line', (name) => {
    expect(runCli(['get', name, 'a'], { cwd: d }).stdout).toBe('python\n');
    const r = runCli(['set', name, 'b', '2'], { cwd: d });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(d, name), 'utf8')).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*\n$/);
    expect(runCli(['get', name, 'a'], { cwd: d }).stdout).toBe('python\n');
  });
});

describe('hints reach the user, never the secret', () => {
  it("a config holding Python's str(token) says so", () => {
    const token = readFileSync(join(d, 'config.enc'), 'utf8').trim();
    const r = runCli(['get', 'repr.enc', 'a'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("holds Python's bytes repr of a token (b'...')");
    expect(r.stderr).toContain('str(token)');
    expect(r.stderr).toContain('[ERR_MALFORMED_FILE]');
    expect(r.stderr).not.toContain(token.slice(0, 20));
  });

  it("a key file holding Python's str(key) says so", () => {
    const { right } = py;
    const r = runCli(['get', 'config.enc', 'a', '--key-file', 'repr.key'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("holds Python's bytes repr of a key (b'...')");
    expect(r.stderr).toContain('str(key)');
    expect(r.stderr).toContain('[ERR_INVALID_KEY]');
    expect(r.stderr).not.toContain(right.slice(0, 12));
  });

  it('a key in the standard base64 alphabet gets the specific diagnosis, from a file and from --key', () => {
    // A url-safe key with - or _ in it, spelled in the standard alphabet.
    let key = '';
    while (!/[-_]/.test(key)) key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url') + '=';
    const standard = key.replace(/-/g, '+').replace(/_/g, '/');
    writeFileSync(join(d, 'std.key'), standard + '\n', { mode: 0o600 });
    for (const args of [['--key-file', 'std.key'], ['--key', standard]]) {
      const r = runCli(['get', 'config.enc', 'a', ...args], { cwd: d });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('standard base64 alphabet');
      expect(r.stderr).toContain('replace "+" with "-"');
      expect(r.stderr).not.toContain(standard.slice(0, 12));
    }
  });
});

describe('--max-age flags tokens dated ahead of the clock', () => {
  it('a token 100 years in the future fails status --max-age and check --max-age', () => {
    const plain = runCli(['status', 'future.enc'], { cwd: d });
    expect(plain.status).toBe(0);
    expect(plain.stdout).toContain('in the future');
    const status = runCli(['status', 'future.enc', '--max-age', '30'], { cwd: d });
    expect(status.status).toBe(1);
    expect(status.stderr).toContain('in the future, beyond the 60 s allowed clock skew');
    expect(status.stderr).toContain('[ERR_TOKEN_EXPIRED]');
    const check = runCli(['check', 'future.enc', '--max-age', '30'], { cwd: d });
    expect(check.status).toBe(1);
    expect(check.stdout + check.stderr).toContain('in the future');
    // A token from now is fine.
    expect(runCli(['status', 'config.enc', '--max-age', '30'], { cwd: d }).status).toBe(0);
  });
});
