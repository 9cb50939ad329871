/**
 * compile-schema writes the module format its destination is loaded as: by extension, by the nearest
 * package.json `type` for `.js`, or by `--format`; each output is then loaded the way Node would load it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseFormat, declarationsPath, renderModule } from '../src/schema/module-format.js';
import { compileStandalone } from '../src/schema/standalone.js';
import { runCli, useTempDirs } from './helpers/cli.js';

const fresh = useTempDirs('fcfg-format-');
const SCHEMA = { type: 'object', properties: { port: { type: 'integer', default: 5432 }, mode: { enum: ['a', 'b'] } } };

describe('chooseFormat', () => {
  it.each([
    { pkg: { type: 'module' }, output: 'v.js', format: 'esm' },
    { pkg: { type: 'commonjs' }, output: 'v.js', format: 'cjs' },
    { pkg: {}, output: 'v.js', format: 'cjs' },
    { pkg: {}, output: 'sub/dir/v.js', format: 'cjs' },
    { pkg: { type: 'module' }, output: 'sub/dir/v.js', format: 'esm' },
    { pkg: { type: 'module' }, output: 'v.cjs', format: 'cjs' },
    { pkg: {}, output: 'v.mjs', format: 'esm' },
    { pkg: {}, output: 'v.ts', format: 'ts' },
    { pkg: {}, output: 'v.mts', format: 'ts' },
    { pkg: {}, output: 'v.cts', format: 'ts' },
  ])('$output with package.json $pkg -> $format', ({ pkg, output, format }) => {
    const d = fresh();
    writeFileSync(join(d, 'package.json'), JSON.stringify(pkg));
    mkdirSync(join(d, 'sub/dir'), { recursive: true });
    expect(chooseFormat(join(d, output)).format).toBe(format);
  });

  it('the nearest package.json wins', () => {
    const d = fresh();
    writeFileSync(join(d, 'package.json'), JSON.stringify({ type: 'module' }));
    mkdirSync(join(d, 'legacy'));
    writeFileSync(join(d, 'legacy/package.json'), JSON.stringify({}));
    expect(chooseFormat(join(d, 'legacy/v.js')).format).toBe('cjs');
    expect(chooseFormat(join(d, 'v.js')).format).toBe('esm');
  });

  it.each([
    ['v.mjs', 'cjs'],
    ['v.cjs', 'esm'],
    ['v.ts', 'esm'],
    ['v.js', 'ts'],
    ['v.js', 'esm'],
    ['v.txt', undefined],
    ['v.js', 'amd'],
  ])('refuses %s with --format %s', (output, format) => {
    const d = fresh();
    writeFileSync(join(d, 'package.json'), '{}');
    expect(() => chooseFormat(join(d, output), format)).toThrow(expect.objectContaining({ code: 'ERR_USAGE' }));
  });

  it('stdout: ES module unless --format says otherwise', () => {
    expect(chooseFormat(undefined).format).toBe('esm');
    expect(chooseFormat(undefined, 'cjs').format).toBe('cjs');
  });

  it.each([
    ['v.js', 'v.d.ts'],
    ['v.mjs', 'v.d.mts'],
    ['v.cjs', 'v.d.cts'],
    ['v.ts', undefined],
  ])('declarations for %s: %s', (output, dts) => {
    expect(declarationsPath(output)).toBe(dts);
  });
});

describe('renderModule: each format loads as Node loads it', () => {
  const module = compileStandalone(SCHEMA, 's.json');

  it('CommonJS: require() gives validate, schema and default', () => {
    const d = fresh();
    writeFileSync(join(d, 'v.cjs'), renderModule(module, 'cjs'));
    writeFileSync(
      join(d, 'main.cjs'),
      "const m = require('./v.cjs'); const data = {}; console.log(m.validate(data), data.port, m.default === m.validate, m.schema.type, m.validate({ mode: 'c' }), JSON.stringify(m.validate.errors.map((e) => e.keyword)));",
    );
    const r = spawnSync(process.execPath, ['main.cjs'], { cwd: d, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true 5432 true object false ["enum"]\n');
  });

  it('CommonJS named exports reach an ES module importer', () => {
    const d = fresh();
    writeFileSync(join(d, 'v.cjs'), renderModule(module, 'cjs'));
    writeFileSync(join(d, 'main.mjs'), "import { validate, schema } from './v.cjs'; console.log(validate({ port: 1 }), schema.type);");
    const r = spawnSync(process.execPath, ['main.mjs'], { cwd: d, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('true object\n');
  });

  it('ES module: unchanged from compileStandalone', () => {
    expect(renderModule(module, 'esm')).toBe(module.js);
  });

  it('TypeScript: typed exports, no ES module syntax inside the generated body', () => {
    const ts = renderModule(module, 'ts');
    expect(ts.startsWith('// @ts-nocheck')).toBe(true);
    expect(ts).toContain('export type Config = ConfigFromSchema<Schema>;');
    expect(ts).toContain('export { typedValidate as validate, typedSchema as schema };');
    expect(ts.match(/^export /gm)).toHaveLength(4);
  });

  it('a generated module of another shape is refused, never written half-converted', () => {
    expect(() => renderModule({ js: module.js.replace('export default', 'export  default'), dts: module.dts }, 'cjs')).toThrow(/unexpected shape/);
  });
});

describe('fcfg compile-schema picks the format', () => {
  it('.js in a CommonJS package is CommonJS; the SyntaxError of require() cannot happen', () => {
    const d = fresh();
    writeFileSync(join(d, 'package.json'), JSON.stringify({ name: 'app' }));
    writeFileSync(join(d, 's.json'), JSON.stringify(SCHEMA));
    const r = runCli(['compile-schema', 's.json', '-o', 'validate.js'], { cwd: d });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('(CommonJS:');
    expect(readFileSync(join(d, 'validate.js'), 'utf8')).not.toMatch(/^export /m);
    const run = spawnSync(process.execPath, ['-e', "console.log(require('./validate.js').validate({ port: 'x' }))"], { cwd: d, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('false\n');
  });

  it('-o into a directory that does not exist names that file and says how to make the directory', () => {
    const d = fresh();
    writeFileSync(join(d, 's.json'), JSON.stringify(SCHEMA));
    const r = runCli(['compile-schema', 's.json', '-o', 'src/validate.js'], { cwd: d });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('fernet-config: the directory of src/validate.js does not exist [ERR_FILE_NOT_FOUND]\n  hint: create it first: mkdir -p src\n');
    expect(readdirSync(d)).toEqual(['s.json']);
  });

  it('--format to stdout', () => {
    const d = fresh();
    writeFileSync(join(d, 's.json'), JSON.stringify(SCHEMA));
    const r = runCli(['compile-schema', 's.json', '--format', 'cjs'], { cwd: d });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('exports.validate = validate;');
  });
});
