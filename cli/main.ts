#!/usr/bin/env node
// Entry point of `fernet-config` / `fcfg`. Kept tiny: commander and the command modules load lazily.
// The build bundles the CLI into this one file (scripts/bundle.mjs); start-up cost is measured by
// `npm run bench` against a bare `node -e 0`.
import { readFileSync } from 'node:fs';

// `fcfg decrypt config.enc | head -1` closes our stdout early: that is the reader's choice, not a crash.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // What commander prints for --version, without loading commander and declaring every command first:
  // deploy scripts call this to check the tool is there.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`${pkg.version}\n`);
} else {
  // No top-level await: the bundle is CommonJS, which Node loads without starting its ES module loader.
  void import('./run.js')
    .then(({ run }) => run(process.argv))
    .then((status) => {
      process.exitCode = status;
    });
}
