// The package root for library users: dist/fernet-config.mjs, what `import 'fernet-config'` (and, through
// require(esm), `require('fernet-config')`) loads, made from tsc's dist/src/index.js. Called by bundle.mjs.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { distKey, importedNames, minify, sharedModules, takenModule } from './bundle-shared.mjs';

const require = createRequire(import.meta.url);

/**
 * `import { readFileSync } from 'node:fs'` in an ES module makes Node build the module's namespace, which
 * reads every export, lazy getters included: node:fs alone then loads its stream classes. Taking
 * built-ins from process.getBuiltinModule (Node 20.16) skips that, about 1 ms of an app's start-up. The
 * named exports are listed at build time; they are the same in every Node version we support.
 *
 * The built-ins in LAZY_BUILTINS, which a Node process (an ES module app) has not loaded before it
 * imports us, load when first called instead: node:crypto is 6-7 ms, the largest single part of
 * importing the package, and an app that imports it at start-up but loads its config later, or never
 * on some paths, should not pay it at start-up. Their functions become functions of the same name that
 * call the built-in's; anything else (a class, `constants`) reads it when the bundle loads, as before.
 */
const LAZY_BUILTINS = new Set(['node:crypto', 'node:os', 'node:timers/promises']);
const builtins = {
  name: 'builtins-without-namespaces',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      const module = require(args.path);
      const names = Object.keys(module).filter((n) => /^[A-Za-z_$][\w$]*$/.test(n) && n !== 'default');
      const lazy = LAZY_BUILTINS.has(args.path);
      // Each export read through a pure call (or a function declaration), so that esbuild drops the ones
      // nothing imports: reading them all would run the very getters this is here to avoid. The module
      // itself is fetched by a pure call too, so that a built-in only unused code imports is not loaded.
      const lines = names.map((n) =>
        lazy && /^[a-z]/.test(n) && typeof module[n] === 'function'
          ? `export function ${n}() { return load().${n}.apply(this, arguments); }`
          : `export const ${n} = /* @__PURE__ */ pick(${JSON.stringify(n)});`,
      );
      const get = `/* @__PURE__ */ process.getBuiltinModule(${JSON.stringify(args.path)})`;
      const head = lazy
        ? ['let m;', `const load = () => (m ??= ${get});`, 'const pick = (name) => load()[name];', 'export default /* @__PURE__ */ load();']
        : [`const m = ${get};`, 'const pick = (name) => m[name];', 'export default m;'];
      return { contents: [...head, ...lines].join('\n'), loader: 'js' };
    });
  },
};

/**
 * What a plain app does not need goes into CommonJS chunks beside the root, each loaded (with require(),
 * so that synchronous functions stay synchronous) the first time something of it is used: the .age ring
 * code (opened by loadConfig and openAgeRingFor, only when there is a ring), the runtime schema compiler
 * (a `schema` option, redact with a schema), and the key ring maintenance of src/ops. Compiling the root
 * is, after node:crypto, the largest part of what importing the package costs, and these were about half
 * of it (issue 14). The SSH key code and the recipients file parser (which needs it) are a chunk of their
 * own, which the .age chunk loads where its code import()s them: for an SSH identity, or for the message
 * when a ring does not open. They were most of the .age chunk, which an X25519 ring compiled for nothing.
 *
 * A chunk must not hold its own copy of a module the root has: error classes (instanceof), KeyRing and
 * the registry of opened rings in src/age/select.js exist once per process. A chunk is therefore a
 * function the root calls once with its modules (__fcfgShared), the root's URL (as import.meta.url, so
 * that files found relative to the root, dist/age.cjs and dist/ajv.cjs, are found from a chunk too) and
 * its chunk loader (__fcfgLoad); the chunk holds only the modules the root does not. A module another
 * chunk needs too is one of this chunk's roots, which that chunk takes through the loader (src/age/lib.js
 * holds the one loaded age-encryption). The build fails if a module ends up in two files.
 */
const CHUNKS = [
  { file: 'fernet-config-age.cjs', roots: ['dist/src/age/open.js', 'dist/src/age/lib.js', 'dist/src/age/ring-file.js'] },
  { file: 'fernet-config-ssh.cjs', roots: ['dist/src/age/ssh.js', 'dist/src/age/recipients-file.js'] },
  { file: 'fernet-config-schema.cjs', roots: ['dist/src/schema/compile.js'] },
  { file: 'fernet-config-ops.cjs', roots: ['dist/src/ops/rotate.js', 'dist/src/ops/prune.js', 'dist/src/ops/status.js'] },
];
/**
 * Modules the root reaches whose functions only chunks use (the loader reads, the key ring operations
 * write): esbuild keeps a constant or two of them in the root (`1 << 20`, which it does not judge pure),
 * which would otherwise make the root keep the whole module for the chunks' sake. A chunk has them
 * instead; the build checks that the root holds no more than such constants of them.
 */
