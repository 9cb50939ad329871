// Bundles the package root (dist/src/index.js, from tsc) into one ES module, dist/fernet-config.mjs:
// one file to resolve and compile instead of dozens, which is most of what importing the package costs.
import { createRequire } from 'node:module';
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
