import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv, makeKeyFile, runCli, useTempDirs } from './helpers/cli.js';
import { runPython } from './helpers/python.js';

// Issue 11, end to end through the built CLI: values come out exactly as they went in, writers refuse
// what they cannot keep, and files Python wrote stay Python's.

const newDir = useTempDirs('fcfg-exact-');

/** Runs the CLI with raw bytes on stdin (runCli's input is text). */
function runWithBytes(args: string[], cwd: string, input: Uint8Array) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env: cleanEnv(), input, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Python encrypts `plaintext` (bytes given as latin-1 text in a JSON string) with the key in secret.key. */
function pythonEncrypt(dir: string, file: string, plaintextExpr: string): void {
  runPython(`import json, os
from cryptography.fernet import Fernet
os.chdir(${JSON.stringify(dir)})
key = open('secret.key', 'rb').read().split()[0]
data = ${plaintextExpr}
open(${JSON.stringify(file)}, 'wb').write(Fernet(key).encrypt(data if isinstance(data, bytes) else data.encode()) + b'\\n')`);
}

function pythonDecrypt(dir: string, file: string): string {
  return runPython(`import os, sys
from cryptography.fernet import Fernet
os.chdir(${JSON.stringify(dir)})
key = open('secret.key', 'rb').read().split()[0]
sys.stdout.write(Fernet(key).decrypt(open(${JSON.stringify(file)}, 'rb').read()).decode())`);
}

// Literals a double cannot keep as written, by key.
const LITERALS: [key: string, literal: string][] = [
  ['big', '12345678901234567891'],
  ['negzero', '-0'],
  ['huge', '1e400'],
  ['trailing', '1.50'],
  ['exp', '1E+2'],
  ['wide', '100000000000000000000000'],
];

describe('numbers as written', () => {
  it('set stores each literal exactly; get, get --json, decrypt, decrypt --redact and run print it', () => {
    const d = newDir();
    makeKeyFile(d);
    expect(runCli(['set', 'c.enc', 'secret', 'hunter2'], { cwd: d }).status).toBe(0);
    for (const [key, literal] of LITERALS) {
      const r = runCli(['set', 'c.enc', key, literal], { cwd: d });
      expect(r.stderr).toBe(`set ${key} in c.enc\n`);
      expect(r.status).toBe(0);
    }
    for (const [key, literal] of LITERALS) {
      expect(runCli(['get', 'c.enc', key], { cwd: d }).stdout).toBe(literal + '\n');
    }
    // --json prints a number the same way; two spellings are enough to show it does not re-print.
    for (const [key, literal] of LITERALS.slice(0, 2)) expect(runCli(['get', 'c.enc', key, '--json'], { cwd: d }).stdout).toBe(literal + '\n');
    const plain = runCli(['decrypt', 'c.enc'], { cwd: d }).stdout;
    expect(plain).toBe(`{\n  "secret": "hunter2",\n${LITERALS.map(([k, l]) => `  "${k}": ${l}`).join(',\n')}\n}\n`);

    writeFileSync(join(d, 'schema.json'), JSON.stringify({ type: 'object', properties: { secret: { type: 'string', sensitive: true } } }));
    const redacted = runCli(['decrypt', 'c.enc', '--redact', '--schema', 'schema.json'], { cwd: d });
    expect(redacted.stdout).toBe(`{\n  "secret": "[redacted]",\n${LITERALS.map(([k, l]) => `  "${k}": ${l}`).join(',\n')}\n}\n`);
    expect(runCli(['get', 'c.enc', 'secret', '--redact', '--schema', 'schema.json'], { cwd: d }).stdout).toBe('[redacted]\n');

    writeFileSync(join(d, 'dump.cjs'), `process.stdout.write(JSON.stringify(${JSON.stringify(LITERALS.map(([k]) => 'APP_' + k.toUpperCase()))}.map((n) => process.env[n])))`);
    const run = runCli(['run', 'c.enc', '--prefix', 'APP_', '--', process.execPath, 'dump.cjs'], { cwd: d });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(LITERALS.map(([, l]) => l));
  });

  it('objects and arrays are stored as typed and printed with their literals', () => {
    const d = newDir();
    makeKeyFile(d);
    expect(runCli(['set', 'c.enc', 'o', '{"n": [1.50, 12345678901234567891], "s": "a\\u0041"}'], { cwd: d }).status).toBe(0);
    expect(runCli(['decrypt', 'c.enc'], { cwd: d }).stdout).toBe('{\n  "o": {"n": [1.50, 12345678901234567891], "s": "a\\u0041"}\n}\n');
    expect(runCli(['get', 'c.enc', 'o'], { cwd: d }).stdout).toBe('{\n  "n": [\n    1.50,\n    12345678901234567891\n  ],\n  "s": "a\\u0041"\n}\n');
    expect(runCli(['get', 'c.enc', 'o.s'], { cwd: d }).stdout).toBe('aA\n');
    expect(runCli(['get', 'c.enc', 'o.s', '--json'], { cwd: d }).stdout).toBe('"a\\u0041"\n');
    // The same literal again is no change.
    expect(runCli(['set', 'c.enc', 'o.n.0', '1.50'], { cwd: d }).stderr).toBe('o.n.0 already has that value; c.enc unchanged\n');
  });
});

