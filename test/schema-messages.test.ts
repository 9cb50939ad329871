/**
 * What people read when a config or a schema is wrong: config locations as the dot paths every command
 * takes, the allowed values of `enum`/`const` (from the schema, never the data), and one line per fault of
 * an invalid schema with its location in the schema.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigValidationError, InvalidSchema, issueDotPath } from '../src/errors.js';
import { compileSchema, validateWith, type JsonSchema } from '../src/schema/compile.js';
import { makeKeyFile, runCli, useTempDirs } from './helpers/cli.js';

const SECRET = 'hunter2-Secret-Value';

describe('issueDotPath: JSON pointer to the dot path `get`/`set` take', () => {
  it.each([
    ['', '(root)'],
    ['/database/port', 'database.port'],
    ['/servers/0/host', 'servers.0.host'],
    ['/a.b/c', 'a\\.b.c'],
    ['/back\\slash', 'back\\\\slash'],
    ['/a~1b/c~0d', 'a/b.c~d'],
  ])('%j -> %s', (pointer, dot) => {
    expect(issueDotPath({ path: pointer, message: '' })).toBe(dot);
  });
});

interface IssueCase {
  name: string;
  schema: JsonSchema;
  data: unknown;
  /** `dot path: message`, as ConfigValidationError lists them. */
  lines: string[];
}

const ISSUES: IssueCase[] = [
  {
    name: 'enum lists its values',
    schema: { properties: { app: { properties: { logLevel: { enum: ['debug', 'info', 'warn'] } } } } },
    data: { app: { logLevel: SECRET } },
    lines: ['app.logLevel: must be one of "debug", "info", "warn"'],
  },
  {
    name: 'enum of mixed JSON values',
    schema: { properties: { mode: { enum: [1, 'two', null, true] } } },
    data: { mode: SECRET },
    lines: ['mode: must be one of 1, "two", null, true'],
  },
  {
    name: 'one-value enum',
    schema: { properties: { v: { enum: ['only'] } } },
    data: { v: SECRET },
    lines: ['v: must be "only"'],
  },
  {
    name: 'const gives its value',
    schema: { properties: { version: { const: 2 } } },
    data: { version: 3 },
    lines: ['version: must be 2'],
  },
  {
    name: 'const object',
    schema: { properties: { o: { const: { a: 1 } } } },
    data: { o: { a: SECRET } },
    lines: ['o: must be {"a":1}'],
  },
  {
    name: 'a long enum is cut short',
    schema: { properties: { n: { enum: Array.from({ length: 40 }, (_, i) => i) } } },
    data: { n: SECRET },
    lines: ['n: must be one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, … (28 more in the schema)'],
  },
  {
    name: 'sensitive field: the allowed values are not listed',
    schema: { properties: { token: { const: 'pinned-test-token', sensitive: true } } },
    data: { token: SECRET },
    lines: ['token: must be equal to constant (the allowed values are not shown: the field is sensitive)'],
  },
  {
    name: 'inside a sensitive value: nothing below the field',
    schema: { properties: { tokens: { sensitive: true, additionalProperties: { enum: ['a', 'b'] } } } },
    data: { tokens: { [SECRET]: 'c' } },
    lines: ['tokens: a value inside this sensitive field must be equal to one of the allowed values'],
  },
  {
    name: 'a key with a dot is escaped as parsePath reads it',
    schema: { properties: { 'a.b': { type: 'string' } } },
    data: { 'a.b': 1 },
    lines: ['a\\.b: must be string'],
  },
  {
    name: 'array items by index',
    schema: { properties: { servers: { items: { properties: { port: { type: 'integer' } } } } } },
    data: { servers: [{ port: 1 }, { port: SECRET }] },
    lines: ['servers.1.port: must be integer'],
  },
  {
    name: 'root',
    schema: { type: 'object', additionalProperties: false },
    data: { extra: 1 },
    lines: ['(root): must NOT have additional property "extra"'],
  },
];

describe('config issues: dot paths and allowed values', () => {
  it.each(ISSUES)('$name', ({ schema, data, lines }) => {
    const issues = validateWith(compileSchema(schema), structuredClone(data));
    const error = new ConfigValidationError(issues);
    expect(error.problems).toEqual(lines);
    expect(error.message).toBe(`config does not match the schema: ${lines.join('; ')}`);
    expect(error.message).not.toContain(SECRET);
  });
});

interface SchemaCase {
  name: string;
  schema: unknown;
  problems: string[];
}

