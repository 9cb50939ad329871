import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { CLI, makeKeyFile } from './helpers/cli.js';
import { useGitSandbox } from './helpers/git.js';

// Every test gets its own real repository (see helpers/git.ts for the isolation).
const sb = useGitSandbox('fcfg-git-');
const { git, cli, repo } = sb;

const TOKEN = /^gAAAAA[A-Za-z0-9_-]+=*\n?$/;

/** An encrypted config plus its key (ignored by git), committed. */
function seeded(value: unknown = { db: { host: 'db.internal', port: 5432, password: 'hunter2-pw' }, features: { beta: false } }) {
  const d = repo();
  const { keys } = makeKeyFile(d, 'secret.key');
  writeFileSync(join(d, '.gitignore'), '*.key\n');
  writeFileSync(join(d, 'config.enc'), new Fernet(keys[0]!).encrypt(JSON.stringify(value, null, 2) + '\n') + '\n');
  git(d, ['add', '-A']);
  git(d, ['commit', '-qm', 'initial']);
  return { d, key: keys[0]! };
}

function decrypt(path: string, key: string): unknown {
  return JSON.parse(new Fernet(key).decryptText(readFileSync(path, 'utf8').trim()));
}


describe('git-setup', () => {
  it('writes the drivers into the local config and .gitattributes, and is idempotent', () => {
    const d = repo();
    const r = cli(d, ['git-setup']);
    expect(r.status).toBe(0);
    const textconv = git(d, ['config', '--local', 'diff.fernet-config.textconv']).stdout.trim();
    const driver = git(d, ['config', '--local', 'merge.fernet-config.driver']).stdout.trim();
    expect(textconv).toContain(CLI);
    expect(textconv).toMatch(/ textconv$/);
    expect(driver).toMatch(/ merge-driver %O %A %B %P$/);
    // textconv caching would store decrypted text in .git: it must stay off.
    expect(git(d, ['config', 'diff.fernet-config.cachetextconv'], true).status).toBe(1);
    const attrs = readFileSync(join(d, '.gitattributes'), 'utf8');
    expect(attrs).toContain('*.enc diff=fernet-config merge=fernet-config\n');
    expect(git(d, ['check-attr', 'diff', 'merge', '--', 'a/b/config.enc']).stdout).toContain('diff: fernet-config');

    const again = cli(d, ['git-setup']);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('already set up');
    // Success does not wear the error shape (`fernet-config: ...`, `hint:`) that log filters look for.
    for (const out of [r.stderr, again.stderr]) {
      expect(out).not.toMatch(/fernet-config: |hint:/);
      expect(out).toContain('\nnote: commit .gitattributes;');
    }
    expect(readFileSync(join(d, '.gitattributes'), 'utf8')).toBe(attrs);
  });

  it('--undo removes exactly what it added', () => {
    const d = repo();
    const before = '# existing rules\n*.png binary\n';
    writeFileSync(join(d, '.gitattributes'), before);
    git(d, ['config', 'core.autocrlf', 'false']);
    const configBefore = readFileSync(join(d, '.git/config'), 'utf8');
    expect(cli(d, ['git-setup']).status).toBe(0);
    expect(readFileSync(join(d, '.gitattributes'), 'utf8')).not.toBe(before);
    const r = cli(d, ['git-setup', '--undo']);
    expect(r.status).toBe(0);
    expect(readFileSync(join(d, '.gitattributes'), 'utf8')).toBe(before);
    expect(readFileSync(join(d, '.git/config'), 'utf8')).toBe(configBefore);

    // A .gitattributes it created is removed again; one with our line from before is left alone.
    const e = repo();
    expect(cli(e, ['git-setup']).status).toBe(0);
    expect(cli(e, ['git-setup', '--undo']).status).toBe(0);
    expect(existsSync(join(e, '.gitattributes'))).toBe(false);
    writeFileSync(join(e, '.gitattributes'), '*.enc diff=fernet-config merge=fernet-config\n');
    expect(cli(e, ['git-setup']).status).toBe(0);
    expect(cli(e, ['git-setup', '--undo']).status).toBe(0);
    expect(readFileSync(join(e, '.gitattributes'), 'utf8')).toBe('*.enc diff=fernet-config merge=fernet-config\n');
    expect(git(e, ['config', '--local', '--get-regexp', 'fernet-config'], true).stdout).toBe('');
  });

  it('--undo keeps a .gitattributes line that was committed or staged since: it is the team\'s now', () => {
    for (const stage of [['add', '.gitattributes'], ['commit', '-qm', 'attributes']]) {
      const d = repo();
      expect(cli(d, ['git-setup']).status).toBe(0);
      const attrs = readFileSync(join(d, '.gitattributes'), 'utf8');
      git(d, ['add', '.gitattributes']);
      if (stage[0] === 'commit') git(d, stage);
      const r = cli(d, ['git-setup', '--undo']);
      expect(r.status).toBe(0);
      expect(r.stderr).toContain('  kept: *.enc diff=fernet-config merge=fernet-config in .gitattributes (it is committed or staged');
      expect(readFileSync(join(d, '.gitattributes'), 'utf8')).toBe(attrs);
      // The local drivers are gone all the same, and so is the record: a second --undo changes nothing.
      expect(git(d, ['config', '--local', '--get-regexp', 'fernet-config'], true).stdout).toBe('');
      expect(cli(d, ['git-setup', '--undo']).status).toBe(0);
      expect(readFileSync(join(d, '.gitattributes'), 'utf8')).toBe(attrs);
    }
  });

  it('fails outside a repository, and refuses --key (it would be written into git config)', () => {
    const d = join(sb.root, `plain${Date.now()}`);
    mkdirSync(d);
    const r = cli(d, ['git-setup']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERR_GIT]');
    const k = cli(repo(), ['git-setup', '--key', generateKey()]);
    expect(k.status).toBe(2);
  });

  it('embeds --key-file and --schema as absolute paths', () => {
    const d = repo();
    makeKeyFile(d, 'ci.key');
    writeFileSync(join(d, 'schema.json'), JSON.stringify({ type: 'object' }));
    expect(cli(d, ['git-setup', '--key-file', 'ci.key', '--schema', 'schema.json']).status).toBe(0);
    const textconv = git(d, ['config', 'diff.fernet-config.textconv']).stdout;
    expect(textconv).toContain(`--schema ${join(d, 'schema.json')}`);
    expect(textconv).toContain(`--key-file ${join(d, 'ci.key')}`);
    expect(git(d, ['config', 'merge.fernet-config.driver']).stdout).toContain(`--key-file ${join(d, 'ci.key')}`);
    const bad = cli(d, ['git-setup', '--schema', 'missing.json']);
    expect(bad.status).toBe(1);
  });
});

