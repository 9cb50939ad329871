import { InvalidSchema, type ValidationIssue } from '../errors.js';

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
 * ajv errors as path + message. We only ever copy ajv's message, the instance path and property *names*
 * — never `params` values or data. Within a sensitive value even names and deeper paths are dropped: a
 * sensitive object's keys may be the secret (a map of API tokens, say).
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
      message = `must NOT have additional property "${e.params.additionalProperty}"`;
    }
    const key = `${path}\0${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, message });
  }
  return issues;
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