const SCHEMAS: SchemaCase[] = [
  {
    name: 'a misspelt type: one line, not the anyOf branches',
    schema: { properties: { a: { type: 'strin' } } },
    problems: ['#/properties/a/type: must be one of "array", "boolean", "integer", "null", "number", "object", "string" or an array'],
  },
  {
    name: 'a wrong name inside a type array: the item, not the whole',
    schema: { properties: { a: { type: ['string', 'nope'] } } },
    problems: ['#/properties/a/type/1: must be one of "array", "boolean", "integer", "null", "number", "object", "string"'],
  },
  {
    name: 'items that are neither a schema nor an array',
    schema: { properties: { a: { items: 5 } } },
    problems: ['#/properties/a/items: must be an object, a boolean or an array'],
  },
  {
    name: 'several faults, one line each, in schema order',
    schema: { properties: { b: { enum: 'x' }, c: { minimum: '3' } }, required: ['a', 3] },
    problems: ['#/properties/b/enum: must be an array', '#/properties/c/minimum: must be a number', '#/required/1: must be a string'],
  },
  {
    name: 'the root',
    schema: { properties: [] },
    problems: ['#/properties: must be an object'],
  },
  {
    name: 'draft 2020-12',
    schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', $defs: { x: { type: 'strin' } } },
    problems: ['#/$defs/x/type: must be one of "array", "boolean", "integer", "null", "number", "object", "string" or an array'],
  },
];

describe('invalid schemas: one line per problem, located in the schema', () => {
  it.each(SCHEMAS)('$name', ({ schema, problems }) => {
    let caught: unknown;
    try {
      compileSchema(schema as JsonSchema, {}, 'schema s.json');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InvalidSchema);
    const e = caught as InvalidSchema;
    expect(e.code).toBe('ERR_INVALID_SCHEMA');
    expect([...e.problems].sort()).toEqual([...problems].sort());
    expect(e.summary).toBe('schema s.json is not a valid JSON Schema');
    // None of ajv's raw wording.
    expect(e.message).not.toMatch(/data\/|schema is invalid|must match a schema in anyOf/);
  });

  it('a fault that is not about the meta-schema keeps ajv one line', () => {
    expect(() => compileSchema({ properties: { a: { $ref: '#/definitions/missing' } } }, {}, 'schema s.json')).toThrow(
      /^schema s\.json is not a valid JSON Schema: can't resolve reference #\/definitions\/missing/,
    );
  });
});

describe('the CLI prints the lines', () => {
  const fresh = useTempDirs();

  it('validate: dot paths and allowed values, one per line; --json adds dotPath beside the pointer', () => {
    const d = fresh();
    makeKeyFile(d);
    writeFileSync(join(d, 's.json'), JSON.stringify({ properties: { database: { properties: { port: { type: 'integer' }, mode: { enum: ['ro', 'rw'] } } } } }));
    writeFileSync(join(d, 'c.json'), JSON.stringify({ database: { port: SECRET, mode: SECRET } }));
    expect(runCli(['encrypt', 'c.json', '-o', 'c.enc'], { cwd: d }).status).toBe(0);
    const r = runCli(['validate', 'c.enc', '--schema', 's.json'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('config does not match the schema (2 problems) [ERR_CONFIG_VALIDATION]\n');
    expect(r.stderr).toContain('\n  database.port: must be integer\n');
    expect(r.stderr).toContain('\n  database.mode: must be one of "ro", "rw"\n');
    expect(r.stderr).not.toContain(SECRET);
    const json = runCli(['validate', 'c.enc', '--schema', 's.json', '--json'], { cwd: d });
    expect(JSON.parse(json.stdout).errors).toContainEqual({ path: '/database/port', dotPath: 'database.port', message: 'must be integer' });
  });

  it('an invalid schema: a summary line and one line per problem', () => {
    const d = fresh();
    makeKeyFile(d);
    writeFileSync(join(d, 's.json'), JSON.stringify({ properties: { a: { type: 'strin' }, b: { minimum: '3' } } }));
    writeFileSync(join(d, 'c.json'), '{}');
    const r = runCli(['encrypt', 'c.json', '--schema', 's.json'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n')).toEqual([
      'fernet-config: schema s.json is not a valid JSON Schema (2 problems) [ERR_INVALID_SCHEMA]',
      '  #/properties/a/type: must be one of "array", "boolean", "integer", "null", "number", "object", "string" or an array',
      '  #/properties/b/minimum: must be a number',
      '',
    ]);
  });
});
