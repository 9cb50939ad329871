/**
 * Which bundle and which commands a command line needs, decided from argv alone: main.ts asks before
 * loading anything else, so this module imports nothing.
 */

/** The top-level commands, in the order `--help` lists them (program.ts declares each). */
export const COMMANDS = [
  'keygen', 'encrypt', 'decrypt', 'get', 'set', 'unset', 'validate', 'edit', 'compile-schema', 'rotate', 'keys',
  'status', 'run', 'git-setup', 'textconv', 'merge-driver', 'check', 'scan', 'recipients', 'identity',
] as const;
export type CommandName = (typeof COMMANDS)[number];

/**
 * The commands deploy scripts run in loops, which dist/cli/run-read.js serves: the CLI with only their
 * code, a third of run.js to compile (scripts/bundle.mjs).
 */
export const READ_COMMANDS: readonly CommandName[] = ['get', 'decrypt'];

/**
 * The command to declare alone (see buildProgram), when the command line starts with one by its exact name
 * and asks for no help; otherwise undefined, for the whole program: an option first (`--debug get`), a
 * misspelt command (did-you-mean looks at all of them), `help`, a bare `fcfg`. Help is shown by the whole
 * program even for one command, so that its text cannot depend on which way the program was built.
 */
export function invokedCommand(argv: readonly string[]): CommandName | undefined {
  const first = argv[2];
  if (first === undefined || !(COMMANDS as readonly string[]).includes(first)) return undefined;
  const end = argv.indexOf('--');
  const words = end === -1 ? argv.slice(3) : argv.slice(3, end);
  return words.includes('-h') || words.includes('--help') ? undefined : (first as CommandName);
}
