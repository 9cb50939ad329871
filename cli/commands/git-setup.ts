import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/errors.js';
import { requireTopLevel } from '../../src/git/git.js';
import { isEphemeralInstall, selfCommand, setupGit, undoGit } from '../../src/git/setup.js';
import { readKeyFile } from '../../src/keys/resolve.js';
import { info, warn } from '../io.js';
import { loadValidator } from '../schema.js';

interface Flags {
  undo?: boolean;
  schema?: string;
  keyFile?: string;
  keyCommand?: string;
  command?: string;
}

export default async function gitSetup(flags: Flags): Promise<number> {
  const top = requireTopLevel(process.cwd());
  if (flags.undo) {
    if (flags.schema !== undefined || flags.keyFile !== undefined || flags.keyCommand !== undefined || flags.command !== undefined) {
      throw new UsageError('--undo takes no other options');
    }
    for (const c of undoGit(top)) info(`  ${c.outcome ?? (c.changed ? 'removed' : 'not set')}: ${c.what}`);
    info(`git integration removed from ${top}`);
    return 0;
  }
  if (flags.keyFile !== undefined && flags.keyCommand !== undefined) throw new UsageError('give only one of --key-file and --key-command');

  // Fail now, not on every later `git diff`: the schema must compile and the key file must be a key file.
  const driverArgs: string[] = [];
  const textconvArgs: string[] = [];
  if (flags.schema !== undefined) {
    await loadValidator(flags.schema);
    textconvArgs.push('--schema', resolve(flags.schema));
  }
  if (flags.keyFile !== undefined) {
    readKeyFile(flags.keyFile, { onWarning: warn });
    driverArgs.push('--key-file', resolve(flags.keyFile));
  }
  if (flags.keyCommand !== undefined) driverArgs.push('--key-command', flags.keyCommand);

  const script = fileURLToPath(new URL('../main.js', import.meta.url));
  if (flags.command === undefined && isEphemeralInstall(script)) {
    warn('this fernet-config runs from the npx cache, which may be cleared; install it in the project (npm install -D fernet-config) and run git-setup again, or pass --command');
  }
  const command = flags.command ?? selfCommand(script);
  const changes = setupGit(top, { command, textconvArgs: [...textconvArgs, ...driverArgs], mergeArgs: driverArgs });
  for (const c of changes) info(`  ${c.changed ? 'set' : 'already set'}: ${c.what}`);
  info(
    changes.some((c) => c.changed)
      ? `git in ${top} now diffs *.enc decrypted (where a key is found) and merges them key by key`
      : `${top} was already set up`,
  );
  info('note: commit .gitattributes; each clone runs `fcfg git-setup` once (git config is not shared)');
  return 0;
}
