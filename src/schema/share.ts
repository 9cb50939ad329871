/**
 * Sharing repeated subschemas, so that the code ajv generates does not grow with repetition in a schema.
 *
 * ajv writes the code of a subschema out again wherever it occurs: a schema with 60 identical service
 * objects became one 260 KB function with 60 copies, which V8 compiles lazily on its first call (25–35 ms
 * of a process's boot, the second call 0.2 ms), and which ajv itself takes most of a runtime compile to
 * write. Here every subschema that occurs more than once, structurally identical (same keywords, same
 * order — ajv's error order follows the schema's), moves to one definition that each occurrence `$ref`s,
 * and ajv compiles it once, as one function. Schemas written out in full are shared as well as those that
 * already used `$ref` (ajv inlines a `$ref` to a subschema without refs of its own, so those repeat too).
 *
 * What ajv reports stays the same: errors carry the same instancePath, keyword, params and message (only
 * schemaPath, which names where in the schema a rule sits, points into the definition), defaults are
 * filled in alike, `sensitive` records the same paths. What could change it is left alone:
 *  - subschemas inside anyOf, oneOf, not, if/then/else, contains and propertyNames: ajv applies no
 *    defaults there, but would inside a function of its own;
 *  - any subschema a `$ref` points to or into (its JSON pointer must keep resolving);
 *  - whole schemas with `$id`s, anchors, dynamic or recursive refs, `unevaluated*` (whose results depend on
 *    where a subschema sits), `$async`, or a `$ref` outside the document: nothing is shared then.
 */

type SchemaObject = Record<string, unknown>;

/** Keywords whose value is one subschema, an array of them, or a map of names to them. */
const SINGLE = ['additionalProperties', 'additionalItems', 'items', 'contains', 'propertyNames', 'not', 'if', 'then', 'else'];
const ARRAYS = ['allOf', 'anyOf', 'oneOf', 'items', 'prefixItems'];
const MAPS = ['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas', 'dependencies'];

/** Where ajv compiles a subschema as a "composite rule", without defaults (see the module comment). */
const COMPOSITE = new Set(['anyOf', 'oneOf', 'not', 'if', 'then', 'else', 'contains', 'propertyNames']);

/** Keywords that tie a subschema to its place in the document (or to asynchrony): nothing is shared. */
const PLACE_BOUND = ['$id', 'id', '$anchor', '$dynamicAnchor', '$dynamicRef', '$recursiveAnchor', '$recursiveRef', 'unevaluatedProperties', 'unevaluatedItems', '$async'];

/**
 * A subschema smaller than this (as JSON) and without subschemas of its own generates about as much code
 * as the call that would replace it: sharing it saves nothing.
 */
const MIN_SHARED_LENGTH = 100;

interface Position {
  node: SchemaObject;
  /** JSON pointer of the node in the schema as written. */
  pointer: string;
  /** Under a composite keyword (see COMPOSITE). */
  composite: boolean;
}

