// Bundles the package root (dist/src/index.js, from tsc) into one ES module, dist/fernet-config.mjs:
// one file to resolve and compile instead of dozens, which is most of what importing the package costs.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/index.js'],
  outfile: 'dist/fernet-config.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
