import { spawn, type ChildProcess } from 'node:child_process';
import { renameSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Aborted, CommandNotFound, ConcurrentModification, FernetConfigError, FileAccessError, FileExists, Interrupted, UsageError } from '../errors.js';
import type { KeySource } from '../config/file.js';
import { draftPathFor, findDrafts, keepDraft, readDraft, removeDraft, tokenId, type Draft } from './draft.js';
import { describeCommand, editorCommand, editorIsConfigured, editorStdio, missingWaitFlag, type EditorCommand } from './editor.js';
import { checkEdit, editFileName, openForEdit, readEditedFile, saveEdit, schemaReference, type EditTarget, type Validator } from './session.js';
import { onTerminatingSignals } from './signals.js';
import { chooseTempRoot, createPrivateDir, removePrivateDir, sweepAbandonedDirs, writePrivateFile } from './tempdir.js';

/**
 * The whole `edit` session: choose the editor, handle drafts, run the editor in a private temp directory,
 * check and save the result, and never lose the user's text — not to invalid JSON, a config changed
 * meanwhile, a full disk or a signal. What it needs from a user interface (messages, questions) comes in
 * through EditIo, so the library never touches the terminal itself.
 */

/** Questions asked on a terminal. */
export interface EditPrompts {
  /** The edit cannot be saved as it is: re-open the editor on it (true), or stop and keep it in `draft` (false). */
  reopen(config: string, draft: string): Promise<boolean>;
  /** A draft made from another version of the config than the one on disk: open it anyway? */
  confirmStaleDraft(question: string): Promise<boolean>;
  /** A plain edit while `draft` (CONFIG.draft) holds unsaved work. */
  chooseDraft(config: string, draft: Draft): Promise<'resume' | 'discard' | 'cancel'>;
}

export interface EditIo {
  /** Standard input is a terminal: questions can be asked, and the default editor can run. */
  interactive: boolean;
  info(message: string): void;
  warn(message: string): void;
  /** Shows why an edit cannot be saved, before `prompts.reopen` asks what to do. */
  problem(error: FernetConfigError): void;
  prompts: EditPrompts;
  /** Called as the editor starts; the function it returns, when it has exited. */
  waiting?(editor: string): () => void;
}

export interface EditOptions {
  keys?: KeySource;
  /** The validator of --schema; without it a local "$schema" named in the document is used. */
  validate?: Validator;
  /** Compiles a schema file (for "$schema"); loaded lazily by the caller. */
  loadValidator: (path: string) => Promise<Validator>;
  /** Starting text of a config that does not exist yet (default "{}\n"). */
  createWith?: () => string;
  /** Continue the draft `draft` (default CONFIG.draft). */
  resume?: boolean;
  draft?: string;
  /** Delete the config's drafts first. */
  discardDraft?: boolean;
  /**
   * Resume a draft made from another version of the config (or of unknown origin) without a terminal to
   * ask on: saving it then replaces the current version. Without it such a resume is refused.
   */
  force?: boolean;
  io: EditIo;
  /** The command lines hints suggest (the caller knows its options): resume a draft, or finish from a kept file. */
  commands: { resume(draft: string): string; finish(file: string): string };
  env?: Record<string, string | undefined>;
  /** How long an editor gets to exit after a signal is passed on, before it is killed (ms, default 2000). */
  graceMs?: number;
}

export interface EditResult {
  outcome: 'unchanged' | 'saved' | 'created';
  /** The config existed before the edit. */
  existed: boolean;
  /** The resumed draft, removed now that its text is in the config. */
  removedDraft?: string;
}

/**
 * What a signal handler needs to finish the session on its own: the temp directory, the running editor,
 * and the user's text as far as we know it. `settled` becomes true once that text is safe (saved, kept as
 * a draft or in a kept temp directory) or deliberately dropped (editor exited non-zero).
 */
interface Session {
  config: string;
  target: EditTarget;
  options: EditOptions;
  dir?: string;
  file?: string;
  /** Set when the text could not be saved anywhere else: this directory stays, renamed so no sweep takes it. */
  keptDir?: string;
  child?: ChildProcess;
  resumed?: Draft;
  settled: boolean;
  saving?: Promise<unknown>;
  /** The config was written (a signal that came during the save must not say otherwise). */
  saved?: boolean;
  interrupted?: NodeJS.Signals;
}

