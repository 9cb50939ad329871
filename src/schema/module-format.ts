import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { StandaloneModule } from './standalone.js';

/**
 * The module format of a compiled validator, chosen for where it goes, so that the file is loaded the way
 * it was written: Node reads `.mjs` as an ES module, `.cjs` as CommonJS, and `.js` by the `type` of the
 * nearest package.json (CommonJS without one); TypeScript apps compile `.ts`/`.mts`/`.cts` themselves.
 */
export type ModuleFormat = 'esm' | 'cjs' | 'ts';

export const MODULE_FORMATS: readonly ModuleFormat[] = ['esm', 'cjs', 'ts'];

const BY_EXTENSION: Record<string, ModuleFormat | undefined> = { '.mjs': 'esm', '.cjs': 'cjs', '.ts': 'ts', '.mts': 'ts', '.cts': 'ts' };

/** The declarations file beside a module, by the extension TypeScript pairs with it; none for TypeScript. */
const DECLARATIONS: Record<string, string | undefined> = { '.js': '.d.ts', '.mjs': '.d.mts', '.cjs': '.d.cts' };

export interface FormatChoice {
  format: ModuleFormat;
  /** Why, for the message: "package.json type module", ".cjs", "--format". */
  reason: string;
}

/**
 * The format for `output` (undefined: stdout, an ES module unless `requested` says otherwise). A
 * `requested` format that Node or TypeScript would load differently from its name is refused, since the
 * mismatch would only show later, as a SyntaxError at `require()` or `import`.
 */
export function chooseFormat(output: string | undefined, requested?: string): FormatChoice {
  if (requested !== undefined && !(MODULE_FORMATS as readonly string[]).includes(requested)) {
    throw new UsageError(`unknown --format "${requested}"`, { hint: `use one of ${MODULE_FORMATS.join(', ')}` });
  }
  const wanted = requested as ModuleFormat | undefined;
  if (output === undefined) return { format: wanted ?? 'esm', reason: wanted ? '--format' : 'default' };
  const ext = extname(output);
  const byName = BY_EXTENSION[ext];
  if (ext === '.js') {
    const type = packageType(dirname(resolve(output)));
    const format: ModuleFormat = type.module ? 'esm' : 'cjs';
    if (wanted === 'ts') throw new UsageError(`--format ts writes TypeScript: name the output .ts, not ${ext}`);
    if (wanted !== undefined && wanted !== format) {
      throw new UsageError(`${output} would be loaded as ${describe(format)} (${type.reason}), not ${describe(wanted)}`, {
        hint: `name it ${wanted === 'esm' ? '.mjs' : '.cjs'}, or leave out --format`,
      });
    }
    return { format, reason: type.reason };
  }
  if (byName === undefined) {
    throw new UsageError(`cannot tell the module format of ${output}`, { hint: 'name it .js, .mjs, .cjs or .ts (or .mts, .cts)' });
  }
  if (wanted !== undefined && wanted !== byName) {
    throw new UsageError(`${output} would be loaded as ${describe(byName)} (by its extension), not ${describe(wanted)}`, {
      hint: `name it ${wanted === 'esm' ? '.mjs' : wanted === 'cjs' ? '.cjs' : '.ts'}, or leave out --format`,
    });
  }
  return { format: byName, reason: ext };
}

function describe(format: ModuleFormat): string {
  return format === 'esm' ? 'an ES module' : format === 'cjs' ? 'CommonJS' : 'TypeScript';
}

/** The `type` of the nearest package.json at or above `dir`, as Node decides how to load a `.js` file. */
function packageType(dir: string): { module: boolean; reason: string } {
  for (let d = dir; ; d = dirname(d)) {
    const file = join(d, 'package.json');
    if (existsSync(file)) {
      let type: unknown;
      try {
        type = (JSON.parse(readFileSync(file, 'utf8')) as { type?: unknown }).type;
      } catch {
        throw new UsageError(`${file} is not valid JSON, so the module format of a .js file cannot be told`, { hint: 'name the output .mjs or .cjs' });
      }
      return type === 'module' ? { module: true, reason: `${file} says "type": "module"` } : { module: false, reason: `${file} has no "type": "module"` };
    }
    if (dirname(d) === d) return { module: false, reason: 'no package.json above it' };
  }
}

/** The declarations path for `output`, or undefined where the module carries its own types (TypeScript). */
export function declarationsPath(output: string): string | undefined {
  const ext = extname(output);
  const dts = DECLARATIONS[ext];
  return dts === undefined ? undefined : output.slice(0, -ext.length) + dts;
}

// compileStandalone writes an ES module that ends in exactly these two export statements (ajv's and ours).
const AJV_EXPORTS = /export const validate = (\w+);\s*export default \1;/g;
const SCHEMA_EXPORT = /\nexport \{ fcfgSchema as schema \};\n/g;

/**
 * The validator in `format`. The ES module's export statements are replaced as a whole, and each must be
 * found exactly once: a change in the generated code fails here, loudly, instead of writing a file that
 * breaks when the app loads it. CommonJS uses plain `exports.x =` assignments, which Node's ES module
 * loader also recognises as named exports.
 */
export function renderModule(module: StandaloneModule, format: ModuleFormat): string {
  if (format === 'esm') return module.js;
  const ajvExports = [...module.js.matchAll(AJV_EXPORTS)];
  const schemaExports = [...module.js.matchAll(SCHEMA_EXPORT)];
  if (ajvExports.length !== 1 || schemaExports.length !== 1) throw new Error('compile-schema: unexpected shape of the generated validator module');
  const name = ajvExports[0]![1]!;
  const body = module.js.replace(AJV_EXPORTS, `const validate = ${name};`).replace(SCHEMA_EXPORT, '\n');
  if (format === 'cjs') {
    const code = [
      "'use strict';",
      body.trimEnd(),
      "Object.defineProperty(exports, '__esModule', { value: true });",
      'exports.validate = validate;',
      'exports.schema = fcfgSchema;',
      'exports.default = validate;',
      '',
    ].join('\n');
    assertScript(code);
    return code;
  }
  // TypeScript: the generated body is plain JavaScript that strict mode would fault on (untyped
  // parameters, ajv's `vErrors` juggling), so the file opts out of checking and its exports carry the types.
  const lines = module.dts.split('\n').filter((line) => !line.startsWith('//') && !line.startsWith('export declare') && !line.startsWith('export default'));
  const imports = lines.filter((line) => line.startsWith('import '));
  const types = lines.filter((line) => !line.startsWith('import ')).join('\n').trim();
  return [
    '// @ts-nocheck -- generated JavaScript inside; the exports at the end are typed.',
    ...imports,
    body.trimEnd(),
    '',
    types,
    'const typedValidate = validate as unknown as PrecompiledValidator<Config>;',
    'const typedSchema = fcfgSchema as unknown as Schema;',
    'export { typedValidate as validate, typedSchema as schema };',
    'export default typedValidate;',
    '',
  ].join('\n');
}

/** Parses CommonJS code as Node will wrap it (without running it): any ES module syntax left is a SyntaxError here. */
function assertScript(code: string): void {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- parse only; the function is never called
  new Function('exports', 'require', 'module', '__filename', '__dirname', code);
}
