import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { defaultIdentityFiles } from '../../src/age/identities.js';
import { newIdentity } from '../../src/age/ring-ops.js';
import { FileExists, FileNotFound } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { backupFile } from '../../src/fs/backup.js';
import { withLock } from '../../src/fs/lock.js';
import { fileError } from '../../src/fs/errors.js';
import { info, out, printJson } from '../io.js';

interface Flags {
  force?: boolean;
  pq?: boolean;
  json?: boolean;
}

/**
 * `identity new [PATH]`: writes a new age identity (0600) and prints its public recipient. "-" prints the
 * identity on stdout (with --json, as `identity` beside `recipient`: the file text, comments included).
 */
export async function create(path: string | undefined, flags: Flags): Promise<number> {
  const id = await newIdentity({ postQuantum: flags.pq === true });
  if (path === '-') {
    // For a CI secret store. Either way the identity goes only to stdout, where it was asked for.
    if (flags.json) printJson({ path: '-', recipient: id.recipient, identity: id.text });
    else {
      out(id.text);
      info(`public recipient: ${id.recipient}`);
    }
    return 0;
  }
  const target = path ?? defaultIdentityFiles(process.env.HOME ?? homedir())[0]!;
  const label = `identity file ${target}`;
  if (path === undefined) {
    // Only the default location's directories are ours to create; a path the user gave must have its
    // directory already, as every other output does (a typo must not create a tree elsewhere).
    try {
      mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
    } catch (e) {
      throw fileError(e, dirname(target));
    }
  } else if (!isDirectory(dirname(target))) {
    throw new FileNotFound(`directory ${dirname(target)} does not exist`, { hint: `create it first (mkdir -p ${dirname(target)}), or give another path` });
  }
  let backup: string | undefined;
  try {
    writeFileAtomic(target, id.text, { mode: 0o600, keepMode: false, exclusive: true, label });
  } catch (e) {
    if (!(e instanceof FileExists) || flags.force !== true) throw e;
    // The old identity may be the only way into rings nobody has re-encrypted yet: kept, as keygen keeps a ring.
    backup = await withLock(target, () => {
      const kept = backupFile(target, label);
      writeFileAtomic(target, id.text, { mode: 0o600, keepMode: false, label });
      return kept;
    });
  }
  if (backup !== undefined) info(`kept the old identity as ${backup} (mode 0600): rings encrypted to it need it until they are re-encrypted`);
  if (flags.json) {
    printJson({ path: target, recipient: id.recipient, ...(backup === undefined ? {} : { backup }) });
    return 0;
  }
  out(`${id.recipient}\n`);
  info(`wrote ${target} (mode 0600); send the recipient above to a teammate, who runs: fcfg recipients add NAME RECIPIENT`);
  return 0;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
