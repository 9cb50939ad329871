import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { compileSchema, type JsonSchema } from '../src/schema/compile.js';
import { compileStandalone } from '../src/schema/standalone.js';
import { runValidator, type ValidatorLike } from '../src/schema/validate.js';
import { makeKeyFile, REPO, runCli, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-standalone-');
const EXAMPLE_SCHEMA = join(REPO, 'schemas/example-config.schema.json');
const EXAMPLE_CONFIG = readFileSync(join(REPO, 'examples/config.json'), 'utf8');
const EXAMPLE = JSON.parse(EXAMPLE_CONFIG) as { database: { password: string }; stripe: { secretKey: string } };

let counter = 0;
async function importStandalone(dir: string, schema: JsonSchema): Promise<ValidatorLike> {
  const file = join(dir, `v${++counter}.mjs`);
  writeFileSync(file, compileStandalone(schema, 'test schema').js);
  return ((await import(pathToFileURL(file).href)) as { default: ValidatorLike }).default;
}

/** A directory where `import 'fernet-config'` resolves to this repository, as in an app that installed it. */
function appDir(): string {
  const d = fresh();
  mkdirSync(join(d, 'node_modules'));
  symlinkSync(REPO, join(d, 'node_modules/fernet-config'), 'dir');
  writeFileSync(join(d, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  return d;
}

function seedExample(dir: string): string {
  const { keys } = makeKeyFile(dir, 'config.key');
  writeFileSync(join(dir, 'config.enc'), new Fernet(keys[0]!).encrypt(EXAMPLE_CONFIG) + '\n', { mode: 0o600 });
  return keys[0]!;
}

describe('a precompiled validator behaves like the schema compiled at run time', () => {
  // Each case exercises a run-time helper or code path the generated module must carry on its own.
  const cases: Array<{ name: string; schema: JsonSchema; data: unknown[] }> = [
    {
      name: 'defaults, required, types, additionalProperties',
      schema: {
        type: 'object',
        required: ['a'],
        additionalProperties: false,
        properties: { a: { type: 'integer', minimum: 1 }, b: { type: 'string', default: 'x' }, c: { type: 'object', default: { d: [1] } } },
      },
      data: [{ a: 1 }, { a: 0, extra: true }, { b: 5 }, 'not an object'],
    },
    {
      name: 'formats bundled from ajv-formats (functions and regexes)',
      schema: {
        type: 'object',
        properties: {
          when: { type: 'string', format: 'date-time' },
          day: { type: 'string', format: 'date' },
          mail: { type: 'string', format: 'email' },
          site: { type: 'string', format: 'uri' },
          host: { type: 'string', format: 'hostname' },
          re: { type: 'string', format: 'regex' },
          n: { type: 'integer', format: 'int32' },
        },
      },
      data: [
        { when: '2024-02-29T12:00:00Z', day: '2024-02-29', mail: 'a@b.example', site: 'https://x.example/p?q', host: 'db.internal', re: '^a+$', n: 5 },
        { when: '2023-02-29T12:00:00Z', day: '2023-02-29', mail: 'nope', site: 'not a uri', host: '-bad-', re: '(', n: 2 ** 40 },
      ],
    },
    {
      name: 'deep equality: enum, const and uniqueItems of objects',
      schema: {
        type: 'object',
        properties: {
          mode: { enum: [{ a: [1, 2] }, 'plain', null] },
          fixed: { const: { k: { deep: true } } },
          list: { type: 'array', uniqueItems: true },
        },
      },
      data: [
        { mode: { a: [1, 2] }, fixed: { k: { deep: true } }, list: [{ x: 1 }, { x: 2 }, [1], [1, 2]] },
        { mode: { a: [2, 1] }, fixed: { k: { deep: false } }, list: [{ x: 1, y: [2] }, { y: [2], x: 1 }] },
        { mode: null, fixed: { k: { deep: true }, more: 1 }, list: [[1, 2], [1, 2]] },
      ],
    },
    {
      name: 'string length in code points',
      schema: { type: 'string', minLength: 3, maxLength: 3 },
      data: ['abc', '😀😀😀', '😀😀', 'ab\ud800', 'abcd'],
    },
    {
      name: 'recursive $ref and sensitive values through it',
      schema: {
        $ref: '#/definitions/node',
        definitions: {
          node: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string' }, secret: { type: 'string', sensitive: true }, children: { type: 'array', items: { $ref: '#/definitions/node' } } },
          },
        },
      },
      data: [
        { name: 'root', secret: 's0', children: [{ name: 'kid', secret: 's1', children: [{ name: 'grandkid', secret: 2 }] }] },
        { name: 'root', children: [{ children: [] }] },
      ],
    },
    {
      name: 'draft 2020-12: $defs, prefixItems, unevaluatedProperties',
      schema: {
        $schema: 'https://json-schema.org/draft/2020-12/schema',
        type: 'object',
        properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { $ref: '#/$defs/secret' }], items: false } },
        unevaluatedProperties: false,
        $defs: { secret: { type: 'string', sensitive: true } },
      },
      data: [{ pair: ['user', 'pw'] }, { pair: ['user', 5, 'extra'], other: 1 }],
    },
    {
      name: 'sensitive keys of maps, and the anyOf branch taken',
      schema: {
        type: 'object',
        properties: {
          tokens: { type: 'object', patternProperties: { '^tok_': { type: 'string', sensitive: true } }, additionalProperties: { type: 'number' } },
          auth: { anyOf: [{ type: 'string', sensitive: true }, { type: 'object', properties: { password: { sensitive: true } } }] },
        },
      },
      data: [
        { tokens: { tok_a: 'x', tok_b: 5, other: 'y' }, auth: 'secret-string' },
        { tokens: { other: 1 }, auth: { password: 'p', user: 'u' } },
      ],
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const dir = fresh();
      const standalone = await importStandalone(dir, c.schema);
      const runtime = compileSchema(c.schema, { useDefaults: true });
      for (const data of c.data) {
        const a = structuredClone(data);
        const b = structuredClone(data);
        const fromStandalone = runValidator(standalone, a);
        const fromRuntime = runValidator(runtime, b);
        expect(fromStandalone, JSON.stringify(data)).toEqual(fromRuntime);
        expect(a, 'defaults applied alike').toEqual(b);
      }
    });
  }

  it('really checks: the cases above include failures and sensitive paths', async () => {
    const dir = fresh();
    const v = await importStandalone(dir, cases[4]!.schema);
    const r = runValidator(v, structuredClone(cases[4]!.data[0]));
    expect(r.valid).toBe(false);
    expect(r.sensitive).toEqual(['/secret', '/children/0/secret', '/children/0/children/0/secret']);
    expect(r.issues).toEqual([{ path: '/children/0/children/0/secret', message: 'must be string' }]);
  });

  it('imports nothing, and exports the schema for env coercion', async () => {
    const { js } = compileStandalone(JSON.parse(readFileSync(EXAMPLE_SCHEMA, 'utf8')) as JsonSchema, 'example-config.schema.json');
    expect(js).not.toMatch(/\brequire\(|^\s*import\b|\bimport\(/m);
    const dir = fresh();
    writeFileSync(join(dir, 'v.mjs'), js);
    const mod = (await import(pathToFileURL(join(dir, 'v.mjs')).href)) as { default: ValidatorLike; validate: ValidatorLike; schema: unknown };
    expect(mod.validate).toBe(mod.default);
    expect(mod.schema).toEqual(JSON.parse(readFileSync(EXAMPLE_SCHEMA, 'utf8')));
    expect(mod.default.schema).toBe(mod.schema);
  });

  it('refuses what it cannot make standalone', () => {
    expect(() => compileStandalone({ $async: true, type: 'object' }, 's.json')).toThrow(/asynchronous/);
    expect(() => compileStandalone({ type: 'nonsense' }, 's.json')).toThrow(/not a valid JSON Schema/);
  });
});

