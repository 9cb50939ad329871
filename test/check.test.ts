import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { CLI, makeKeyFile } from './helpers/cli.js';
import { useGitSandbox } from './helpers/git.js';

const SECRET = 'hunter2-check-secret';
const sb = useGitSandbox('fcfg-check-');
const { git, cli, repo } = sb;

/** A repository done right: config.enc committed, secret.key ignored and private. */
function healthy(value: unknown = { db: { password: SECRET, port: 5432 } }, now?: number) {
  const d = repo();
  const { keys } = makeKeyFile(d, 'secret.key');
  writeFileSync(join(d, '.gitignore'), '*.key\n');
  writeFileSync(join(d, 'config.enc'), new Fernet(keys[0]!).encrypt(JSON.stringify(value), now === undefined ? {} : { now }) + '\n');
  git(d, ['add', '-A']);
  git(d, ['commit', '-qm', 'init']);
  return { d, key: keys[0]! };
}

function report(d: string, args: string[] = []) {
  const r = cli(d, ['check', '--json', ...args]);
  return { ...r, json: JSON.parse(r.stdout) as { ok: boolean; problems: { check: string; severity: string; path: string; message: string; hint?: string }[]; skipped: string[] } };
}


describe('check', () => {
  it('passes on a healthy repository', () => {
    const { d } = healthy();
    const r = cli(d, ['check']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('check passed (1 config, 1 key file)\n');
  });

  it('catches a tracked key file', () => {
    const { d, key } = healthy();
    git(d, ['add', '-f', 'secret.key']);
    const r = cli(d, ['check']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('secret.key: key file is tracked by git [tracked-key]');
    expect(r.stdout).toContain('git rm --cached secret.key');
    expect(r.stdout + r.stderr).not.toContain(key);
    expect(report(d).json.problems).toEqual([expect.objectContaining({ check: 'tracked-key', severity: 'error', path: 'secret.key' })]);
  });

  it('catches a key file .gitignore does not cover, and one readable by others', () => {
    const { d } = healthy();
    writeFileSync(join(d, '.gitignore'), 'node_modules/\n');
    chmodSync(join(d, 'secret.key'), 0o644);
    const { json, status } = report(d);
    expect(status).toBe(1);
    expect(json.problems.map((p) => p.check).sort()).toEqual(['key-permissions', 'unignored-key']);
  });

  it('ignores .key files that are not Fernet keys and walks past node_modules', () => {
    const { d } = healthy();
    writeFileSync(join(d, 'server.key'), '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n', { mode: 0o644 });
    mkdirSync(join(d, 'node_modules/pkg'), { recursive: true });
    makeKeyFile(join(d, 'node_modules/pkg'), 'test.key');
    chmodSync(join(d, 'node_modules/pkg/test.key'), 0o644);
    expect(report(d, []).json.problems).toEqual([]);
  });

  it('catches a plaintext twin beside an encrypted config', () => {
    const { d } = healthy();
    writeFileSync(join(d, 'config.json'), JSON.stringify({ db: { password: SECRET, port: 5432 } }));
    let r = report(d);
    expect(r.status).toBe(1);
    expect(r.json.problems).toEqual([expect.objectContaining({ check: 'plaintext-twin', path: 'config.json', message: 'is a plaintext copy of config.enc (same content)' })]);
    expect(r.stdout).not.toContain(SECRET);

    // Ignored by git: still plaintext on disk, but not a commit risk — a warning, exit 0.
    writeFileSync(join(d, '.gitignore'), '*.key\nconfig.json\n');
    r = report(d);
    expect(r.status).toBe(0);
    expect(r.json.problems).toEqual([expect.objectContaining({ check: 'plaintext-twin', severity: 'warning' })]);

    // Without a key the name is the evidence; an unrelated JSON file with a key is not flagged.
    writeFileSync(join(d, 'config.json'), JSON.stringify({ unrelated: true }));
    writeFileSync(join(d, '.gitignore'), '*.key\n');
    expect(report(d).json.problems).toEqual([]);
    const e = join(d, 'nokey');
    mkdirSync(e);
    writeFileSync(join(e, 'app.enc'), new Fernet(generateKey()).encrypt('{}'));
    writeFileSync(join(e, 'app.decrypted.json'), '{}');
    const nokey = report(e);
    expect(nokey.json.problems).toEqual([expect.objectContaining({ check: 'plaintext-twin', path: 'app.decrypted.json' })]);
    expect(nokey.json.skipped).toEqual(['app.enc']);
  });

  it('reports configs that do not decrypt, do not validate, or are too old — when a key is available', () => {
    const tenDaysAgo = Math.floor(Date.now() / 1000) - 10 * 86400;
    const { d } = healthy({ db: { password: SECRET, port: 'not a number' } }, tenDaysAgo);
    writeFileSync(join(d, 'other.enc'), new Fernet(generateKey()).encrypt('{}') + '\n');
    writeFileSync(join(d, 'broken.enc'), 'garbage\n');
    writeFileSync(join(d, 'schema.json'), JSON.stringify({ type: 'object', properties: { db: { type: 'object', properties: { port: { type: 'integer' } } } } }));
    const { json, status, stdout } = report(d, ['--schema', 'schema.json', '--max-age', '7']);
    expect(status).toBe(1);
    const byPath = Object.fromEntries(json.problems.map((p) => [`${p.path} ${p.check}`, p.message]));
    expect(Object.keys(byPath).sort()).toEqual(['broken.enc decrypt', 'config.enc max-age', 'config.enc schema', 'other.enc decrypt']);
    expect(byPath['config.enc schema']).toContain('db.port: must be integer');
    expect(json.problems.find((p) => p.check === 'schema')?.hint).toBe('fix it with `fcfg edit config.enc` or `fcfg set config.enc <path> <value>`');
    expect(byPath['config.enc max-age']).toContain('10 days ago');
    expect(byPath['other.enc decrypt']).toContain('encrypted with another key');
    expect(stdout).not.toContain(SECRET);
    expect(stdout).not.toContain('not a number');

    // A key source that is given but broken is a problem, not a silent skip.
    const nokey = report(d, ['--key-file', join(sb.root, 'does-not-exist.key')]);
    expect(nokey.status).toBe(1);
    expect(nokey.json.problems.some((p) => p.check === 'key')).toBe(true);
  });

  it('checks only the paths given', () => {
    const { d } = healthy();
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'sub/x.key'), generateKey() + '\n', { mode: 0o644 });
    expect(report(d, ['config.enc']).status).toBe(0);
    expect(report(d, ['sub']).json.problems.map((p) => `${p.path} ${p.check}`)).toEqual(['sub/x.key key-permissions']);
    expect(cli(d, ['check', 'nope']).stderr).toContain('[ERR_FILE_NOT_FOUND]');
  });
});

