import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Fernet, FernetConfigError, createConfigStoreSync, loadConfig, loadConfigSync, redact, type LoadOptions } from '../src/index.js';
import { exactOf, mayRepeatKeys } from '../src/loader/numbers.js';
import { compileStandalone } from '../src/schema/standalone.js';
import type { ValidatorLike } from '../src/schema/validate.js';
import { makeKeyFile, REPO, useTempDirs } from './helpers/cli.js';
import { runPython } from './helpers/python.js';

const fresh = useTempDirs('fcfg-loader-numbers-');

function seedText(text: string): { dir: string; path: string; key: string } {
  const dir = fresh();
  const { keys } = makeKeyFile(dir, 'config.key');
  const path = join(dir, 'config.enc');
  writeFileSync(path, new Fernet(keys[0]!).encrypt(text) + '\n', { mode: 0o600 });
  return { dir, path, key: keys[0]! };
}

function failure(fn: () => unknown): FernetConfigError & { paths?: string[] } {
  try {
    fn();
  } catch (e) {
    return e as FernetConfigError;
  }
  throw new Error('expected an error');
}

// [literal, safe as a double?, exact with 'bigint' (undefined: refused even then)]
const LITERALS: [string, boolean, bigint | undefined][] = [
  ['12345678901234567891', false, 12345678901234567891n],
  ['-12345678901234567891', false, -12345678901234567891n],
  ['1e20', false, 100000000000000000000n],
  ['100000000000000000000000', false, 100000000000000000000000n],
  ['1e400', false, 10n ** 400n],
  ['9007199254740992', false, 9007199254740992n],
  ['9007199254740993.5', false, undefined],
  ['1.50e30', false, 1500000000000000000000000000000n],
  ['1e5000', false, undefined], // more digits than Python converts
  ['9007199254740991', true, undefined],
  ['-0', true, undefined],
  ['1.50', true, undefined],
  ['1E+2', true, undefined],
  ['0.1', true, undefined],
];

