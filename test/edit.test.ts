/**
 * `fcfg edit` end to end: the built CLI with fake editors (small node scripts, set through EDITOR, in a
 * directory whose name has a space so the command-line parsing is exercised too). Every test ends by
 * checking that the temp root ($FERNET_CONFIG_TMPDIR) is empty and that no file anywhere in the test's
 * tree holds the secret in clear.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { Fernet } from '../src/fernet/fernet.js';
import { TERMINATING_SIGNALS } from '../src/edit/signals.js';
import { CLI, makeKeyFile, runCli, spawnCli, useTempDirs, type CliResult } from './helpers/cli.js';
import { runCliInPty } from './helpers/pty.js';

const sandbox = useTempDirs('fcfg-edit-test-');

interface Case {
  base: string;
  /** Where the config lives and the CLI runs. */
  work: string;
  /** $FERNET_CONFIG_TMPDIR. */
  root: string;
  bin: string;
  config: string;
  key: string;
  /** The secret in the config: must never appear in clear outside the temp root while editing. */
  marker: string;
  text: string;
}

let counter = 0;
function setup(options: { create?: boolean } = {}): Case {
  const base = sandbox();
  counter++;
  const work = join(base, 'work');
  const root = join(base, 'tmp-root');
  const bin = join(base, 'fake editors');
  for (const d of [work, root, bin]) mkdirSync(d, { recursive: true });
  const { keys } = makeKeyFile(work);
  const marker = `pl41n-s3cret-${counter}-${Math.random().toString(36).slice(2)}`;
  const text = `{\n  "database": {\n    "host": "db.internal",\n    "port": 5432,\n    "password": "${marker}"\n  }\n}\n`;
  const config = join(work, 'config.enc');
  if (options.create !== false) writeFileSync(config, new Fernet(keys[0]!).encrypt(text) + '\n', { mode: 0o640 });
  return { base, work, root, bin, config, key: keys[0]!, marker, text };
}

/** A fake editor: `body` runs with `fs`, `path` and `file` (the path it was given) in scope. */
function editor(c: Case, name: string, body: string): string {
  const script = join(c.bin, `${name}.mjs`);
  writeFileSync(script, `import * as fs from 'node:fs';\nimport * as path from 'node:path';\nconst file = process.argv[process.argv.length - 1];\n${body}\n`);
  return `"${process.execPath}" "${script}"`;
}

function env(c: Case, editorCmd: string, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { FERNET_CONFIG_TMPDIR: c.root, EDITOR: editorCmd, VISUAL: undefined, ...extra };
}

function edit(c: Case, editorCmd: string, args: string[] = [], extra: Record<string, string | undefined> = {}): CliResult {
  return runCli(['edit', 'config.enc', ...args], { cwd: c.work, env: env(c, editorCmd, extra) });
}

const decrypt = (c: Case, path = c.config): string => new Fernet(c.key).decryptText(readFileSync(path, 'utf8').trim());
const draftText = (c: Case, path = `${c.config}.draft`): string => (JSON.parse(decrypt(c, path)) as { text: string }).text;

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Nothing left in the temp root; the secret nowhere in clear — not in files, not in the output. */
function expectClean(c: Case, ...outputs: { stdout: string; stderr: string }[]): void {
  expect(readdirSync(c.root)).toEqual([]);
  for (const f of walk(c.base)) expect(readFileSync(f, 'latin1').includes(c.marker), `${f} holds the plaintext`).toBe(false);
  for (const o of outputs) {
    expect(o.stdout).not.toContain(c.marker);
    expect(o.stderr).not.toContain(c.marker);
  }
}

