// What the two bundling scripts share: the package root with its chunks (bundle-lib.mjs) and the CLI's
// run-read.js with its chunks (bundle.mjs) hand modules to their chunks the same way.
import { relative } from 'node:path';

/** Whitespace and comments out (commander's are half its size), less to read on every start; names kept: stack traces and `err.name` still name the functions. */
export const minify = { minifyWhitespace: true, minifySyntax: true };

/** A module's key: its path under dist/, with forward slashes. */
export const distKey = (path) => relative('dist', path).split('\\').join('/');

/**
 * The names a chunk imports from each module it takes from its parent bundle, read from the import
 * statements of its ES module build (null: the module whole), added to `names`. The parent then keeps
 * just these: a namespace would keep every export of the module, which tree shaking otherwise drops.
 * Throws if the chunk takes a module in any other way, which this would miss.
 */
export function importedNames(esm, names) {
  for (const [, clause, key] of esm.matchAll(/^import\s+([^;]*?)\s+from\s*"fcfg-shared:([^"]+)";/gm)) {
    const listed = /^\{([^}]*)\}$/.exec(clause.trim());
    const known = names.has(key) ? names.get(key) : new Set();
    if (!listed || known === null) {
      names.set(key, null);
      continue;
    }
    for (const item of listed[1].split(',').map((x) => x.trim()).filter(Boolean)) known.add(item.split(/\s+as\s+/)[0]);
    names.set(key, known);
  }
  if (/\bfcfg-shared:/.test(esm.replace(/^import\s+[^;]*?\s+from\s*"fcfg-shared:[^"]+";/gm, ''))) throw new Error('a chunk takes a module from its parent bundle in a way importedNames() does not read');
}

/**
 * For the parent bundle's entry: an import of each module `names` lists (from `../KEY`, resolved from a
 * directory under dist/), and the `case` lines of a `switch (key)` that returns it. A module taken whole
 * is its namespace; one taken by name is an object of getters, as a namespace has: each binding read when
 * asked for (a chunk reads each once, when it loads; or on every use, for a module exporting a let).
 */
export function sharedModules(names) {
  const imports = [];
  const cases = [];
  [...names.keys()].sort().forEach((key, i) => {
    const from = JSON.stringify(`../${key}`);
    const list = names.get(key);
    if (list === null) {
      imports.push(`import * as s${i} from ${from};`);
      cases.push(`    case ${JSON.stringify(key)}: return s${i};`);
      return;
    }
    const sorted = [...list].sort();
    imports.push(`import { ${sorted.map((n, j) => `${n} as s${i}_${j}`).join(', ')} } from ${from};`);
    cases.push(`    case ${JSON.stringify(key)}: return { ${sorted.map((n, j) => `get ${n}() { return s${i}_${j}; }`).join(', ')} };`);
  });
  return { imports, cases };
}

/**
 * The source of a module a chunk takes from elsewhere, `from` being an expression for its exports object,
 * `list` the names the chunk imports from it (importedNames; null or undefined: unknown) and `source` the
 * module's own text. With the names known, an ES module of those names, each read once when the chunk
 * loads: whatever hands a module to a chunk has evaluated it by then. Taken as a CommonJS module instead,
 * every module of the chunk that imports it gets its own copy through esbuild's __toESM, a getter for
 * each export (some 30 KB of young-generation memory when the CLI's .age chunk loaded, by --heap-prof). A
 * module that exports a `let` or `var`, whose value may change, is still taken that way: each use then
 * reads the binding anew.
 */
export function takenModule(from, list, source) {
  const bindings = list ? [...list].sort() : [];
  if (bindings.length === 0 || /^export (let|var) /m.test(source)) return `module.exports = ${from};`;
  return `const shared = ${from};\nexport const ${bindings.map((n) => `${n} = shared.${n}`).join(', ')};`;
}
