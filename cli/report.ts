import { ConfigValidationError, FernetConfigError, InvalidSchema, UsageError } from '../src/errors.js';
import { incompleteInstall } from '../src/fs/errors.js';

// Always the package's name, also when run as `fcfg`: the documented shape scripts and log filters match.
// Usage lines and hints, which the user reads and copies, name the program as invoked instead.
const PREFIX = 'fernet-config';

/**
 * The one place that turns an error into what the user sees: one line, a hint, a stable code; the stack
 * only with --debug. Messages come from our error classes, which never contain secrets; foreign errors
 * are not echoed verbatim without --debug, since we cannot vouch for what they contain.
 */
export function reportError(error: unknown, debug: boolean): number {
  const e = incompleteInstall(error) ?? error;
  if (e instanceof ConfigValidationError || (e instanceof InvalidSchema && e.problems.length > 0)) {
    // One problem per line reads better than the one-line message library users get.
    const n = e.problems.length;
    process.stderr.write(`${PREFIX}: ${e.summary} (${n} problem${n === 1 ? '' : 's'}) [${e.code}]\n`);
    for (const line of e.problems) process.stderr.write(`  ${line}\n`);
    if (e.hint) process.stderr.write(`  hint: ${e.hint}\n`);
    if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
    return 1;
  }
  if (e instanceof FernetConfigError) {
    process.stderr.write(`${PREFIX}: ${e.message} [${e.code}]\n`);
    if (e.hint) process.stderr.write(`  hint: ${e.hint}\n`);
    if (debug && e.stack) process.stderr.write(`${e.stack}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
  if ((e as { name?: string })?.name === 'ExitPromptError') {
    process.stderr.write(`${PREFIX}: cancelled [ERR_ABORTED]\n`);
    return 1;
  }
  process.stderr.write(`${PREFIX}: unexpected internal error [ERR_INTERNAL]\n`);
  if (debug) process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
  else process.stderr.write('  hint: rerun with --debug for details, and report it if it persists\n');
  return 1;
}
