import { locateValue, parsePath } from '../../src/config/json.js';
import { openConfig } from '../../src/config/file.js';
import { parseTree, printTree } from '../../src/config/tree.js';
import { keyOptions, out, type KeyFlags } from '../io.js';
import { redactedPrint } from '../redact.js';
import { warnDuplicateKeys } from '../values.js';

interface Flags extends KeyFlags {
  json?: boolean;
  ttl?: number;
  redact?: boolean;
  schema?: string;
}

/**
 * Prints a value as written in the config: a string's content (or, with --json, its literal), a
 * number's literal, an object or array indented by two spaces with every literal kept.
 */
export default async function get(config: string, path: string, flags: Flags): Promise<number> {
  const opened = openConfig(config, keyOptions(flags), flags.ttl === undefined ? {} : { ttl: flags.ttl });
  warnDuplicateKeys(opened.text, config, opened);
  const span = locateValue(opened.text, path, config); // PathNotFound before any redaction work
  const literal = opened.text.slice(span.offset, span.end);
  if (flags.redact) {
    const node = parseTree(literal, config);
    out((await redactedPrint(node, opened.value, parsePath(path), flags, !flags.json)) + '\n');
  } else if (span.type === 'string' && !flags.json) {
    out((JSON.parse(literal) as string) + '\n');
  } else if (span.type === 'object' || span.type === 'array') {
    out(printTree(parseTree(literal, config)) + '\n');
  } else {
    out(literal + '\n');
  }
  return 0;
}
