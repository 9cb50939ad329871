#!/usr/bin/env node
// Entry point of `fernet-config` / `fcfg`. Kept tiny: commander and the command modules load lazily.
import { run } from './run.js';

// `fcfg decrypt config.enc | head -1` closes our stdout early: that is the reader's choice, not a crash.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

process.exitCode = await run(process.argv);
