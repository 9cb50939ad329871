import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  ConfigValidationError,
  createConfigStore,
  createConfigStoreSync,
  EnvOverrideError,
  Fernet,
  FernetConfigError,
  generateKey,
  InvalidSchema,
  loadConfig,
  loadConfigSync,
  redact,
  REDACTED,
  UsageError,
  type LoadOptions,
} from '../src/index.js';
import { sensitivePathsOf } from '../src/loader/load.js';
import { makeKeyFile, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-loader-');

const SECRET = 'Zq7-loader-secret-9xK';

const SCHEMA = {
  type: 'object',
  required: ['app', 'database'],
  definitions: { secret: { type: 'string', minLength: 8, sensitive: true } },
  properties: {
    app: {
      type: 'object',
      properties: { name: { type: 'string' }, logLevel: { enum: ['debug', 'info', 'warn'], default: 'info' }, debug: { type: 'boolean', default: false } },
    },
    database: {
      type: 'object',
      required: ['host', 'password'],
      properties: {
        host: { type: 'string' },
        port: { type: 'integer', default: 5432 },
        password: { $ref: '#/definitions/secret' },
        replicas: { type: 'array', items: { type: 'object', properties: { host: { type: 'string' }, password: { $ref: '#/definitions/secret' } } } },
      },
    },
    stripe: { type: 'object', properties: { secretKey: { allOf: [{ $ref: '#/definitions/secret' }] } } },
    tokens: { type: 'object', additionalProperties: { type: 'string', sensitive: true } },
    features: { type: 'array', items: { type: 'string' } },
    timeoutMs: { type: 'number' },
    'api-key': { type: 'string' },
  },
} as const;

const CONFIG = {
  app: { name: 'shop' },
  database: { host: 'db.internal', password: SECRET, replicas: [{ host: 'r1', password: 'replica-pass-1' }] },
  stripe: { secretKey: 'sk_stripe_value' },
  tokens: { ci: 'token-ci-value', deploy: 'token-deploy-value' },
  features: ['checkout'],
};

interface Seeded {
  dir: string;
  path: string;
  keyFile: string;
  key: string;
  write(value: unknown): void;
  writeText(text: string): void;
}

function seed(value: unknown = CONFIG): Seeded {
  const dir = fresh();
  const { path: keyFile, keys } = makeKeyFile(dir, 'config.key');
  const key = keys[0]!;
  const path = join(dir, 'config.enc');
  const writeText = (text: string) => writeFileSync(path, new Fernet(key).encrypt(text) + '\n', { mode: 0o600 });
  const write = (v: unknown) => writeText(JSON.stringify(v, null, 2));
  write(value);
  return { dir, path, keyFile, key, write, writeText };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as FernetConfigError).code ?? `not ours: ${String(e)}`;
  }
  return undefined;
}

