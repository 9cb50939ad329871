// Bundles the package root (dist/src/index.js, from tsc) into one ES module, dist/fernet-config.mjs, with
// what plain apps do not need in chunks beside it (scripts/bundle-lib.mjs); the CLI (below); then ajv,
// which the package root loads only to compile a schema at run time, into dist/ajv.cjs.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { bundleLibrary } from './bundle-lib.mjs';
import { distKey, importedNames, minify, sharedModules, takenModule } from './bundle-shared.mjs';

const require = createRequire(import.meta.url);

// The package root and the chunks it loads on first use: scripts/bundle-lib.mjs.
await bundleLibrary();

/**
 * The CLI, the bin dist/cli/main.js, as CommonJS. Before, `fcfg get` made Node start its ES module loader
 * (alone 5-8 % of a bare `node -e 0`) and resolve, read and compile some 30 files, commander's among them,
 * which with the built-ins they pulled in (child_process, for commander: another 6 %) made up most of its
 * cost over bare node. Now main.js, which answers --version by itself, and one more file per process:
 * run-read.js for get and decrypt (below), run.js, everything, for the rest (one file is cheaper than a
 * split into shared chunks: each extra CommonJS file costs about a millisecond to resolve and load).
 * Command modules inside a bundle are still evaluated only when their command runs. A package.json in dist/cli tells Node that these .js files are CommonJS. Commander is
 * bundled; other packages load from node_modules as before (an import() of one stays a real import():
 * @inquirer/prompts is an ES module).
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    // Commander requires child_process at the top for a feature we never use (executable subcommands):
    // load it the first time one of its exports is read instead. Likewise os and timers/promises, which
    // src/fs/lock.ts imports for a contended lock, and every get and decrypt loaded for nothing.
    b.onResolve({ filter: /^node:(child_process|os|timers\/promises)$/ }, (args) => ({ path: args.path, namespace: 'lazy-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const names = Object.keys(require(args.path)).filter((n) => n !== 'default');
      const contents = [
        `let m; const load = () => (m ??= process.getBuiltinModule(${JSON.stringify(args.path)}));`,
        `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
      ].join('\n');
      return { contents, loader: 'js', resolveDir: '.' };
    });
  },
};
/**
 * Each module keeps its own import.meta.url: that of the file tsc wrote for it, under dist/. URLs built
 * from it (../../package.json, ../main.js, builtFile's ../../ajv.cjs, createRequire's node_modules) then
 * arrive where they did before bundling, whichever output file the code lands in.
 */
function ownUrl(file, source) {
  if (!source.includes('import.meta.url')) return source;
  const path = JSON.stringify(distKey(file));
  return source.replaceAll('import.meta.url', `new URL(${path}, __fcfgDistUrl).href`);
}
/**
 * config/tree.js takes jsonc-parser's scanner through a require() made by createRequire, which esbuild
 * leaves alone: every `get` and `decrypt` then resolved the package in node_modules and loaded its UMD
 * build, eleven files for the one function we use (a fifth of their cost over bare node). In the CLI the
 * scanner is bundled instead, from the package's ES module build, which is the same code.
 */
function bundledScanner(file, source) {
  if (!/[\\/]dist[\\/]src[\\/]config[\\/]tree\.js$/.test(file)) return source;
  const call = "require('jsonc-parser')";
  if (!source.includes(call)) throw new Error(`${file}: ${call} was not found`);
  // The require() made for it goes too: createRequire resolves paths on every start, for nothing here.
  const made = 'const require = createRequire(import.meta.url);';
  if (!source.includes(made)) throw new Error(`${file}: ${made} was not found`);
  return `import * as jsoncScanner from 'jsonc-parser/lib/esm/impl/scanner.js';\n${source.replace(call, 'jsoncScanner').replace(made, '')}`;
}
const cliSources = {
  name: 'cli-sources',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const edited = ownUrl(args.path, bundledScanner(args.path, source));
      return edited === source ? undefined : { contents: edited, loader: 'js' };
    });
  },
};
const packageJson = JSON.parse(readFileSync('package.json', 'utf8'));
const dependencies = Object.keys(packageJson.dependencies);
const cliOptions = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  allowOverwrite: true,
  banner: { js: 'const __fcfgDistUrl = require("node:url").pathToFileURL(require("node:path").join(__dirname, "..", "/")).href;' },
  plugins: [cliSources, lazyChildProcess],
  // cli/version.ts: the version, which --version prints, without reading package.json on every start.
  define: { FCFG_PACKAGE_VERSION: JSON.stringify(packageJson.version) },
  logLevel: 'warning',
};
const external = [...dependencies.filter((name) => name !== 'commander' && name !== 'jsonc-parser'), 'node:*'];
/**
 * dist/cli/run-read.js, for `get` and `decrypt` (cli/route.ts): the same CLI with only their command
 * modules, through load-command-read.js. Compiling run.js whole was, after crypto, the largest part of
 * what they cost over bare node; this bundle is about a third of its size. It duplicates code run.js
 * holds too, which is harmless: a process loads one of the two, never both.
 */