describe('the number rule', () => {
  it.each(LITERALS)('%s: safe=%s', (literal, safe, big) => {
    const { path } = seedText(`{"a": {"list": [1, ${literal}]}, "ok": 2}`);
    if (safe) {
      const config = loadConfigSync({ path }) as { a: { list: unknown[] } };
      expect(Object.is(config.a.list[1], JSON.parse(literal))).toBe(true);
      // Opting in changes nothing for safe numbers.
      expect(Object.is((loadConfigSync({ path, bigNumbers: 'bigint' }) as typeof config).a.list[1], JSON.parse(literal))).toBe(true);
      return;
    }
    const e = failure(() => loadConfigSync({ path }));
    expect(e.code).toBe('ERR_UNSAFE_NUMBER');
    expect(e.paths).toEqual(['a.list.1']);
    expect(e.message).toContain('a.list.1');
    expect(e.message).not.toContain(literal);
    expect(e.hint).toContain("bigNumbers: 'bigint'");

    const asString = loadConfigSync({ path, bigNumbers: 'string' }) as { a: { list: unknown[] }; ok: number };
    expect(asString).toEqual({ a: { list: [1, literal] }, ok: 2 });
    if (big === undefined) {
      const refused = failure(() => loadConfigSync({ path, bigNumbers: 'bigint' }));
      expect(refused.code).toBe('ERR_UNSAFE_NUMBER');
      expect(refused.hint).toContain("'string'");
    } else {
      const asBig = loadConfigSync({ path, bigNumbers: 'bigint' }) as { a: { list: unknown[] } };
      expect(asBig.a.list[1]).toBe(big);
      expect(asBig.a.list[0]).toBe(1);
    }
  });

  it('exactOf reads every literal form', () => {
    const cases: [string, bigint | undefined][] = [
      ['0.0005e10', 5000000n],
      ['120e-1', 12n],
      ['-1.000e3', -1000n],
      ['1.5', undefined],
      ['1e-1', undefined],
    ];
    for (const [literal, want] of cases) expect(exactOf(literal, 'bigint')).toBe(want);
    expect(exactOf('1E+400', 'string')).toBe('1E+400');
  });

  it('names every path (up to five), and the whole document', async () => {
    const { path } = seedText('{"a": 1e400, "b": [1e400, 1e400], "c.d": {"e": 1e20}, "f": 1e21, "g": 1e22, "h": 1e23}');
    const e = failure(() => loadConfigSync({ path }));
    expect(e.paths?.sort()).toEqual(['a', 'b.0', 'b.1', 'c\\.d.e', 'f', 'g', 'h'].sort());
    expect(e.message).toContain('and 2 more');
    await expect(loadConfig({ path })).rejects.toMatchObject({ code: 'ERR_UNSAFE_NUMBER' });
    expect(failure(() => loadConfigSync({ path: seedText('1e400').path })).paths).toEqual(['(the whole config)']);
    expect(loadConfigSync({ path: seedText('1e400').path, bigNumbers: 'string' })).toBe('1e400');
  });

  it('a repeated key: the exact value is the last copy, as JSON.parse reads it', () => {
    const { path } = seedText('{"id": 1, "id": 12345678901234567891}');
    expect(loadConfigSync({ path, bigNumbers: 'bigint' })).toEqual({ id: 12345678901234567891n });
    const shadowed = seedText('{"id": 12345678901234567891, "id": 1}');
    expect(loadConfigSync({ path: shadowed.path })).toEqual({ id: 1 });
  });

  it('with a schema: validation sees the document, the config holds the exact value, frozen', () => {
    const { path } = seedText('{"id": 12345678901234567891}');
    const schema = { type: 'object', properties: { id: { type: 'integer' }, port: { type: 'integer', default: 5432 } } } as const;
    const config = loadConfigSync({ path, schema, bigNumbers: 'bigint' }) as unknown as { id: bigint; port: number };
    expect(config).toEqual({ id: 12345678901234567891n, port: 5432 });
    expect(Object.isFrozen(config)).toBe(true);
    expect(failure(() => loadConfigSync({ path, schema })).code).toBe('ERR_UNSAFE_NUMBER');
  });

  it('the same with a compiled validator (fcfg compile-schema)', async () => {
    const dir = fresh();
    const schema = { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } };
    const file = join(dir, 'validate.mjs');
    writeFileSync(file, compileStandalone(schema, 'test schema').js);
    const validate = ((await import(pathToFileURL(file).href)) as { default: ValidatorLike }).default as unknown as LoadOptions['validate'];
    const { path } = seedText('{"id": 1e20}');
    expect(failure(() => loadConfigSync({ path, validate: validate! })).paths).toEqual(['id']);
    expect(loadConfigSync({ path, validate: validate!, bigNumbers: 'string' })).toEqual({ id: '1e20' });
    expect(loadConfigSync({ path, validate: validate!, bigNumbers: 'bigint' })).toEqual({ id: 100000000000000000000n });
  });

  it('redact() takes configs with bigints, given a schema or a compiled validator', async () => {
    const dir = fresh();
    const schema = { type: 'object', properties: { id: { type: 'integer' }, pw: { type: 'string', sensitive: true } } };
    const file = join(dir, 'redact.mjs');
    writeFileSync(file, compileStandalone(schema, 'test schema').js);
    const validate = ((await import(pathToFileURL(file).href)) as { default: ValidatorLike }).default as unknown as LoadOptions['validate'];
    const { path } = seedText('{"id": 1e20, "pw": "hunter2-bigint"}');
    const config = loadConfigSync({ path, bigNumbers: 'bigint' });
    const want = { id: 100000000000000000000n, pw: '[redacted]' };
    expect(redact(config, validate!)).toEqual(want);
    expect(redact(config, schema)).toEqual(want);
    expect(redact(loadConfigSync({ path, schema, bigNumbers: 'bigint' }))).toEqual(want);
  });

  it('environment overrides follow the same rule', () => {
    const { path } = seedText('{"id": 1, "ids": [1]}');
    const env = { prefix: 'APP_' };
    const e = failure(() => loadConfigSync({ path, env, environment: { APP_ID: '12345678901234567891' } }));
    expect(e.code).toBe('ERR_UNSAFE_NUMBER');
    expect(e.message).toContain('APP_ID');
    expect(e.message).not.toContain('12345678901234567891');
    expect(loadConfigSync({ path, env, environment: { APP_ID: '12345678901234567891', APP_IDS: '[2, 1e20]' }, bigNumbers: 'bigint' })).toEqual({
      id: 12345678901234567891n,
      ids: [2, 100000000000000000000n],
    });
  });

  it('a store compares reloads with bigints in them', () => {
    const { path } = seedText('{"id": 12345678901234567891}');
    const store = createConfigStoreSync({ path, bigNumbers: 'bigint' });
    expect(store.reloadSync()).toBe(store.get());
  });

  it('keys an app added to Object.prototype are not part of the config', () => {
    const { path } = seedText('{"a": {"b": 1}, "a": 2}');
    const warnings: string[] = [];
    (Object.prototype as Record<string, unknown>)['polluted'] = 1e400;
    try {
      expect(loadConfigSync({ path, onWarning: (m) => warnings.push(m) })).toEqual({ a: 2 });
    } finally {
      delete (Object.prototype as Record<string, unknown>)['polluted'];
    }
    expect(warnings).toHaveLength(1);
  });

  it('rejects an unknown mode', () => {
    const { path } = seedText('{}');
    expect(failure(() => loadConfigSync({ path, bigNumbers: 'round' as never })).code).toBe('ERR_USAGE');
    // @ts-expect-error -- the type allows only the three modes
    const typed: LoadOptions = { path, bigNumbers: 'round' };
    expect(typed.path).toBe(path);
  });
});

