// dist/age.cjs, dist/age-open.cjs, dist/age-pq.cjs and dist/age-ed25519.cjs: age-encryption and the
// noble/scure libraries it imports, as four CommonJS files. dist/age-open.cjs (scripts/age-open-entry.mjs)
// is what opening a `.age` key ring loads (src/age/lib.ts): age's Decrypter and what it needs, one file to
// compile instead of the package's 57 modules. dist/age.cjs (scripts/age-entry.mjs) is what writing one
// loads: the same and the Encrypter. Both leave out age's post-quantum hybrid (ML-KEM), P-256 and scrypt
// primitives, which an X25519 or SSH ring never uses and which cost most of its start-up (bench/age.mjs);
// dist/age-pq.cjs holds them, and the others load it themselves when a post-quantum or tag recipient, a
// post-quantum identity or a passphrase is used. X25519 and the symmetric primitives come from node:crypto
// (scripts/age-x25519-node.mjs, scripts/age-node-primitives.mjs), so noble's curves are needed only by
// ssh-ed25519, from dist/age-ed25519.cjs. CommonJS, so that src/age/lib.ts can require() them: the first
// import() of a file in a CommonJS process (the CLI) loads Node's asynchronous ES module loader, which
// cost more than the bundle itself. The packages stay dependencies: the bundles are made from the
// installed versions, and their licences go into dist/age.cjs.LICENSES.txt.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const ageDist = dirname(createRequire(import.meta.url).resolve('age-encryption'));
// The three imports of age's recipients.js that dist/age.cjs leaves to dist/age-pq.cjs.
const LEFT_OUT = /^(@noble\/post-quantum\/hybrid\.js|@noble\/curves\/nist\.js|@noble\/hashes\/scrypt\.js)$/;
// Live bindings: esbuild keeps an exported `let` one variable across the bundle, so filling it here fills
// it for recipients.js.
const SHIM = [
  'export let MLKEM768X25519, MLKEM768P256, p256, scrypt, hkdfExtract, hkdfExpand;',
  'let done = false;',
  'export const filled = () => done;',
  'export function fillPrimitives(m) { ({ MLKEM768X25519, MLKEM768P256, p256, scrypt, hkdfExtract, hkdfExpand } = m); done = true; }',
].join('\n');
// age's symmetric primitives from node:crypto instead of noble (scripts/age-node-primitives.mjs says why).
const FROM_NODE = /^(@noble\/hashes\/(hkdf|hmac|sha2|utils)\.js|@noble\/ciphers\/chacha\.js)$/;
// The entries' own imports of noble's hashes and ciphers take node's too.
const ENTRIES = ['age-entry.mjs', 'age-open-entry.mjs'].map((f) => join(process.cwd(), 'scripts', f));

const splitAge = {
  name: 'split-age',
  setup(b) {
    b.onResolve({ filter: /^#age-pq$/ }, () => ({ path: 'age-pq', namespace: 'age-pq-shim' }));
    b.onResolve({ filter: LEFT_OUT }, (args) => (args.importer.startsWith(ageDist) ? { path: 'age-pq', namespace: 'age-pq-shim' } : undefined));
    b.onResolve({ filter: /^#age\// }, (args) => ({ path: join(ageDist, args.path.slice('#age/'.length)) }));
    // X25519 through node:crypto instead of WebCrypto (scripts/age-x25519-node.mjs says why).
    b.onResolve({ filter: /^\.\/x25519\.js$/ }, (args) =>
      args.importer === join(ageDist, 'recipients.js') ? { path: join(process.cwd(), 'scripts', 'age-x25519-node.mjs') } : undefined,
    );
    b.onResolve({ filter: FROM_NODE }, (args) =>
      args.importer.startsWith(ageDist) || ENTRIES.includes(args.importer) ? { path: join(process.cwd(), 'scripts', 'age-node-primitives.mjs') } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'age-pq-shim' }, () => ({ contents: SHIM, loader: 'js' }));
  },
};

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, legalComments: 'none', metafile: true, logLevel: 'warning' };
const results = await Promise.all([
  // age's ReadableStream, TransformStream and Response are this bundle's own in-memory ones
  // (scripts/age-web-streams.mjs says why), and CryptoKey a check that loads WebCrypto only for an object
  // that may be one (scripts/age-crypto-key.mjs): the globals of those names are replaced in every module.
  ...['age', 'age-open'].map((name) =>
    build({
      ...common,
      entryPoints: [`scripts/${name}-entry.mjs`],
      outfile: `dist/${name}.cjs`,
      external: ['./age-pq.cjs', './age-ed25519.cjs'],
      inject: ['scripts/age-web-streams.mjs', 'scripts/age-crypto-key.mjs'],
      plugins: [splitAge],
    }),
  ),
  // Resolved from age-encryption's own directory, so the bundles hold the versions age itself imports.
  ...['age-pq', 'age-ed25519'].map((name) =>
    build({
      ...common,
      stdin: { contents: readFileSync(`scripts/${name}-entry.mjs`, 'utf8'), resolveDir: ageDist, sourcefile: `${name}-entry.mjs`, loader: 'js' },
      outfile: `dist/${name}.cjs`,
    }),
  ),
]);

for (const [n, name] of ['age.cjs', 'age-open.cjs'].entries()) {
  for (const input of Object.keys(results[n].metafile.inputs)) {
    if (/post-quantum|nist\.js|scrypt\.js|curves|@noble/.test(input)) throw new Error(`dist/${name} must not hold ${input}: it belongs in dist/age-pq.cjs or dist/age-ed25519.cjs, or comes from node:crypto`);
  }
}
// The reading half holds nothing of the writer's: a message of age's Encrypter is the marker.
if (readFileSync('dist/age-open.cjs', 'utf8').includes('encrypt to both recipients and passphrases')) throw new Error("dist/age-open.cjs holds age's Encrypter: it is for opening rings only");

const packages = new Map();
for (const input of results.flatMap((r) => Object.keys(r.metafile.inputs))) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(input);
  if (!match) continue;
  const dir = input.slice(0, input.lastIndexOf(`node_modules/${match[1]}/`) + `node_modules/${match[1]}`.length);
  if (!packages.has(dir)) packages.set(dir, match[1]);
}
const notices = [...packages].sort(([a], [b]) => a.localeCompare(b)).map(([dir, name]) => {
  const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  if (!file) throw new Error(`${name} has no licence file to ship with dist/age.cjs`);
  return `${name} ${version} (${license})\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`;
});
const unique = [...new Set(notices)];
writeFileSync('dist/age.cjs.LICENSES.txt', `dist/age.cjs, dist/age-open.cjs, dist/age-pq.cjs and dist/age-ed25519.cjs bundle these packages:\n\n${unique.join('\n' + '-'.repeat(72) + '\n\n')}`);
