import { openConfig } from '../../src/config/file.js';
import { refuseToReplace, writeFileAtomic } from '../../src/fs/atomic.js';
import { info, keyOptions, out, warn, type KeyFlags } from '../io.js';
import { maybeRedactText } from '../redact.js';

interface Flags extends KeyFlags {
  output?: string;
  ttl?: number;
  redact?: boolean;
  schema?: string;
  force?: boolean;
}

export default async function decrypt(config: string, flags: Flags): Promise<number> {
  const opened = openConfig(config, keyOptions(flags), flags.ttl === undefined ? {} : { ttl: flags.ttl });
  const text = await maybeRedactText(opened.text, opened.value, flags);
  if (flags.output === undefined || flags.output === '-') {
    out(text.endsWith('\n') ? text : text + '\n');
    return 0;
  }
  // Plaintext files are private whatever mode an older file at that path had.
  refuseToReplace(flags.output, [
    { path: config, what: 'the config being decrypted' },
    { path: opened.ring.file, what: 'the key file in use' },
  ]);
  writeFileAtomic(flags.output, text, { mode: 0o600, keepMode: false, exclusive: flags.force !== true, onWarning: warn });
  info(`decrypted ${config} -> ${flags.output} (mode 0600)`);
  return 0;
}
