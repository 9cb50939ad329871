#!/usr/bin/env node
// Entry point of `fernet-config` / `fcfg`. Kept tiny: commander and the command modules load lazily.
import { run } from './run.js';

process.exitCode = await run(process.argv);