const CHUNK_ONLY = ['dist/src/fs/atomic.js', 'dist/src/fs/lock.js'].map((p) => resolve(p));
const CONSTANTS_ONLY_BYTES = 64;
const OUT = 'dist/fernet-config.mjs';
const chunkOf = new Map(CHUNKS.flatMap((c) => c.roots.map((root) => [resolve(root), c])));
/** Each chunk root's exports, read from tsc's output: the names its lazy stand-in in the root offers. */
const rootExports = new Map();
for (const path of chunkOf.keys()) rootExports.set(path, await import(pathToFileURL(path).href));

/**
 * Whitespace and syntax only (1.4 ms less to compile on import): names stay, for the stack traces and
 * `err.name` users see. Each file has a source map to the files of dist/src it came from, which ship too
 * (so no sourcesContent): Node reads it only with --enable-source-maps, and costs nothing otherwise.
 */
const common = { bundle: true, platform: 'node', target: 'node20', packages: 'external', logLevel: 'warning', ...minify, sourcemap: 'linked', sourcesContent: false };

/**
 * In the root, a chunk root is a CommonJS stand-in whose exports are getters: the chunk loads when one is
 * first read, which is when the code that imported it first calls it (esbuild reads an import of a
 * CommonJS module at each use). The stand-ins reach the loader through fcfg-hub, which the entry fills
 * in: a CommonJS module, so that nothing in the root becomes a lazily initialized ES module.
 */