describe('loadConfig', () => {
  it('decrypts, fills in defaults, validates and deep-freezes', async () => {
    const s = seed();
    const config = await loadConfig({ path: s.path, schema: SCHEMA, environment: {} });
    expect(config.database.port).toBe(5432);
    expect(config.app.logLevel).toBe('info');
    expect(config.app.debug).toBe(false);
    expect(config.database.password).toBe(SECRET);
    for (const node of [config, config.app, config.database, config.database.replicas, config.database.replicas![0], config.features]) {
      expect(Object.isFrozen(node)).toBe(true);
    }
    expect(() => {
      (config.database as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(loadConfigSync({ path: s.path, schema: SCHEMA, environment: {} })).toEqual(config);
  });

  it('finds the key the way the CLI does', () => {
    const s = seed();
    const expected = loadConfigSync({ path: s.path, keyFile: s.keyFile });
    expect(loadConfigSync({ path: s.path, key: s.key })).toEqual(expected);
    expect(loadConfigSync({ path: s.path, environment: { FERNET_CONFIG_KEY: `${generateKey()},${s.key}` } })).toEqual(expected);
    expect(loadConfigSync({ path: s.path, environment: { FERNET_CONFIG_KEY_FILE: s.keyFile } })).toEqual(expected);
    // config.key beside config.enc, found with nothing given
    expect(loadConfigSync({ path: s.path, environment: {} })).toEqual(expected);
    expect(codeOf(() => loadConfigSync({ path: s.path, key: s.key, keyFile: s.keyFile }))).toBe('ERR_USAGE');
  });

  it('takes a schema file as well as an object, and validates nothing without either', () => {
    const s = seed();
    writeFileSync(join(s.dir, 'schema.json'), JSON.stringify(SCHEMA));
    const fromFile = loadConfigSync({ path: s.path, schema: join(s.dir, 'schema.json') });
    expect(fromFile).toEqual(loadConfigSync({ path: s.path, schema: SCHEMA }));
    const raw = loadConfigSync({ path: s.path });
    expect(raw).toEqual(CONFIG);
    expect(Object.isFrozen(raw)).toBe(true);
  });

  it('checks the age of the token against ttl', () => {
    const s = seed();
    const dir = s.dir;
    const old = join(dir, 'old.enc');
    writeFileSync(old, new Fernet(s.key).encrypt(JSON.stringify(CONFIG), { now: 1_000_000 }) + '\n');
    expect(loadConfigSync({ path: old, keyFile: s.keyFile, ttl: 60, now: 1_000_030 })).toEqual(CONFIG);
    expect(codeOf(() => loadConfigSync({ path: old, keyFile: s.keyFile, ttl: 60, now: 1_000_061 }))).toBe('ERR_TOKEN_EXPIRED');
    expect(codeOf(() => loadConfigSync({ path: old, keyFile: s.keyFile, ttl: 60 }))).toBe('ERR_TOKEN_EXPIRED');
  });

  it('reports every kind of bad input as its own error class', async () => {
    const s = seed();
    const dir = s.dir;
    const file = (name: string, content: string) => {
      writeFileSync(join(dir, name), content, { mode: 0o600 });
      return join(dir, name);
    };
    const token = (text: string) => new Fernet(s.key).encrypt(text) + '\n';
    const base: LoadOptions = { path: s.path, keyFile: s.keyFile, environment: {} };
    const cases: Array<[string, LoadOptions, string, Function]> = [
      ['missing file', { ...base, path: join(dir, 'nope.enc') }, 'ERR_FILE_NOT_FOUND', FernetConfigError],
      ['wrong key', { ...base, keyFile: undefined, key: generateKey() }, 'ERR_WRONG_KEY', FernetConfigError],
      ['no key anywhere', { path: file('lonely.enc', token('{}')), environment: {} }, 'ERR_KEY_NOT_FOUND', FernetConfigError],
      ['not a token', { ...base, path: file('junk.enc', 'this is not a token\n') }, 'ERR_MALFORMED_FILE', FernetConfigError],
      ['invalid JSON inside', { ...base, path: file('bad.enc', token(`{"password": "${SECRET}",}`)) }, 'ERR_INVALID_JSON', FernetConfigError],
      ['schema violation', { ...base, schema: { ...SCHEMA, required: ['missing'] } }, 'ERR_CONFIG_VALIDATION', ConfigValidationError],
      ['invalid schema', { ...base, schema: { type: 'nonsense' } }, 'ERR_INVALID_SCHEMA', InvalidSchema],
      ['schema file not JSON', { ...base, schema: file('s.json', '{ nope') }, 'ERR_INVALID_SCHEMA', InvalidSchema],
      ['schema file missing', { ...base, schema: join(dir, 'missing.json') }, 'ERR_FILE_NOT_FOUND', FernetConfigError],
      ['async schema', { ...base, schema: { $async: true, type: 'object', required: ['missing'] } }, 'ERR_INVALID_SCHEMA', InvalidSchema],
      ['env override of the wrong type', { ...base, schema: SCHEMA, env: { prefix: 'APP_' }, environment: { APP_DATABASE__PORT: 'eighty' } }, 'ERR_ENV_OVERRIDE', EnvOverrideError],
      ['schema and validate', { ...base, schema: SCHEMA, validate: (() => true) as never }, 'ERR_USAGE', UsageError],
      ['negative ttl', { ...base, ttl: -1 }, 'ERR_USAGE', UsageError],
      ['no path', { ...base, path: '' }, 'ERR_USAGE', UsageError],
      ['empty env prefix', { ...base, env: { prefix: '' } }, 'ERR_USAGE', UsageError],
    ];
    for (const [what, options, code, cls] of cases) {
      expect(codeOf(() => loadConfigSync(options as never)), what).toBe(code);
      const rejected = await loadConfig(options as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(rejected, what).toBeInstanceOf(cls);
      expect((rejected as FernetConfigError).code, what).toBe(code);
      expect((rejected as Error).message, what).not.toContain(SECRET);
    }
  });

  it('collects every violation as a JSON pointer and a message', () => {
    const s = seed({ app: { logLevel: 'loud' }, database: { host: 5, port: 'x', password: SECRET } });
    let error: ConfigValidationError | undefined;
    try {
      loadConfigSync({ path: s.path, keyFile: s.keyFile, schema: SCHEMA });
    } catch (e) {
      error = e as ConfigValidationError;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect(error!.issues).toEqual([
      { path: '/app/logLevel', message: 'must be one of "debug", "info", "warn"' },
      { path: '/database/host', message: 'must be string' },
      { path: '/database/port', message: 'must be integer' },
    ]);
    expect(error!.message).toContain('database.port: must be integer');
    expect(error!.message).not.toContain('/database/port');
    expect(error!.hint).toContain(s.path);
  });
});

describe('sensitive values never appear in errors', () => {
  // Every rule that can fail on a value; each property is sensitive, each holds the secret (or, for
  // `tokens`, has it as a key).
  const FAILING = {
    type: 'object',
    properties: {
      enum: { enum: ['a', 'b'], sensitive: true },
      const: { const: 'expected', sensitive: true },
      pattern: { type: 'string', pattern: '^[0-9]+$', sensitive: true },
      format: { type: 'string', format: 'email', sensitive: true },
      uri: { type: 'string', format: 'uri', sensitive: true },
      date: { type: 'string', format: 'date-time', sensitive: true },
      type: { type: 'integer', sensitive: true },
      maxLength: { type: 'string', maxLength: 3, sensitive: true },
      not: { not: { type: 'string' }, sensitive: true },
      anyOf: { anyOf: [{ type: 'number' }, { const: 'x' }], sensitive: true },
      oneOf: { oneOf: [{ type: 'string' }, { minLength: 1 }], sensitive: true },
      ifThen: { if: { type: 'string' }, then: { maxLength: 2 }, sensitive: true },
      list: { type: 'array', uniqueItems: true, items: { const: 'x' }, sensitive: true },
      nested: { type: 'object', sensitive: true, additionalProperties: false, properties: { inner: { type: 'number' } } },
      tokens: { type: 'object', sensitive: true, propertyNames: { maxLength: 3 }, additionalProperties: { type: 'number' } },
      viaRef: { $ref: '#/definitions/pin' },
    },
    definitions: { pin: { type: 'string', pattern: '^\\d{4}$', sensitive: true } },
  };
  const DATA = {
    enum: SECRET,
    const: SECRET,
    pattern: SECRET,
    format: SECRET,
    uri: SECRET,
    date: SECRET,
    type: SECRET,
    maxLength: SECRET,
    not: SECRET,
    anyOf: SECRET,
    oneOf: SECRET,
    ifThen: SECRET,
    list: [SECRET, SECRET],
    nested: { [SECRET]: SECRET, inner: SECRET },
    tokens: { [SECRET]: SECRET },
    viaRef: SECRET,
  };

  function errorsFrom(fns: Array<() => unknown>): unknown[] {
    const errors: unknown[] = [];
    for (const fn of fns) {
      try {
        fn();
        errors.push(new Error('expected a failure'));
      } catch (e) {
        errors.push(e);
      }
    }
    return errors;
  }

  /** Everything an app might log: message, hint, String(), stack, issues, JSON, and inspect (with causes). */
  function renderings(e: unknown): string[] {
    const err = e as ConfigValidationError;
    return [err.message, String(err.hint), String(err), String(err.stack), JSON.stringify(err.issues ?? null), JSON.stringify(err), inspect(err, { depth: 10 })];
  }

  it('in validation errors, whatever the rule, and in env override errors', () => {
    const s = seed(DATA);
    const base = { path: s.path, keyFile: s.keyFile };
    const errors = errorsFrom([
      () => loadConfigSync({ ...base, schema: FAILING }),
      () => loadConfigSync({ ...base, schema: FAILING, env: { prefix: 'APP_' }, environment: { APP_TYPE: SECRET } }),
      () => loadConfigSync({ ...base, schema: SCHEMA, env: { prefix: 'APP_' }, environment: { APP_TIMEOUTMS: SECRET } }),
      () => loadConfigSync({ ...base, schema: SCHEMA, env: { prefix: 'APP_' }, environment: { APP_FEATURES: `["${SECRET}"` } }),
    ]);
    const validation = errors[0] as ConfigValidationError;
    expect(validation).toBeInstanceOf(ConfigValidationError);
    // One issue per failing property at least, so the scan below saw every rule fail.
    const paths = new Set(validation.issues.map((i) => i.path));
    for (const key of Object.keys(DATA)) expect(paths, key).toContain(`/${key}`);
    expect(errors.slice(1).every((e) => e instanceof EnvOverrideError)).toBe(true);
    for (const e of errors) {
      for (const text of renderings(e)) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(SECRET.slice(0, 8));
      }
    }
  });

  it('nor in the CLI-facing issues of a value that fails inside a sensitive object', () => {
    const s = seed(DATA);
    const e = errorsFrom([() => loadConfigSync({ path: s.path, keyFile: s.keyFile, schema: FAILING })])[0] as ConfigValidationError;
    expect(e.issues).toContainEqual({ path: '/nested', message: 'must NOT have additional properties' });
    expect(e.issues).toContainEqual({ path: '/tokens', message: 'a value inside this sensitive field must be number' });
  });
});

describe('environment overrides', () => {
  const env = { prefix: 'APP_' };

  it('override the file, coerced to the schema types; defaults fill only what is left', () => {
    const s = seed();
    const config = loadConfigSync({
      path: s.path,
      schema: SCHEMA,
      env,
      environment: {
        APP_DATABASE__PASSWORD: 'from-the-environment',
        APP_DATABASE__PORT: '6543',
        APP_APP__DEBUG: 'true',
        APP_TIMEOUTMS: '2.5',
        APP_FEATURES: '["a","b"]',
        APP_API_KEY: '12345',
        APP_DATABASE__REPLICAS__0__HOST: 'r9',
        OTHER_DATABASE__PORT: '1',
      },
    });
    expect(config.database.password).toBe('from-the-environment');
    expect(config.database.port).toBe(6543);
    expect(config.app.debug).toBe(true);
    expect(config.timeoutMs).toBe(2.5);
    expect(config.features).toEqual(['a', 'b']);
    expect(config['api-key']).toBe('12345'); // a string in the schema, though it looks like a number
    expect(config.database.replicas![0]!.host).toBe('r9');
    expect(config.app.logLevel).toBe('info');
  });

  it('create objects the schema declares and the file lacks', () => {
    const s = seed({ app: { name: 'x' }, database: { host: 'h', password: SECRET } });
    const config = loadConfigSync({ path: s.path, schema: SCHEMA, env, environment: { APP_STRIPE__SECRETKEY: 'sk-from-env-123' } });
    expect(config.stripe?.secretKey).toBe('sk-from-env-123');
  });

  it('without a schema, keep the type of the value in the file', () => {
    const s = seed({ port: 1, on: false, name: 'x', list: [1], nothing: null });
    const config = loadConfigSync({
      path: s.path,
      env,
      environment: { APP_PORT: '8080', APP_ON: 'TRUE', APP_NAME: '007', APP_LIST: '[2,3]', APP_NOTHING: 'null' },
    }) as Record<string, unknown>;
    expect(config).toEqual({ port: 8080, on: true, name: '007', list: [2, 3], nothing: null });
    expect(codeOf(() => loadConfigSync({ path: s.path, env, environment: { APP_PORT: 'many' } }))).toBe('ERR_ENV_OVERRIDE');
  });

  it('name the variable when the value it set fails validation', () => {
    const s = seed();
    let e: ConfigValidationError | undefined;
    try {
      loadConfigSync({ path: s.path, schema: SCHEMA, env, environment: { APP_DATABASE__PASSWORD: 'short' } });
    } catch (err) {
      e = err as ConfigValidationError;
    }
    expect(e?.issues).toEqual([{ path: '/database/password', message: 'must NOT have fewer than 8 characters (set by APP_DATABASE__PASSWORD)' }]);
    expect(e?.hint).toContain('environment');
  });

  it('warn about variables that match nothing, and refuse ambiguous ones', () => {
    const s = seed({ 'api-key': 'a', api_key: 'b' });
    const warnings: string[] = [];
    expect(loadConfigSync({ path: s.path, env, environment: { APP_TYPO: 'x' }, onWarning: (m) => warnings.push(m) })).toEqual({ 'api-key': 'a', api_key: 'b' });
    expect(warnings).toEqual(['APP_TYPO matches no key of the config or its schema; ignored']);
    let e: unknown;
    try {
      loadConfigSync({ path: s.path, env, environment: { APP_API_KEY: 'x' } });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(EnvOverrideError);
    expect((e as Error).message).toBe('APP_API_KEY is ambiguous: it could set api-key or api_key');
  });

  it('read process.env by default, and a key named __proto__ stays data', () => {
    const s = seed({});
    s.writeText('{"__proto__": {"polluted": 1}, "port": 1}');
    process.env['LOADERTEST_PORT'] = '99';
    try {
      const config = loadConfigSync({ path: s.path, env: { prefix: 'LOADERTEST_' } }) as Record<string, unknown>;
      expect(config['port']).toBe(99);
      expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
      expect(Object.hasOwn(config, '__proto__')).toBe(true);
    } finally {
      delete process.env['LOADERTEST_PORT'];
    }
  });
});

describe('redact', () => {
  it('masks what the schema marks, through $ref, allOf, items and additionalProperties', () => {
    const s = seed();
    const config = loadConfigSync({ path: s.path, schema: SCHEMA });
    const masked = redact(config) as typeof CONFIG & Record<string, unknown>;
    expect(masked).toEqual({
      ...CONFIG,
      app: { name: 'shop', logLevel: 'info', debug: false },
      database: { ...CONFIG.database, port: 5432, password: REDACTED, replicas: [{ host: 'r1', password: REDACTED }] },
      stripe: { secretKey: REDACTED },
      tokens: { ci: REDACTED, deploy: REDACTED },
    });
    expect(Object.isFrozen(masked)).toBe(false);
    expect(config.database.password).toBe(SECRET);
    expect(redact(config.database)).toEqual({ ...CONFIG.database, port: 5432, password: REDACTED, replicas: [{ host: 'r1', password: REDACTED }] });
    // A string has no identity to remember it by: a bare value needs the schema.
    expect(codeOf(() => redact(config.database.password))).toBe('ERR_USAGE');
    expect(sensitivePathsOf(config).sort()).toEqual(['database.password', 'database.replicas.0.password', 'stripe.secretKey', 'tokens.ci', 'tokens.deploy']);
  });

  it('takes a schema (object or file) for values the loader did not return', () => {
    const dir = fresh();
    writeFileSync(join(dir, 'schema.json'), JSON.stringify(SCHEMA));
    const value = structuredClone(CONFIG);
    const expected = redact(loadConfigSync({ path: seed().path, schema: SCHEMA }));
    expect(redact(value, SCHEMA)).toMatchObject({ database: { password: REDACTED }, tokens: { ci: REDACTED } });
    expect(redact(value, join(dir, 'schema.json'))).toEqual(redact(value, SCHEMA));
    expect(value).toEqual(CONFIG); // untouched: no defaults written into it
    expect(redact(value, SCHEMA)).not.toEqual(expected); // and none in the copy either
    expect(codeOf(() => redact(value))).toBe('ERR_USAGE');
    // An async schema is refused, and the promise its validator returned is not left to reject unhandled.
    expect(codeOf(() => redact(value, { $async: true, type: 'object', required: ['missing'] }))).toBe('ERR_INVALID_SCHEMA');
  });

  it('follows the branch of anyOf / if-then the value takes', () => {
    const schema = {
      type: 'object',
      properties: {
        auth: {
          anyOf: [
            { type: 'object', required: ['token'], properties: { token: { type: 'string', sensitive: true } } },
            { type: 'object', required: ['user'], properties: { user: { type: 'string' }, password: { type: 'string', sensitive: true } } },
          ],
        },
        conn: { if: { type: 'string', pattern: '^postgres:' }, then: { sensitive: true } },
      },
    };
    expect(redact({ auth: { token: 't' }, conn: 'postgres://u:p@h' }, schema)).toEqual({ auth: { token: REDACTED }, conn: REDACTED });
    expect(redact({ auth: { user: 'u', password: 'p' }, conn: 'file:x' }, schema)).toEqual({ auth: { user: 'u', password: REDACTED }, conn: 'file:x' });
  });
});

describe('onAccess', () => {
  it('reports reads of sensitive values by dot path, and nothing else', () => {
    const s = seed({ ...CONFIG, 'dotted.key': { secret: 'x' } });
    const seen: string[] = [];
    const schema = { ...SCHEMA, properties: { ...SCHEMA.properties, 'dotted.key': { type: 'object', properties: { secret: { type: 'string', sensitive: true } } } } };
    const config = loadConfigSync({ path: s.path, schema, onAccess: (p) => seen.push(p) }) as unknown as typeof CONFIG & Record<string, any>;
    expect(config.app.name).toBe('shop');
    expect(config.database.host).toBe('db.internal');
    expect(config.database.replicas[0]!.host).toBe('r1');
    expect(seen).toEqual([]);
    expect(config.database.password).toBe(SECRET);
    expect(config.database.replicas[0]!.password).toBe('replica-pass-1');
    expect(config['dotted.key'].secret).toBe('x');
    expect(seen).toEqual(['database.password', 'database.replicas.0.password', 'dotted\\.key.secret']);
    seen.length = 0;
    JSON.stringify(config.stripe);
    ({ ...config.tokens });
    structuredClone(config.database);
    expect(seen).toEqual(['stripe.secretKey', 'tokens.ci', 'tokens.deploy', 'database.password', 'database.replicas.0.password']);
    seen.length = 0;
    expect(Object.isFrozen(config.database)).toBe(true);
    expect(redact(config)).toMatchObject({ database: { password: REDACTED } });
    expect(seen).toEqual([]); // redacting does not read secrets
  });

  it('costs nothing when absent: plain data properties', () => {
    const s = seed();
    const config = loadConfigSync({ path: s.path, schema: SCHEMA });
    expect(Object.getOwnPropertyDescriptor(config.database, 'password')).toMatchObject({ value: SECRET, writable: false });
  });
});

describe('config store', () => {
  it('keeps the config, reloads changes, and keeps the old one when a reload fails', async () => {
    const s = seed();
    const store = createConfigStoreSync({ path: s.path, schema: SCHEMA });
    const first = store.get();
    expect(first.database.port).toBe(5432);
    const changes: Array<[number, number]> = [];
    const unsubscribe = store.subscribe((next, previous) => changes.push([next.database.port, previous.database.port]));

    expect(store.reloadSync()).toBe(first); // nothing changed: same object, no notification
    s.write({ ...CONFIG, database: { ...CONFIG.database, port: 6000 } });
    const second = await store.reload();
    expect(second.database.port).toBe(6000);
    expect(store.get()).toBe(second);
    expect(changes).toEqual([[6000, 5432]]);

    for (const broken of [
      () => s.write({ ...CONFIG, database: { host: 'h' } }), // schema violation
      () => s.writeText('{"not json"'),
      () => writeFileSync(s.path, new Fernet(generateKey()).encrypt('{}') + '\n'), // another key
      () => writeFileSync(s.path, 'garbage\n'),
    ]) {
      broken();
      await expect(store.reload()).rejects.toBeInstanceOf(FernetConfigError);
      expect(() => store.reloadSync()).toThrow(FernetConfigError);
      expect(store.get()).toBe(second);
    }
    unsubscribe();
    s.write({ ...CONFIG, database: { ...CONFIG.database, port: 7000 } });
    expect(store.reloadSync().database.port).toBe(7000);
    expect(changes).toHaveLength(1);
  });

  it('fails at creation like loadConfig, and the async form works the same', async () => {
    const s = seed();
    await expect(createConfigStore({ path: join(s.dir, 'nope.enc') })).rejects.toMatchObject({ code: 'ERR_FILE_NOT_FOUND' });
    const store = await createConfigStore({ path: s.path, schema: SCHEMA, env: { prefix: 'APP_' }, environment: { APP_DATABASE__PORT: '1234' } });
    expect(store.get().database.port).toBe(1234);
  });
});
