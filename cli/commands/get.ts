import { getPath } from '../../src/config/json.js';
import { openConfig } from '../../src/config/file.js';
import { keyOptions, out, type KeyFlags } from '../io.js';
import { maybeRedactValue } from '../redact.js';

interface Flags extends KeyFlags {
  json?: boolean;
  ttl?: number;
  redact?: boolean;
  schema?: string;
}

export default async function get(config: string, path: string, flags: Flags): Promise<number> {
  const opened = openConfig(config, keyOptions(flags), flags.ttl === undefined ? {} : { ttl: flags.ttl });
  getPath(opened.value, path); // PathNotFound before any redaction work
  const value = getPath(await maybeRedactValue(opened.value, flags), path);
  out(typeof value === 'string' && !flags.json ? value + '\n' : JSON.stringify(value, null, 2) + '\n');
  return 0;
}