const lazyRoots = {
  name: 'lazy-chunk-roots',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const path = resolve(args.resolveDir, args.path);
      // Paths relative to dist/, here and below: they end up in the source maps, which ship.
      return chunkOf.has(path) ? { path: distKey(path), namespace: 'fcfg-lazy' } : undefined;
    });
    b.onResolve({ filter: /^fcfg-hub$/ }, () => ({ path: 'fcfg-hub', namespace: 'fcfg-hub' }));
    b.onLoad({ filter: /.*/, namespace: 'fcfg-hub' }, () => ({ contents: 'exports.chunk = undefined;', loader: 'js' }));
    b.onLoad({ filter: /.*/, namespace: 'fcfg-lazy' }, (args) => {
      const path = resolve('dist', args.path);
      const names = Object.keys(rootExports.get(path));
      const contents = [
        'const hub = require("fcfg-hub");',
        `let m; const load = () => (m ??= hub.chunk(${JSON.stringify(chunkOf.get(path).file)})[${JSON.stringify(args.path)}]);`,
        `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
      ].join('\n');
      return { contents, loader: 'js', resolveDir: resolve('dist') };
    });
  },
};

/**
 * The root's entry: dist/src/index.js, except that a function it exports from a chunk becomes a function
 * of the same name, length and kind (async or not) that calls the chunk's, so that importing the package
 * loads no chunk. Then the chunk loader, and what chunks take from the root (`names`: per module, the
 * names, or null for the namespace).
 */
function rootEntry(names) {
  const index = readFileSync('dist/src/index.js', 'utf8');
  const lines = [];
  let wrapped = 0;
  for (const line of index.split('\n')) {
    if (line.trim() === '' || line.startsWith('//')) continue;
    const reexport = /^export (\{[^}]*\}|\*) from '(\.[^']+)';$/.exec(line);
    if (!reexport) throw new Error(`dist/src/index.js: unexpected line ${JSON.stringify(line)}`);
    const path = resolve('dist/src', reexport[2]);
    if (!chunkOf.has(path)) {
      lines.push(line);
      continue;
    }
    if (reexport[1] === '*') throw new Error(`dist/src/index.js: export * from a chunk (${reexport[2]}) cannot load lazily`);
    for (const name of reexport[1].slice(1, -1).split(',').map((n) => n.trim()).filter(Boolean)) {
      if (/\s/.test(name)) throw new Error(`dist/src/index.js: renamed export ${name} from ${reexport[2]}`);
      const fn = rootExports.get(path)[name];
      if (typeof fn !== 'function' || /^class\b/.test(Function.prototype.toString.call(fn))) {
        throw new Error(`dist/src/index.js: ${name} from ${reexport[2]} is not a function, so it cannot load lazily: move it out of the chunk`);
      }
      const local = `lazy${wrapped++}`;
      const params = Array.from({ length: fn.length }, (_, i) => `a${i}`).join(', ');
      const kind = fn.constructor.name === 'AsyncFunction' ? 'async function' : 'function';
      lines.push(`import { ${name} as ${local} } from ${JSON.stringify(reexport[2])};`);
      lines.push(`export ${kind} ${name}(${params}) { return ${local}.apply(this, arguments); }`);
    }
  }
  const { imports, cases } = sharedModules(names);
  lines.push(...imports);
  lines.push(
    'import hub from "fcfg-hub";',
    'import { packageFileBroken as __fcfgBroken, packageFileMissing as __fcfgMissing } from "./fs/errors.js";',
    'function shared(key) {',
    '  switch (key) {',
    ...cases,
    '  }',
    '  throw new Error(`${key} is not shared by fernet-config.mjs`);',
    '}',
    'const linked = new Map();',
    'hub.chunk = (file) => {',
    '  let chunk = linked.get(file);',
    '  if (chunk === undefined) {',
    '    const path = new URL(file, import.meta.url);',
    '    let link;',
    '    try {',
    '      link = process.getBuiltinModule("node:module").createRequire(import.meta.url)(process.getBuiltinModule("node:url").fileURLToPath(path));',
    '    } catch (e) {',
    '      // As for dist/ajv.cjs (src/schema/ajv-runtime.ts): an install that lost a file says so, and one',
    '      // whose file does not load (damaged, another version\'s) says that.',
    '      if (e?.code === "MODULE_NOT_FOUND" && !process.getBuiltinModule("node:fs").existsSync(path)) throw __fcfgMissing(`dist/${file}`);',
    '      throw __fcfgBroken(`dist/${file}`, e);',
    '    }',
    '    if (typeof link !== "function") throw __fcfgBroken(`dist/${file}`);',
    '    chunk = link(shared, import.meta.url, hub.chunk);',
    '    linked.set(file, chunk);',
    '  }',
    '  return chunk;',
    '};',
  );
  return generated('fernet-config.mjs', lines.join('\n'));
}

/**
 * A generated entry, as esbuild options: a module of its own namespace, so that source maps name it
 * `generated:<file>` rather than a file of dist/src that does not exist.
 */
function generated(file, contents) {
  const plugin = {
    name: 'generated-entry',
    setup(b) {
      b.onResolve({ filter: /^generated:/ }, (args) => ({ path: args.path.slice('generated:'.length), namespace: 'generated' }));
      b.onLoad({ filter: /.*/, namespace: 'generated' }, () => ({ contents, resolveDir: resolve('dist/src'), loader: 'js' }));
    },
  };
  return { entryPoints: [`generated:${file}`], plugin };
}

/**
 * Where a chunk takes a module it does not hold from: the root's __fcfgShared, or for a root of another
 * chunk that chunk, through the root's chunk loader.
 */
const holderOf = (key) => {
  const owner = chunkOf.get(resolve('dist', key));
  return owner ? `__fcfgLoad(${JSON.stringify(owner.file)})[${JSON.stringify(key)}]` : `__fcfgShared(${JSON.stringify(key)})`;
};

/**
 * In chunk `file`: a module the root holds, or a root of another chunk, is taken from there. A static
 * import takes it when the chunk links (another chunk's then links first); an import() when it runs,
 * whole (the .age chunk's import() of the SSH code). With `names` false, each static import of such a
 * module stays in the output (ES module format), for importedNames() to read; otherwise `names` is what
 * it read, and the module becomes takenModule()'s.
 */
function fromElsewhere(file, inRoot, names = false) {
  return {
    name: 'from-elsewhere',
    setup(b) {
      b.onResolve({ filter: /^\.\.?\// }, (args) => {
        if (args.namespace !== 'file') return undefined;
        const path = resolve(args.resolveDir, args.path);
        const owner = chunkOf.get(path)?.file;
        if (!inRoot.has(path) && (owner === undefined || owner === file)) return undefined;
        const key = distKey(path);
        if (args.kind === 'dynamic-import') {
          // The root would have to hand over the whole namespace, which it keeps for no other chunk.
          if (owner === undefined) throw new Error(`${file}: import() of ${key}, which the root holds: import it statically`);
          return { path: key, namespace: 'fcfg-chunk' };
        }
        return names === false ? { path: `fcfg-shared:${key}`, external: true } : { path: key, namespace: 'fcfg-shared' };
      });
      b.onLoad({ filter: /.*/, namespace: 'fcfg-chunk' }, (args) => ({ contents: `module.exports = ${holderOf(args.path)};`, loader: 'js' }));
      b.onLoad({ filter: /.*/, namespace: 'fcfg-shared' }, (args) => ({
        contents: takenModule(holderOf(args.path), names.get(args.path), readFileSync(resolve('dist', args.path), 'utf8')),
        loader: 'js',
      }));
    },
  };
}

/**
 * The modules of which a build's output holds code. A module the root reaches but whose code it drops
 * entirely (src/fs/lock.js: the loader only reads) counts as not in the root: a chunk may have it.
 */
const fileInputs = (metafile, root = false) => {
  const [output, ...others] = Object.entries(metafile.outputs).filter(([file]) => !file.endsWith('.map')).map(([, o]) => o);
  if (output === undefined || others.length > 0) throw new Error('expected one output file besides its source map');
  const held = new Set();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    if (input.includes(':') || bytesInOutput === 0) continue;
    const path = resolve(input);
    if (!root || !CHUNK_ONLY.includes(path)) held.add(path);
    else if (bytesInOutput > CONSTANTS_ONLY_BYTES) throw new Error(`${input} is listed as chunk-only, but ${bytesInOutput} bytes of it are in the root`);
  }
  return held;
};

export async function bundleLibrary() {
  const rootOptions = { ...common, format: 'esm', plugins: [lazyRoots, builtins] };
  // First without writing, to learn which modules the root holds; then the chunks; then the root with what
  // the chunks take from it.
  const rootBuild = (entry, options) => build({ ...rootOptions, entryPoints: entry.entryPoints, plugins: [entry.plugin, ...rootOptions.plugins], ...options });
  const first = await rootBuild(rootEntry(new Map()), { sourcemap: false, write: false, metafile: true });
  const inRoot = fileInputs(first.metafile, true);
  const names = new Map();
  const chunks = [];
  const inChunks = new Map();
  const linksFirst = new Map();
  for (const chunk of CHUNKS) {
    const entry = generated(chunk.file, chunk.roots.map((root) => `export * as ${JSON.stringify(distKey(root))} from ${JSON.stringify(`../${distKey(root)}`)};`).join('\n'));
    const chunkOptions = { ...common, define: { 'import.meta.url': '__fcfgRootUrl' }, entryPoints: entry.entryPoints, write: false, outfile: `dist/${chunk.file}` };
    const esm = await build({ ...chunkOptions, minifyWhitespace: false, minifySyntax: false, sourcemap: false, format: 'esm', plugins: [entry.plugin, fromElsewhere(chunk.file, inRoot), builtins] });
    // The chunk's own names, for its build; and, over all chunks, those the root hands over.
    const own = new Map();
    for (const into of [own, names]) importedNames(esm.outputFiles.find((f) => f.path.endsWith('.cjs')).text, into);
    linksFirst.set(chunk.file, new Set([...own.keys()].map((key) => chunkOf.get(resolve('dist', key))?.file).filter(Boolean)));
    const result = await build({
      ...chunkOptions,
      format: 'iife',
      globalName: '__fcfgChunk',
      // A chunk is a function of the root's modules, URL and chunk loader, called once per process by the root.
      banner: { js: `"use strict";\n// fernet-config: part of dist/fernet-config.mjs, which loads it (scripts/bundle-lib.mjs).\nmodule.exports = function link(__fcfgShared, __fcfgRootUrl, __fcfgLoad) {` },
      footer: { js: 'return __fcfgChunk;\n};' },
      plugins: [entry.plugin, fromElsewhere(chunk.file, inRoot, own), builtins],
      metafile: true,
    });
    for (const input of fileInputs(result.metafile)) {
      if (inRoot.has(input)) throw new Error(`${chunk.file} would hold its own copy of ${input}, which the root has`);
      if (inChunks.has(input)) throw new Error(`${input} would be in both ${inChunks.get(input)} and ${chunk.file}: make it a root of one of them`);
      inChunks.set(input, chunk.file);
    }
    chunks.push(...result.outputFiles.map((f) => [f.path, f.text]));
  }
  // A chunk that takes a module from another links it first: in a cycle, one would read the other half made.
  const linking = [];
  const visit = (file) => {
    if (linking.includes(file)) throw new Error(`chunks take modules from each other: ${[...linking, file].join(' -> ')}`);
    linking.push(file);
    for (const next of linksFirst.get(file)) visit(next);
    linking.pop();
  };
  for (const file of linksFirst.keys()) visit(file);
  const fromRootOnly = new Map([...names].filter(([key]) => !chunkOf.has(resolve('dist', key))));
  const root = await rootBuild(rootEntry(fromRootOnly), { outfile: OUT, metafile: true });
  const grown = [...fileInputs(root.metafile, true)].filter((input) => !inRoot.has(input));
  if (grown.length > 0) throw new Error(`what the chunks take from the root brought ${grown.join(', ')} into it`);
  for (const [path, text] of chunks) writeFileSync(path, text);
}
