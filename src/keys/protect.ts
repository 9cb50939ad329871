import { homedir } from 'node:os';
import { basename } from 'node:path';
import { UsageError } from '../errors.js';
import { recipientsPathFor } from '../age/ring-file.js';
import { defaultIdentityFiles, ENV_IDENTITY_FILE } from '../age/select.js';
import { refuseToReplace } from '../fs/atomic.js';
import { siblingsOf } from './siblings.js';

/**
 * Key material an output must never replace (not even with --force), for a command whose keys are looked
 * up beside `configPath`: the plain key file in use, every `.age` ring (and its recipients file) key
 * resolution could open there, and every identity file that was or could be used to open a ring.
 */
export function keyMaterialPaths(
  configPath: string | undefined,
  used: { keyFile?: string | undefined; identityFile?: string | undefined; env?: Record<string, string | undefined>; home?: string },
): { path: string | undefined; what: string }[] {
  const env = used.env ?? process.env;
  const rings = siblingsOf(configPath, '.key.age');
  return [
    { path: used.keyFile, what: 'the key file in use' },
    ...rings.map((p) => ({ path: p, what: 'a .age key ring of this config' })),
    ...rings.map((p) => ({ path: recipientsPathFor(p), what: 'the recipients file of a .age key ring' })),
    { path: used.identityFile, what: 'the identity file given with --identity' },
    { path: env[ENV_IDENTITY_FILE] || undefined, what: `the identity file named by ${ENV_IDENTITY_FILE}` },
    ...defaultIdentityFiles(used.home ?? env.HOME ?? homedir()).map((p) => ({ path: p, what: 'an identity file' })),
  ];
}

/**
 * refuseToReplace for an output that sits among key material: also refuses any name a `.age` ring or a
 * recipients file has (`*.key.age`, `*.recipients`), whether or not one exists there yet.
 */
export function refuseKeyMaterialOutput(output: string, protect: readonly { path: string | undefined; what: string }[]): void {
  refuseToReplace(output, protect);
  const name = basename(output);
  if (name.endsWith('.key.age') || name.endsWith('.recipients')) {
    throw new UsageError(`${output} is named like ${name.endsWith('.key.age') ? 'a .age key ring' : 'a recipients file'}; the output must not replace it (not even with --force)`, { hint: 'pass -o with another path' });
  }
}
