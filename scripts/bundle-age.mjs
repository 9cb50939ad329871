// dist/age.mjs: age-encryption and the noble/scure libraries it imports (57 modules, two copies of some
// noble packages) as one ES module. Opening a `.age` key ring loads it (src/age/lib.ts); one file to
// resolve and compile starts about 3x sooner than the package's module graph (bench/age.mjs). The
// packages stay dependencies: the bundle is made from the installed versions, and their licences go into
// dist/age.mjs.LICENSES.txt.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const result = await build({
  // The noble primitives src/age/ssh.ts builds the SSH recipient types from, from the same copies age uses:
  // ssh-ed25519 then loads no further module.
  stdin: {
    contents: [
      "export * from 'age-encryption';",
      "export { x25519, ed25519 } from '@noble/curves/ed25519.js';",
      "export { hkdf } from '@noble/hashes/hkdf.js';",
      "export { sha256 } from '@noble/hashes/sha2.js';",
      "export { chacha20poly1305 } from '@noble/ciphers/chacha.js';",
    ].join('\n'),
    resolveDir: process.cwd(),
    loader: 'js',
  },
  outfile: 'dist/age.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(input);
  if (!match) continue;
  const dir = input.slice(0, input.lastIndexOf(`node_modules/${match[1]}/`) + `node_modules/${match[1]}`.length);
  if (!packages.has(dir)) packages.set(dir, match[1]);
}
const notices = [...packages].sort(([a], [b]) => a.localeCompare(b)).map(([dir, name]) => {
  const { version, license } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  if (!file) throw new Error(`${name} has no licence file to ship with dist/age.mjs`);
  return `${name} ${version} (${license})\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`;
});
const unique = [...new Set(notices)];
writeFileSync('dist/age.mjs.LICENSES.txt', `dist/age.mjs bundles these packages:\n\n${unique.join('\n' + '-'.repeat(72) + '\n\n')}`);
