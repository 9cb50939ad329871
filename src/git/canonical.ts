/**
 * Canonical JSON for diffs: object keys sorted (by UTF-16 code units; integer-like keys come first in
 * numeric order, as every JavaScript object enumerates them), two-space indentation, a final newline. Two configs with the same content print the same text
 * however their files were formatted, so `git diff` shows only what changed in meaning.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    // defineProperty, not assignment: a config key named "__proto__" must stay an ordinary key.
    Object.defineProperty(out, key, { value: sortKeys((value as Record<string, unknown>)[key]), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
