import { UsageError } from '../src/errors.js';

interface RedactFlags {
  redact?: boolean;
  schema?: string;
}

/** For --redact: masks `sensitive` values. Without --redact the text passes through untouched. */
export async function maybeRedactText(text: string, value: unknown, flags: RedactFlags): Promise<string> {
  if (!flags.redact) return text;
  return JSON.stringify(await maybeRedactValue(value, flags), null, 2);
}

export async function maybeRedactValue(value: unknown, flags: RedactFlags): Promise<unknown> {
  if (!flags.redact) return value;
  if (!flags.schema) throw new UsageError('--redact needs --schema to know which values are sensitive');
  const { redactWithSchemaFile } = await import('../src/loader/redact.js');
  return redactWithSchemaFile(value, flags.schema);
}
