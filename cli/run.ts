import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { reportError } from './report.js';

/** Parses argv, runs the command, and returns the exit status (0 ok, 1 failure, 2 usage). */
export async function run(argv: string[]): Promise<number> {
  // After `--` the words belong to another program (`fcfg run c.enc -- app --debug`).
  const end = argv.indexOf('--');
  const debug = (end === -1 ? argv : argv.slice(0, end)).includes('--debug');
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are "errors" to commander; usage mistakes exit 2 like other CLIs.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    return reportError(e, debug);
  }
}