describe('diffs through textconv', () => {
  it('git diff, git log -p and git show print decrypted, canonical JSON', () => {
    const { d } = seeded();
    expect(cli(d, ['git-setup']).status).toBe(0);
    git(d, ['add', '.gitattributes']);
    git(d, ['commit', '-qm', 'git-setup']);
    expect(cli(d, ['set', 'config.enc', 'db.port', '6543']).status).toBe(0);

    const diff = git(d, ['diff']).stdout;
    expect(diff).toContain('-    "port": 5432');
    expect(diff).toContain('+    "port": 6543');
    expect(diff).not.toMatch(/gAAAAA/);
    git(d, ['commit', '-qam', 'port']);

    // Older versions reach textconv as temp copies; keys are still found beside the real file.
    const log = git(d, ['log', '-p', '--', 'config.enc']).stdout;
    expect(log).toContain('+    "port": 6543');
    expect(log).toContain('+    "host": "db.internal"');
    expect(git(d, ['show', '--textconv', 'HEAD~2:config.enc']).stdout).toContain('"port": 5432');
  });

  // A ring opens only asynchronously, and textconv resolved keys synchronously: with the ring as the only
  // key, the work tree's version decrypted (the ring beside it was opened) but every other version, a
  // temp copy, came out as its token.
  it('in a repository whose only key is a .age ring, every version diffs decrypted', () => {
    const { d } = seeded();
    const identity = join(sb.env().HOME, '.config', 'fernet-config', 'identities');
    mkdirSync(dirname(identity), { recursive: true });
    expect(cli(d, ['identity', 'new', identity]).status).toBe(0);
    const recipient = /public key: (age1\S+)/.exec(readFileSync(identity, 'utf8'))![1]!;
    expect(cli(d, ['recipients', 'add', 'me', recipient]).status).toBe(0);
    rmSync(join(d, 'secret.key'));
    expect(cli(d, ['git-setup']).status).toBe(0);
    git(d, ['add', '-A']);
    git(d, ['commit', '-qm', 'ring']);
    expect(cli(d, ['set', 'config.enc', 'db.port', '6543']).status).toBe(0);
    git(d, ['commit', '-qam', 'port']);
    const diff = git(d, ['diff', 'HEAD~1', 'HEAD', '--', 'config.enc']).stdout;
    expect(diff).toContain('-    "port": 5432');
    expect(diff).toContain('+    "port": 6543');
    expect(diff).not.toMatch(/gAAAAA/);
    expect(git(d, ['log', '-p', '--', 'config.enc']).stdout).toContain('+    "host": "db.internal"');
  });

  it('finds <name>.key beside a config in a subdirectory, from any working directory', () => {
    const d = repo();
    mkdirSync(join(d, 'deploy'));
    const { keys } = makeKeyFile(join(d, 'deploy'), 'prod.key');
    writeFileSync(join(d, '.gitignore'), '*.key\n');
    writeFileSync(join(d, 'deploy/prod.enc'), new Fernet(keys[0]!).encrypt('{"b":1,"a":{"y":2,"x":1}}') + '\n');
    expect(cli(d, ['git-setup']).status).toBe(0);
    git(d, ['add', '-A']);
    git(d, ['commit', '-qm', 'one']);
    writeFileSync(join(d, 'deploy/prod.enc'), new Fernet(keys[0]!).encrypt('{"a":{"x":1,"y":3},"b":1}') + '\n');
    const diff = git(join(d, 'deploy'), ['diff']).stdout;
    // Canonical: keys sorted, so reordering is no change; only y moved.
    expect(diff).toContain('-    "y": 2');
    expect(diff).toContain('+    "y": 3');
    expect(diff.match(/^[-+] /gm)).toHaveLength(2);
  });

  it('without a key, diffs fall back to the raw token and git does not fail', () => {
    const { d } = seeded();
    expect(cli(d, ['git-setup']).status).toBe(0);
    const other = new Fernet(generateKey()).encrypt('{"a":1}');
    writeFileSync(join(d, 'config.enc'), other + '\n');
    const r = git(d, ['diff']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`+${other}`);
    expect(r.stderr).toBe('');
  });

  it('textconv itself: canonical output, raw fallback, exit 0 either way', () => {
    const d = repo();
    const { keys } = makeKeyFile(d, 'secret.key');
    writeFileSync(join(d, 'c.enc'), new Fernet(keys[0]!).encrypt('{"z":1,"a":[3,{"d":1,"c":2}]}'));
    const r = cli(d, ['textconv', 'c.enc']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('{\n  "a": [\n    3,\n    {\n      "c": 2,\n      "d": 1\n    }\n  ],\n  "z": 1\n}\n');
    writeFileSync(join(d, 'plain.enc'), 'not a token at all\n');
    expect(cli(d, ['textconv', 'plain.enc'])).toMatchObject({ status: 0, stdout: 'not a token at all\n', stderr: '' });
    const foreign = new Fernet(generateKey()).encrypt('{"secret":"x"}');
    writeFileSync(join(d, 'foreign.enc'), foreign);
    expect(cli(d, ['textconv', 'foreign.enc'])).toMatchObject({ status: 0, stdout: foreign, stderr: '' });
  });

  it('with --schema, values marked sensitive are masked in diffs', () => {
    const { d } = seeded();
    writeFileSync(
      join(d, 'schema.json'),
      JSON.stringify({ type: 'object', properties: { db: { type: 'object', properties: { password: { type: 'string', sensitive: true } } } } }),
    );
    expect(cli(d, ['git-setup', '--schema', 'schema.json']).status).toBe(0);
    expect(cli(d, ['set', 'config.enc', 'db.password', 'n3w-s3cret-pw']).status).toBe(0);
    expect(cli(d, ['set', 'config.enc', 'db.port', '6543']).status).toBe(0);
    const diff = git(d, ['diff']).stdout;
    // A masked value reads the same before and after: only the port shows as changed.
    expect(diff).toContain('+    "port": 6543');
    expect(diff.match(/^[-+] /gm)).toHaveLength(2);
    expect(diff).toContain('"host": "db.internal"');
    expect(diff).toContain('"password"');
    expect(diff).not.toContain('hunter2-pw');
    expect(diff).not.toContain('n3w-s3cret-pw');
  });
});

describe('merges through the merge driver', () => {
  function branches(d: string, ours: string[][], theirs: string[][]) {
    expect(cli(d, ['git-setup']).status).toBe(0);
    git(d, ['add', '.gitattributes']);
    git(d, ['commit', '-qm', 'git-setup']);
    git(d, ['checkout', '-qb', 'feature']);
    for (const args of theirs) expect(cli(d, args).status).toBe(0);
    git(d, ['commit', '-qam', 'theirs']);
    git(d, ['checkout', '-q', 'main']);
    for (const args of ours) expect(cli(d, args).status).toBe(0);
    git(d, ['commit', '-qam', 'ours']);
    return git(d, ['merge', '--no-edit', 'feature'], true);
  }

  it('changes to different keys merge cleanly, and the result stays encrypted', () => {
    const { d, key } = seeded();
    const r = branches(
      d,
      [
        ['set', 'config.enc', 'db.port', '6543'],
        ['unset', 'config.enc', 'features.beta'],
      ],
      [
        ['set', 'config.enc', 'db.host', 'replica.internal'],
        ['set', 'config.enc', 'features.gamma', 'true'],
      ],
    );
    expect(r.status).toBe(0);
    const text = readFileSync(join(d, 'config.enc'), 'utf8');
    expect(text).toMatch(TOKEN);
    expect(decrypt(join(d, 'config.enc'), key)).toEqual({ db: { host: 'replica.internal', port: 6543, password: 'hunter2-pw' }, features: { gamma: true } });
    expect(git(d, ['status', '--porcelain']).stdout).toBe('');
    expect(git(d, ['log', '-1', '--format=%P']).stdout.trim().split(' ')).toHaveLength(2);
  });

  it('the same key changed on both sides conflicts, lists the path, and never leaves plaintext', () => {
    const { d, key } = seeded();
    const r = branches(
      d,
      [
        ['set', 'config.enc', 'db.port', '1111'],
        ['set', 'config.enc', 'features.beta', 'true'],
      ],
      [
        ['set', 'config.enc', 'db.port', '2222'],
        ['set', 'config.enc', 'db.host', 'replica.internal'],
        ['set', 'config.enc', 'db.password', 'their-new-pw'],
      ],
    );
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain('CONFLICT');
    expect(r.stderr).toContain('db.port: changed differently on both sides');
    expect(r.stderr).toContain('fcfg edit config.enc');
    expect(r.stderr).not.toContain('their-new-pw');
    expect(r.stderr).not.toMatch(/1111|2222/);
    expect(git(d, ['status', '--porcelain']).stdout).toContain('UU config.enc');
    const text = readFileSync(join(d, 'config.enc'), 'utf8');
    expect(text).toMatch(TOKEN);
    expect(text).not.toContain('<<<<<<<');
    // Our value at the conflict, every clean change from both sides merged.
    expect(decrypt(join(d, 'config.enc'), key)).toEqual({ db: { host: 'replica.internal', port: 1111, password: 'their-new-pw' }, features: { beta: true } });
    // Their side is reachable for the user through textconv.
    expect(git(d, ['show', '--textconv', ':3:config.enc']).stdout).toContain('"port": 2222');
  });

  it('a key deleted on one side and changed on the other is a conflict', () => {
    const { d } = seeded();
    const r = branches(d, [['unset', 'config.enc', 'features.beta']], [['set', 'config.enc', 'features.beta', 'true']]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('features.beta: deleted on our side, changed on theirs');
  });

  it('without a key the driver fails safely: conflict, our encrypted version untouched', () => {
    const { d } = seeded();
    const keyText = readFileSync(join(d, 'secret.key'), 'utf8');
    expect(cli(d, ['git-setup']).status).toBe(0);
    git(d, ['add', '.gitattributes']);
    git(d, ['commit', '-qm', 'git-setup']);
    git(d, ['checkout', '-qb', 'feature']);
    expect(cli(d, ['set', 'config.enc', 'db.port', '2']).status).toBe(0);
    git(d, ['commit', '-qam', 'theirs']);
    git(d, ['checkout', '-q', 'main']);
    expect(cli(d, ['set', 'config.enc', 'db.host', 'x']).status).toBe(0);
    git(d, ['commit', '-qam', 'ours']);
    const ours = readFileSync(join(d, 'config.enc'), 'utf8');
    execFileSync('mv', [join(d, 'secret.key'), join(sb.root, `moved${Date.now()}.key`)]);
    const r = git(d, ['merge', '--no-edit', 'feature'], true);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('cannot merge config.enc automatically');
    expect(r.stderr).toContain('[ERR_KEY_NOT_FOUND]');
    expect(readFileSync(join(d, 'config.enc'), 'utf8')).toBe(ours);
    expect(r.stderr).not.toContain(keyText.trim());
  });

  it('takes their token unchanged when only they changed anything', () => {
    const d = repo();
    const { path: keyPath } = makeKeyFile(d, 'secret.key');
    const key = readFileSync(keyPath, 'utf8').trim();
    const f = new Fernet(key);
    const base = join(d, 'base'),
      ours = join(d, 'ours'),
      theirs = join(d, 'theirs');
    writeFileSync(base, f.encrypt('{"a":1,"b":2}'));
    writeFileSync(ours, f.encrypt('{"b":2,"a":1}'));
    const theirToken = f.encrypt('{"a":1,"b":3}');
    writeFileSync(theirs, theirToken);
    const r = cli(d, ['merge-driver', 'base', 'ours', 'theirs', 'config.enc']);
    expect(r.status).toBe(0);
    expect(readFileSync(ours, 'utf8')).toBe(theirToken);
  });
});
