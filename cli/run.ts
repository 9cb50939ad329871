import { CommanderError } from 'commander';
import { deferSignalsDuringWrites } from '../src/fs/atomic.js';
import { buildProgram } from './program.js';
import { invokedCommand } from './route.js';
import { reportError } from './report.js';
import { CommandLineError, programName, usageErrorFrom } from './usage.js';

/** Parses argv, runs the command, and returns the exit status (0 ok, 1 failure, 2 usage). */
export async function run(argv: string[]): Promise<number> {
  deferSignalsDuringWrites();
  // After `--` the words belong to another program (`fcfg run c.enc -- app --debug`).
  const end = argv.indexOf('--');
  const debug = (end === -1 ? argv : argv.slice(0, end)).includes('--debug');
  const program = buildProgram(programName(argv), invokedCommand(argv));
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    // A mistake on the command line, found by the parser: our shape, exit 2, no stack even with --debug.
    if (e instanceof CommandLineError) return reportError(usageErrorFrom(e), false);
    // Help and version end parsing by "throwing" under exitOverride; they succeeded.
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    return reportError(e, debug);
  }
}