const readCommandsOnly = {
  name: 'read-commands-only',
  setup(b) {
    b.onResolve({ filter: /^\.\/load-command\.js$/ }, (args) => ({ path: join(args.resolveDir, 'load-command-read.js') }));
  },
};

/**
 * What get and decrypt need only sometimes goes into chunks beside run-read.js, each loaded with require()
 * where the code asks for it with import(): the .age ring code when a ring is opened, or decrypt -o checks
 * key material; the SSH key code and the recipients file parser (which needs it) when an SSH identity is
 * met or a ring does not open and the message names its recipients; the schema code when --redact is
 * given. Compiling run-read.js is, after node:crypto, the largest part of what get costs over bare node,
 * and these were a quarter of it. The SSH code was most of the .age chunk, and reading, compiling and
 * running it pushed an X25519 ring's start-up over the young generation's first scavenge (bench/age.mjs).
 *
 * A chunk must not hold its own copy of a module run-read.js has: error classes (instanceof), KeyRing, and
 * the registry of opened rings in src/age/select.js exist once per process. So a chunk takes every such
 * module from run-read.js, through its __fcfgShared(), and holds only the modules nothing else in
 * run-read.js uses. A module another chunk needs too is one of that chunk's roots, and is taken from it
 * (src/age/lib.js holds the one loaded age-encryption). The build fails if a module ends up in two files.
 */
const READ_CHUNKS = [
  { file: 'run-read-age.js', roots: ['dist/src/age/open.js', 'dist/src/keys/protect.js', 'dist/src/age/lib.js', 'dist/src/age/ring-file.js'] },
  { file: 'run-read-ssh.js', roots: ['dist/src/age/ssh.js', 'dist/src/age/recipients-file.js'] },
  { file: 'run-read-schema.js', roots: ['dist/src/loader/redact.js'] },
];
const chunkOf = new Map(READ_CHUNKS.flatMap((c) => c.roots.map((root) => [resolve(root), c.file])));
/**
 * In run-read.js, and in a chunk for the roots of the others: an import of a chunk's root becomes a
 * require() of the chunk, where the import is.
 */
