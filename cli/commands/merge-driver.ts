import { FernetConfigError } from '../../src/errors.js';
import { describeConflict } from '../../src/git/merge.js';
import { mergeEncrypted } from '../../src/git/merge-driver.js';
import type { KeyOptions } from '../../src/keys/resolve.js';
import { shellQuote } from '../../src/git/setup.js';
import { info, warn } from '../io.js';

interface Flags {
  keyFile?: string;
  keyCommand?: string;
}

/**
 * git's merge driver. Exit 0: merged cleanly, the result is in OURS. Non-zero: git marks the file
 * conflicted and takes OURS as it is — always encrypted, never with conflict markers in plaintext.
 */
export default async function mergeDriver(base: string, ours: string, theirs: string, path: string, flags: Flags): Promise<number> {
  const keys: KeyOptions = { onWarning: warn };
  if (flags.keyFile !== undefined) keys.keyFile = flags.keyFile;
  if (flags.keyCommand !== undefined) keys.keyCommand = flags.keyCommand;
  const q = shellQuote(path);
  let result;
  try {
    result = mergeEncrypted(base, ours, theirs, path, { keys, cwd: process.cwd(), onWarning: warn });
  } catch (e) {
    if (e instanceof FernetConfigError) info(`fernet-config: cannot merge ${path} automatically; it keeps our version (encrypted)`);
    throw e;
  }
  if (result.conflicts.length === 0) return 0;
  const n = result.conflicts.length;
  info(`fernet-config: ${path}: ${n} conflicting value${n === 1 ? '' : 's'}; every other change is merged, these keep our side's value:`);
  for (const c of result.conflicts) info(`  ${c.path === '' ? '(the whole config)' : c.path}: ${describeConflict(c.kind)}`);
  info(`  hint: see their version with \`git show --textconv ${shellQuote(`:3:${path}`)}\` (ours: :2:), fix with \`fcfg edit ${q}\`, then \`git add ${q}\``);
  return 1;
}