describe('repeated keys', () => {
  it('last one wins, with a warning naming the path and position but no value (file written by Python)', () => {
    const dir = fresh();
    const { keys } = makeKeyFile(dir, 'config.key');
    const path = join(dir, 'config.enc');
    // Python's json module reads the last copy too; the token is cryptography's own.
    runPython(
      'import sys; from cryptography.fernet import Fernet; path, key = sys.stdin.read().split("\\n")[:2]; t = \'{"p": "first-secret", "db": {"url": "https://x:1", "url": "https://y:2"}, "p": "second-secret"}\'; open(path, "wb").write(Fernet(key.encode()).encrypt(t.encode()) + b"\\n")',
      `${path}\n${keys[0]}\n`,
    );
    const warnings: string[] = [];
    const config = loadConfigSync({ path, onWarning: (m) => warnings.push(m) });
    expect(config).toEqual({ p: 'second-secret', db: { url: 'https://y:2' } });
    expect(warnings).toEqual([
      `${path}: the key db.url appears more than once (again at line 1, column 52); the last one is used`,
      `${path}: the key p appears more than once (again at line 1, column 75); the last one is used`,
    ]);
    expect(warnings.join('\n')).not.toMatch(/secret|https/);
  });

  it('the pre-check counts keys, not colons in strings, escaped quotes or backslashes', () => {
    const escapes = '\\"x'.repeat(1_000_000);
    // [text, members JSON.parse keeps, repeats?]
    const cases: [string, number, boolean][] = [
      ['{"u": "http://x:1", "t": "12:00"}', 2, false],
      ['{"u": "http://x", "u": "y"}', 1, true],
      ['{"a\\\\": 1, "b": "\\\\", "c": "\\":"}', 3, false],
      ['{"a" : {"b"\n:1}, "a":2}', 1, true],
      [`{"s": "${escapes}:", "t": "\\":"}`, 2, false],
      [`{"s": "${escapes}", "s" : 1}`, 1, true],
    ];
    for (const [text, members, repeats] of cases) {
      expect(Object.keys(JSON.parse(text) as object).length > 0).toBe(true);
      expect(mayRepeatKeys(text, members)).toBe(repeats);
    }
  });

  it('colons inside strings are no repeated keys', () => {
    const { path } = seedText('{"url": "https://a:1/b:c", "t": "12:00:00", "o": {"k": ":"}}');
    const warnings: string[] = [];
    loadConfigSync({ path, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
  });
});

describe('deep nesting', () => {
  const levels = 100_000;
  it.each([
    ['arrays', '['.repeat(levels) + ']'.repeat(levels)],
    ['objects', '{"a":'.repeat(levels) + '1' + '}'.repeat(levels)],
    ['unclosed (not JSON at all)', '['.repeat(levels)],
  ])('%s: ERR_INVALID_JSON from both loaders, never a RangeError', async (_name, text) => {
    const { path } = seedText(text);
    const e = failure(() => loadConfigSync({ path }));
    expect(e.code).toBe('ERR_INVALID_JSON');
    expect(e.message).toMatch(/line 1, column \d+/);
    await expect(loadConfig({ path })).rejects.toMatchObject({ code: 'ERR_INVALID_JSON' });
  });

  it('the depth error points at the first bracket too deep', () => {
    const { path } = seedText('{"a":\n' + '['.repeat(levels) + ']'.repeat(levels) + '}');
    expect(failure(() => loadConfigSync({ path })).message).toBe(`the decrypted content of ${path} is not valid JSON: nested deeper than 1000 levels at line 2, column 1000`);
  });

  it('1000 levels still load', () => {
    const { path } = seedText('['.repeat(1000) + ']'.repeat(1000));
    expect(Array.isArray(loadConfigSync({ path }))).toBe(true);
  });
});

describe('boot cost', () => {
  // The checks run on the parsed value; the lossless parser (jsonc-parser's scanner) loads only when needed.
  const jsoncLoaded = (path: string, options: string): boolean => {
    const script = `import { createRequire } from 'node:module';
const m = await import(${JSON.stringify(join(REPO, 'dist/fernet-config.mjs'))});
try { m.loadConfigSync({ path: ${JSON.stringify(path)}, onWarning: () => {}, ${options} }); } catch {}
process.stdout.write(String(Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('jsonc-parser'))));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    return r.stdout === 'true';
  };

  it.each([
    ['an ordinary config, URLs and times in it', '{"url": "https://a:1/b", "t": "12:00", "n": [1, 2.5, -0]}', '', false],
    ['an unsafe number, refused', '{"id": 12345678901234567891}', '', false],
    ['an unsafe number, delivered exactly', '{"id": 12345678901234567891}', "bigNumbers: 'bigint'", true],
    ['a repeated key', '{"a": 1, "a": 2}', '', true],
  ])('%s', (_name, text, options, loaded) => {
    expect(jsoncLoaded(seedText(text).path, options)).toBe(loaded);
  });
});