const toChunks = (except) => ({
  name: 'to-chunks',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.namespace !== 'file') return undefined;
      const path = resolve(args.resolveDir, args.path);
      // Named by their path in dist/, as the module names esbuild writes into the bundle: an absolute path
      // would ship the build machine's directories.
      return chunkOf.has(path) && chunkOf.get(path) !== except ? { path: distKey(path), namespace: 'fcfg-chunk' } : undefined;
    });
    b.onResolve({ filter: /^\.\/run-read-[a-z]+\.js$/ }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'fcfg-chunk' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(`./${chunkOf.get(resolve('dist', args.path))}`)})[${JSON.stringify(args.path)}];`,
      loader: 'js',
      resolveDir: resolve('dist/cli'),
    }));
  },
});
/**
 * In a chunk: a module run-read.js holds is taken from it. With `names` a Set, each such import stays in
 * the output instead (ES module format), for importedNames() to read. With `names` a Map (what
 * importedNames() read), a module whose imported names are known is taken as an ES module of those names,
 * each read once when the chunk loads: run-read.js has evaluated every module it shares by then. Taken
 * as a CommonJS module instead, every module of the chunk that imports it gets its own copy through
 * esbuild's __toESM, a getter for each export (some 30 KB of young-generation memory when the .age chunk
 * loaded, by --heap-prof). A module that exports a `let` or `var`, whose value may change, is still taken
 * that way.
 */
function fromRunRead(inRunRead, names = undefined) {
  const keep = names instanceof Set;
  return {
    name: 'from-run-read',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.namespace !== 'file') return undefined;
        const path = resolve(args.resolveDir, args.path);
        if (!inRunRead.has(path)) return undefined;
        return keep ? { path: `fcfg-shared:${distKey(path)}`, external: true } : { path: distKey(path), namespace: 'fcfg-shared' };
      });
      b.onResolve({ filter: /^\.\/run-read\.js$/ }, (args) => ({ path: args.path, external: true }));
      b.onLoad({ filter: /.*/, namespace: 'fcfg-shared' }, (args) => {
        const key = args.path;
        // run-read.js required once per chunk (the variable is declared by the chunk's banner): each
        // require() of it, cached or not, resolves its path again.
        const shared = `(__fcfgRunRead ??= require("./run-read.js")).__fcfgShared(${JSON.stringify(key)})`;
        return { contents: takenModule(shared, names?.get(key), readFileSync(resolve('dist', key), 'utf8')), loader: 'js', resolveDir: resolve('dist/cli') };
      });
    },
  };
}
/** run-read.js's entry: run(), and what chunks take from it (imported here, so the very same modules). */
function readEntry(names) {
  const lines = ["export { run } from './run-read.js';"];
  const { imports, cases } = sharedModules(names);
  lines.push(...imports);
  const contents = [...lines, 'export function __fcfgShared(key) {', '  switch (key) {', ...cases, '  }', '  throw new Error(`${key} is not shared by run-read.js`);', '}'];
  return { contents: contents.join('\n'), resolveDir: resolve('dist/cli'), sourcefile: 'run-read-entry.js', loader: 'js' };
}
const readOptions = { ...cliOptions, plugins: [readCommandsOnly, toChunks(undefined), ...cliOptions.plugins], external, ...minify };
// First without writing, to learn which modules run-read.js holds; then the chunks; then run-read.js with
// what the chunks take from it.
const first = await build({ ...readOptions, stdin: readEntry(new Map()), write: false, metafile: true });
const inRunRead = new Set(Object.keys(first.metafile.inputs).filter((input) => !input.includes(':')).map((input) => resolve(input)));
const names = new Map();
const chunks = [];
for (const chunk of READ_CHUNKS) {
  // Each root evaluated when it is first asked for, not when the chunk loads: opening a ring does not
  // run src/keys/protect.js (decrypt -o), nor what only it imports.
  const stdin = {
    contents: chunk.roots
      .map((root, i) => `let m${i}; Object.defineProperty(exports, ${JSON.stringify(distKey(root))}, { enumerable: true, get: () => (m${i} ??= require(${JSON.stringify(`../${distKey(root)}`)})) });`)
      .join('\n'),
    resolveDir: resolve('dist/cli'),
    sourcefile: chunk.file,
    loader: 'js',
  };
  const esm = await build({ ...cliOptions, format: 'esm', banner: {}, external, plugins: [fromRunRead(inRunRead, new Set()), toChunks(chunk.file), ...cliOptions.plugins], stdin, write: false });
  importedNames(esm.outputFiles[0].text, names);
  const banner = { js: `${cliOptions.banner.js}\nlet __fcfgRunRead;` };
  const result = await build({ ...cliOptions, ...minify, banner, external, plugins: [fromRunRead(inRunRead, names), toChunks(chunk.file), ...cliOptions.plugins], stdin, write: false, metafile: true });
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.includes(':')).map((input) => resolve(input));
  const twice = inputs.filter((input) => inRunRead.has(input));
  if (twice.length > 0) throw new Error(`${chunk.file} would hold its own copy of ${twice.join(', ')}`);
  for (const [file, , held] of chunks) {
    const both = inputs.filter((input) => held.has(input));
    if (both.length > 0) throw new Error(`${chunk.file} and ${file} would both hold ${both.join(', ')}: make it a root of one of them`);
  }
  chunks.push([chunk.file, result.outputFiles[0].text, new Set(inputs)]);
}
await build({ ...readOptions, stdin: readEntry(names), outfile: 'dist/cli/run-read.js' });
for (const [file, text] of chunks) writeFileSync(join('dist/cli', file), text);
// After run-read.js, which bundles tsc's run.js: this overwrites it.
await build({ ...cliOptions, entryPoints: ['dist/cli/run.js'], outfile: 'dist/cli/run.js', external, ...minify });
const bundles = ['./run.js', './run-read.js'];
await build({ ...cliOptions, entryPoints: ['dist/cli/main.js'], outfile: 'dist/cli/main.js', external: [...external, ...bundles] });
// main.js loads its bundle with require(): an import() would start the ES module loader after all.
let main = readFileSync('dist/cli/main.js', 'utf8');
for (const bundle of bundles) {
  const lazy = main.replace(`import("${bundle}")`, `Promise.resolve().then(() => require("${bundle}"))`);
  if (lazy === main) throw new Error(`dist/cli/main.js: the import of ${bundle} was not found`);
  main = lazy;
}
writeFileSync('dist/cli/main.js', main);
for (const entry of readdirSync('dist/cli')) if (entry !== 'main.js' && !bundles.includes(`./${entry}`) && !READ_CHUNKS.some((c) => c.file === entry)) rmSync(join('dist/cli', entry), { recursive: true });
writeFileSync('dist/cli/package.json', '{ "type": "commonjs" }\n');
// The nearest package.json of everything else in dist/: the same module type as the package's own. Node
// reads and parses a module's nearest package.json when that module require()s a file (to check for a
// require of the package by its own name): the package root bundle loading its chunks, and src/age/lib.ts
// loading dist/age-open.cjs when a .age ring is opened. Without this file that is the package's whole
// manifest, about 12 KB of young-generation memory for an X25519 ring's get (bench/age.mjs).
writeFileSync('dist/package.json', '{ "type": "module" }\n');

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
