import { ConfigValidationError, UsageError } from '../../src/errors.js';
import { parseJson, setInText, valueLiteral } from '../../src/config/json.js';
import { updateConfig } from '../../src/config/file.js';
import { info, keyOptions, stdinIsTTY, type KeyFlags } from '../io.js';
import { loadValidator } from '../schema.js';
import { readUtf8Input } from '../values.js';

interface Flags extends KeyFlags {
  string?: boolean;
  stdin?: boolean;
  schema?: string;
}

async function readValue(value: string | undefined, path: string, flags: Flags): Promise<string> {
  if (flags.stdin) {
    if (value !== undefined) throw new UsageError('give VALUE or --stdin, not both', { hint: '--stdin reads the value from standard input: leave VALUE out, or drop --stdin' });
    // One trailing newline is what `echo` and editors add; it is not part of the secret.
    return readUtf8Input('-').replace(/\r?\n$/, '');
  }
  if (value !== undefined) return value;
  if (!stdinIsTTY()) throw new UsageError('missing VALUE', { hint: 'pass VALUE, or --stdin to read it from standard input' });
  const { default: password } = await import('@inquirer/password');
  return password({ message: `value for ${path}`, mask: '*' });
}

export default async function set(config: string, path: string, value: string | undefined, flags: Flags): Promise<number> {
  const raw = await readValue(value, path, flags);
  // JSON is stored exactly as typed (12345678901234567891 stays that); anything else becomes a string.
  const literal = valueLiteral(raw, flags.string === true);
  const validate = flags.schema ? await loadValidator(flags.schema) : undefined;
  const changed = await updateConfig(
    config,
    keyOptions(flags),
    (text) => {
      const next = setInText(text, path, literal, config);
      if (validate) {
        const issues = validate(parseJson(next, config));
        if (issues.length) throw new ConfigValidationError(issues, { hint: `${config} was not changed` });
      }
      return next;
    },
    // A new file is indented (the line break inside tells setInText so).
    { createWith: '{\n}\n' },
  );
  info(changed ? `set ${path} in ${config}` : `${path} already has that value; ${config} unchanged`);
  return 0;
}