describe('set: a VALUE that looks like JSON but is not', () => {
  it.each([['{"a":[1}'], ['{"z": HUNTER2VAL}'], ['"broken']])('%j exits 1 (ERR_INVALID_JSON), stores nothing, never echoes it; --string stores it as text', (value) => {
    const d = newDir();
    makeKeyFile(d);
    expect(runCli(['set', 'c.enc', 'keep', '1'], { cwd: d }).status).toBe(0);
    const r = runCli(['set', 'c.enc', 'j', value], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the value is not valid JSON: .* at line 1, column \d+ \[ERR_INVALID_JSON\]/);
    expect(r.stderr).toContain('pass --string (-s) to store VALUE as text');
    expect(r.stderr + r.stdout).not.toContain(value);
    expect(r.stderr + r.stdout).not.toContain('HUNTER2VAL');
    expect(runCli(['decrypt', 'c.enc'], { cwd: d }).stdout).toBe('{\n  "keep": 1\n}\n');
    expect(runCli(['set', 'c.enc', 'j', '--string', value], { cwd: d }).status).toBe(0);
    expect(runCli(['get', 'c.enc', 'j'], { cwd: d }).stdout).toBe(`${value}\n`);
  });
});

describe('files Python wrote', () => {
  it('a one-line file stays one line and readable by Python after set and unset', () => {
    const d = newDir();
    makeKeyFile(d);
    pythonEncrypt(d, 'c.enc', `json.dumps({"name": "app", "port": 8080, "db": {"host": "h", "pool": 5}, "ratio": 1.5})`);
    expect(runCli(['set', 'c.enc', 'db.id', '12345678901234567891'], { cwd: d }).status).toBe(0);
    expect(runCli(['set', 'c.enc', 'port', '8081'], { cwd: d }).status).toBe(0);
    expect(runCli(['unset', 'c.enc', 'name'], { cwd: d }).status).toBe(0);
    const text = pythonDecrypt(d, 'c.enc');
    expect(text).toBe('{"port": 8081, "db": {"host": "h", "pool": 5, "id": 12345678901234567891}, "ratio": 1.5}');
    const loaded = runPython(`import json, sys; v = json.loads(sys.stdin.read()); print(v["db"]["id"], v["port"])`, text);
    expect(loaded).toBe('12345678901234567891 8081\n');
  });

  const duplicates = `'{' + ', '.join(json.dumps(k) + ': ' + json.dumps(v) for k, v in [("p", "first"), ("q", 1), ("p", "second")]) + '}'`;

  it('a duplicate key: reading warns and uses the last, like Python; set and unset refuse, file unchanged', () => {
    const d = newDir();
    makeKeyFile(d);
    pythonEncrypt(d, 'c.enc', duplicates);
    const before = readFileSync(join(d, 'c.enc'));
    const warning = 'fernet-config: warning: c.enc has the key p more than once (repeated at line 1, column 24); the last one is used, as Python and JSON.parse do\n';

    const get = runCli(['get', 'c.enc', 'p'], { cwd: d });
    expect(get).toMatchObject({ status: 0, stdout: 'second\n', stderr: warning });
    expect(runPython(`import json, sys; print(json.loads(sys.stdin.read())["p"])`, pythonDecrypt(d, 'c.enc'))).toBe('second\n');
    const decrypt = runCli(['decrypt', 'c.enc'], { cwd: d });
    expect(decrypt).toMatchObject({ status: 0, stdout: '{"p": "first", "q": 1, "p": "second"}\n', stderr: warning });
    const run = runCli(['run', 'c.enc', '--', process.execPath, '-e', 'process.stdout.write(process.env.APP_P)'], { cwd: d });
    expect(run).toMatchObject({ status: 0, stdout: 'second', stderr: warning });

    for (const args of [
      ['set', 'c.enc', 'p', 'third'],
      ['set', 'c.enc', 'q', '2'],
      ['unset', 'c.enc', 'p'],
    ]) {
      const r = runCli(args, { cwd: d });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^fernet-config: c\.enc has the key p twice: repeated at line 1, column 24 \[ERR_DUPLICATE_KEY\]\n {2}hint: /);
      expect(r.stderr).not.toMatch(/first|second/);
      expect(readFileSync(join(d, 'c.enc')).equals(before)).toBe(true);
    }
    expect(runCli(['get', 'c.enc', 'p'], { cwd: d }).stdout).toBe('second\n');
  });

  it('encrypt refuses a plaintext with a duplicate key and writes nothing', () => {
    const d = newDir();
    makeKeyFile(d);
    runPython(`import json, os
os.chdir(${JSON.stringify(d)})
open('c.json', 'w').write(${duplicates})`);
    for (const [args, input] of [
      [['encrypt', 'c.json'], undefined],
      [['encrypt', '-', '-o', 'c.enc'], readFileSync(join(d, 'c.json'), 'utf8')],
    ] as const) {
      const r = runCli([...args], { cwd: d, ...(input === undefined ? {} : { input }) });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/has the key p twice: repeated at line 1, column 24 \[ERR_DUPLICATE_KEY\]/);
      expect(existsSync(join(d, 'c.enc'))).toBe(false);
    }
  });

  it("NaN and Infinity from Python's json.dumps are named, with their position", () => {
    const d = newDir();
    makeKeyFile(d);
    runPython(`import json, os
os.chdir(${JSON.stringify(d)})
open('c.json', 'w').write(json.dumps({"a": 1, "b": float("nan")}))`);
    const r = runCli(['encrypt', 'c.json'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^fernet-config: c\.json is not valid JSON: NaN is not JSON \(Python's json\.dumps writes it for a non-finite float unless allow_nan=False\) at line 1, column 15 \[ERR_INVALID_JSON\]\n/);
    pythonEncrypt(d, 'c.enc', `json.dumps([float("inf")])`);
    expect(runCli(['get', 'c.enc', '0'], { cwd: d }).stderr).toMatch(/Infinity is not JSON .* at line 1, column 2 \[ERR_INVALID_JSON\]/);
  });
});

describe('input bytes', () => {
  const latin1 = Uint8Array.from([...Buffer.from('{"pw": "p'), 0xe4, ...Buffer.from('ss"}')]);

  it('encrypt (file and stdin) refuses text that is not UTF-8, with the byte offset', () => {
    const d = newDir();
    makeKeyFile(d);
    writeFileSync(join(d, 'c.json'), latin1);
    const file = runCli(['encrypt', 'c.json'], { cwd: d });
    expect(file.status).toBe(1);
    expect(file.stderr).toMatch(/^fernet-config: c\.json is not UTF-8 text: invalid byte sequence at byte offset 9 \[ERR_INVALID_UTF8\]\n/);
    expect(existsSync(join(d, 'c.enc'))).toBe(false);
    const stdin = runWithBytes(['encrypt', '-', '-o', 'c.enc'], d, latin1);
    expect(stdin.status).toBe(1);
    expect(stdin.stderr).toMatch(/standard input is not UTF-8 text: invalid byte sequence at byte offset 9 \[ERR_INVALID_UTF8\]/);
    expect(existsSync(join(d, 'c.enc'))).toBe(false);
  });

  it('set --stdin refuses a value that is not UTF-8 and leaves the file alone', () => {
    const d = newDir();
    makeKeyFile(d);
    expect(runCli(['set', 'c.enc', 'pw', 'old'], { cwd: d }).status).toBe(0);
    const before = readFileSync(join(d, 'c.enc'));
    const r = runWithBytes(['set', 'c.enc', 'pw', '--stdin'], d, Uint8Array.from([0x70, 0xe4, 0x73, 0x73, 0xff]));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^fernet-config: standard input is not UTF-8 text: invalid byte sequence at byte offset 1 \[ERR_INVALID_UTF8\]\n/);
    expect(readFileSync(join(d, 'c.enc')).equals(before)).toBe(true);
    expect(runWithBytes(['set', 'c.enc', 'pw', '--stdin'], d, Buffer.from('pässwörd\n')).status).toBe(0);
    expect(runCli(['get', 'c.enc', 'pw'], { cwd: d }).stdout).toBe('pässwörd\n');
  });

  it('decrypt --raw writes plaintext bytes as they are, which the UTF-8 hint points to', () => {
    const d = newDir();
    makeKeyFile(d);
    pythonEncrypt(d, 'c.enc', `b'p\\xe4ss\\xff'`);
    const plain = runCli(['decrypt', 'c.enc'], { cwd: d });
    expect(plain.status).toBe(1);
    expect(plain.stderr).toMatch(/decrypts to data that is not UTF-8 text \[ERR_MALFORMED_FILE\]\n {2}hint: .*decrypt it with --raw/);
    expect(runCli(['decrypt', 'c.enc', '--raw', '-o', 'out.bin'], { cwd: d }).status).toBe(0);
    expect([...readFileSync(join(d, 'out.bin'))]).toEqual([0x70, 0xe4, 0x73, 0x73, 0xff]);
    const stdout = spawnSync(process.execPath, [CLI, 'decrypt', 'c.enc', '--raw'], { cwd: d, env: cleanEnv() });
    expect([...stdout.stdout]).toEqual([0x70, 0xe4, 0x73, 0x73, 0xff]);
    expect(runCli(['decrypt', 'c.enc', '--raw', '--redact', '--schema', 'x.json'], { cwd: d }).status).toBe(2);
  });
});

