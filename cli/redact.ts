import { UsageError } from '../src/errors.js';
import { parseTree, printTree, type JsonNode } from '../src/config/tree.js';

interface RedactFlags {
  redact?: boolean;
  schema?: string;
}

/**
 * For --redact: the text re-printed with literals as written and every `sensitive` value masked.
 * Without --redact the text passes through untouched.
 */
export async function maybeRedactText(text: string, value: unknown, flags: RedactFlags): Promise<string> {
  if (!flags.redact) return text;
  return redactedPrint(parseTree(text, 'the config'), value, [], flags);
}

/**
 * Prints the node at `at` (path segments from the root) with literals as written, masking what the
 * schema marks `sensitive`. `plain` prints an unmasked string value without quotes (what `get` shows).
 */
export async function redactedPrint(node: JsonNode, root: unknown, at: readonly string[], flags: RedactFlags, plain = false): Promise<string> {
  if (!flags.schema) throw new UsageError('--redact needs --schema to know which values are sensitive');
  const { redactWithSchemaFile, REDACTED } = await import('../src/loader/redact.js');
  const redacted = redactWithSchemaFile(root, flags.schema);
  const mask = JSON.stringify(REDACTED);
  // The redacted copy has the same shape as the config except where a value became the mask. A place
  // the copy does not have is masked too: when in doubt, print less.
  const masked = (path: readonly string[], node: JsonNode): boolean => {
    let v: unknown = redacted;
    for (const seg of [...at, ...path]) {
      if (v === null || typeof v !== 'object' || !Object.hasOwn(v, seg)) return true;
      v = (v as Record<string, unknown>)[seg];
    }
    return v === REDACTED && !(node.type === 'string' && JSON.parse(node.literal) === REDACTED);
  };
  if (plain && node.type === 'string') return masked([], node) ? REDACTED : (JSON.parse(node.literal) as string);
  return printTree(node, { replace: (path, n) => (masked(path, n) ? mask : undefined) });
}
