/** The library half of `fcfg edit`: command parsing, temp directories, drafts, skeletons, saving. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statfsSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileAccessError, FernetConfigError, InvalidJson, MalformedConfigFile, UsageError } from '../src/errors.js';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { KeyRing } from '../src/keys/ring.js';
import { findDrafts, keepDraft, readDraft, tokenId } from '../src/edit/draft.js';
import { editorCommand, editorIsConfigured, missingWaitFlag, npmSetEditor, splitCommandLine } from '../src/edit/editor.js';
import { checkEdit, editFileName, openForEdit, readEditedFile, saveEdit, schemaReference } from '../src/edit/session.js';
import { TERMINATING_SIGNALS } from '../src/edit/signals.js';
import { skeletonFromSchema } from '../src/edit/skeleton.js';
import { chooseTempRoot, createPrivateDir, removePrivateDir, sweepAbandonedDirs, writePrivateFile } from '../src/edit/tempdir.js';
import { REPO, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-edit-lib-');

describe('splitCommandLine', () => {
  it.each([
    ['vi', ['vi']],
    ['  code   --wait ', ['code', '--wait']],
    ['emacsclient -t', ['emacsclient', '-t']],
    [`"/Applications/Sublime Text.app/bin/subl" -w`, ['/Applications/Sublime Text.app/bin/subl', '-w']],
    [`'/opt/my editor/ed' --flag='a b'`, ['/opt/my editor/ed', '--flag=a b']],
    ['/opt/my\\ editor/ed -x', ['/opt/my editor/ed', '-x']],
    [`ed "a \\"q\\" \\$HOME \\n"`, ['ed', 'a "q" $HOME \\n']],
    [`ed '' x`, ['ed', '', 'x']],
    ['ed\targ', ['ed', 'arg']],
    ['', []],
  ])('%j', (line, words) => {
    expect(splitCommandLine(line)).toEqual(words);
  });

  it.each([`"open`, `'open`, 'trailing\\'])('rejects %j', (line) => {
    expect(() => splitCommandLine(line, '$EDITOR')).toThrow(UsageError);
  });
});

describe('editorCommand', () => {
  it('takes VISUAL, then EDITOR, then vi (notepad on Windows); blank values do not count', () => {
    expect(editorCommand({ VISUAL: 'code -w', EDITOR: 'nano' })).toEqual({ file: 'code', args: ['-w'], source: 'VISUAL' });
    expect(editorCommand({ VISUAL: '  ', EDITOR: 'nano -R' })).toEqual({ file: 'nano', args: ['-R'], source: 'EDITOR' });
    expect(editorCommand({}, 'linux')).toEqual({ file: 'vi', args: [], source: 'default' });
    expect(editorCommand({}, 'win32').file).toBe('notepad');
  });

  it('takes an unquoted path with spaces whole when that file exists', () => {
    const d = join(fresh(), 'My Editors');
    mkdirSync(d);
    const exe = join(d, 'ed it');
    writeFileSync(exe, '#!/bin/sh\n', { mode: 0o755 });
    expect(editorCommand({ EDITOR: exe })).toEqual({ file: exe, args: [], source: 'EDITOR' });
    // With arguments, the path has to be quoted, as in a shell.
    expect(editorCommand({ EDITOR: `"${exe}" -w` })).toEqual({ file: exe, args: ['-w'], source: 'EDITOR' });
  });

  it('knows which GUI editors need a wait flag', () => {
    expect(missingWaitFlag({ file: 'code', args: [], source: 'EDITOR' })).toBe('--wait');
    expect(missingWaitFlag({ file: '/usr/local/bin/code', args: ['--wait'], source: 'EDITOR' })).toBeUndefined();
    expect(missingWaitFlag({ file: 'subl', args: ['-w'], source: 'EDITOR' })).toBeUndefined();
    expect(missingWaitFlag({ file: 'kate', args: [], source: 'EDITOR' })).toBe('--block');
    expect(missingWaitFlag({ file: 'vim', args: [], source: 'EDITOR' })).toBeUndefined();
    expect(missingWaitFlag({ file: 'emacsclient', args: ['-t'], source: 'EDITOR' })).toBeUndefined();
  });
});

describe("npm's EDITOR=vi", () => {
  const npm = { npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js', npm_command: 'run-script', npm_lifecycle_event: 'edit' };
  it.each([
    ['npm run, EDITOR unset by the user', { ...npm, EDITOR: 'vi' }, true],
    ['npx (npm exec)', { npm_execpath: 'npm-cli.js', npm_command: 'exec', npm_lifecycle_event: 'npx', EDITOR: 'vi' }, true],
    ['not under npm: the user chose vi', { EDITOR: 'vi' }, false],
    ['under npm, another editor', { ...npm, EDITOR: 'nano' }, false],
    ['under npm, VISUAL set', { ...npm, EDITOR: 'vi', VISUAL: 'vim' }, false],
    ['npm configured with editor=vi', { ...npm, EDITOR: 'vi', npm_config_editor: 'vi' }, false],
    ['under npm, a script', { ...npm, EDITOR: './edit.sh' }, false],
  ] as [string, Record<string, string | undefined>, boolean][])('%s', (_name, env, fromNpm) => {
    expect(npmSetEditor(env)).toBe(fromNpm);
    expect(editorIsConfigured(env)).toBe(!fromNpm);
    expect(editorCommand(env).source).toBe(fromNpm ? 'npm' : env['VISUAL'] ? 'VISUAL' : 'EDITOR');
  });
});

describe('terminating signals', () => {
  it('lists the catchable signals that end a process, each once', () => {
    for (const s of ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGPIPE', 'SIGALRM', 'SIGUSR1', 'SIGUSR2', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGABRT', 'SIGTRAP', 'SIGSYS']) {
      expect(TERMINATING_SIGNALS).toContain(s);
    }
    if (process.platform === 'linux') expect(TERMINATING_SIGNALS).toEqual(expect.arrayContaining(['SIGPWR', 'SIGIO', 'SIGSTKFLT']));
    // Uncatchable, unsafe to handle, not terminating by default, or an alias of one listed.
    for (const s of ['SIGKILL', 'SIGSTOP', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGCHLD', 'SIGWINCH', 'SIGCONT', 'SIGTSTP', 'SIGURG', 'SIGIOT', 'SIGPOLL']) {
      expect(TERMINATING_SIGNALS).not.toContain(s);
    }
    expect(new Set(TERMINATING_SIGNALS).size).toBe(TERMINATING_SIGNALS.length);
  });

  it('after the handlers are removed, a write to a closed pipe is still an EPIPE error, not a SIGPIPE death', () => {
    const module = join(REPO, 'dist/src/edit/signals.js');
    const script = `import { onTerminatingSignals } from ${JSON.stringify(module)};
const remove = onTerminatingSignals(() => {}); remove();
process.stdout.on('error', (e) => { process.stderr.write(e.code); process.exit(0); });
setTimeout(() => process.stdout.write('x'.repeat(1 << 20)), 200);`;
    const r = spawnSync('sh', ['-c', `"${process.execPath}" --input-type=module -e '${script.replace(/'/g, `'\\''`)}' | true`], { encoding: 'utf8', timeout: 30_000 });
    // Killed by SIGPIPE, it would print nothing (the pipeline's status is that of `true`).
    expect(r.stderr).toBe('EPIPE');
  });
});

describe('temp directories', () => {
  it('uses FERNET_CONFIG_TMPDIR when set, and refuses one that does not exist', () => {
    const d = fresh();
    expect(chooseTempRoot({ FERNET_CONFIG_TMPDIR: d })).toMatchObject({ path: d, source: 'FERNET_CONFIG_TMPDIR' });
    expect(() => chooseTempRoot({ FERNET_CONFIG_TMPDIR: join(d, 'missing') })).toThrow(FileAccessError);
  });

  it('prefers memory-backed directories and skips an XDG_RUNTIME_DIR on disk', () => {
    const d = fresh();
    const onTmpfs = statfsSync(d).type === 0x01021994;
    const root = chooseTempRoot({ XDG_RUNTIME_DIR: d });
    if (onTmpfs) expect(root).toEqual({ path: d, memory: true, source: 'XDG_RUNTIME_DIR' });
    else expect(root.source).not.toBe('XDG_RUNTIME_DIR');
    if (existsSync('/dev/shm') && statfsSync('/dev/shm').type === 0x01021994 && !onTmpfs) expect(root).toEqual({ path: '/dev/shm', memory: true, source: '/dev/shm' });
    if (!existsSync('/dev/shm') && !onTmpfs) expect(root.path).toBe(tmpdir());
  });

  it('creates a 0700 directory and 0600 files, and removes everything in it', () => {
    const root = fresh();
    const d = createPrivateDir(root);
    expect(statSync(d).mode & 0o777).toBe(0o700);
    const f = join(d, 'config.json');
    writePrivateFile(f, 'one');
    writePrivateFile(f, 'two'); // replaces
    expect(readFileSync(f, 'utf8')).toBe('two');
    expect(statSync(f).mode & 0o777).toBe(0o600);
    mkdirSync(join(d, 'locked'));
    writeFileSync(join(d, 'locked', 'backup~'), 'x');
    chmodSync(join(d, 'locked'), 0o500);
    expect(removePrivateDir(d)).toBe(true);
    expect(readdirSync(root)).toEqual([]);
  });

  it('sweeps directories whose process is gone, and only those', () => {
    const root = fresh();
    const tag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const names = [`fcfg-edit-${tag}-${dead}-abc123`, `fcfg-edit-${tag}-${process.ppid}-abc123`, `fcfg-edit-00000000-${dead}-abc123`, 'unrelated'];
    for (const name of names) mkdirSync(join(root, name));
    writeFileSync(join(root, names[0]!, 'config.json'), '{}');
    expect(sweepAbandonedDirs(root)).toEqual([join(root, names[0]!)]);
    expect(readdirSync(root).sort()).toEqual(names.slice(1).sort());
  });
});

describe('drafts', () => {
  const ring = new KeyRing([generateKey()], 'test');

  it('round-trips the text and the base version, encrypted under the primary key', () => {
    const d = fresh();
    const config = join(d, 'c.enc');
    const path = keepDraft(config, '{"not json', ring, { base: tokenId('tok') });
    expect(path).toBe(`${config}.draft`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).not.toContain('not json');
    const draft = readDraft(path, ring);
    expect(draft).toMatchObject({ path, text: '{"not json', base: tokenId('tok') });
    expect(tokenId(undefined)).toBeNull();
  });

  it('never overwrites a draft it did not start from; replaces its own', () => {
    const d = fresh();
    const config = join(d, 'c.enc');
    const first = keepDraft(config, 'first', ring, { base: null });
    const second = keepDraft(config, 'second', ring, { base: null });
    expect(second).toBe(`${config}.draft.2`);
    expect(findDrafts(config)).toEqual([first, second]);
    const own = readDraft(first, ring);
    expect(keepDraft(config, 'first, again', ring, { base: null, replace: { path: own.path, token: own.token } })).toBe(first);
    expect(readDraft(first, ring).text).toBe('first, again');
    // Someone replaced it meanwhile: a new number, nothing lost.
    expect(keepDraft(config, 'third', ring, { base: null, replace: { path: own.path, token: own.token } })).toBe(`${config}.draft.3`);
    expect(readDraft(first, ring).text).toBe('first, again');
  });

  it('reads a hand-made draft (a plain token) as text of unknown origin', () => {
    const d = fresh();
    const path = join(d, 'c.enc.draft');
    writeFileSync(path, ring.multi.encrypt('{"a": 1}') + '\n');
    expect(readDraft(path, ring)).toMatchObject({ text: '{"a": 1}', base: undefined });
  });
});

describe('skeletonFromSchema', () => {
  it('keeps defaults and required properties, following $ref, allOf, enum and const', () => {
    const schema = {
      type: 'object',
      required: ['name', 'mode', 'server', 'tags', 'extra'],
      $defs: { server: { type: 'object', required: ['host', 'port'], properties: { host: { type: 'string' }, port: { type: 'integer', default: 8080 } } } },
      properties: {
        name: { type: ['string', 'null'] },
        mode: { enum: ['dev', 'prod'] },
        version: { const: 2 },
        server: { $ref: '#/$defs/server' },
        tags: { type: 'array', items: { type: 'string' } },
        debug: { type: 'boolean', default: false },
        unused: { type: 'string' },
        nested: { type: 'object', properties: { level: { type: 'string', default: 'info' }, other: { type: 'number' } } },
      },
      allOf: [{ required: ['ratio'], properties: { ratio: { type: 'number' } } }],
    };
    expect(skeletonFromSchema(schema)).toEqual({
      name: '',
      mode: 'dev',
      version: 2,
      server: { host: '', port: 8080 },
      tags: [],
      debug: false,
      nested: { level: 'info' },
      ratio: 0,
      extra: null,
    });
  });

  it('terminates on recursive schemas and accepts trivial ones', () => {
    const tree = { $ref: '#/$defs/node', $defs: { node: { type: 'object', required: ['child'], properties: { child: { $ref: '#/$defs/node' } } } } };
    expect(() => JSON.stringify(skeletonFromSchema(tree))).not.toThrow();
    expect(skeletonFromSchema(true)).toEqual({});
    expect(skeletonFromSchema({})).toEqual({});
    expect(skeletonFromSchema({ type: 'object', default: { a: 1 } })).toEqual({ a: 1 });
  });
});

describe('edit session', () => {
  const key = generateKey();
  const ring = new KeyRing([key], 'test');
  const write = (path: string, text: string) => writeFileSync(path, new Fernet(key).encrypt(text) + '\n');

  it('names the temp file after the config, ending in .json', () => {
    expect(editFileName('/x/config.enc')).toBe('config.json');
    expect(editFileName('prod.json.enc')).toBe('prod.json');
    expect(editFileName('secrets')).toBe('secrets.json');
    expect(editFileName('.enc')).toBe('config.json');
  });

  it('opens content that is not JSON (editing is how it gets fixed)', () => {
    const d = fresh();
    const path = join(d, 'c.enc');
    write(path, '{broken');
    expect(openForEdit(path, ring)).toMatchObject({ baseText: '{broken', exists: true });
    expect(openForEdit(join(d, 'new.enc'), ring, { createWith: () => '{"x": 1}\n' })).toMatchObject({ baseText: '{"x": 1}\n', exists: false, baseToken: undefined });
    expect(() => openForEdit(join(d, 'nowhere', 'c.enc'), ring)).toThrow(/directory .*nowhere does not exist/);
  });

  it('reports problems by position and path, never by content', () => {
    const d = fresh();
    const f = join(d, 'e.json');
    writeFileSync(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"secret": "hunter2",}')]));
    const edited = readEditedFile(f)!;
    expect(edited.text.startsWith('{')).toBe(true);
    const problem = checkEdit(edited);
    expect(problem).toBeInstanceOf(InvalidJson);
    expect((problem as InvalidJson).column).toBe(22);
    expect(problem!.message).not.toContain('hunter2');
    writeFileSync(f, Buffer.from([0x7b, 0xff, 0x7d]));
    expect(checkEdit(readEditedFile(f)!)).toBeInstanceOf(MalformedConfigFile);
    const issues = checkEdit({ text: '{"port": "x"}', utf8: true }, () => [{ path: '/port', message: 'must be integer' }]);
    expect(issues).toBeInstanceOf(FernetConfigError);
    expect(issues!.message).toBe('config does not match the schema: port: must be integer');
    expect(checkEdit({ text: '{}', utf8: true }, () => [])).toBeUndefined();
    unlinkSync(f);
    expect(readEditedFile(f)).toBeUndefined();
  });

  it('resolves "$schema" references against the config directory; URLs are left alone', () => {
    expect(schemaReference({ $schema: './s.json' }, '/a/b/c.enc')).toEqual({ path: '/a/b/s.json' });
    expect(schemaReference({ $schema: '/abs/s.json' }, '/a/c.enc')).toEqual({ path: '/abs/s.json' });
    expect(schemaReference({ $schema: 'file:///abs/s.json' }, '/a/c.enc')).toEqual({ path: '/abs/s.json' });
    expect(schemaReference({ $schema: 'https://example.org/s.json' }, '/a/c.enc')).toEqual({ url: 'https://example.org/s.json' });
    expect(schemaReference([{ $schema: 'x' }], '/a/c.enc')).toBeUndefined();
    expect(schemaReference({ $schema: 1 }, '/a/c.enc')).toBeUndefined();
  });

  it('saves, skips unchanged text, and turns a concurrent change or deletion into a draft', async () => {
    const d = fresh();
    const path = join(d, 'c.enc');
    write(path, '{"a": 1}');
    const drafts: string[] = [];
    const keepDraft = (t: string) => (drafts.push(t), `${path}.draft`);

    const target = openForEdit(path, ring);
    expect(await saveEdit(target, '{"a": 1}', { keepDraft })).toEqual({ outcome: 'unchanged' });
    // Touching the file is not a change of content.
    const t = new Date(Date.now() + 5000);
    utimesSync(path, t, t);
    expect(await saveEdit(target, '{"a": 2}', { keepDraft })).toEqual({ outcome: 'saved' });
    expect(new Fernet(key).decryptText(readFileSync(path, 'utf8').trim())).toBe('{"a": 2}');

    const stale = openForEdit(path, ring);
    write(path, '{"a": 3}');
    expect(await saveEdit(stale, '{"a": 4}', { keepDraft })).toEqual({ outcome: 'conflict', draft: `${path}.draft` });
    expect(new Fernet(key).decryptText(readFileSync(path, 'utf8').trim())).toBe('{"a": 3}');

    const deleted = openForEdit(path, ring);
    unlinkSync(path);
    expect((await saveEdit(deleted, '{"a": 5}', { keepDraft })).outcome).toBe('conflict');
    expect(existsSync(path)).toBe(false);

    const created = openForEdit(path, ring);
    expect(await saveEdit(created, '{"a": 6}', { keepDraft })).toEqual({ outcome: 'created' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(drafts).toEqual(['{"a": 4}', '{"a": 5}']);
  });
});
