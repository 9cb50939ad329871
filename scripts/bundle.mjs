// Bundles the package root (dist/src/index.js, from tsc) into one ES module, dist/fernet-config.mjs:
// one file to resolve and compile instead of dozens, which is most of what importing the package costs.
// Then ajv, which the package root loads only to compile a schema at run time, into dist/ajv.cjs.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);

/**
 * `import { readFileSync } from 'node:fs'` in an ES module makes Node build the module's namespace, which
 * reads every export, lazy getters included: node:fs alone then loads its stream classes. Taking
 * built-ins from process.getBuiltinModule (Node 20.16) skips that, about 1 ms of an app's start-up. The
 * named exports are listed at build time; they are the same in every Node version we support.
 */
const builtins = {
  name: 'builtins-without-namespaces',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const names = Object.keys(require(args.path)).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
      // Each export read through a pure call, so that esbuild drops the ones nothing imports: reading them
      // all would run the very getters this is here to avoid.
      const lines = names.map((n) => `export const ${n} = /* @__PURE__ */ pick(${JSON.stringify(n)});`);
      const contents = [`const m = process.getBuiltinModule(${JSON.stringify(args.path)});`, 'const pick = (name) => m[name];', 'export default m;', ...lines].join('\n');
      return { contents, loader: 'js' };
    });
  },
};

await build({
  entryPoints: ['dist/src/index.js'],
  outfile: 'dist/fernet-config.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  plugins: [builtins],
  logLevel: 'warning',
});

/**
 * dist/ajv.cjs: ajv and ajv-formats (src/schema/ajv.cjs and what it requires) as one CommonJS file, which
 * an app that validates with a runtime schema loads in 6 ms instead of 18 (see src/schema/ajv-runtime.ts).
 * They stay dependencies: the bundle is made from the installed versions, and the modules build-meta.mjs
 * writes use ajv's runtime helpers. Each bundled package's licence goes into dist/ajv.cjs.LICENSES.txt.
 */
const ajv = await build({
  entryPoints: ['src/schema/ajv.cjs'],
  outfile: 'dist/ajv.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  define: { FCFG_FORMATS_SOURCE: JSON.stringify(readFileSync(require.resolve('ajv-formats/dist/formats'), 'utf8')) },
  metafile: true,
  logLevel: 'warning',
});
const packages = new Map();
for (const input of Object.keys(ajv.metafile.inputs)) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match && !packages.has(match[1])) packages.set(match[1], dirname(require.resolve(`${match[1]}/package.json`)));
}
const notices = [...packages].sort(([a], [b]) => a.localeCompare(b)).map(([name, dir]) => {
  const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  if (!file) throw new Error(`${name} has no licence file to ship with dist/ajv.cjs`);
  return `${name} ${version} (${license})\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`;
});
writeFileSync('dist/ajv.cjs.LICENSES.txt', `dist/ajv.cjs bundles these packages:\n\n${notices.join('\n' + '-'.repeat(72) + '\n\n')}`);
