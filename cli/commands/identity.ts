import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { defaultIdentityFiles } from '../../src/age/identities.js';
import { newIdentity } from '../../src/age/ring-ops.js';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { fileError } from '../../src/fs/errors.js';
import { info, out, printJson } from '../io.js';

interface Flags {
  force?: boolean;
  pq?: boolean;
  json?: boolean;
}

/** `identity new [PATH]`: writes a new age identity (0600) and prints its public recipient. "-" prints the identity. */
export async function create(path: string | undefined, flags: Flags): Promise<number> {
  const id = await newIdentity({ postQuantum: flags.pq === true });
  if (path === '-') {
    // For a CI secret store: the identity on stdout, the recipient on stderr.
    out(id.text);
    info(`public recipient: ${id.recipient}`);
    return 0;
  }
  const target = path ?? defaultIdentityFiles(process.env.HOME ?? homedir())[0]!;
  try {
    mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw fileError(e, dirname(target));
  }
  writeFileAtomic(target, id.text, { mode: 0o600, keepMode: false, exclusive: flags.force !== true, label: `identity file ${target}` });
  if (flags.json) {
    printJson({ path: target, recipient: id.recipient });
    return 0;
  }
  out(`${id.recipient}\n`);
  info(`wrote ${target} (mode 0600); send the recipient above to a teammate, who runs: fcfg recipients add NAME RECIPIENT`);
  return 0;
}