describe('fcfg edit', () => {
  it('saves an edit: private 0700 dir, 0600 .json file, editor arguments, file mode kept', () => {
    const c = setup();
    const info = join(c.base, 'seen.json');
    // Saves the way vim and VS Code may: a new file renamed over the old one.
    const ed = editor(
      c,
      'rename-save',
      `const dir = path.dirname(file);
fs.writeFileSync(${JSON.stringify(info)}, JSON.stringify({ args: process.argv.slice(2), name: path.basename(file), dir,
  dirMode: fs.statSync(dir).mode & 0o777, fileMode: fs.statSync(file).mode & 0o777 }));
fs.writeFileSync(file + '.new', fs.readFileSync(file, 'utf8').replace('5432', '5433'));
fs.renameSync(file + '.new', file);`,
    );
    const r = edit(c, `${ed} --wait -n`);
    expect(r.stderr).toContain('saved config.enc');
    expect(r.status).toBe(0);
    expect(decrypt(c)).toBe(c.text.replace('5432', '5433'));
    expect(statSync(c.config).mode & 0o777).toBe(0o640);
    const seen = JSON.parse(readFileSync(info, 'utf8')) as { args: string[]; name: string; dir: string; dirMode: number; fileMode: number };
    expect(seen.args.slice(0, 2)).toEqual(['--wait', '-n']);
    expect(seen.name).toBe('config.json');
    expect(seen.dir.startsWith(c.root + '/')).toBe(true);
    expect(seen.dirMode).toBe(0o700);
    expect(seen.fileMode).toBe(0o600);
    expect(existsSync(`${c.config}.draft`)).toBe(false);
    expectClean(c, r);
  });

  it('leaves an unchanged config alone: same bytes, same mtime', () => {
    const c = setup();
    const before = readFileSync(c.config, 'utf8');
    const mtime = statSync(c.config).mtimeMs;
    const r = edit(c, editor(c, 'noop', `fs.utimesSync(file, new Date(), new Date());`));
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('no changes; config.enc was not rewritten');
    expect(readFileSync(c.config, 'utf8')).toBe(before);
    expect(statSync(c.config).mtimeMs).toBe(mtime);
    expectClean(c, r);
  });

  it('aborts when the editor exits non-zero, whatever it wrote', () => {
    const c = setup();
    const before = readFileSync(c.config, 'utf8');
    const r = edit(c, editor(c, 'cq', `fs.writeFileSync(file, '{"changed": true}'); process.exit(3);`));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the editor exited with status 3; config.enc was not changed \[ERR_ABORTED\]/);
    expect(readFileSync(c.config, 'utf8')).toBe(before);
    expect(existsSync(`${c.config}.draft`)).toBe(false);
    expectClean(c, r);
  });

  it('keeps the work of an editor that crashes as a draft', () => {
    const c = setup();
    const r = edit(c, editor(c, 'crash', `fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('5432', '1')); process.kill(process.pid, 'SIGKILL');`));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('the editor was killed by SIGKILL');
    expect(r.stderr).toContain('fcfg edit config.enc --resume');
    expect(decrypt(c)).toBe(c.text);
    expect(draftText(c)).toBe(c.text.replace('5432', '1'));
    expectClean(c, r);
  });

  it('without a terminal, keeps invalid JSON as an encrypted draft; --resume continues from it', () => {
    const c = setup();
    const before = readFileSync(c.config, 'utf8');
    const broken = c.text.replace('"port": 5432,', '"port": 5432');
    const r = edit(c, editor(c, 'break', `fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"port": 5432,', '"port": 5432'));`));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/your edit is not valid JSON: .* at line 5, column 5 \[ERR_INVALID_JSON\]/);
    expect(r.stderr).toContain('hint: your text is kept encrypted in config.enc.draft; continue with `fcfg edit config.enc --resume`');
    expect(readFileSync(c.config, 'utf8')).toBe(before);
    const draft = `${c.config}.draft`;
    expect(statSync(draft).mode & 0o777).toBe(0o600);
    expect(draftText(c)).toBe(broken);
    expectClean(c, r);

    // A plain edit does not ignore the draft.
    const again = edit(c, editor(c, 'never', `process.exit(9);`));
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('config.enc has unsaved edits in config.enc.draft [ERR_FILE_EXISTS]');
    expect(again.stderr).toContain('--discard-draft');

    // --resume opens the user's own text, not the config.
    const fix = editor(
      c,
      'fix',
      `const t = fs.readFileSync(file, 'utf8');
if (!t.includes('"port": 5432\\n')) process.exit(7);
fs.writeFileSync(file, t.replace('"port": 5432', '"port": 5433,'));`,
    );
    const resumed = edit(c, fix, ['--resume']);
    expect(resumed.stderr).toContain('saved config.enc');
    expect(resumed.status).toBe(0);
    expect(decrypt(c)).toBe(c.text.replace('5432', '5433'));
    expect(existsSync(draft)).toBe(false);
    expect(statSync(c.config).mode & 0o777).toBe(0o640);
    expectClean(c, again, resumed);
  });

  it('--resume without a draft, --discard-draft, and a draft that still does not parse', () => {
    const c = setup();
    const none = edit(c, editor(c, 'never', `process.exit(9);`), ['--resume']);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('there is no draft config.enc.draft [ERR_FILE_NOT_FOUND]');

    expect(edit(c, editor(c, 'break', `fs.writeFileSync(file, '{"a": ');`)).status).toBe(1);
    const still = edit(c, editor(c, 'append', `fs.appendFileSync(file, '1');`), ['--resume']);
    expect(still.status).toBe(1);
    expect(still.stderr).toContain('[ERR_INVALID_JSON]');
    expect(draftText(c)).toBe('{"a": 1'); // the draft was updated in place, not duplicated
    expect(readdirSync(c.work).filter((n) => n.includes('draft'))).toEqual(['config.enc.draft']);

    const discard = edit(c, editor(c, 'noop', ''), ['--discard-draft']);
    expect(discard.status).toBe(0);
    expect(discard.stderr).toContain('discarded config.enc.draft');
    expect(existsSync(`${c.config}.draft`)).toBe(false);
    expect(decrypt(c)).toBe(c.text);
    expectClean(c, none, still, discard);
  });

  it('does not overwrite a config that changed during the edit: the edit becomes a draft', () => {
    const c = setup();
    const ed = editor(
      c,
      'racer',
      `fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('5432', '7777'));
const r = (await import('node:child_process')).spawnSync(process.execPath, [${JSON.stringify(CLI)}, 'set', 'config.enc', 'other', '1'], { encoding: 'utf8' });
if (r.status !== 0) { process.stderr.write(r.stderr); process.exit(5); }`,
    );
    const r = edit(c, ed);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('config.enc changed on disk while you were editing');
    expect(r.stderr).toContain('[ERR_CONCURRENT_MODIFICATION]');
    expect(r.stderr).toContain('fcfg edit config.enc --resume');
    const theirs = JSON.parse(decrypt(c)) as { other?: number; database: { port: number } };
    expect(theirs.other).toBe(1);
    expect(theirs.database.port).toBe(5432);
    expect(draftText(c)).toBe(c.text.replace('5432', '7777'));
    expectClean(c, r);

    // Without a terminal, resuming refuses: saving the draft would drop the concurrent `set`.
    const refused = edit(c, editor(c, 'noop', ''), ['--resume']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('config.enc changed since the draft config.enc.draft was made');
    expect(refused.stderr).toContain('[ERR_CONCURRENT_MODIFICATION]');
    expect(refused.stderr).toContain('add --force to replace it with the draft');
    expect(JSON.parse(decrypt(c))).toEqual(theirs);
    expect(draftText(c)).toBe(c.text.replace('5432', '7777'));
    expectClean(c, refused);

    // --force is the explicit decision to replace that version with the draft.
    const resumed = edit(c, editor(c, 'noop', ''), ['--resume', '--force']);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toContain('config.enc changed since the draft config.enc.draft was made');
    expect(decrypt(c)).toBe(c.text.replace('5432', '7777'));
    expect(existsSync(`${c.config}.draft`)).toBe(false);
    expectClean(c, resumed);
  });

  it('--force applies only to resuming a draft', () => {
    const c = setup();
    const r = edit(c, editor(c, 'noop', ''), ['--force']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--force only applies to --resume or --draft');
    expect(decrypt(c)).toBe(c.text);
    expectClean(c, r);
  });

  it('validates with --schema (paths and messages, no values) and keeps the rejected text', () => {
    const c = setup();
    const schema = join(c.work, 'schema.json');
    writeFileSync(
      schema,
      JSON.stringify({
        type: 'object',
        required: ['database'],
        properties: { database: { type: 'object', required: ['port'], properties: { port: { type: 'integer', maximum: 65535 }, password: { type: 'string', minLength: 8 } } } },
      }),
    );
    const r = edit(c, editor(c, 'bad-port', `fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('5432', '99999'));`), ['--schema', 'schema.json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERR_CONFIG_VALIDATION]');
    expect(r.stderr).toContain('database.port: must be <= 65535');
    expect(r.stderr).not.toContain('99999');
    expect(r.stderr).toContain('`fcfg edit config.enc --resume --schema schema.json`');
    expect(decrypt(c)).toBe(c.text);
    expect(draftText(c)).toBe(c.text.replace('5432', '99999'));
    const ok = edit(c, editor(c, 'fix-port', `fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('99999', '6000'));`), ['--resume', '--schema', 'schema.json']);
    expect(ok.status).toBe(0);
    expect(decrypt(c)).toBe(c.text.replace('5432', '6000'));
    expectClean(c, r, ok);
  });

  it('validates against a local "$schema" named in the document', () => {
    const c = setup();
    writeFileSync(join(c.work, 'config.schema.json'), JSON.stringify({ type: 'object', properties: { debug: { type: 'boolean' } } }));
    const withRef = (value: string) => `{\n  "$schema": "./config.schema.json",\n  "debug": ${value}\n}\n`;
    const bad = edit(c, editor(c, 'ref-bad', `fs.writeFileSync(file, ${JSON.stringify(withRef('"yes"'))});`));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('  debug: must be boolean');
    const good = edit(c, editor(c, 'ref-good', `fs.writeFileSync(file, ${JSON.stringify(withRef('true'))});`), ['--discard-draft']);
    expect(good.status).toBe(0);
    expect(decrypt(c)).toBe(withRef('true'));
    expectClean(c, bad, good);
  });

  it('creates a missing config from {} or from the --schema skeleton, and not at all when left as it was', () => {
    const c = setup({ create: false });
    const seen = join(c.base, 'skeleton.json');
    writeFileSync(
      join(c.work, 'schema.json'),
      JSON.stringify({
        type: 'object',
        required: ['name', 'database'],
        properties: {
          name: { type: 'string' },
          debug: { type: 'boolean', default: false },
          optional: { type: 'string' },
          database: { type: 'object', required: ['host'], properties: { host: { type: 'string', default: 'localhost' }, port: { type: 'integer', default: 5432 } } },
        },
      }),
    );
    const keep = edit(c, editor(c, 'look', `fs.copyFileSync(file, ${JSON.stringify(seen)});`), ['--schema', 'schema.json']);
    expect(keep.status).toBe(0);
    expect(keep.stderr).toContain('no changes; config.enc was not created');
    expect(existsSync(c.config)).toBe(false);
    expect(JSON.parse(readFileSync(seen, 'utf8'))).toEqual({ name: '', debug: false, database: { host: 'localhost', port: 5432 } });

    const plain = edit(c, editor(c, 'fill', `if (fs.readFileSync(file, 'utf8') !== '{}\\n') process.exit(4); fs.writeFileSync(file, '{"password": "typed-in"}');`));
    expect(plain.stderr).toContain('created config.enc');
    expect(plain.status).toBe(0);
    expect(JSON.parse(decrypt(c))).toEqual({ password: 'typed-in' });
    expect(statSync(c.config).mode & 0o777).toBe(0o600);
    expectClean(c, keep, plain);
  });

  it('needs a key before it opens the editor, even for a new config', () => {
    const c = setup({ create: false });
    const started = join(c.base, 'started');
    const keyless = join(c.base, 'keyless');
    mkdirSync(keyless);
    const r = runCli(['edit', 'new.enc'], { cwd: keyless, env: env(c, editor(c, 'mark', `fs.writeFileSync(${JSON.stringify(started)}, '');`)) });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[ERR_KEY_NOT_FOUND]');
    expect(existsSync(started)).toBe(false);
    expect(readdirSync(keyless)).toEqual([]);
    expectClean(c, r);
  });

  it('removes swap, backup and autosave files with the temp directory', () => {
    const c = setup();
    const ed = editor(
      c,
      'swappy',
      `const dir = path.dirname(file), name = path.basename(file), text = fs.readFileSync(file, 'utf8');
fs.writeFileSync(path.join(dir, '.' + name + '.swp'), text);
fs.writeFileSync(file + '~', text);
fs.writeFileSync(path.join(dir, '#' + name + '#'), text);
fs.mkdirSync(path.join(dir, '.backups'));
fs.writeFileSync(path.join(dir, '.backups', name), text, { mode: 0o400 });
fs.chmodSync(path.join(dir, '.backups'), 0o500);
fs.writeFileSync(file, text.replace('5432', '6543'));`,
    );
    const r = edit(c, ed);
    expect(r.status).toBe(0);
    expect(decrypt(c)).toBe(c.text.replace('5432', '6543'));
    expectClean(c, r);
  });

  it('removes the directories of an edit killed with SIGKILL on the next edit', () => {
    const c = setup();
    const pidFile = join(c.base, 'hang.pid');
    // By rename, as in interrupted() below: an empty pid file would read as 0, the whole process group.
    const hang = editor(c, 'hang', `fs.writeFileSync(${JSON.stringify(pidFile + '.tmp')}, String(process.pid)); fs.renameSync(${JSON.stringify(pidFile + '.tmp')}, ${JSON.stringify(pidFile)}); setInterval(() => {}, 1000);`);
    const victim = spawnCli(['edit', 'config.enc'], { cwd: c.work, env: env(c, hang) });
    return (async () => {
      for (let i = 0; i < 400 && !existsSync(pidFile); i++) await sleep(25);
      expect(readdirSync(c.root)).toHaveLength(1);
      const gone = new Promise((resolve) => victim.once('exit', resolve));
      victim.kill('SIGKILL');
      await gone;
      // The orphaned editor still runs; it does not keep anyone from cleaning up.
      const r = edit(c, editor(c, 'noop', ''));
      expect(r.status).toBe(0);
      expect(r.stderr).toContain('removed 1 temporary directory left behind by an interrupted edit');
      expectClean(c, r);
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    })();
  });

  it('explains a GUI editor without its wait flag, and a missing editor', () => {
    const c = setup();
    const r = edit(c, 'code');
    expect(r.stderr).toContain('code returns before you have finished unless it gets --wait');
    expect(r.stderr).toContain('editor not found: code (from $EDITOR) [ERR_COMMAND_NOT_FOUND]');
    expect(r.status).toBe(1);
    const none = runCli(['edit', 'config.enc'], { cwd: c.work, env: { FERNET_CONFIG_TMPDIR: c.root, EDITOR: undefined, VISUAL: undefined } });
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('no editor');
    expect(decrypt(c)).toBe(c.text);
    expectClean(c, r, none);
  });

  it('prefers $VISUAL over $EDITOR', () => {
    const c = setup();
    const r = edit(c, editor(c, 'never', `process.exit(9);`), [], { VISUAL: editor(c, 'visual', `fs.writeFileSync(file, '{"v": 1}');`) });
    expect(r.status).toBe(0);
    expect(decrypt(c)).toBe('{"v": 1}');
    expectClean(c, r);
  });
});

describe('fcfg edit, interrupted', () => {
  async function interrupted(c: Case, editorBody: string, signal: NodeJS.Signals) {
    const ready = join(c.base, `ready-${signal}`);
    // The pid goes in by rename: a file the test could see before its content would read as pid 0, and
    // process.kill(0, 0) signals our own process group, which always succeeds.
    const ed = editor(
      c,
      `wait-${signal}`,
      `${editorBody}\nfs.writeFileSync(${JSON.stringify(ready + '.tmp')}, String(process.pid));\nfs.renameSync(${JSON.stringify(ready + '.tmp')}, ${JSON.stringify(ready)});\nsetInterval(() => {}, 1000);`,
    );
    const child = spawnCli(['edit', 'config.enc'], { cwd: c.work, env: env(c, ed) });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // 'close', not 'exit': exit can come before the child's stderr has been read to its end.
    const done = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    for (let i = 0; i < 1200 && !existsSync(ready); i++) await sleep(25);
    expect(existsSync(ready)).toBe(true);
    const pid = Number(readFileSync(ready, 'utf8'));
    expect(pid).toBeGreaterThan(0);
    expect(readdirSync(c.root)).toHaveLength(1); // the edit is under way
    child.kill(signal);
    const status = await done;
    let editorAlive = true;
    try {
      process.kill(pid, 0);
    } catch {
      editorAlive = false;
    }
    return { status, stderr, editorAlive };
  }

  for (const [signal, status] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal}: stops the editor, removes the temp directory, exits ${status}, config untouched`, async () => {
      const c = setup();
      const before = readFileSync(c.config, 'utf8');
      const r = await interrupted(c, '', signal);
      expect(r.status).toBe(status);
      expect(r.editorAlive).toBe(false);
      expect(r.stderr).toContain(`interrupted by ${signal}; config.enc was not changed`);
      expect(readFileSync(c.config, 'utf8')).toBe(before);
      expect(existsSync(`${c.config}.draft`)).toBe(false);
      expectClean(c, { stdout: '', stderr: r.stderr });
    });
  }

  it('SIGHUP after the user saved: the saved text is kept as a draft', async () => {
    const c = setup();
    const before = readFileSync(c.config, 'utf8');
    const r = await interrupted(c, `fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('5432', '4444'));`, 'SIGHUP');
    expect(r.status).toBe(129);
    expect(r.stderr).toContain('fcfg edit config.enc --resume');
    expect(readFileSync(c.config, 'utf8')).toBe(before);
    expect(draftText(c)).toBe(c.text.replace('5432', '4444'));
    expectClean(c, { stdout: '', stderr: r.stderr });
  });

  // Every terminating signal Node lets us catch, each with and without unsaved text (alternating).
  describe.concurrent('every terminating signal', () => {
    TERMINATING_SIGNALS.forEach((signal, i) => {
      const edits = i % 2 === 0;
      it(`${signal}${edits ? ' after an edit' : ''}: editor ended, temp directory removed, ${edits ? 'draft kept' : 'no draft'}, exit 128+N`, async () => {
        const c = setup();
        const before = readFileSync(c.config, 'utf8');
        const r = await interrupted(c, edits ? `fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('5432', '4321'));` : '', signal);
        expect(r.stderr).toContain(`interrupted by ${signal}; config.enc was not changed [ERR_ABORTED]`);
        expect(r.status).toBe(128 + constants.signals[signal]);
        expect(r.editorAlive).toBe(false);
        expect(readFileSync(c.config, 'utf8')).toBe(before);
        if (edits) {
          expect(draftText(c)).toBe(c.text.replace('5432', '4321'));
          expect(r.stderr).toContain('fcfg edit config.enc --resume');
        } else {
          expect(existsSync(`${c.config}.draft`)).toBe(false);
        }
        expectClean(c, { stdout: '', stderr: r.stderr });
      });
    });
  });

  it('kills an editor that ignores the signal, then cleans up', async () => {
    const c = setup();
    const r = await interrupted(c, `for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => {});`, 'SIGTERM');
    expect(r.status).toBe(143);
    expect(r.editorAlive).toBe(false);
    expectClean(c, { stdout: '', stderr: r.stderr });
  });
});

describe('fcfg edit on a terminal', () => {
  const flaky = (c: Case, counterFile: string) =>
    editor(
      c,
      'flaky',
      `const n = fs.existsSync(${JSON.stringify(counterFile)}) ? Number(fs.readFileSync(${JSON.stringify(counterFile)}, 'utf8')) : 0;
