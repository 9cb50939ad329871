import { parseJson } from '../config/json.js';
import { InvalidJson, InvalidSchema, type ValidationIssue } from '../errors.js';

/**
 * Running a compiled validator — from ajv at run time or from `fcfg compile-schema` — and turning its
 * result into issues. Nothing here imports ajv: the precompiled path of the loader depends on that.
 */

/** The part of an ajv error we read. Its messages describe the rule ("must match format "email""), never the data. */
export interface SchemaErrorLike {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** What ajv's compiled functions and the modules `fcfg compile-schema` writes look like. */
export interface ValidatorLike {
  (data: unknown): boolean | PromiseLike<unknown>;
  errors?: readonly SchemaErrorLike[] | null;
  schema?: unknown;
}

/**
 * Where the `sensitive` keyword's generated code records the JSON pointer of every value a sensitive
 * subschema applies to. A registered symbol, so the code ajv writes into standalone modules can name it
 * without importing anything; validators called without it (plain `validate(data)`) record nothing.
 */
export const SENSITIVE_SINK = Symbol.for('fernet-config.sensitive');

export interface ValidatorRun {
  valid: boolean;
  /** Empty when valid. Inside a sensitive value, paths stop at the sensitive field (keys can be secret too). */
  issues: ValidationIssue[];
  /** JSON pointers of the values marked sensitive, as this data took its way through the schema. */
  sensitive: string[];
}

/**
 * Validates `data` and collects its sensitive paths in the same pass. Because the paths come from the
 * validator walking the actual data, `$ref`, `allOf`, `items`, `additionalProperties`, `if`/`then` and
 * the branch of `anyOf`/`oneOf` the data matched all mark what they should, with no schema walker of our
 * own to drift from ajv's semantics.
 */
export function runValidator(validate: ValidatorLike, data: unknown): ValidatorRun {
  const sink: string[] = [];
  const result = validate.call({ [SENSITIVE_SINK]: sink }, data);
  if (typeof result !== 'boolean') {
    // An async validator's promise rejects on invalid data; nobody is going to await it.
    if (result && typeof (result as PromiseLike<unknown>).then === 'function') (result as PromiseLike<unknown>).then(undefined, () => {});
    throw new InvalidSchema('the validator did not return true or false: asynchronous ("$async") schemas are not supported', {
      hint: 'remove "$async" from the schema',
    });
  }
  const sensitive = [...new Set(sink)];
  if (result) return { valid: true, issues: [], sensitive };
  return { valid: false, issues: toIssues(validate.errors, sensitive), sensitive };
}

/**
 * ajv errors as path + message. We copy ajv's message, the instance path, property *names* and, for
 * `enum`/`const`, the allowed values — which come from the schema, never from the data. Within a sensitive
 * value even names and deeper paths are dropped: a sensitive object's keys may be the secret (a map of API
 * tokens, say).
 */
export function toIssues(errors: readonly SchemaErrorLike[] | null | undefined, sensitive: readonly string[] = []): ValidationIssue[] {
  if (!errors) return [];
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let path = e.instancePath;
    let message = e.message ?? 'is invalid';
    const owner = sensitiveOwner(path, sensitive);
    if (owner !== undefined && owner !== path) {
      message = `a value inside this sensitive field ${message}`;
      path = owner;
    } else if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string' && owner === undefined) {
      message = `must NOT have additional property ${JSON.stringify(e.params.additionalProperty)}`;
    } else if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') {
      // ajv quotes this name with '...', the additional-property one above with "...": one style, JSON's.
      message = `must have required property ${JSON.stringify(e.params.missingProperty)}`;
    } else if (e.keyword === 'enum' || e.keyword === 'const') {
      message = allowedValuesMessage(e, owner !== undefined) ?? message;
    }
    const key = `${path}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, message });
  }
  return issues;
}

/** More allowed values than this are cut short: the message stays one readable line. */
const MAX_LISTED_VALUES = 12;
const MAX_LISTED_CHARS = 200;

/**
 * `must be one of "debug", "info", "warn"` for an `enum`, `must be 8080` for a `const`. These values are
 * the schema's own, so listing them tells nothing about the config. One exception: on a field marked
 * `sensitive` the values are not listed, since a schema that pins a secret field to a literal (a known
 * test token, say) would otherwise see it copied into logs that never show the schema file itself.
 */
function allowedValuesMessage(e: SchemaErrorLike, isSensitive: boolean): string | undefined {
  const values = e.keyword === 'enum' ? e.params.allowedValues : [e.params.allowedValue];
  if (!Array.isArray(values) || (e.keyword === 'const' && !('allowedValue' in e.params))) return undefined;
  if (isSensitive) return `${e.message ?? 'is not an allowed value'} (the allowed values are not shown: the field is sensitive)`;
  const shown: string[] = [];
  let length = 0;
  for (const v of values) {
    const text = JSON.stringify(v) ?? String(v);
    if (shown.length === MAX_LISTED_VALUES || (shown.length > 0 && length + text.length > MAX_LISTED_CHARS)) break;
    shown.push(text);
    length += text.length + 2;
  }
  const more = values.length - shown.length;
  const list = shown.join(', ') + (more > 0 ? `, … (${more} more in the schema)` : '');
  if (e.keyword === 'const') return `must be ${list}`;
  return values.length === 1 ? `must be ${list}` : `must be one of ${list}`;
}

/** The outermost sensitive pointer that is `path` or contains it. */
function sensitiveOwner(path: string, sensitive: readonly string[]): string | undefined {
  let best: string | undefined;
  for (const p of sensitive) {
    if ((path === p || path.startsWith(p + '/') || p === '') && (best === undefined || p.length < best.length)) best = p;
  }
  return best;
}

/** `["a/b", "c"]` → `/a~1b/c` (RFC 6901). */
export function toPointer(segments: readonly string[]): string {
  return segments.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** `/a~1b/c` → `["a/b", "c"]`; `""` is the root. */
export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** A dot path as `fcfg get` takes it: `database.password`, with `\.` and `\\` for literal dots and backslashes. */
export function toDotPath(segments: readonly string[]): string {
  return segments.map((k) => k.replace(/[\\.]/g, '\\$&')).join('.');
}

/**
 * The faults ajv's meta-schema check found in a schema, one line each, located by a JSON pointer into the
 * schema (`#/properties/port/type`, the form `$ref` uses). ajv reports an `anyOf` in the meta-schema as
 * every failed branch plus "must match a schema in anyOf"; those collapse into one line listing what the
 * location accepts ("must be one of "array", "boolean", … or an array"), unless a branch failed deeper
 * down (the value had the right shape, an item of it is wrong), where the deeper faults are the news.
 */
