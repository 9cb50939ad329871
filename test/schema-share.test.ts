import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidSchema } from '../src/errors.js';
import { ajvRuntime } from '../src/schema/ajv-runtime.js';
import { compileSchema, compileWithAjv, type JsonSchema } from '../src/schema/compile.js';
import { shareRepeatedSubschemas } from '../src/schema/share.js';
import { compileStandalone } from '../src/schema/standalone.js';
import { runValidator, type SchemaErrorLike, type ValidatorLike } from '../src/schema/validate.js';
import { useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-share-');

// ---------------------------------------------------------------------------------------------------
// Schemas: 60 similar services (issue 14), written out in full, through $ref, in draft 2020-12, and with
// the places sharing must leave alone (composite keywords, $ref targets) and enum/const values.

const N = 60;
const service = (): Record<string, unknown> => ({
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', format: 'uri' },
    timeout: { type: 'integer', minimum: 1, default: 30 },
    token: { type: 'string', minLength: 8, sensitive: true },
    tier: { enum: ['free', 'pro', 'enterprise'], default: 'free' },
    protocol: { const: 'https' },
  },
});
const many = (make: (i: number) => unknown) => Object.fromEntries(Array.from({ length: N }, (_, i) => [`service${i}`, make(i)]));
const servicesObject = (make: (i: number) => unknown) => ({ type: 'object', additionalProperties: false, properties: many(make) });

const SCHEMAS: Record<string, JsonSchema> = {
  'written out in full (draft-07)': {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    required: ['services'],
    additionalProperties: false,
    properties: { services: servicesObject(service) },
  },
  'written out in full (draft 2020-12)': {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: { services: servicesObject(service), $defs: { type: 'string' } },
  },
  'through $ref to a definition without refs (which ajv inlines)': {
    type: 'object',
    definitions: { service: service() },
    properties: { services: servicesObject(() => ({ $ref: '#/definitions/service' })) },
  },
  'with a default on each service, and services in an array of tuples': {
    type: 'object',
    properties: {
      services: servicesObject(() => ({ ...service(), default: { url: 'https://fallback.example' } })),
      pairs: { type: 'array', items: [service(), service()], additionalItems: service() },
    },
  },
  'inside anyOf and if/then (left alone) beside shared ones, and a $ref into one service': {
    type: 'object',
    properties: {
      services: servicesObject((i) => (i % 2 ? service() : { anyOf: [service(), { type: 'null' }] })),
      conditional: { if: service(), then: service(), else: { type: 'string' } },
      firstUrl: { $ref: '#/properties/services/properties/service1/properties/url' },
    },
  },
};

// ---------------------------------------------------------------------------------------------------
// Configs: valid, and invalid in every way a service can be.

const good = (i: number) => ({ url: `https://svc-${i}.internal:8443/api`, timeout: 1000 + i, token: `tok_${i}_0123456789abcdef`, protocol: 'https' });
const SECRET = 'hunter2'; // too short: the token error must not carry it
const CONFIGS: Record<string, (i: number) => unknown> = {
  valid: good,
  'defaults to fill in': (i) => ({ url: `https://svc-${i}.example` }),
  'a bad url': (i) => ({ ...good(i), url: i % 7 ? good(i).url : 'not a uri' }),
  'timeout not an integer, or below 1': (i) => ({ ...good(i), timeout: i % 3 === 0 ? 1.5 : i % 3 === 1 ? 0 : 'x' }),
  'short sensitive token': (i) => ({ ...good(i), token: i % 5 ? good(i).token : SECRET }),
  'missing url, extra property': (i) => (i % 4 ? good(i) : { timeout: 3, extra: true }),
  'enum and const violated': (i) => ({ ...good(i), tier: i % 2 ? 'gold' : 'pro', protocol: i % 3 ? 'https' : 'http' }),
  // undefined: left out, so that a default for the whole service (where the schema has one) fills in.
  'services left out': (i) => (i % 6 ? good(i) : undefined),
  'a service of the wrong type': (i) => (i % 10 ? good(i) : i % 20 ? 'a string' : null),
};

function configFor(make: (i: number) => unknown): Record<string, unknown> {
  const services = many(make);
  return { services, pairs: [make(0), make(1), make(2)], conditional: make(3), firstUrl: 'https://first.example' };
}

/** What an error says, without schemaPath (which names where in the schema the rule sits). */
const said = (errors: readonly SchemaErrorLike[] | null | undefined) =>
  (errors ?? []).map(({ instancePath, keyword, params, message }) => ({ instancePath, keyword, params, message }));

function run(validate: ValidatorLike, data: unknown) {
  const copy = structuredClone(data);
  const result = runValidator(validate, copy);
  return { valid: result.valid, errors: said(validate.errors), issues: result.issues, sensitive: result.sensitive, data: copy };
}

let counter = 0;
async function importStandalone(schema: JsonSchema): Promise<ValidatorLike> {
  const file = join(fresh(), `v${++counter}.mjs`);
  const { js } = compileStandalone(schema, 'test schema');
  writeFileSync(file, js);
  return ((await import(pathToFileURL(file).href)) as { default: ValidatorLike }).default;
}

