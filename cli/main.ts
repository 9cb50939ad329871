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

// Node opens its inspector on SIGUSR1: a debugger port any local user can reach, in a process that holds
// keys and plaintext. A listener takes the signal from it; this one ends the process as the signal's
// default action would (exit 138), unless a command listens itself (edit cleans up, run forwards it).
process.on('SIGUSR1', () => {
  if (process.listenerCount('SIGUSR1') === 1) process.exit(128 + 10);
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