/**
 * Edits `config` in the user's editor. Resolves when the edit is saved or changed nothing; rejects with
 * Aborted (the user stopped, the editor failed), Interrupted (a terminating signal: the caller should exit
 * 128 + its number), UsageError, or the error that kept the text from being saved — with a hint saying
 * where the text is.
 */
export async function editConfig(config: string, options: EditOptions): Promise<EditResult> {
  const { io } = options;
  const env = options.env ?? process.env;
  // Everything that can fail is checked before the editor opens, so no one edits for nothing.
  const target = openForEdit(config, options.keys ?? {}, options.createWith === undefined ? {} : { createWith: options.createWith });
  const editor = editorCommand(env);
  if (!editorIsConfigured(env) && !io.interactive) {
    throw new UsageError(
      editor.source === 'npm'
        ? 'no editor: EDITOR=vi was set by npm (npm run and npx set it when EDITOR is unset), and vi needs a terminal'
        : 'no editor: VISUAL and EDITOR are not set, and the default (vi) needs a terminal',
      { hint: 'run it from a terminal, or set EDITOR to an editor that needs none, e.g. EDITOR="code --wait"' },
    );
  }

  let resumed: Draft | undefined;
  if (options.resume === true || options.draft !== undefined) {
    resumed = readDraft(options.draft ?? draftPathFor(config), target.ring);
    if (!(await acceptStaleDraft(config, target, resumed, options))) {
      throw new Aborted(`${config} was not changed`, { hint: `the draft ${resumed.path} is still there` });
    }
  } else {
    resumed = await handleExistingDrafts(config, target, options);
  }

  const wait = missingWaitFlag(editor);
  if (wait !== undefined) io.warn(`${editor.file} returns before you have finished unless it gets ${wait}: set EDITOR="${editor.file} ${wait}"`);

  const root = chooseTempRoot(env);
  const swept = sweepAbandonedDirs(root.path);
  if (swept.length > 0) io.info(`removed ${swept.length} temporary director${swept.length === 1 ? 'y' : 'ies'} left behind by an interrupted edit`);

  const session: Session = { config, target, options, settled: false };
  if (resumed !== undefined) session.resumed = resumed;

  let stopped!: (e: Interrupted) => void;
  const interruption = new Promise<never>((_, reject) => (stopped = reject));
  const removeHandlers = onTerminatingSignals((signal) => {
    void interrupt(session, signal).then((e) => {
      removeHandlers();
      stopped(e);
    });
  });
  const main = (async () => {
    try {
      session.dir = createPrivateDir(root.path);
      session.file = join(session.dir, editFileName(config));
      return await editLoop(session, editor);
    } finally {
      // From the moment a signal arrives, the handler owns the session and finishes it.
      if (session.interrupted !== undefined) await park();
      removeTempDir(session);
      removeHandlers();
    }
  })();
  return Promise.race([main, interruption]);
}