describe('fcfg compile-schema', () => {
  it('writes the module and its declarations; stdout without -o', () => {
    const d = fresh();
    writeFileSync(join(d, 'package.json'), JSON.stringify({ type: 'module' }));
    const r = runCli(['compile-schema', EXAMPLE_SCHEMA, '-o', 'validate.js'], { cwd: d });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('validate.d.ts');
    expect(readFileSync(join(d, 'validate.js'), 'utf8')).toContain('export default');
    expect(readFileSync(join(d, 'validate.d.ts'), 'utf8')).toContain('export type Config = ConfigFromSchema<Schema>;');
    const mjs = runCli(['compile-schema', EXAMPLE_SCHEMA, '-o', 'v.mjs', '--no-types'], { cwd: d });
    expect(mjs.status).toBe(0);
    expect(existsSync(join(d, 'v.d.mts'))).toBe(false);
    const out = runCli(['compile-schema', EXAMPLE_SCHEMA], { cwd: d });
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(readFileSync(join(d, 'validate.js'), 'utf8'));
    expect(runCli(['compile-schema', EXAMPLE_SCHEMA, '-o', '-'], { cwd: d }).stdout).toBe(out.stdout);
  });

  it('fails cleanly and writes nothing on a bad schema or output name', () => {
    const d = fresh();
    writeFileSync(join(d, 'bad.json'), JSON.stringify({ type: 'nonsense' }));
    writeFileSync(join(d, 'notjson.json'), '{');
    const bad = runCli(['compile-schema', 'bad.json', '-o', 'v.js'], { cwd: d });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('[ERR_INVALID_SCHEMA]');
    expect(runCli(['compile-schema', 'notjson.json', '-o', 'v.js'], { cwd: d }).stderr).toContain('[ERR_INVALID_SCHEMA]');
    expect(runCli(['compile-schema', 'missing.json', '-o', 'v.js'], { cwd: d }).stderr).toContain('[ERR_FILE_NOT_FOUND]');
    const txt = runCli(['compile-schema', EXAMPLE_SCHEMA, '-o', 'v.txt'], { cwd: d });
    expect(txt.status).toBe(2);
    expect(runCli(['compile-schema', EXAMPLE_SCHEMA, '-o', 'v.cjs', '--format', 'esm'], { cwd: d }).status).toBe(2);
    mkdirSync(join(d, 'x.d.ts'));
    expect(runCli(['compile-schema', EXAMPLE_SCHEMA, '-o', 'x.js'], { cwd: d }).stderr).toContain('[ERR_FILE_ACCESS]');
    expect(['v.js', 'v.d.ts', 'x.js', 'v.txt', 'v.cjs'].filter((f) => existsSync(join(d, f)))).toEqual([]);
  });
});

