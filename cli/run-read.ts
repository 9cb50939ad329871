// Entry of dist/cli/run-read.js, the bundle main.ts loads for `get` and `decrypt`: the same run(), built
// with commands/load-read.ts in place of commands/load.ts, so that no other command's code is in it.
export { run } from './run.js';
