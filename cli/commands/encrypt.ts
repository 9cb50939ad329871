import { existsSync } from 'node:fs';
import { ConfigValidationError, KeyNotFound, UsageError } from '../../src/errors.js';
import { parseJson, stripBom } from '../../src/config/json.js';
import { ringFor, sealConfigBytes } from '../../src/config/file.js';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { keyMaterialPaths, refuseKeyMaterialOutput } from '../../src/keys/protect.js';
import { info, isStdoutPath, keyOptions, out, warn, type KeyFlags } from '../io.js';
import { loadValidator } from '../schema.js';
import { readUtf8Input } from '../values.js';

interface Flags extends KeyFlags {
  output?: string;
  schema?: string;
  force?: boolean;
}

export function defaultOutput(input: string): string {
  return input.endsWith('.json') ? input.slice(0, -5) + '.enc' : input + '.enc';
}

export default async function encrypt(input: string, flags: Flags): Promise<number> {
  const output = flags.output !== undefined && isStdoutPath(flags.output) ? '-' : flags.output ?? (input === '-' ? '-' : defaultOutput(input));
  if (output === input && input !== '-') throw new UsageError('the output would replace the input', { hint: 'pass -o with another path' });
  const text = stripBom(readUtf8Input(input));
  const source = input === '-' ? 'standard input' : input;
  const value = parseJson(text, source);
  if (flags.schema) {
    const issues = (await loadValidator(flags.schema))(value);
    if (issues.length) throw new ConfigValidationError(issues);
  }
  // Keys are looked up beside the *output*: that is where the config will live.
  const ring = output === '-' ? stdoutRing(flags) : ringFor(output, keyOptions(flags));
  // Refuses a repeated key (DuplicateKey), as every writer does.
  const sealed = sealConfigBytes(text, ring, source);
  if (output === '-') {
    out(sealed);
    return 0;
  }
  refuseKeyMaterialOutput(output, [
    { path: input, what: 'the input' },
    ...keyMaterialPaths(output, { keyFile: ring.file, identityFile: flags.identity }),
  ]);
  // Without --force an existing config is never replaced (it may hold changes made since with `set`).
  writeFileAtomic(output, sealed, { mode: 0o600, exclusive: flags.force !== true, onWarning: warn });
  info(`encrypted ${source} -> ${output}`);
  if (input !== '-') info(`note: ${input} still holds the plaintext; delete it or keep it out of version control`);
  return 0;
}

/**
 * The ring for a config written to stdout: there is no config path to look beside, so only the explicit
 * sources count. Without one, the hint says how to name where the config will live.
 */
function stdoutRing(flags: Flags) {
  try {
    return ringFor(undefined, keyOptions(flags));
  } catch (e) {
    if (!(e instanceof KeyNotFound)) throw e;
    const here = ['secret.key', 'secret.key.age'].filter((f) => existsSync(f));
    const near = here.length > 0 ? ` (for ${here.join(' or ')} here, -o FILE in this directory)` : '';
    throw new KeyNotFound(e.tried, {
      cause: e,
      noneGiven: e.noneGiven,
      hint: `writing to stdout there is no config to find a key or .age ring beside: pass -o FILE to write the config where it will live, and the key file or .age ring beside FILE is used${near}; or pass --key-file PATH (-k), or set FERNET_CONFIG_KEY_FILE`,
    });
  }
}
