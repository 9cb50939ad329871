import { openConfig, openToken, readToken, ringFor } from '../../src/config/file.js';
import { UsageError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/fs/atomic.js';
import { info, isStdoutPath, keyOptions, out, warn, type KeyFlags } from '../io.js';
import { maybeRedactText } from '../redact.js';
import { warnDuplicateKeys } from '../values.js';

interface Flags extends KeyFlags {
  output?: string;
  ttl?: number;
  redact?: boolean;
  schema?: string;
  raw?: boolean;
  force?: boolean;
}

export default async function decrypt(config: string, flags: Flags): Promise<number> {
  const ttl = flags.ttl === undefined ? {} : { ttl: flags.ttl };
  const ring = ringFor(config, keyOptions(flags));
  let data: string | Uint8Array;
  if (flags.raw) {
    // The plaintext bytes as they are, for tokens other tools wrote: no UTF-8 or JSON check, no newline added.
    if (flags.redact) throw new UsageError('--raw writes the plaintext as it is and cannot --redact it');
    data = openToken(readToken(config), ring, config, ttl).bytes;
  } else {
    const opened = openConfig(config, ring, ttl);
    warnDuplicateKeys(opened.text, config, opened);
    data = await maybeRedactText(opened.text, opened.value, flags);
  }
  if (flags.output === undefined || isStdoutPath(flags.output)) {
    out(typeof data !== 'string' || data.endsWith('\n') ? data : data + '\n');
    return 0;
  }
  // Only here: protect.js knows the identity and recipients files of .age rings, whose code (SSH keys
  // included) a decrypt to stdout never needs (dist/cli/run-read-age.js, scripts/bundle.mjs).
  const { keyMaterialPaths, refuseKeyMaterialOutput } = await import('../../src/keys/protect.js');
  // Plaintext files are private whatever mode an older file at that path had.
  refuseKeyMaterialOutput(flags.output, [
    { path: config, what: 'the config being decrypted' },
    ...keyMaterialPaths(config, { keyFile: ring.file, identityFile: flags.identity }),
  ]);
  writeFileAtomic(flags.output, data, { mode: 0o600, keepMode: false, exclusive: flags.force !== true, onWarning: warn });
  info(`decrypted ${config} -> ${flags.output} (mode 0600)`);
  return 0;
}