describe('in an app', () => {
  let app: string;
  beforeAll(() => {
    app = appDir();
    seedExample(app);
    expect(runCli(['compile-schema', EXAMPLE_SCHEMA, '-o', 'validate.js'], { cwd: app }).status).toBe(0);
  });

  /** Runs an ES module in the app directory and returns what it printed as JSON. */
  function runApp(code: string): unknown {
    writeFileSync(join(app, 'main.mjs'), code);
    const r = spawnSync(process.execPath, ['main.mjs'], { cwd: app, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '' } });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as unknown;
  }

  const modulesLoaded = `
    import { createRequire } from 'node:module';
    const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((p) => /[\\\\/]node_modules[\\\\/](ajv|ajv-formats|fast-deep-equal|fast-uri)[\\\\/]/.test(p));
    // Not ajv, but a dozen modules of boot time the loader does not need (see the boot benchmark).
    const jsonc = () => Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes('jsonc-parser'));
  `;

  it('loads with the precompiled validator without loading ajv', () => {
    const out = runApp(`
      import { loadConfigSync, redact } from 'fernet-config';
      import validate from './validate.js';
      ${modulesLoaded}
      const config = loadConfigSync({ path: 'config.enc', validate, env: { prefix: 'APP_' }, environment: { APP_DATABASE__PORT: '6543' } });
      console.log(JSON.stringify({ port: config.database.port, pool: config.database.poolSize, redacted: redact(config), ajv: loaded(), jsonc: jsonc() }));
    `) as { port: number; pool: number; redacted: { database: { password: string }; stripe: { secretKey: string } }; ajv: string[]; jsonc: string[] };
    expect(out.ajv).toEqual([]);
    expect(out.jsonc).toEqual([]);
    expect(out.port).toBe(6543);
    expect(out.pool).toBe(10);
    expect(out.redacted.database.password).toBe('[redacted]');
    expect(out.redacted.stripe.secretKey).toBe('[redacted]');
  });

  it('(control: the same check sees ajv when a runtime schema is used)', () => {
    const out = runApp(`
      import { loadConfigSync } from 'fernet-config';
      ${modulesLoaded}
      const before = loaded();
      loadConfigSync({ path: 'config.enc', schema: ${JSON.stringify(EXAMPLE_SCHEMA)} });
      console.log(JSON.stringify({ before, after: loaded() }));
    `) as { before: string[]; after: string[] };
    expect(out.before).toEqual([]);
    expect(out.after.some((p) => p.includes('/node_modules/ajv/'))).toBe(true);
  });

  it('type-checks against the generated declarations', () => {
    writeFileSync(
      join(app, 'main.ts'),
      `import { loadConfigSync, redact } from 'fernet-config';
import validate, { type Config } from './validate.js';
const config = loadConfigSync({ path: 'config.enc', validate });
const port: number = config.database.port;
const level: 'debug' | 'info' | 'warn' | 'error' = config.app.logLevel;
const features: readonly string[] = config.features;
// @ts-expect-error port is a number, not a string
const wrong: string = config.database.port;
// @ts-expect-error no such key in the schema (additionalProperties: false)
config.database.nope;
const check: Config['stripe'] = { secretKey: 'x' };
console.log(port, level, features, wrong, check, redact(config));
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(REPO, 'node_modules/@types')] },
        files: ['main.ts'],
      }),
    );
    const r = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('fcfg decrypt / get --redact --schema', () => {
  it('mask the sensitive values and nothing else', () => {
    const d = fresh();
    seedExample(d);
    const out = runCli(['decrypt', 'config.enc', '--redact', '--schema', EXAMPLE_SCHEMA, '-k', 'config.key'], { cwd: d });
    expect(out.status, out.stderr).toBe(0);
    const shown = JSON.parse(out.stdout) as typeof EXAMPLE;
    expect(shown).toEqual({ ...EXAMPLE, database: { ...EXAMPLE.database, password: '[redacted]' }, stripe: { secretKey: '[redacted]' } });
    expect(out.stdout).not.toContain(EXAMPLE.database.password);
    const get = (path: string) => runCli(['get', 'config.enc', path, '--redact', '--schema', EXAMPLE_SCHEMA, '-k', 'config.key'], { cwd: d });
    expect(get('database.password').stdout).toBe('[redacted]\n');
    expect(get('database').stdout).not.toContain(EXAMPLE.database.password);
    expect(get('database.host').stdout).toBe('db.internal\n');
    // no defaults sneak into what is shown: the file's content, masked
    expect(get('database.poolSize').stderr).toContain('[ERR_PATH_NOT_FOUND]');
    expect(runCli(['decrypt', 'config.enc', '--redact', '-k', 'config.key'], { cwd: d }).status).toBe(2);
  });

  it('fcfg validate does not show the keys of a sensitive map either', () => {
    const d = fresh();
    const { keys } = makeKeyFile(d, 'config.key');
    writeFileSync(join(d, 'config.enc'), new Fernet(keys[0]!).encrypt(JSON.stringify({ tokens: { 'tok-Zq7secretkey': 5 } })) + '\n');
    writeFileSync(join(d, 's.json'), JSON.stringify({ properties: { tokens: { sensitive: true, additionalProperties: { type: 'string' } } } }));
    const r = runCli(['validate', 'config.enc', '--schema', 's.json', '-k', 'config.key'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('  tokens: a value inside this sensitive field must be string');
    expect(r.stderr).not.toContain('Zq7secret');
  });
});
