import type { JsonSchema } from '../schema/compile.js';

type SchemaObject = Record<string, unknown>;

const isObject = (v: unknown): v is SchemaObject => v !== null && typeof v === 'object' && !Array.isArray(v);

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
  return JSON.stringify(skeletonFromSchema(schema), null, 2) + '\n';
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
  if ('default' in node) return structuredClone(node['default']);
  if ('const' in node) return structuredClone(node['const']);

  const properties: SchemaObject = {};
  const requiredNames: string[] = [];
  for (const part of [node, ...(Array.isArray(node['allOf']) ? node['allOf'].map((s) => deref(s, root, depth + 1)) : [])]) {
    if (!isObject(part)) continue;
    if (isObject(part['properties'])) Object.assign(properties, part['properties']);
    if (Array.isArray(part['required'])) for (const r of part['required']) if (typeof r === 'string' && !requiredNames.includes(r)) requiredNames.push(r);
  }

  const kind = typeOf(node, properties, requiredNames);
  if (kind === 'object') {
    const out: Record<string, unknown> = {};
    for (const name of [...Object.keys(properties), ...requiredNames.filter((r) => !(r in properties))]) {
      const value = valueFor(properties[name] ?? {}, root, depth + 1, requiredNames.includes(name));
      if (value !== undefined) out[name] = value;
    }
    return required || Object.keys(out).length > 0 ? out : undefined;
  }
  if (!required) return undefined;
  if (Array.isArray(node['enum']) && node['enum'].length > 0) return structuredClone(node['enum'][0]);
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
