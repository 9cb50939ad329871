import { parseTree, type JsonNode } from '../config/tree.js';
import { readSchemaText, type JsonSchema } from '../schema/compile.js';
import { schemaJsonError } from '../schema/validate.js';

type SchemaObject = Record<string, unknown>;

const isObject = (v: unknown): v is SchemaObject => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof NumberLiteral);

/**
 * The starting document for a new config: every property that has a `default` (with that value) and
 * every required property (with its default, its first `enum`/`const` value, or an empty value of its
 * type: "" / 0 / false / [] / {} / null), nested objects built the same way. Local `$ref`s (#/$defs/…,
 * #/definitions/…) and `allOf` are followed. The result is a starting point to fill in, not
 * necessarily valid: an empty string may still be too short, and that is for the user to fix.
 */
export function skeletonFromSchema(schema: JsonSchema): unknown {
  return valueFor(schema, schema, 0, true) ?? {};
}

/** Pretty JSON text of the skeleton, as the editor shows it. */
export function skeletonText(schema: JsonSchema): string {
  return printJson(skeletonFromSchema(schema)) + '\n';
}

/**
 * skeletonText of a schema given as JSON text: every number the skeleton takes from the schema (a
 * `default`, `const` or `enum` value) is written exactly as the schema writes it — `12345678901234567891`
 * stays that, where a parsed schema would already hold `12345678901234567000`.
 */
export function skeletonTextOf(schemaText: string, source: string): string {
  let tree: JsonNode;
  try {
    tree = parseTree(schemaText.charCodeAt(0) === 0xfeff ? schemaText.slice(1) : schemaText, source);
  } catch (cause) {
    throw schemaJsonError(schemaText, source, cause);
  }
  return skeletonText(withLiteralNumbers(tree) as JsonSchema);
}

/** skeletonTextOf the schema file at `path` (the editor's `--schema`). */
export function skeletonTextOfFile(path: string): string {
  return skeletonTextOf(readSchemaText(path), `schema ${path}`);
}

/** A number as the schema text wrote it; printJson writes the literal. */
class NumberLiteral {
  constructor(readonly literal: string) {}
}

/** The schema as a value, each number a NumberLiteral (schema keywords the skeleton reads are never numbers). */
function withLiteralNumbers(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const out: SchemaObject = {};
      for (const m of node.members) define(out, m.key, withLiteralNumbers(m.value));
      return out;
    }
    case 'array':
      return node.items.map(withLiteralNumbers);
    case 'number':
      return new NumberLiteral(node.literal);
    default:
      return JSON.parse(node.literal) as unknown;
  }
}

/** JSON.stringify(value, null, 2), but a NumberLiteral is written as its literal. */
function printJson(value: unknown, indent = ''): string {
  if (value instanceof NumberLiteral) return value.literal;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return '[\n' + value.map((v) => inner + printJson(v, inner)).join(',\n') + '\n' + indent + ']';
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  return '{\n' + keys.map((k) => inner + JSON.stringify(k) + ': ' + printJson((value as SchemaObject)[k], inner)).join(',\n') + '\n' + indent + '}';
}

/** A deep copy that keeps NumberLiterals (structuredClone would turn them into plain objects). */
function clone(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof NumberLiteral) return value;
  if (Array.isArray(value)) return value.map(clone);
  const out: SchemaObject = {};
  for (const k of Object.keys(value)) define(out, k, clone((value as SchemaObject)[k]));
  return out;
}

/** Sets a key without ever invoking the `__proto__` setter. */
function define(o: SchemaObject, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

// Recursive schemas (a tree of nodes) would otherwise build forever.
const MAX_DEPTH = 32;

function deref(node: unknown, root: JsonSchema, depth: number): unknown {
  for (let i = 0; i < MAX_DEPTH && isObject(node) && typeof node['$ref'] === 'string'; i++) {
    const ref = node['$ref'];
    if (!ref.startsWith('#')) return {};
    let target: unknown = root;
    for (const raw of ref.slice(1).split('/').slice(1)) {
      const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      target = isObject(target) || Array.isArray(target) ? (target as Record<string, unknown>)[seg] : undefined;
    }
    if (target === undefined) return {};
    // Keywords beside a $ref (allowed from draft 2019-09) refine it: a sibling default wins.
    const { $ref: _ref, ...siblings } = node;
    node = isObject(target) ? { ...target, ...siblings } : target;
  }
  return depth > MAX_DEPTH ? {} : node;
}

function typeOf(node: SchemaObject, properties: SchemaObject, required: string[]): string | undefined {
  const t = node['type'];
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return (t.find((x) => x !== 'null') ?? t[0]) as string | undefined;
  if (Object.keys(properties).length > 0 || required.length > 0) return 'object';
  if ('items' in node || 'prefixItems' in node) return 'array';
  return undefined;
}

function valueFor(schema: unknown, root: JsonSchema, depth: number, required: boolean): unknown {
  const node = deref(schema, root, depth);
  if (!isObject(node)) return required ? null : undefined;
  if ('default' in node) return clone(node['default']);
  if ('const' in node) return clone(node['const']);

  const properties: SchemaObject = {};
  const requiredNames: string[] = [];
  for (const part of [node, ...(Array.isArray(node['allOf']) ? node['allOf'].map((s) => deref(s, root, depth + 1)) : [])]) {
    if (!isObject(part)) continue;
    if (isObject(part['properties'])) for (const [k, v] of Object.entries(part['properties'])) define(properties, k, v);
    if (Array.isArray(part['required'])) for (const r of part['required']) if (typeof r === 'string' && !requiredNames.includes(r)) requiredNames.push(r);
  }

  const kind = typeOf(node, properties, requiredNames);
  if (kind === 'object') {
    const out: Record<string, unknown> = {};
    for (const name of [...Object.keys(properties), ...requiredNames.filter((r) => !Object.hasOwn(properties, r))]) {
      const value = valueFor(Object.hasOwn(properties, name) ? properties[name] : {}, root, depth + 1, requiredNames.includes(name));
      if (value !== undefined) define(out, name, value);
    }
    return required || Object.keys(out).length > 0 ? out : undefined;
  }
  if (!required) return undefined;
  if (Array.isArray(node['enum']) && node['enum'].length > 0) return clone(node['enum'][0]);
  if (kind === undefined) {
    const branches = node['anyOf'] ?? node['oneOf'];
    if (Array.isArray(branches) && branches.length > 0) return valueFor(branches[0], root, depth + 1, true);
  }
  switch (kind) {
    case 'string':
      return '';
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'array':
      return [];
    default:
      return null;
  }
}
