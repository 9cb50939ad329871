import { parseTree, type JsonNode } from '../config/tree.js';

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

/**
 * A JSON value with every scalar kept as its canonical JSON text: a number exactly as written
 * (`12345678901234567891`, `1.50`, `-0`, `1E+2` are distinct), a string re-encoded the one way
 * JSON.stringify writes it (so `"\u0041"` and `"A"`, the same string, are equal), `true`/`false`/`null`.
 * Comparing these with `===` compares values exactly, with no round trip through a double.
 */
export type Literal = string | Literal[] | { [key: string]: Literal };

/** The literal value of a parsed tree; a repeated key keeps its last copy, as every reader does. */
export function literalOf(node: JsonNode): Literal {
  switch (node.type) {
    case 'object': {
      const out: { [key: string]: Literal } = {};
      for (const m of node.members) {
        if (m.key === '__proto__') put(out, m.key, literalOf(m.value));
        else out[m.key] = literalOf(m.value);
      }
      return out;
    }
    case 'array':
      return node.items.map(literalOf);
    case 'string':
      // Without escapes (and lone surrogates, which JSON.stringify escapes) the text is already canonical.
      return node.literal.indexOf('\\') === -1 && !SURROGATE.test(node.literal) ? node.literal : JSON.stringify(JSON.parse(node.literal) as string);
    default:
      return node.literal;
  }
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** The literal value of JSON text (InvalidJson on bad text). */
export function parseLiteral(text: string, source: string): Literal {
  return literalOf(parseTree(text, source));
}

/** Sets a key without ever invoking the `__proto__` setter. */
export function put(o: { [key: string]: Literal }, k: string, v: Literal): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const isIndexKey = (k: string) => /^(0|[1-9]\d{0,9})$/.test(k) && Number(k) < 4294967295;

/** canonicalJson's key order, for keys held anywhere. */
export function canonicalOrder(keys: readonly string[]): string[] {
  return [...keys].sort((a, b) => {
    const ia = isIndexKey(a);
    const ib = isIndexKey(b);
    if (ia && ib) return Number(a) - Number(b);
    if (ia !== ib) return ia ? -1 : 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * canonicalJson of a literal value: the same layout, with every number printed exactly as written. With
 * `masked`, a copy of the value as a redactor returned it (a JavaScript value), every place it holds
 * `mask` where the config does not is printed as that mask.
 */
export function canonicalLiteral(value: Literal, masked?: { value: unknown; mask: string }): string {
  const out: string[] = [];
  const maskText = masked ? JSON.stringify(masked.mask) : '';
  const write = (v: Literal, shown: unknown, indent: string): void => {
    if (masked && shown === masked.mask && v !== maskText) {
      out.push(maskText);
    } else if (typeof v === 'string') {
      out.push(v);
    } else if (Array.isArray(v)) {
      if (v.length === 0) return void out.push('[]');
      out.push('[');
      const inner = indent + '  ';
      v.forEach((item, i) => {
        out.push(i === 0 ? '\n' : ',\n', inner);
        write(item, masked ? (shown as unknown[] | undefined)?.[i] : undefined, inner);
      });
      out.push('\n', indent, ']');
    } else {
      const keys = canonicalOrder(Object.keys(v));
      if (keys.length === 0) return void out.push('{}');
      out.push('{');
      const inner = indent + '  ';
      keys.forEach((k, i) => {
        out.push(i === 0 ? '\n' : ',\n', inner, JSON.stringify(k), ': ');
        const child = masked && shown !== null && typeof shown === 'object' ? (shown as Record<string, unknown>)[k] : undefined;
        write(v[k]!, child, inner);
      });
      out.push('\n', indent, '}');
    }
  };
  write(value, masked?.value, '');
  return out.join('') + '\n';
}