async function editLoop(session: Session, editor: EditorCommand): Promise<EditResult> {
  const { config, target, options } = session;
  const { io } = options;
  const file = session.file!;
  const schemaFor = documentSchemas(config, options);
  let text = session.resumed?.text ?? target.baseText;
  for (;;) {
    writePrivateFile(file, text);
    const { code, signal } = await runEditor(session, editor, file);
    if (session.interrupted !== undefined) await park();
    const edited = readEditedFile(file);
    if (code !== 0) {
      if (signal !== null && edited !== undefined && unsaved(session, edited.text)) {
        // A crashed editor is not a decision to throw the work away.
        throw withKeptText(new Aborted(`the editor was killed by ${signal}; ${config} was not changed`), session, edited.text);
      }
      session.settled = true;
      const how = signal !== null ? `was killed by ${signal}` : `exited with status ${code}`;
      throw new Aborted(`the editor ${how}; ${config} was not changed`, { hint: session.resumed ? `the draft ${session.resumed.path} is still there` : undefined });
    }
    if (edited === undefined) {
      session.settled = true;
      throw new Aborted(`the edited file was deleted; ${config} was not changed`);
    }
    text = edited.text;

    const problem = text === target.baseText ? undefined : checkEdit(edited, await schemaFor(edited.text));
    if (session.interrupted !== undefined) await park();
    if (problem !== undefined) {
      if (!io.interactive) throw withKeptText(problem, session, text);
      io.problem(problem);
      const again = await io.prompts.reopen(config, session.resumed?.path ?? draftPathFor(config));
      if (session.interrupted !== undefined) await park();
      if (again) continue;
      throw withKeptText(new Aborted(`${config} was not changed`), session, text);
    }

    let result;
    try {
      const saving = saveEdit(target, text, { keepDraft: (t) => keep(session, t) }).then((r) => {
        if (r.outcome === 'saved' || r.outcome === 'created') session.saved = true;
        return r;
      });
      session.saving = saving;
      result = await saving;
    } catch (e) {
      if (session.settled) throw e;
      // The config could not be written (disk full, permissions changed): the text must survive that.
      throw withKeptText(e instanceof FernetConfigError ? e : new FileAccessError(`${config} could not be saved`, { cause: e }), session, text);
    } finally {
      delete session.saving;
    }
    if (session.interrupted !== undefined) await park();
    session.settled = true;
    if (result.outcome === 'conflict') {
      throw new ConcurrentModification(
        `${config} changed on disk while you were editing (another edit, a git pull, a key rotation); it was not overwritten`,
        { hint: `${resumeHint(session, result.draft)} after looking at the new version (\`fcfg decrypt ${config}\`)` },
      );
    }
    const done: EditResult = { outcome: result.outcome, existed: target.exists };
    if (session.resumed) {
      removeDraft(session.resumed.path);
      done.removedDraft = session.resumed.path;
    }
    return done;
  }
}

/** Is there text the user has not got stored anywhere (neither the config nor the draft it came from)? */
function unsaved(session: Session, text: string): boolean {
  if (text === session.target.baseText) return false;
  return session.resumed === undefined || text !== session.resumed.text;
}

/** Keeps the text as an encrypted draft beside the config; returns its path. */
function keep(session: Session, text: string): string {
  const { config, target, resumed } = session;
  const path = keepDraft(config, text, target.ring, {
    ...baseOf(session),
    ...(resumed ? { replace: { path: resumed.path, token: resumed.token } } : {}),
  });
  session.settled = true;
  return path;
}

/** The version of the config this session opened: what a later resume compares the config on disk with. */
function baseOf(session: Session): { base: string | null; baseText?: string } {
  const { target } = session;
  return target.exists ? { base: tokenId(target.baseToken), baseText: target.baseText } : { base: null };
}

type Kept = { draft: string } | { file: string; dir: string; reason: string };

/**
 * Puts the text somewhere safe: an encrypted draft, or — when not even that can be written (a full disk,
 * a read-only directory) — the temp directory itself, which then stays. Never throws.
 */
function preserve(session: Session, text: string): Kept {
  try {
    return { draft: keep(session, text) };
  } catch (e) {
    const reason = e instanceof FernetConfigError ? e.message : String((e as NodeJS.ErrnoException)?.code ?? 'error');
    return { ...keepTempDir(session, text), reason };
  }
}

function keepTempDir(session: Session, text: string): { file: string; dir: string } {
  let dir = session.keptDir ?? session.dir!;
  let file = join(dir, basename(session.file!));
  try {
    if (readEditedFile(file)?.text !== text) writePrivateFile(file, text);
  } catch {
    // the file on disk is the editor's last save: the best there is
  }
  if (session.keptDir === undefined) {
    // Renamed out of the pattern sweepAbandonedDirs looks for: a later edit must not remove it.
    const kept = join(dirname(dir), basename(dir).replace(/^fcfg-edit-/, 'fcfg-kept-'));
    try {
      renameSync(dir, kept);
      dir = kept;
      file = join(dir, basename(file));
    } catch {
      // it stays under its own name; still not removed by this process
    }
    session.keptDir = dir;
    session.file = file;
    delete session.dir;
  }
  session.settled = true;
  return { file, dir };
}

function resumeHint(session: Session, draft: string): string {
  return `your text is kept encrypted in ${draft}; continue with \`${session.options.commands.resume(draft)}\``;
}

