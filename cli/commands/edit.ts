import { Interrupted, UsageError } from '../../src/errors.js';
import type { Draft } from '../../src/edit/draft.js';
import { draftPathFor } from '../../src/edit/draft.js';
import { editConfig, type EditIo, type EditPrompts } from '../../src/edit/edit.js';
import { shellQuote } from '../../src/edit/editor.js';
import { signalExitStatus } from '../../src/edit/signals.js';
import { skeletonTextOfFile } from '../../src/edit/skeleton.js';
import { info, keyOptions, stdinIsTTY, warn, type KeyFlags } from '../io.js';
import { reportError } from '../report.js';
import { loadValidator } from '../schema.js';

interface Flags extends KeyFlags {
  schema?: string;
  resume?: boolean;
  draft?: string;
  discardDraft?: boolean;
  force?: boolean;
}

export default async function edit(config: string, flags: Flags): Promise<number> {
  if (flags.resume && flags.discardDraft) throw new UsageError('give --resume or --discard-draft, not both');
  if (flags.force && !flags.resume && flags.draft === undefined) throw new UsageError('--force only applies to --resume or --draft (to save a draft over a config that changed since)');
  if (flags.draft !== undefined && flags.discardDraft) throw new UsageError('--draft names a draft to resume; it cannot be combined with --discard-draft');

  const validate = flags.schema === undefined ? undefined : await loadValidator(flags.schema);
  const schema = flags.schema;
  // Key options that name no secret can be repeated in the commands hints suggest.
  const keyArgs = [...(flags.keyFile !== undefined ? ['--key-file', flags.keyFile] : []), ...(flags.keyCommand !== undefined ? ['--key-command', flags.keyCommand] : [])];
  // A literal --key is a secret: the hint shows where it goes, not what it is.
  const command = (words: string[]) => words.map(shellQuote).join(' ') + (flags.key !== undefined ? ' --key <your keys>' : '');
  try {
    const result = await editConfig(config, {
      keys: keyOptions(flags),
      loadValidator,
      ...(validate === undefined ? {} : { validate }),
      ...(schema === undefined ? {} : { createWith: () => skeletonTextOfFile(schema) }),
      ...(flags.resume ? { resume: true } : {}),
      ...(flags.draft !== undefined ? { draft: flags.draft } : {}),
      ...(flags.discardDraft ? { discardDraft: true } : {}),
      ...(flags.force ? { force: true } : {}),
      io: terminalIo(),
      commands: {
        resume: (draft) =>
          command(['fcfg', 'edit', config, '--resume', ...(draft !== draftPathFor(config) ? ['--draft', draft] : []), ...(schema !== undefined ? ['--schema', schema] : []), ...keyArgs]),
        finish: (file) => command(['fcfg', 'encrypt', file, '-o', config, '--force', ...keyArgs]),
      },
    });
    const note = result.removedDraft !== undefined ? (result.outcome === 'unchanged' ? ' (the draft matched it and was removed)' : '') : '';
    if (result.outcome === 'unchanged') info(`no changes; ${config} was ${result.existed ? 'not rewritten' : 'not created'}${note}`);
    else info(`${result.outcome} ${config}`);
    return 0;
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    reportError(e, false);
    // Something may still hold the event loop (a prompt reading stdin): the signal ends the process now.
    process.exit(signalExitStatus(e.signal));
  }
}

function terminalIo(): EditIo {
  return {
    interactive: stdinIsTTY(),
    info,
    warn,
    problem: (e) => void reportError(e, false),
    prompts,
    waiting: (editor) => {
      if (process.stderr.isTTY !== true) return () => {};
      // Like git: say what we wait for (a GUI editor gives no other sign), and erase it afterwards.
      process.stderr.write(`waiting for your editor (${editor}) to close the file... `);
      return () => process.stderr.write('\r\x1b[K');
    },
  };
}

/** Prompts on standard error (standard output may be a pipe), loaded only when a question is asked. */
const prompts: EditPrompts = {
  async reopen(config, draft) {
    const { default: select } = await import('@inquirer/select');
    const choice = await cancelled(
      select(
        {
          message: `${config} was not saved. What now?`,
          choices: [
            { name: 'Re-open the editor on your text', value: 'reopen' },
            { name: `Stop, keeping your text encrypted in ${draft}`, value: 'stop' },
          ],
        },
        { output: process.stderr },
      ),
      'stop',
    );
    return choice === 'reopen';
  },
  async confirmStaleDraft(question) {
    const { default: confirm } = await import('@inquirer/confirm');
    return cancelled(confirm({ message: question, default: true }, { output: process.stderr }), false);
  },
  async chooseDraft(config: string, draft: Draft) {
    const { default: select } = await import('@inquirer/select');
    return cancelled(
      select<'resume' | 'discard' | 'cancel'>(
        {
          message: `${config} has an unsaved edit from ${new Date(draft.timestamp * 1000).toLocaleString()} in ${draft.path}.`,
          choices: [
            { name: 'Resume the draft', value: 'resume' },
            { name: `Discard the draft and edit ${config}`, value: 'discard' },
            { name: 'Cancel', value: 'cancel' },
          ],
        },
        { output: process.stderr },
      ),
      'cancel',
    );
  },
};

/** Ctrl-C or Ctrl-D in a prompt is an answer: the safe one. */
async function cancelled<T>(answer: Promise<T>, fallback: T): Promise<T> {
  try {
    return await answer;
  } catch (e) {
    if ((e as { name?: string })?.name === 'ExitPromptError') return fallback;
    throw e;
  }
}