export function schemaProblems(errors: readonly SchemaErrorLike[]): string[] {
  const combinators = new Set(errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => e.instancePath));
  const within = (path: string, base: string) => path === base || path.startsWith(base + '/');
  // A path under an anyOf: the outermost such anyOf speaks for it.
  const outerCombinator = (path: string) => [...combinators].filter((c) => within(path, c)).sort((a, b) => a.length - b.length)[0];
  const lines: string[] = [];
  const seen = new Set<string>();
  const add = (line: string) => {
    if (!seen.has(line)) lines.push(line);
    seen.add(line);
  };
  const push = (path: string, message: string) => add(`#${path}: ${message}`);
  const done = new Set<string>();
  for (const e of errors) {
    const outer = outerCombinator(e.instancePath);
    if (outer === undefined) {
      const listed = e.keyword === 'type' || e.keyword === 'enum' || e.keyword === 'const';
      push(e.instancePath, listed ? `must be ${alternatives([e])}` : (e.message ?? 'is invalid'));
      continue;
    }
    if (done.has(outer)) continue;
    done.add(outer);
    const group = errors.filter((x) => within(x.instancePath, outer) && x.keyword !== 'anyOf' && x.keyword !== 'oneOf');
    const deeper = group.filter((x) => x.instancePath !== outer);
    if (deeper.length > 0) {
      for (const line of schemaProblems(deeper)) add(line);
      continue;
    }
    push(outer, `must be ${alternatives(group)}`);
  }
  return lines;
}

/** The alternatives failed branches accepted: `one of "a", "b"`, `an object, a boolean`, joined by "or". */
function alternatives(errors: readonly SchemaErrorLike[]): string {
  const values: unknown[] = [];
  const types: string[] = [];
  const others: string[] = [];
  for (const e of errors) {
    if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) values.push(...e.params.allowedValues);
    else if (e.keyword === 'const' && 'allowedValue' in e.params) values.push(e.params.allowedValue);
    else if (e.keyword === 'type') types.push(...[e.params.type].flat().map(String));
    else others.push((e.message ?? 'valid').replace(/^must (be )?/, ''));
  }
  const parts: string[] = [];
  const uniqueValues = [...new Set(values.map((v) => JSON.stringify(v)))];
  if (uniqueValues.length > 0) parts.push(uniqueValues.length === 1 ? uniqueValues[0]! : `one of ${uniqueValues.join(', ')}`);
  if (types.length > 0) parts.push(typeList(types));
  parts.push(...new Set(others));
  return parts.length === 0 ? 'valid' : parts.join(' or ');
}

/** `"string"` → `a string`; `["object","boolean"]` → `an object or a boolean`. */
function typeList(type: unknown): string {
  const names = [...new Set([type].flat().map(String))];
  const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
  const words = names.map(article);
  return words.length <= 2 ? words.join(' or ') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)!}`;
}

/**
 * InvalidSchema for an error ajv threw while compiling: one line per problem when it came from the
 * meta-schema check (ajv leaves those in `ajv.errors`), ajv's own one-line message otherwise (an
 * unresolvable `$ref`, an unknown `$schema`).
 */
export function invalidSchemaError(source: string, cause: unknown, metaErrors: readonly SchemaErrorLike[] | null | undefined): InvalidSchema {
  const message = (cause as Error)?.message ?? String(cause);
  if (/^schema is invalid:/.test(message) && metaErrors && metaErrors.length > 0) {
    return new InvalidSchema(`${source} is not a valid JSON Schema`, { cause, problems: schemaProblems(metaErrors) });
  }
  return new InvalidSchema(`${source} is not a valid JSON Schema: ${message}`, { cause });
}

/**
 * InvalidSchema for schema text that is not JSON, with the line and column of the first error as config
 * JSON errors give them, and never a fragment of the text. `cause` is the parser's error: an InvalidJson
 * already carries the position; anything else (V8's SyntaxError, which quotes the text) is located again.
 */
export function schemaJsonError(text: string, source: string, cause: unknown): InvalidSchema {
  let located = cause;
  if (!(located instanceof InvalidJson)) {
    try {
      parseJson(text, source);
    } catch (e) {
      located = e;
    }
  }
  if (located instanceof InvalidJson) return new InvalidSchema(located.message, { cause: located });
  return new InvalidSchema(`${source} is not valid JSON`, { cause });
}