describe('deep nesting', () => {
  const deep = `'[' * 100000 + ']' * 100000`;

  it('gives ERR_INVALID_JSON, never ERR_INTERNAL, in encrypt, get and set', () => {
    const d = newDir();
    makeKeyFile(d);
    runPython(`import os
os.chdir(${JSON.stringify(d)})
open('deep.json', 'w').write(${deep})`);
    const tooDeep = /is not valid JSON: nested deeper than 1000 levels at line 1, column 1001 \[ERR_INVALID_JSON\]/;
    expect(runCli(['encrypt', 'deep.json'], { cwd: d })).toMatchObject({ status: 1, stderr: expect.stringMatching(tooDeep) as string });
    pythonEncrypt(d, 'c.enc', deep);
    for (const args of [['get', 'c.enc', '0'], ['set', 'c.enc', '0', '1'], ['decrypt', 'c.enc']]) {
      expect(runCli(args, { cwd: d })).toMatchObject({ status: 1, stderr: expect.stringMatching(tooDeep) as string });
    }
    // A set that would make a document too deep is refused at write time, file unchanged.
    pythonEncrypt(d, 'ok.enc', `'{"a": ' + '[' * 999 + ']' * 999 + '}'`);
    const before = readFileSync(join(d, 'ok.enc'));
    const r = runCli(['set', 'ok.enc', ['a', ...Array<string>(999).fill('0')].join('.'), '[1]'], { cwd: d });
    expect(r).toMatchObject({
      status: 1,
      stderr: 'fernet-config: ok.enc is not valid JSON: nested deeper than 1000 levels at line 1, column 1006 [ERR_INVALID_JSON]\n  hint: a config nests at most 1000 levels: flatten the deepest part\n',
    });
    expect(readFileSync(join(d, 'ok.enc')).equals(before)).toBe(true);
    // A VALUE too deep is refused as JSON, not stored as a string.
    const value = runCli(['set', 'ok.enc', 'b', '--stdin'], { cwd: d, input: '['.repeat(5000) + ']'.repeat(5000) });
    expect(value).toMatchObject({ status: 1, stderr: expect.stringMatching(/nested deeper than 1000 levels/) as string });
  });
});

describe('paths that are not there', () => {
  it('suggests a near key and says how to append to an array', () => {
    const d = newDir();
    makeKeyFile(d);
    expect(runCli(['set', 'c.enc', 'app', '{"name": "x", "features": [1, 2, 3]}'], { cwd: d }).status).toBe(0);
    expect(runCli(['get', 'c.enc', 'app.nmae'], { cwd: d }).stderr).toBe('fernet-config: app.nmae is not set [ERR_PATH_NOT_FOUND]\n  hint: did you mean app.name?\n');
    expect(runCli(['set', 'c.enc', 'app.features.10', 'x'], { cwd: d }).stderr).toBe(
      'fernet-config: app.features is an array of 3 items: index 10 is past its end [ERR_INVALID_PATH]\n  hint: use app.features.3 to append\n',
    );
  });
});