function keptHint(session: Session, kept: Kept): string {
  if ('draft' in kept) return resumeHint(session, kept.draft);
  return (
    `nothing could be saved encrypted (${kept.reason}), so your text is still in clear in ${kept.file}: ` +
    `when there is room, finish with \`${session.options.commands.finish(kept.file)}\`, then \`rm -r ${kept.dir}\` (or just remove it to give up the edit)`
  );
}

/** The error, with a hint saying where the text was put (the message stays as it was). */
function withKeptText<E extends FernetConfigError>(e: E, session: Session, text: string): E {
  return Object.assign(e, { hint: keptHint(session, preserve(session, text)) });
}

/** The validator for an edited document: --schema, else a local schema its "$schema" names. */
function documentSchemas(config: string, options: EditOptions): (text: string) => Promise<Validator | undefined> {
  const cache = new Map<string, Validator>();
  const noted = new Set<string>();
  return async (text) => {
    if (options.validate !== undefined) return options.validate;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined; // checkEdit reports the syntax error
    }
    const ref = schemaReference(value, config);
    if (ref === undefined) return undefined;
    if ('url' in ref) {
      if (!noted.has(ref.url)) options.io.info(`note: not validating against "$schema" ${ref.url}: only local schema files are used (or pass --schema)`);
      noted.add(ref.url);
      return undefined;
    }
    let validate = cache.get(ref.path);
    if (validate === undefined) {
      try {
        validate = await options.loadValidator(ref.path);
      } catch (e) {
        if (!(e instanceof FernetConfigError)) throw e;
        const reason = e.message;
        validate = () => [{ path: '/$schema', message: `names a schema that cannot be used (${reason})` }];
      }
      cache.set(ref.path, validate);
    }
    return validate;
  };
}

function runEditor(session: Session, cmd: EditorCommand, file: string): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const done = session.options.io.waiting?.(describeCommand(cmd));
  const streams = editorStdio();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.file, [...cmd.args, file], { stdio: streams.stdio });
    session.child = child;
    child.once('error', (e: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // a failed kill() of a running editor, not a failed start
      delete session.child;
      streams.close();
      done?.();
      reject(editorError(e, cmd));
    });
    child.once('exit', (code, signal) => {
      delete session.child;
      streams.close();
      done?.();
      resolve({ code, signal });
    });
  });
}

function editorError(e: NodeJS.ErrnoException, cmd: EditorCommand): Error {
  const how = cmd.source === 'default' ? 'the default editor' : cmd.source === 'npm' ? 'npm' : `$${cmd.source}`;
  const hint = 'set VISUAL or EDITOR to your editor, e.g. EDITOR="code --wait" or EDITOR=nano';
  if (e.code === 'ENOENT') return new CommandNotFound(`editor not found: ${cmd.file} (from ${how})`, { cause: e, hint });
  if (e.code === 'EACCES' || e.code === 'EPERM') return new FileAccessError(`editor ${cmd.file} cannot be run: permission denied`, { cause: e, hint });
  return new FileAccessError(`editor ${cmd.file} could not be started (${e.code ?? 'error'})`, { cause: e, hint });
}

/**
 * --resume of a draft made from another version of the config than the one on disk (or of unknown
 * origin): saving it would replace changes the draft never saw. On a terminal the user is asked; without
 * one the resume is refused (the draft stays) unless --force says to replace that version.
 */
async function acceptStaleDraft(config: string, target: EditTarget, draft: Draft, options: EditOptions): Promise<boolean> {
  const { io } = options;
  if (draft.base === tokenId(target.baseToken)) return true;
  // Re-encrypted (a key rotation) but the same text: nothing the draft would replace.
  if (target.exists && draft.baseText !== undefined && draft.baseText === target.baseText) return true;
  const what =
    draft.base === undefined
      ? `cannot tell which version of ${config} the draft ${draft.path} was made from`
      : `${config} ${target.exists ? 'changed' : 'was deleted'} since the draft ${draft.path} was made (another edit, a git pull)`;
  if (!io.interactive) {
    if (options.force === true) {
      io.warn(`${what}; --force: saving the draft replaces that version`);
      return true;
    }
    throw new ConcurrentModification(`${what}; saving the draft would replace that version, so it was not opened`, {
      hint: `the draft is still there: look at the current version (\`fcfg decrypt ${config}\`), then resume on a terminal to be asked, or add --force to replace it with the draft`,
    });
  }
  return io.prompts.confirmStaleDraft(`${what}. Saving the draft replaces that version. Open it anyway?`);
}

