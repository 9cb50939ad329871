import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { openAgeRingFor } from '../src/age/select.js';
import { Aborted, FernetConfigError, PassphraseRequired, WrongPassphrase } from '../src/errors.js';
import { keyOptions, type KeyFlags } from './io.js';

/**
 * Key resolution is synchronous and age-encryption is not: before a key command runs, the `.age` ring
 * its configs would use is opened here (asynchronously, prompting for an SSH key's passphrase on a
 * terminal) and remembered, so the command's own resolution finds it. Failures are remembered too and
 * surface where the command resolves its key — commands that carry on without a key (check, textconv)
 * still can. Nothing heavy loads unless a ring is actually there.
 */
export async function openAgeRings(command: Command): Promise<void> {
  const flags = command.opts() as KeyFlags & { output?: unknown };
  // A key on the command line without --identity: resolution never reaches a ring (the first rule of
  // chooseAgeRing), so there is nothing to open and no path to look at.
  if (flags.identity === undefined && (flags.keyFile !== undefined || flags.key !== undefined || flags.keyCommand !== undefined)) return;
  const options = { ...keyOptions(flags), passphrase: askPassphrase };
  for (const config of configPaths(command, flags.output)) {
    try {
      await openAgeRingFor(config, options);
    } catch (e) {
      // Ours: remembered by openAgeRingFor, raised again where the command resolves its key. Anything
      // else (a file of the package missing) never got that far: say it now, not as a ring's problem.
      if (!(e instanceof FernetConfigError)) throw e;
      // A wrong passphrase is not asked for again for the next config of the same ring: the command
      // fails on the first, with the error saying so, rather than prompting anew with no word why.
      if (e instanceof WrongPassphrase) return;
    }
  }
}

/**
 * Arguments that are not files, by command: a dot path, a value, the program `run` starts and its
 * arguments. Looking beside them would open a ring in the current directory (`fcfg get /elsewhere/c.enc
 * db.host` run where a secret.key.age lies), loading age and asking for a passphrase for nothing.
 */
const NOT_FILES: Readonly<Record<string, readonly string[]>> = { get: ['path'], set: ['path', 'value'], unset: ['path'], run: ['command', 'args'] };

/** The paths a command's key resolution may look beside: its file arguments, --output, a directory's files. */
function configPaths(command: Command, output: unknown): string[] {
  const skip = NOT_FILES[command.name()] ?? [];
  const args = (command.processedArgs as unknown[])
    .filter((_, i) => !skip.includes(command.registeredArguments[i]?.name() ?? ''))
    .flat()
    .filter((a): a is string => typeof a === 'string' && a !== '' && a !== '-');
  if (typeof output === 'string' && output !== '-') args.push(output);
  if (args.length === 0) return ['secret.key'];
  const out = new Set<string>();
  for (const a of args) {
    let dir = false;
    try {
      // Missing (a config still to be created: set, encrypt -o): look beside it. Also what a get's value
      // path is asked, so missing is answered without an exception.
      dir = statSync(a, { throwIfNoEntry: false })?.isDirectory() === true;
    } catch {
      // not reachable as a directory (ENOTDIR, EACCES): look beside it
    }
    out.add(dir ? join(a, 'secret.key') : a);
  }
  return [...out];
}

/** Asks for an SSH key's passphrase on the terminal (hidden input, on stderr); fails clearly without one. */
export async function askPassphrase(label: string): Promise<string> {
  if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) {
    throw new PassphraseRequired(`${label} is protected by a passphrase and there is no terminal to ask for it`, {
      hint: 'run on a terminal, or use an unprotected age identity (FERNET_CONFIG_IDENTITY; create one with `fcfg identity new`)',
    });
  }
  const { default: password } = await import('@inquirer/password');
  try {
    return await password({ message: `passphrase for ${label}`, mask: '*' }, { output: process.stderr });
  } catch (e) {
    // Ctrl-C at the prompt: the user's choice, not a damaged ring (which is what age would make of it).
    if ((e as { name?: string })?.name === 'ExitPromptError') throw new Aborted(`cancelled at the passphrase prompt for ${label}`);
    throw e;
  }
}
