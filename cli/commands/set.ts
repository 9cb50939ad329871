import { ConfigValidationError, UsageError } from '../../src/errors.js';
import { parseJson, setInText } from '../../src/config/json.js';
import { updateConfig } from '../../src/config/file.js';
import { info, keyOptions, readInput, stdinIsTTY, type KeyFlags } from '../io.js';
import { loadValidator } from '../schema.js';

interface Flags extends KeyFlags {
  string?: boolean;
  stdin?: boolean;
  schema?: string;
}

/** A value is JSON when it parses as JSON, else a string — unless --string says it is a string anyway. */
export function parseValue(raw: string, asString: boolean): unknown {
  if (asString) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

async function readValue(value: string | undefined, path: string, flags: Flags): Promise<string> {
  if (flags.stdin) {
    if (value !== undefined) throw new UsageError('give VALUE or --stdin, not both');
    // One trailing newline is what `echo` and editors add; it is not part of the secret.
    return readInput('-').replace(/\r?\n$/, '');
  }
  if (value !== undefined) return value;
  if (!stdinIsTTY()) throw new UsageError('missing VALUE', { hint: 'pass VALUE, or --stdin to read it from standard input' });
  const { default: password } = await import('@inquirer/password');
  return password({ message: `value for ${path}`, mask: '*' });
}

export default async function set(config: string, path: string, value: string | undefined, flags: Flags): Promise<number> {
  const raw = await readValue(value, path, flags);
  const parsed = parseValue(raw, flags.string === true);
  const validate = flags.schema ? await loadValidator(flags.schema) : undefined;
  const changed = await updateConfig(
    config,
    keyOptions(flags),
    (text) => {
      const next = setInText(text, path, parsed);
      if (validate) {
        const issues = validate(parseJson(next, config));
        if (issues.length) throw new ConfigValidationError(issues, { hint: `${config} was not changed` });
      }
      return next;
    },
    { createWith: '{}\n' },
  );
  info(changed ? `set ${path} in ${config}` : `${path} already has that value; ${config} unchanged`);
  return 0;
}