/**
 * A plain `edit` when drafts exist: they hold someone's unsaved work, so they are never silently ignored
 * or dropped. On a terminal the user chooses; otherwise the command stops and says how to go on.
 */
async function handleExistingDrafts(config: string, target: EditTarget, options: EditOptions): Promise<Draft | undefined> {
  const { io } = options;
  const drafts = findDrafts(config);
  if (drafts.length === 0) return undefined;
  if (options.discardDraft) {
    for (const d of drafts) removeDraft(d);
    io.info(`discarded ${drafts.join(', ')}`);
    return undefined;
  }
  const main = draftPathFor(config);
  const list = drafts.join(', ');
  if (!io.interactive || drafts[0] !== main) {
    const resume = options.commands.resume(main);
    throw new FileExists(`${config} has unsaved edits in ${list}`, {
      hint: `resume with \`${resume}\`${drafts[0] !== main || drafts.length > 1 ? ' (--draft FILE for another one)' : ''}, or drop ${drafts.length > 1 ? 'them' : 'it'} with --discard-draft`,
    });
  }
  const draft = readDraft(main, target.ring);
  if (drafts.length > 1) io.warn(`there are more drafts: ${drafts.slice(1).join(', ')} (resume them with --draft FILE)`);
  const choice = await io.prompts.chooseDraft(config, draft);
  if (choice === 'discard') {
    removeDraft(main);
    io.info(`discarded ${main}`);
    return undefined;
  }
  if (choice === 'cancel' || !(await acceptStaleDraft(config, target, draft, options))) {
    throw new Aborted(`${config} was not changed`, { hint: `the draft ${main} is still there` });
  }
  return draft;
}

/** Never settles: the signal handler owns the session from here. */
function park(): Promise<never> {
  return new Promise<never>(() => {});
}

function removeTempDir(session: Session): void {
  const dir = session.dir;
  delete session.dir;
  if (dir !== undefined && !removePrivateDir(dir)) session.options.io.warn(`could not remove the temporary directory ${dir}: delete it yourself`);
}

/**
 * A terminating signal: pass it on to the editor (SIGTERM for all but SIGHUP — most editors take SIGINT
 * as a key, and SIGQUIT or SIGUSR1 mean other things to them), give it a moment to exit and write its last
 * swap file, kill it otherwise; let a save under way finish; keep any unsaved text as a draft (or, when
 * that cannot be written, in the temp directory); remove the temp directory otherwise. Returns the error
 * to end with.
 */
async function interrupt(session: Session, signal: NodeJS.Signals): Promise<Interrupted> {
  if (session.interrupted !== undefined) return park();
  session.interrupted = signal;
  const grace = session.options.graceMs ?? 2000;
  let kept: Kept | undefined;
  try {
    const child = session.child;
    if (child !== undefined) {
      child.kill(signal === 'SIGHUP' ? 'SIGHUP' : 'SIGTERM');
      if (!(await exited(child, grace))) {
        child.kill('SIGKILL');
        await exited(child, 1000);
      }
    }
    if (session.saving !== undefined) await session.saving.catch(() => undefined);
    const edited = session.file !== undefined && session.keptDir === undefined ? readEditedFile(session.file) : undefined;
    if (!session.settled && edited !== undefined && unsaved(session, edited.text)) kept = preserve(session, edited.text);
  } catch {
    // Whatever failed, the plaintext must still go.
  }
  removeTempDir(session);
  const { config } = session;
  if (session.saved) {
    if (session.resumed) {
      try {
        removeDraft(session.resumed.path);
      } catch {
        // the config holds the text; a leftover draft is only clutter
      }
    }
    return new Interrupted(signal, `interrupted by ${signal} after ${config} was saved`);
  }
  if (kept === undefined && session.keptDir !== undefined) {
    return new Interrupted(signal, `interrupted by ${signal}; ${config} was not changed`, { hint: `your text is still in ${session.file}` });
  }
  if (kept === undefined && session.resumed && !session.settled) kept = { draft: session.resumed.path };
  return new Interrupted(signal, `interrupted by ${signal}; ${config} was not changed`, kept === undefined ? {} : { hint: keptHint(session, kept) });
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
