/**
 * The command line's own surface through the built CLI: help that fits 80 columns, the program named as
 * invoked, hidden plumbing, every usage-error path in the one documented shape (exit 2, no echo of a
 * value), and `run` with a value too large for the environment.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { CLI, makeKeyFile, runCli, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-usage-');
const SECRET = '-Xk9SECRET-value';

/** The one documented shape: a first line `fernet-config: <message> [ERR_USAGE]`, then at most one hint. */
const SHAPE = /^fernet-config: [^\n]+ \[ERR_USAGE\]\n(  hint: [^\n]+\n)?$/;

describe('usage errors', () => {
  // [what, argv, the message, the hint (a fragment; undefined: no hint line)]
  const CASES: [string, string[], string, string | undefined][] = [
    ['unknown command, with a suggestion', ['gte', 'c.enc'], "unknown command 'gte'", 'did you mean `fernet-config get`?'],
    ['unknown command, nothing close', ['frobnicate'], "unknown command 'frobnicate'", '`fernet-config --help` lists the commands'],
    ['unknown command that may be a value', [SECRET.slice(1)], 'unknown command (not shown', 'lists the commands'],
    ['unknown subcommand', ['keys', 'prne'], "unknown command 'prne'", 'did you mean `fernet-config keys prune`?'],
    ['no command', [], 'missing command', '`fernet-config --help` lists the commands'],
    ['help for an unknown command', ['help', 'nope'], "unknown command 'nope'", '`fernet-config --help` lists the commands'],
    ['help for a mistyped command', ['help', 'gte'], "unknown command 'gte'", 'did you mean `fernet-config get`?'],
    ['help for a word that may be a value', ['help', SECRET.slice(1)], 'unknown command (not shown', 'lists the commands'],
    ['no subcommand', ['keys'], 'missing command', '`fernet-config keys --help`'],
    ['unknown option, with a suggestion', ['get', 'c.enc', 'a', '--jsno'], "unknown option '--jsno'", 'did you mean --json?'],
    ['unknown option, nothing close', ['get', 'c.enc', 'a', '--frobnicate'], "unknown option '--frobnicate'", 'see `fernet-config get --help`'],
    ['unknown global option', ['--frobnicate'], "unknown option '--frobnicate'", 'see `fernet-config --help`'],
    ['a command\'s option before the command', ['--key-file', 'k', 'get', 'c.enc', 'a'], "unknown option '--key-file'", 'options go after the command: `fernet-config get ... --key-file` (--key-file is an option of encrypt, decrypt, get, set, unset, validate, …)'],
    ['a value taken for an option', ['set', 'c.enc', 'db.password', SECRET], 'unknown option (not shown: it may be a value)', '`fernet-config set <config> <path> -- <value>`'],
    ['an option with a value attached', ['get', 'c.enc', 'db.password', `--bogus=${SECRET}`], "unknown option '--bogus'", 'goes after --'],
    ['set: a value shaped like an option', ['set', 'c.enc', 'db.password', '--hunter2'], 'unknown option (not shown: it may be a value)', '-- <value>'],
    ['set: a near miss of an option is shown', ['set', 'c.enc', 'db.password', 'x', '--strng'], "unknown option '--strng'", 'did you mean --string?'],
    ['a value taken for an option (other command)', ['get', 'c.enc', SECRET], 'unknown option (not shown: it may be a value)', 'goes after --'],
    ['run without -- before the program', ['run', 'c.enc', 'sh', '-c', 'echo hi'], "unknown option '-c'", 'put -- before the program'],
    ['run, a mistyped option of ours', ['run', 'c.enc', '--prefx', 'X_', '--', 'env'], "unknown option '--prefx'", 'did you mean --prefix?'],
    ['missing argument', ['get', 'c.enc'], "missing required argument 'path'", 'see `fernet-config get --help`'],
    ['excess arguments', ['get', 'c.enc', 'a', 'b'], "too many arguments for 'get' (expected 2, got 3)", 'see `fernet-config get --help`'],
    ['option without its argument', ['decrypt', 'c.enc', '--key-file'], "option '-k, --key-file <path>' argument missing", 'see `fernet-config decrypt --help`'],
    ['required option missing', ['validate', 'c.enc'], "required option '--schema <file>' not specified", 'see `fernet-config validate --help`'],
    ['invalid option argument', ['decrypt', 'c.enc', '--ttl', SECRET.slice(1)], "option '--ttl <seconds>': expected a non-negative number of seconds", 'see'],
    ['invalid option argument (subcommand)', ['keys', 'prune', 'k', '--keep', 'x9SECRET'], "option '--keep <n>': expected a whole number, at least 1", 'see `fernet-config keys prune --help`'],
    ['a conflict found by a command', ['edit', 'c.enc', '--resume', '--discard-draft'], 'give --resume or --discard-draft, not both', undefined],
    ['set, VALUE and --stdin', ['set', 'c.enc', 'p', '--stdin', 'x9SECRET'], 'give VALUE or --stdin, not both', '--stdin reads the value from standard input'],
  ];

  it.each(CASES)('%s', (_what, argv, message, hint) => {
    const r = runCli(argv, { cwd: fresh() });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(SHAPE);
    expect(r.stderr.split('\n')[0]).toContain(message);
    if (hint === undefined) expect(r.stderr).not.toContain('hint:');
    else expect(r.stderr.split('\n')[1]).toContain(hint);
    // Nothing the user typed as a value comes back: not the secret, nor the rejected option argument.
    expect(r.stderr).not.toContain('Xk9SECRET');
    expect(r.stderr).not.toContain('x9SECRET');
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stderr).not.toMatch(/\n {4}at /); // no stack trace
  });

  it('no stack trace with --debug either', () => {
    const r = runCli(['--debug', 'gte'], { cwd: fresh() });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(SHAPE);
  });

  it('set stores a value that starts with "-" when it comes after --', () => {
    const d = fresh();
    const { keys } = makeKeyFile(d);
    const r = runCli(['set', 'c.enc', 'db.password', '--', SECRET], { cwd: d });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain(SECRET);
    const got = runCli(['get', 'c.enc', 'db.password'], { cwd: d });
    expect(got.stdout).toBe(`${SECRET}\n`);
    expect(JSON.parse(new Fernet(keys[0]!).decryptText(readFileSync(join(d, 'c.enc'), 'utf8').trim()))).toEqual({ db: { password: SECRET } });
  });
});