describe('check --install-hook', () => {
  const hookPath = (d: string) => join(d, '.git/hooks/pre-commit');

  it('installs an idempotent pre-commit hook that blocks committing a key', () => {
    const { d } = healthy();
    const r = cli(d, ['check', '--install-hook']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('created');
    const hook = readFileSync(hookPath(d), 'utf8');
    expect(hook.startsWith('#!/bin/sh\n')).toBe(true);
    expect(hook).toContain(CLI);
    expect(statSync(hookPath(d)).mode & 0o111).not.toBe(0);
    expect(cli(d, ['check', '--install-hook']).stderr).toContain('already runs the check');
    expect(readFileSync(hookPath(d), 'utf8')).toBe(hook);

    writeFileSync(join(d, 'notes.txt'), 'fine\n');
    git(d, ['add', 'notes.txt']);
    expect(git(d, ['commit', '-qm', 'ok'], true).status).toBe(0);
    git(d, ['add', '-f', 'secret.key']);
    const blocked = git(d, ['commit', '-qm', 'leak'], true);
    expect(blocked.status).not.toBe(0);
    expect(blocked.stdout + blocked.stderr).toContain('[tracked-key]');
    expect(git(d, ['log', '--format=%s']).stdout.split('\n')).not.toContain('leak');

    expect(cli(d, ['check', '--uninstall-hook']).status).toBe(0);
    expect(existsSync(hookPath(d))).toBe(false);
  });

  it('does not clobber a hook it did not write; --force appends before a final exec', () => {
    const { d } = healthy();
    const theirs = '#!/bin/sh\necho lint\nexec true\n';
    writeFileSync(hookPath(d), theirs, { mode: 0o755 });
    const r = cli(d, ['check', '--install-hook', '--scan']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERR_FILE_EXISTS]');
    expect(r.stderr).toContain('--force');
    expect(readFileSync(hookPath(d), 'utf8')).toBe(theirs);

    expect(cli(d, ['check', '--install-hook', '--scan', '--force']).stderr).toContain('appended');
    const hook = readFileSync(hookPath(d), 'utf8');
    expect(hook.startsWith('#!/bin/sh\necho lint\n# >>> fernet-config >>>')).toBe(true);
    expect(hook).toContain(' scan --staged || exit 1\n');
    expect(hook.endsWith('# <<< fernet-config <<<\nexec true\n')).toBe(true);

    expect(cli(d, ['check', '--uninstall-hook']).status).toBe(0);
    expect(readFileSync(hookPath(d), 'utf8')).toBe(theirs);
  });

  it('refuses to write a literal --key into the hook', () => {
    const { d } = healthy();
    const r = cli(d, ['check', '--install-hook', '--key', generateKey()]);
    expect(r.status).toBe(2);
    expect(existsSync(hookPath(d))).toBe(false);
  });
});