function isObject(value: unknown): value is SchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Called for every segment of every position: most have nothing to escape, and a replace costs more than a test.
const escape = (segment: string) => (segment.includes('~') || segment.includes('/') ? segment.replace(/~/g, '~0').replace(/\//g, '~1') : segment);

const pointerOf = (parent: string, segments: string[]) => (segments.length === 1 ? `${parent}/${escape(segments[0]!)}` : `${parent}/${escape(segments[0]!)}/${escape(segments[1]!)}`);

const KIND = new Map<string, 'single' | 'array' | 'map' | 'single-or-array'>([
  ...SINGLE.map((k) => [k, 'single'] as const),
  ...ARRAYS.map((k) => [k, 'array'] as const),
  ...MAPS.map((k) => [k, 'map'] as const),
  ['items', 'single-or-array'],
]);

/** The subschemas directly inside `node`, with the path segments that lead to each. */
function childSchemas(node: SchemaObject): { keyword: string; segments: string[]; value: unknown }[] {
  const out: { keyword: string; segments: string[]; value: unknown }[] = [];
  // The node's own keys, in their order (the schema's order, as ajv goes through it too).
  for (const keyword in node) {
    const kind = KIND.get(keyword);
    if (kind === undefined) continue;
    const value = node[keyword];
    if (Array.isArray(value)) {
      if (kind === 'array' || kind === 'single-or-array') value.forEach((item, i) => out.push({ keyword, segments: [keyword, String(i)], value: item }));
    } else if (isObject(value)) {
      if (kind === 'map') {
        for (const name in value) if (isObject(value[name]) || typeof value[name] === 'boolean') out.push({ keyword, segments: [keyword, name], value: value[name] });
      } else if (kind !== 'array') out.push({ keyword, segments: [keyword], value });
    } else if (typeof value === 'boolean' && kind !== 'map' && kind !== 'array') out.push({ keyword, segments: [keyword], value });
  }
  return out;
}

function hasSubschemas(node: SchemaObject): boolean {
  for (const keyword in node) {
    const kind = KIND.get(keyword);
    if (kind !== undefined && typeof node[keyword] === 'object' && node[keyword] !== null) return true;
  }
  return false;
}

/** Calls `visit` on every object subschema below `root` (not `root` itself), depth first; `visit` returning false skips the node's subtree. */
function walk(root: SchemaObject, visit: (p: Position) => boolean): void {
  const go = (node: SchemaObject, pointer: string, composite: boolean) => {
    for (const child of childSchemas(node)) {
      if (!isObject(child.value)) continue;
      const position = { node: child.value, pointer: pointerOf(pointer, child.segments), composite: composite || COMPOSITE.has(child.keyword) };
      if (visit(position)) go(position.node, position.pointer, position.composite);
    }
  };
  go(root, '', false);
}

interface Refs {
  /** Every `$ref` target, as a JSON pointer. */
  targets: string[];
  /** How often each `$ref` (as written) occurs, and whether any occurrence is under a composite keyword. */
  uses: Map<string, { count: number; composite: boolean }>;
}

/** The schema's `$ref`s, or undefined when the schema has something that rules sharing out. */
function collectRefs(root: SchemaObject): Refs | undefined {
  const refs: Refs = { targets: [], uses: new Map() };
  let shareable = true;
  const check = (node: SchemaObject, composite: boolean) => {
    if (PLACE_BOUND.some((k) => k in node)) shareable = false;
    const ref = node.$ref;
    if (ref === undefined) return;
    if (typeof ref !== 'string' || !(ref === '#' || ref.startsWith('#/'))) {
      shareable = false;
      return;
    }
    try {
      refs.targets.push(decodeURIComponent(ref.slice(1)));
    } catch {
      shareable = false;
    }
    const use = refs.uses.get(ref) ?? { count: 0, composite: false };
    refs.uses.set(ref, { count: use.count + 1, composite: use.composite || composite });
  };
  check(root, false);
  walk(root, (p) => {
    check(p.node, p.composite);
    return shareable;
  });
  return shareable ? refs : undefined;
}

/** The value at a JSON pointer (already percent-decoded), or undefined. */
function resolvePointer(root: unknown, pointer: string): unknown {
  let node = root;
  for (const segment of pointer.split('/').slice(1)) {
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.prototype.hasOwnProperty.call(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Whether ajv's own test (hasRef in its compile/resolve.ts) finds a reference keyword anywhere inside. */
function hasRefKeyword(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(hasRefKeyword);
  return Object.entries(value).some(([k, v]) => k === '$ref' || hasRefKeyword(v));
}

/**
 * `schema` with each repeated subschema moved to a definition (see the module comment), or `schema` itself
 * when there is nothing to share. The result shares unchanged parts with `schema`; neither is modified.
 */
export function shareRepeatedSubschemas(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  const refs = collectRefs(schema);
  if (refs === undefined) return schema;
  const { targets } = refs;
  const isProtected = (pointer: string) => targets.some((t) => t === pointer || t.startsWith(pointer + '/'));
  const keys = new Map<SchemaObject, string>();
  const keyOf = (node: SchemaObject) => {
    let key = keys.get(node);
    if (key === undefined) keys.set(node, (key = JSON.stringify(node)));
    return key;
  };
  const eligible = (p: Position) =>
    !p.composite && !isProtected(p.pointer) && (hasSubschemas(p.node) || keyOf(p.node).length >= MIN_SHARED_LENGTH);

  // Which subschemas to share: those that occur twice or more, counting what is inside a shared one once
  // (60 services share one `url` schema, which then occurs once). Counting so can only lower counts, so
  // this settles; it takes two or three rounds.
  let shared = new Set<string>();
  for (let round = 0; round < 10; round++) {
    const counts = new Map<string, number>();
    walk(schema, (p) => {
      if (!eligible(p)) return true;
      const key = keyOf(p.node);
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      return !(shared.has(key) && count > 1);
    });
    const next = new Set([...counts].filter(([, n]) => n > 1).map(([key]) => key));
    const settled = next.size === shared.size && [...next].every((k) => shared.has(k));
    shared = next;
    if (settled) break;
  }
  // A $ref used in several places to a subschema without refs of its own: ajv would inline a copy at each.
  const sharedRefs = [...refs.uses]
    .filter(([ref, use]) => {
      if (ref === '#' || use.count < 2 || use.composite) return false;
      const target = resolvePointer(schema, decodeURIComponent(ref.slice(1)));
      return isObject(target) && !hasRefKeyword(target) && (hasSubschemas(target) || JSON.stringify(target).length >= MIN_SHARED_LENGTH);
    })
    .map(([ref]) => ref);
  if (shared.size === 0 && sharedRefs.length === 0) return schema;

  const defsKeyword = typeof schema.$schema === 'string' && /2019-09|2020-12/.test(schema.$schema) ? '$defs' : 'definitions';
  const existing = isObject(schema[defsKeyword]) ? (schema[defsKeyword] as SchemaObject) : undefined;
  if (schema[defsKeyword] !== undefined && existing === undefined) return schema; // invalid: leave it to ajv
  let prefix = 'fcfg-shared-';
  while (existing && Object.keys(existing).some((k) => k.startsWith(prefix))) prefix = `_${prefix}`;

  const definitions: SchemaObject = {};
  const names = new Map<string, string>();
  const rewrite = (node: SchemaObject, pointer: string, composite: boolean): SchemaObject => {
    let copy: SchemaObject | undefined;
    for (const child of childSchemas(node)) {
      if (!isObject(child.value)) continue;
      const position = { node: child.value, pointer: pointerOf(pointer, child.segments), composite: composite || COMPOSITE.has(child.keyword) };
      const replacement = eligible(position) && shared.has(keyOf(position.node)) ? reference(position) : rewrite(position.node, position.pointer, position.composite);
      if (replacement === child.value) continue;
      copy ??= { ...node };
      if (child.segments.length === 1) copy[child.keyword] = replacement;
      else {
        // The array or map, copied once per node.
        const [keyword, name] = child.segments as [string, string];
        if (copy[keyword] === node[keyword]) copy[keyword] = Array.isArray(node[keyword]) ? [...(node[keyword] as unknown[])] : { ...(node[keyword] as SchemaObject) };
        (copy[keyword] as Record<string, unknown>)[name] = replacement;
      }
    }
    const ref = node.$ref;
    if (!composite && typeof ref === 'string' && sharedRefs.includes(ref)) {
      copy ??= { ...node };
      copy.$ref = `#/${defsKeyword}/${escape(refName(ref))}`;
    }
    return copy ?? node;
  };
  const wrapperNames = new Map<string, string>();
  /** The definition that wraps `ref` (see below), made on first use. */
  const refName = (ref: string): string => {
    let name = wrapperNames.get(ref);
    if (name === undefined) {
      name = `${prefix}${names.size + wrapperNames.size}`;
      wrapperNames.set(ref, name);
      definitions[name] = { $ref: ref, sensitive: false };
    }
    return name;
  };
  const reference = (p: Position): SchemaObject => {
    const key = keyOf(p.node);
    let name = names.get(key);
    if (name === undefined) {
      name = `${prefix}${names.size + wrapperNames.size}`;
      names.set(key, name);
      // ajv inlines a $ref whose target has no $ref of its own, which would copy the code out again: the
      // definition is a $ref to the subschema, which ajv compiles as one function, called from everywhere.
      // ajv would follow a bare `{ $ref }` through to its target; `sensitive: false`, a keyword of ours that
      // generates no code (see compile.ts), keeps it a schema of its own.
      definitions[name] = { $ref: `#/${defsKeyword}/${escape(name)}-schema`, sensitive: false };
      definitions[`${name}-schema`] = rewrite(p.node, p.pointer, p.composite);
    }
    // ajv fills in a property's (or tuple item's) default from the subschema in place, not through a $ref.
    const ref: SchemaObject = { $ref: `#/${defsKeyword}/${escape(name)}` };
    if ('default' in p.node) ref.default = p.node.default;
    return ref;
  };
  const root = rewrite(schema, '', false);
  return { ...root, [defsKeyword]: { ...(root[defsKeyword] as SchemaObject | undefined), ...definitions } };
}