fs.writeFileSync(${JSON.stringify(counterFile)}, String(n + 1));
const t = fs.readFileSync(file, 'utf8');
if (n === 0) fs.writeFileSync(file, t.replace('5432', '5432,'));
else fs.writeFileSync(file, t.replace('5432,', '5435'));`,
    );

  it('invalid JSON: re-opens the editor on the same text, then saves the fixed version', () => {
    const c = setup();
    const count = join(c.base, 'count');
    const r = runCliInPty(['edit', 'config.enc'], { cwd: c.work, env: env(c, flaky(c, count)), steps: [{ expect: 'What now\\?', send: '\r' }] });
    expect(r.output).toMatch(/your edit is not valid JSON: .* at line 4, column 18 \[ERR_INVALID_JSON\]/);
    expect(r.output).toContain('saved config.enc');
    expect(r.status).toBe(0);
    expect(readFileSync(count, 'utf8')).toBe('2');
    expect(decrypt(c)).toBe(c.text.replace('5432', '5435'));
    expect(existsSync(`${c.config}.draft`)).toBe(false);
    expectClean(c, { stdout: r.output, stderr: '' });
  });

  it('invalid JSON: stopping keeps the text as a draft', () => {
    const c = setup();
    const count = join(c.base, 'count');
    const r = runCliInPty(['edit', 'config.enc'], { cwd: c.work, env: env(c, flaky(c, count)), steps: [{ expect: 'What now\\?', send: '\x1b[B\r' }] });
    expect(r.status).toBe(1);
    expect(r.output).toContain('fcfg edit config.enc --resume');
    expect(decrypt(c)).toBe(c.text);
    expect(draftText(c)).toBe(c.text.replace('5432', '5432,'));
    expectClean(c, { stdout: r.output, stderr: '' });

    // A plain edit on a terminal offers the draft.
    const resumed = runCliInPty(['edit', 'config.enc'], { cwd: c.work, env: env(c, flaky(c, count)), steps: [{ expect: 'Resume the draft', send: '\r' }] });
    expect(resumed.output).toContain('saved config.enc');
    expect(resumed.status).toBe(0);
    expect(decrypt(c)).toBe(c.text.replace('5432', '5435'));
    expect(existsSync(`${c.config}.draft`)).toBe(false);
    chmodSync(c.config, 0o600);
    expectClean(c, { stdout: resumed.output, stderr: '' });
  });
});

describe('fcfg edit without a terminal', () => {
  /** A `vi` first in PATH that behaves like one run without a terminal: the file goes to its stdout. */
  function fakeVi(c: Case): { path: string; ran: string } {
    const ran = join(c.base, 'vi-ran');
    writeFileSync(join(c.bin, 'vi'), `#!/bin/sh\necho ran > '${ran}'\ncat "$1"\n`, { mode: 0o755 });
    return { path: `${c.bin}:${process.env['PATH'] ?? ''}`, ran };
  }
  const NPM = { npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js', npm_command: 'exec', npm_lifecycle_event: 'npx' };

  it("refuses npm's EDITOR=vi (npx, npm run) instead of running vi", () => {
    const c = setup();
    const vi = fakeVi(c);
    const r = edit(c, 'vi', [], { ...NPM, PATH: vi.path });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('no editor: EDITOR=vi was set by npm');
    expect(r.stderr).toContain('[ERR_USAGE]');
    expect(r.stdout).toBe('');
    expect(existsSync(vi.ran)).toBe(false);
    expectClean(c, r);
  });

  it('still runs an editor the user chose under npm', () => {
    const c = setup();
    const r = edit(c, editor(c, 'scripted', `fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('5432', '5439'));`), [], NPM);
    expect(r.stderr).toContain('saved config.enc');
    expect(r.status).toBe(0);
    expect(decrypt(c)).toBe(c.text.replace('5432', '5439'));
    expectClean(c, r);
  });

  it("never lets an editor write to a standard output that is not a terminal", () => {
    const c = setup();
    const vi = fakeVi(c);
    // The user's own EDITOR=vi is run (it may be a script), but what it prints goes nowhere near our stdout.
    const r = edit(c, 'vi', [], { PATH: vi.path, npm_execpath: undefined, npm_command: undefined, npm_lifecycle_event: undefined });
    expect(existsSync(vi.ran)).toBe(true);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expectClean(c, r);
  });
});

