import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import { Aborted, CommandNotFound, ConcurrentModification, FernetConfigError, FileAccessError, FileExists, UsageError } from '../../src/errors.js';
import { draftPathFor, findDrafts, keepDraft, readDraft, removeDraft, tokenId, type Draft } from '../../src/edit/draft.js';
import { describeCommand, editorCommand, editorIsConfigured, missingWaitFlag, shellQuote, type EditorCommand } from '../../src/edit/editor.js';
import { checkEdit, editFileName, openForEdit, readEditedFile, saveEdit, schemaReference, type EditTarget, type Validator } from '../../src/edit/session.js';
import { skeletonText } from '../../src/edit/skeleton.js';
import { chooseTempRoot, createPrivateDir, removePrivateDir, sweepAbandonedDirs, writePrivateFile } from '../../src/edit/tempdir.js';
import { readSchemaFile } from '../../src/schema/compile.js';
import { info, keyOptions, stdinIsTTY, warn, type KeyFlags } from '../io.js';
import { reportError } from '../report.js';
import { loadValidator } from '../schema.js';

interface Flags extends KeyFlags {
  schema?: string;
  resume?: boolean;
  draft?: string;
  discardDraft?: boolean;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type HandledSignal = (typeof SIGNALS)[number];

/** How long an editor gets to exit after we pass a signal on, before it is killed. */
const EDITOR_GRACE_MS = 2000;

/**
 * What a signal handler needs to finish the session on its own: the temp directory, the running editor,
 * and the user's text as far as we know it. `settled` becomes true once that text is safe (saved, kept
 * as a draft) or deliberately dropped (editor exited non-zero), after which nothing more is kept.
 */
interface Session {
  config: string;
  target: EditTarget;
  dir?: string;
  file?: string;
  child?: ChildProcess;
  /** The text the editor was last opened on. */
  opened: string;
  resumed?: Draft;
  settled: boolean;
  interrupted?: HandledSignal;
  resumeHint: (draft: string) => string;
}

export default async function edit(config: string, flags: Flags): Promise<number> {
  if (flags.resume && flags.discardDraft) throw new UsageError('give --resume or --discard-draft, not both');
  if (flags.draft !== undefined && flags.discardDraft) throw new UsageError('--draft names a draft to resume; it cannot be combined with --discard-draft');
  const resume = flags.resume === true || flags.draft !== undefined;

  // Everything that can fail is checked before the editor opens, so no one edits for nothing.
  const validateFlag = flags.schema === undefined ? undefined : await loadValidator(flags.schema);
  const target = openForEdit(config, keyOptions(flags), {
    createWith: () => (flags.schema === undefined ? '{}\n' : skeletonText(readSchemaFile(flags.schema))),
  });
  const editor = editorCommand();
  if (!editorIsConfigured() && !stdinIsTTY()) {
    throw new UsageError('no editor: VISUAL and EDITOR are not set, and the default (vi) needs a terminal', {
      hint: 'set EDITOR, e.g. EDITOR="code --wait" or EDITOR=nano',
    });
  }

  const resumeHint = (draft: string) => {
    const args = ['fcfg', 'edit', config, '--resume'];
    if (draft !== draftPathFor(config)) args.push('--draft', draft);
    if (flags.schema !== undefined) args.push('--schema', flags.schema);
    return `your text is kept encrypted in ${draft}; continue with \`${args.map(shellQuote).join(' ')}\``;
  };

  let resumed: Draft | undefined;
  if (resume) {
    resumed = readDraft(flags.draft ?? draftPathFor(config), target.ring);
    if (!(await acceptStaleDraft(config, target, resumed))) {
      throw new Aborted(`${config} was not changed`, { hint: `the draft ${resumed.path} is still there` });
    }
  } else {
    const choice = await handleExistingDrafts(config, target, flags.discardDraft === true);
    if (choice !== undefined) resumed = choice;
  }

  const session: Session = { config, target, opened: resumed?.text ?? target.baseText, settled: false, resumeHint };
  if (resumed !== undefined) session.resumed = resumed;

  const wait = missingWaitFlag(editor);
  if (wait !== undefined) warn(`${editor.file} returns before you have finished unless it gets ${wait}: set EDITOR="${editor.file} ${wait}"`);

  const root = chooseTempRoot();
  const swept = sweepAbandonedDirs(root.path);
  if (swept.length > 0) info(`removed ${swept.length} temporary director${swept.length === 1 ? 'y' : 'ies'} left behind by an interrupted edit`);

  const handlers = new Map<HandledSignal, () => void>();
  for (const signal of SIGNALS) {
    const handler = () => void interrupt(session, signal);
    process.on(signal, handler);
    handlers.set(signal, handler);
  }
  try {
    session.dir = createPrivateDir(root.path);
    session.file = join(session.dir, editFileName(config));
    return await editLoop(session, editor, validateFlag);
  } finally {
    if (session.interrupted !== undefined) await park();
    const dir = session.dir;
    delete session.dir;
    if (dir !== undefined && !removePrivateDir(dir)) warn(`could not remove the temporary directory ${dir}: delete it yourself`);
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  }
}

async function editLoop(session: Session, editor: EditorCommand, validateFlag: Validator | undefined): Promise<number> {
  const { config, target } = session;
  const file = session.file!;
  const schemaFor = documentSchemas(config, validateFlag);
  let text = session.opened;
  for (;;) {
    writePrivateFile(file, text);
    session.opened = text;
    const { code, signal } = await runEditor(session, editor, file);
    if (session.interrupted !== undefined) await park();
    const edited = readEditedFile(file);
    if (code !== 0) {
      if (signal !== null && edited !== undefined && unsaved(session, edited.text)) {
        // A crashed editor is not a decision to throw the work away.
        const draft = keep(session, edited.text);
        throw new Aborted(`the editor was killed by ${signal}; ${config} was not changed`, { hint: session.resumeHint(draft) });
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
    if (problem !== undefined) {
      if (stdinIsTTY()) {
        reportError(problem, false);
        const again = await askReopen(session);
        if (session.interrupted !== undefined) await park();
        if (again) continue;
        const draft = keep(session, text);
        throw new Aborted(`${config} was not changed`, { hint: session.resumeHint(draft) });
      }
      const draft = keep(session, text);
      throw withHint(problem, session.resumeHint(draft));
    }

    let result;
    try {
      result = await saveEdit(target, text, { keepDraft: (t) => keep(session, t) });
    } catch (e) {
      if (session.settled || !(e instanceof FernetConfigError)) throw e;
      // The config could not be written (disk full, permissions changed): the text must survive that.
      let draft: string | undefined;
      try {
        draft = keep(session, text);
      } catch {
        // the draft goes to the same directory and failed too; the error below is all we can say
      }
      throw draft === undefined ? e : withHint(e, session.resumeHint(draft));
    }
    session.settled = true;
    switch (result.outcome) {
      case 'conflict':
        throw new ConcurrentModification(
          `${config} changed on disk while you were editing (another edit, a git pull, a key rotation); it was not overwritten`,
          { hint: `${session.resumeHint(result.draft)} after looking at the new version (\`fcfg decrypt ${shellQuote(config)}\`)` },
        );
      case 'unchanged':
        if (session.resumed) removeDraft(session.resumed.path);
        info(`no changes; ${config} was ${target.exists ? 'not rewritten' : 'not created'}${session.resumed ? ` (the draft matched it and was removed)` : ''}`);
        return 0;
      default:
        if (session.resumed) removeDraft(session.resumed.path);
        info(`${result.outcome} ${config}`);
        return 0;
    }
  }
}

/** Is there text the user has not got stored anywhere (neither the config nor the draft it came from)? */
function unsaved(session: Session, text: string): boolean {
  if (text === session.target.baseText) return false;
  return session.resumed === undefined || text !== session.resumed.text;
}

function keep(session: Session, text: string): string {
  const { config, target, resumed } = session;
  const path = keepDraft(config, text, target.ring, {
    base: tokenId(target.baseToken),
    ...(resumed ? { replace: { path: resumed.path, token: resumed.token } } : {}),
  });
  session.settled = true;
  return path;
}

/** Adds a hint to one of our errors (the message stays as it was). */
function withHint<E extends FernetConfigError>(e: E, hint: string): E {
  return Object.assign(e, { hint });
}

/** The validator for an edited document: --schema, else a local schema its "$schema" names. */
function documentSchemas(config: string, validateFlag: Validator | undefined): (text: string) => Promise<Validator | undefined> {
  const cache = new Map<string, Validator>();
  const noted = new Set<string>();
  return async (text) => {
    if (validateFlag !== undefined) return validateFlag;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined; // checkEdit reports the syntax error
    }
    const ref = schemaReference(value, config);
    if (ref === undefined) return undefined;
    if ('url' in ref) {
      if (!noted.has(ref.url)) info(`note: not validating against "$schema" ${ref.url}: only local schema files are used (or pass --schema)`);
      noted.add(ref.url);
      return undefined;
    }
    let validate = cache.get(ref.path);
    if (validate === undefined) {
      try {
        validate = await loadValidator(ref.path);
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
  const waiting = process.stderr.isTTY === true;
  // Like git: say what we wait for (a GUI editor gives no other sign), and erase it afterwards.
  if (waiting) process.stderr.write(`waiting for your editor (${describeCommand(cmd)}) to close the file... `);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.file, [...cmd.args, file], { stdio: 'inherit' });
    session.child = child;
    child.once('error', (e: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // a failed kill() of a running editor, not a failed start
      delete session.child;
      if (waiting) process.stderr.write('\n');
      reject(editorError(e, cmd));
    });
    child.once('exit', (code, signal) => {
      delete session.child;
      if (waiting) process.stderr.write('\r\x1b[K');
      resolve({ code, signal });
    });
  });
}

function editorError(e: NodeJS.ErrnoException, cmd: EditorCommand): Error {
  const how = cmd.source === 'default' ? 'the default editor' : `$${cmd.source}`;
  const hint = 'set VISUAL or EDITOR to your editor, e.g. EDITOR="code --wait" or EDITOR=nano';
  if (e.code === 'ENOENT') return new CommandNotFound(`editor not found: ${cmd.file} (from ${how})`, { cause: e, hint });
  if (e.code === 'EACCES' || e.code === 'EPERM') return new FileAccessError(`editor ${cmd.file} cannot be run: permission denied`, { cause: e, hint });
  return new FileAccessError(`editor ${cmd.file} could not be started (${e.code ?? 'error'})`, { cause: e, hint });
}

/** On a terminal: re-open the editor on the rejected text, or stop (the text then goes to a draft). */
async function askReopen(session: Session): Promise<boolean> {
  const { default: select } = await import('@inquirer/select');
  const draft = session.resumed?.path ?? draftPathFor(session.config);
  try {
    const choice = await select(
      {
        message: `${session.config} was not saved. What now?`,
        choices: [
          { name: 'Re-open the editor on your text', value: 'reopen' },
          { name: `Stop, keeping your text encrypted in ${draft}`, value: 'stop' },
        ],
      },
      { output: process.stderr },
    );
    return choice === 'reopen';
  } catch (e) {
    if ((e as { name?: string })?.name === 'ExitPromptError') return false;
    throw e;
  }
}

/** --resume of a draft made from another version of the config than the one on disk now. */
async function acceptStaleDraft(config: string, target: EditTarget, draft: Draft): Promise<boolean> {
  const current = tokenId(target.baseToken);
  if (draft.base === current) return true;
  const what =
    draft.base === undefined
      ? `cannot tell which version of ${config} the draft ${draft.path} was made from`
      : `${config} ${target.exists ? 'changed' : 'was deleted'} since the draft ${draft.path} was made (another edit, a git pull)`;
  if (!stdinIsTTY()) {
    warn(`${what}; saving the draft replaces that version`);
    return true;
  }
  const { default: confirm } = await import('@inquirer/confirm');
  try {
    return await confirm({ message: `${what}. Saving the draft replaces that version. Open it anyway?`, default: true }, { output: process.stderr });
  } catch (e) {
    if ((e as { name?: string })?.name === 'ExitPromptError') return false;
    throw e;
  }
}

/**
 * A plain `edit` when drafts exist: they hold someone's unsaved work, so they are never silently ignored
 * or dropped. On a terminal the user chooses; otherwise the command stops and says how to go on.
 */
async function handleExistingDrafts(config: string, target: EditTarget, discard: boolean): Promise<Draft | undefined> {
  const drafts = findDrafts(config);
  if (drafts.length === 0) return undefined;
  if (discard) {
    for (const d of drafts) removeDraft(d);
    info(`discarded ${drafts.join(', ')}`);
    return undefined;
  }
  const main = draftPathFor(config);
  const quoted = shellQuote(config);
  const list = drafts.join(', ');
  if (!stdinIsTTY() || drafts[0] !== main) {
    throw new FileExists(`${config} has unsaved edits in ${list}`, {
      hint: `resume with \`fcfg edit ${quoted} --resume\`${drafts[0] !== main || drafts.length > 1 ? ' (--draft FILE for another one)' : ''}, or drop ${drafts.length > 1 ? 'them' : 'it'} with \`fcfg edit ${quoted} --discard-draft\``,
    });
  }
  const draft = readDraft(main, target.ring);
  if (drafts.length > 1) warn(`there are more drafts: ${drafts.slice(1).join(', ')} (resume them with --draft FILE)`);
  const { default: select } = await import('@inquirer/select');
  let choice: string;
  try {
    choice = await select(
      {
        message: `${config} has an unsaved edit from ${new Date(draft.timestamp * 1000).toLocaleString()} in ${main}.`,
        choices: [
          { name: 'Resume the draft', value: 'resume' },
          { name: `Discard the draft and edit ${config}`, value: 'discard' },
          { name: 'Cancel', value: 'cancel' },
        ],
      },
      { output: process.stderr },
    );
  } catch (e) {
    if ((e as { name?: string })?.name !== 'ExitPromptError') throw e;
    choice = 'cancel';
  }
  if (choice === 'discard') {
    removeDraft(main);
    info(`discarded ${main}`);
    return undefined;
  }
  if (choice === 'cancel' || !(await acceptStaleDraft(config, target, draft))) {
    throw new Aborted(`${config} was not changed`, { hint: `the draft ${main} is still there` });
  }
  return draft;
}

/** Never settles: the signal handler owns the session from here and ends the process. */
function park(): Promise<never> {
  return new Promise<never>(() => {});
}

/**
 * SIGINT, SIGTERM or SIGHUP to the CLI: pass it on to the editor (SIGTERM for SIGINT — most editors
 * ignore SIGINT, it is a key to them), give it a moment to exit and write its last swap file, kill it
 * otherwise; keep any unsaved text as a draft; remove the whole temp directory; exit 128+N.
 */
async function interrupt(session: Session, signal: HandledSignal): Promise<void> {
  if (session.interrupted !== undefined) return;
  session.interrupted = signal;
  let draft: string | undefined;
  try {
    const child = session.child;
    if (child !== undefined) {
      child.kill(signal === 'SIGHUP' ? 'SIGHUP' : 'SIGTERM');
      if (!(await exited(child, EDITOR_GRACE_MS))) {
        child.kill('SIGKILL');
        await exited(child, 1000);
      }
    }
    const edited = session.file !== undefined ? readEditedFile(session.file) : undefined;
    if (!session.settled && edited !== undefined && unsaved(session, edited.text)) draft = keep(session, edited.text);
  } catch {
    // Whatever failed, the plaintext must still go.
  }
  const dir = session.dir;
  delete session.dir;
  if (dir !== undefined && !removePrivateDir(dir)) warn(`could not remove the temporary directory ${dir}: delete it yourself`);
  const kept = draft ?? (session.resumed && !session.settled ? session.resumed.path : undefined);
  reportError(
    new Aborted(`interrupted by ${signal}; ${session.config} was not changed`, kept === undefined ? {} : { hint: session.resumeHint(kept) }),
    false,
  );
  process.exit(128 + (constants.signals[signal] ?? 0));
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
