import { describe, expectTypeOf, it } from 'vitest';
import {
  createConfigStoreSync,
  loadConfig,
  loadConfigSync,
  type ConfigFromSchema,
  type ConfigStore,
  type DeepReadonly,
  type PrecompiledValidator,
} from '../src/index.js';

// Type-level tests: vitest runs them through tsc (typecheck in vitest.config.ts); a wrong type fails the run.

const schema = {
  type: 'object',
  required: ['database', 'features'],
  definitions: { secret: { type: 'string', sensitive: true } },
  properties: {
    app: { type: 'object', properties: { logLevel: { enum: ['debug', 'info'], default: 'info' } } },
    database: {
      type: 'object',
      required: ['host'],
      properties: {
        host: { type: 'string' },
        port: { type: 'integer', default: 5432 },
        password: { $ref: '#/definitions/secret' },
        token: { sensitive: true, type: 'string' },
      },
    },
    features: { type: 'array', items: { type: 'string' } },
  },
} as const;

describe('types inferred from a schema', () => {
  it('gives loadConfig a typed, read-only result', async () => {
    const config = await loadConfig({ path: 'config.enc', schema });
    expectTypeOf(config.database.port).toEqualTypeOf<number>();
    expectTypeOf(config.database.host).toEqualTypeOf<string>();
    expectTypeOf(config.database.password).toEqualTypeOf<string | undefined>();
    expectTypeOf(config.features).toEqualTypeOf<readonly string[]>();
    expectTypeOf(config.app?.logLevel).toEqualTypeOf<'debug' | 'info' | undefined>();
    // @ts-expect-error the config is deep-frozen, and typed so
    config.database.port = 1;
    // @ts-expect-error a number is not a string
    const host: number = config.database.host;
    void host;
  });

  it('works without `as const` too, and for the sync form and the store', () => {
    const config = loadConfigSync({ path: 'config.enc', schema: { type: 'object', required: ['port'], properties: { port: { type: 'number' } } } });
    expectTypeOf(config.port).toEqualTypeOf<number>();
    const store = createConfigStoreSync({ path: 'config.enc', schema });
    expectTypeOf(store).toEqualTypeOf<ConfigStore<DeepReadonly<ConfigFromSchema<typeof schema>>>>();
    expectTypeOf(store.get().database.port).toEqualTypeOf<number>();
  });

  it('survives being passed straight into another generic call', async () => {
    const [config] = await Promise.all([loadConfig({ path: 'config.enc', schema })]);
    expectTypeOf(config.database.port).toEqualTypeOf<number>();
    expectTypeOf(loadConfigSync({ path: 'config.enc', schema }).database.host).toEqualTypeOf<string>();
  });

  it('takes the type of a precompiled validator', () => {
    type Config = ConfigFromSchema<typeof schema>;
    const validate = (() => true) as unknown as PrecompiledValidator<Config>;
    const config = loadConfigSync({ path: 'config.enc', validate });
    expectTypeOf(config.database.port).toEqualTypeOf<number>();
  });

  it('is unknown for a schema file, unless the caller names the type', () => {
    expectTypeOf(loadConfigSync({ path: 'config.enc', schema: 'schema.json' })).toEqualTypeOf<unknown>();
    expectTypeOf(loadConfigSync<{ port: number }>({ path: 'config.enc', schema: 'schema.json' }).port).toEqualTypeOf<number>();
    const widened: Record<string, unknown> = { type: 'object' };
    expectTypeOf(loadConfigSync({ path: 'config.enc', schema: widened })).toEqualTypeOf<unknown>();
  });

  it('rejects options that cannot work', () => {
    // @ts-expect-error path is required
    void loadConfigSync({ schema });
    // @ts-expect-error schema and validate exclude each other
    void loadConfigSync({ path: 'c.enc', schema, validate: (() => true) as unknown as PrecompiledValidator<unknown> });
    // @ts-expect-error env needs a prefix
    void loadConfigSync({ path: 'c.enc', env: {} });
  });
});