describe('fcfg edit with its output redirected, on a terminal', () => {
  it("gives the editor the terminal, so what it draws never reaches the redirected output", () => {
    const c = setup();
    const out = join(c.base, 'out.txt');
    // Prints the plaintext to its stdout, as a terminal editor draws it.
    const ed = editor(c, 'drawer', `process.stdout.write('DRAWN:' + fs.readFileSync(file, 'utf8'));`);
    const r = runCliInPty(['edit', 'config.enc'], { cwd: c.work, env: env(c, ed), steps: [], stdoutFile: out, timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.output).toContain('DRAWN:'); // on the terminal
    expect(readFileSync(out, 'utf8')).toBe(''); // not in the file
    expectClean(c);
  });
});

describe('fcfg edit on a full disk', () => {
  const root = process.getuid?.() === 0;
  if (!root) it.skip('needs root to mount a small tmpfs (skipped: not root)', () => {});

  it.runIf(root)('keeps the temp directory, says where the text is and how to finish; a later edit does not sweep it', () => {
    const c = setup();
    const disk = join(c.base, 'disk');
    mkdirSync(disk);
    const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk], { encoding: 'utf8' });
    if (mount.status !== 0) {
      console.warn(`skipped: cannot mount a tmpfs (${mount.stderr.trim()})`);
      return;
    }
    try {
      copyFileSync(c.config, join(disk, 'config.enc'));
      copyFileSync(join(c.work, 'secret.key'), join(disk, 'secret.key'));
      const before = readFileSync(join(disk, 'config.enc'), 'utf8');
      const filler = join(disk, 'filler');
      // Edits, then fills the disk the config lives on: neither the config nor a draft can be written.
      const ed = editor(
        c,
        'fill-disk',
        `fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('5432', '2345'));
const fd = fs.openSync(${JSON.stringify(filler)}, 'w');
try { for (let i = 0; i < 10000; i++) fs.writeSync(fd, Buffer.alloc(4096, 1)); } catch (e) { if (e.code !== 'ENOSPC') throw e; }
fs.closeSync(fd);`,
      );
      const r = runCli(['edit', 'config.enc'], { cwd: disk, env: env(c, ed) });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/ENOSPC|no space/i);
      expect(readFileSync(join(disk, 'config.enc'), 'utf8')).toBe(before);
      const kept = readdirSync(c.root);
      expect(kept).toHaveLength(1);
      expect(kept[0]).toMatch(/^fcfg-kept-/);
      const keptFile = join(c.root, kept[0]!, 'config.json');
      expect(readFileSync(keptFile, 'utf8')).toBe(c.text.replace('5432', '2345'));
      expect(r.stderr).toContain(`your text is still in clear in ${keptFile}`);
      expect(r.stderr).toContain(`fcfg encrypt ${keptFile} -o config.enc --force`);
      expect(r.stderr).toContain(`rm -r ${join(c.root, kept[0]!)}`);
      expect(r.stdout).not.toContain(c.marker);
      expect(r.stderr).not.toContain(c.marker);

      // With room again, the next edit works and leaves the kept text alone.
      rmSync(filler);
      rmSync(join(disk, 'config.enc.lock'), { force: true });
      const next = runCli(['edit', 'config.enc'], { cwd: disk, env: env(c, editor(c, 'noop', '')) });
      expect(next.status).toBe(0);
      expect(readFileSync(keptFile, 'utf8')).toBe(c.text.replace('5432', '2345'));
      rmSync(join(c.root, kept[0]!), { recursive: true });
    } finally {
      spawnSync('umount', [disk]);
    }
  });
});