describe('help', () => {
  const COMMANDS = [[], ['keygen'], ['encrypt'], ['decrypt'], ['get'], ['set'], ['unset'], ['validate'], ['edit'], ['compile-schema'], ['rotate'], ['keys'], ['keys', 'list'], ['keys', 'prune'], ['status'], ['run'], ['git-setup'], ['textconv'], ['merge-driver'], ['check'], ['scan'], ['recipients'], ['recipients', 'add'], ['recipients', 'list'], ['recipients', 'remove'], ['identity'], ['identity', 'new']];

  it.each(COMMANDS.map((c) => [c.join(' ') || '(program)', c] as const))('%s --help fits 80 columns', (_name, words) => {
    const r = runCli([...words, '--help'], { cwd: fresh(), env: { COLUMNS: '200' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: fernet-config /);
    const long = r.stdout.split('\n').filter((line) => line.length > 80);
    expect(long).toEqual([]);
  });

  it('lists user commands with one-line summaries, hides the git plumbing, which still works', () => {
    const d = fresh();
    const r = runCli(['--help'], { cwd: d });
    const listed = [...r.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]);
    expect(listed).toEqual(expect.arrayContaining(['keygen', 'get', 'set', 'edit', 'run', 'git-setup', 'check', 'scan']));
    expect(listed).not.toContain('textconv');
    expect(listed).not.toContain('merge-driver');
    const setup = runCli(['git-setup', '--help'], { cwd: d });
    expect(setup.stdout).toContain('textconv <file>');
    expect(setup.stdout).toContain('merge-driver <base> <ours> <theirs> <path>');
    // Still a command: a plain file passes through textconv unchanged.
    writeFileSync(join(d, 'plain.txt'), 'not encrypted\n');
    const tc = runCli(['textconv', 'plain.txt'], { cwd: d });
    expect(tc.status).toBe(0);
    expect(tc.stdout).toBe('not encrypted\n');
  });

  it('names the program as invoked', () => {
    const d = fresh();
    symlinkSync(CLI, join(d, 'fcfg'));
    const help = spawnSync(process.execPath, [join(d, 'fcfg'), 'get', '--help'], { cwd: d, encoding: 'utf8' });
    expect(help.stdout).toMatch(/^Usage: fcfg get \[options\] <config> <path>/);
    const wrong = spawnSync(process.execPath, [join(d, 'fcfg'), 'gte'], { cwd: d, encoding: 'utf8' });
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toBe("fernet-config: unknown command 'gte' [ERR_USAGE]\n  hint: did you mean `fcfg get`?\n");
    const helpWrong = spawnSync(process.execPath, [join(d, 'fcfg'), 'help', 'gte'], { cwd: d, encoding: 'utf8' });
    expect(helpWrong.status).toBe(2);
    expect(helpWrong.stderr).toBe(wrong.stderr);
    // Command lines inside help texts too (wrapped at any space).
    const words = (args: string[]) => spawnSync(process.execPath, [join(d, 'fcfg'), ...args], { cwd: d, encoding: 'utf8' }).stdout.replace(/\s+/g, ' ');
    expect(words(['set', '--help'])).toContain('goes after --: fcfg set <config> <path> -- <value>');
    expect(words(['check', '--help'])).toContain('also run `fcfg scan --staged`');
  });
});

describe('run: a value too large for the environment', () => {
  function seeded(value: unknown): string {
    const d = fresh();
    const { keys } = makeKeyFile(d);
    writeFileSync(join(d, 'c.enc'), new Fernet(keys[0]!).encrypt(JSON.stringify(value)) + '\n', { mode: 0o600 });
    return d;
  }

  it.runIf(process.platform === 'linux')('one 300 KB value: ERR_ENV_EXPORT names the variable and its size, never the value', () => {
    const big = 'v'.repeat(300_000);
    const d = seeded({ blob: big, small: 'x' });
    const r = runCli(['run', 'c.enc', '--', process.execPath, '-e', 'process.stdout.write("ran")'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('fernet-config: APP_BLOB is too large for the environment (300010 bytes; the system limit for one variable is 131072 bytes) [ERR_ENV_EXPORT]');
    expect(r.stderr).not.toContain('vvvv');
    expect(r.stderr).not.toContain('ERR_INTERNAL');
  });

  it('many values that together exceed the limit: E2BIG becomes ERR_ENV_EXPORT naming the largest', () => {
    // 40 values of 100 KB: each under the per-variable limit, 4 MB together (over the usual 2 MB).
    const value: Record<string, string> = {};
    for (let i = 0; i < 40; i++) value[`k${i}`] = String(i % 10).repeat(100_000 + i);
    const d = seeded(value);
    const r = runCli(['run', 'c.enc', '--', process.execPath, '-e', '0'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^fernet-config: APP_K39 is too large for the environment \(100048 bytes; the config's variables take \d+ bytes, more than the system allows in all\) \[ERR_ENV_EXPORT\]\n/);
    expect(r.stderr).not.toContain('999999');
  });
});