describe('shared subschemas report exactly what ajv reports for the schema as written', () => {
  for (const [schemaName, schema] of Object.entries(SCHEMAS)) {
    describe(schemaName, () => {
      const ajvOwn = compileSchema(schema, { share: false });
      const shared = compileSchema(schema);
      let standalone: ValidatorLike;

      it('is shared: ajv writes a fraction of the code', () => {
        expect(shareRepeatedSubschemas(schema)).not.toBe(schema);
        expect(generatedLength(schema, true)).toBeLessThan(generatedLength(schema, false) / 3);
      });

      for (const [configName, make] of Object.entries(CONFIGS)) {
        it(configName, async () => {
          standalone ??= await importStandalone(schema);
          const data = configFor(make);
          const expected = run(ajvOwn, data);
          if (!['valid', 'defaults to fill in', 'services left out'].includes(configName)) expect(expected.valid).toBe(false);
          expect(run(shared, data)).toEqual(expected);
          expect(run(standalone, data)).toEqual(expected);
          for (const issue of expected.issues) expect(issue.message + issue.path).not.toContain(SECRET);
        });
      }
    });
  }
});

/** The length of ajv's standalone code for `schema`, all functions. */
function generatedLength(schema: JsonSchema, share: boolean): number {
  const { ajv, validate } = compileWithAjv(schema, { share, code: { source: true } });
  return ajvRuntime().standaloneCode(ajv, validate).length;
}

describe('the generated code does not grow with repetition', () => {
  it('twice the services, a few KB more code (ajv alone: twice the code)', () => {
    const schemaOf = (n: number) => ({ type: 'object', properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`s${i}`, service()])) });
    const [shared60, shared120] = [generatedLength(schemaOf(60), true), generatedLength(schemaOf(120), true)];
    const [own60, own120] = [generatedLength(schemaOf(60), false), generatedLength(schemaOf(120), false)];
    expect(own120 - own60).toBeGreaterThan(own60 * 0.9);
    // Per service, a call of the one shared function remains: about a tenth of a copy of its code.
    expect(shared120 - shared60).toBeLessThan((own120 - own60) / 8);
  });
});

describe('what sharing leaves alone', () => {
  const svc = service();
  const cases: Array<{ name: string; schema: Record<string, unknown> }> = [
    { name: 'a schema with $id', schema: { $id: 'https://example.com/s', properties: { a: svc, b: svc } } },
    { name: 'an anchor', schema: { properties: { a: { ...svc, $anchor: 'x' }, b: svc, c: svc } } },
    { name: 'a $ref outside the document', schema: { properties: { a: svc, b: svc, c: { $ref: 'other.json#/x' } } } },
    { name: 'unevaluatedProperties', schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', unevaluatedProperties: false, properties: { a: svc, b: svc } } },
    { name: 'repetition only inside anyOf/oneOf/not', schema: { anyOf: [svc, svc], oneOf: [svc, { not: svc }] } },
    { name: 'small leaves (as much code as the call)', schema: { properties: { a: { type: 'string', format: 'uri' }, b: { type: 'string', format: 'uri' } } } },
    { name: 'a $ref target inside each copy', schema: { properties: { a: svc, b: svc, c: { $ref: '#/properties/a/properties/url' }, d: { $ref: '#/properties/b' } } } },
  ];
  for (const { name, schema } of cases) {
    it(name, () => {
      expect(shareRepeatedSubschemas(schema)).toBe(schema);
    });
  }

  it('never modifies the schema it is given, and keeps each occurrence’s default beside its $ref', () => {
    const schema = { properties: { a: { ...svc, default: { url: 'https://a' } }, b: svc } };
    const before = JSON.stringify(schema);
    const out = shareRepeatedSubschemas(schema) as { properties: Record<string, Record<string, unknown>>; definitions: Record<string, unknown> };
    expect(JSON.stringify(schema)).toBe(before);
    // a and b differ in their default, so they are not identical; their url/timeout/token are leaves.
    expect(out).toBe(schema);
    const twice = { properties: { a: { ...svc, default: { url: 'https://a' } }, b: { ...svc, default: { url: 'https://a' } } } };
    const shared = shareRepeatedSubschemas(twice) as typeof out;
    expect(shared.properties.a).toEqual({ $ref: '#/definitions/fcfg-shared-0', default: { url: 'https://a' } });
    expect(Object.keys(shared.definitions)).toEqual(['fcfg-shared-0', 'fcfg-shared-0-schema']);
  });

  it('picks definition names the schema does not use', () => {
    const schema = { definitions: { 'fcfg-shared-0': { type: 'string' } }, properties: { a: svc, b: svc } };
    const out = shareRepeatedSubschemas(schema) as { definitions: Record<string, unknown> };
    expect(Object.keys(out.definitions)).toEqual(['fcfg-shared-0', '_fcfg-shared-0', '_fcfg-shared-0-schema']);
  });
});

describe('an invalid schema with repetition is reported where it was written', () => {
  const schemas: JsonSchema[] = [
    { properties: { ...many(service), bad: { type: 'strin' } } },
    { properties: many((i) => (i === 7 ? { ...service(), required: 'url' } : service())) },
  ];
  for (const [i, schema] of schemas.entries()) {
    it(`case ${i + 1}`, () => {
      const problems = (share: boolean) => {
        try {
          compileSchema(schema, { share });
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidSchema);
          return { message: (e as InvalidSchema).message, problems: (e as InvalidSchema & { problems?: string[] }).problems };
        }
        throw new Error('compiled an invalid schema');
      };
      expect(problems(true)).toEqual(problems(false));
    });
  }
});
