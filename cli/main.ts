#!/usr/bin/env node
// Entry point of `fernet-config` / `fcfg`. Kept tiny: commander and the command modules load lazily.
// The build bundles the CLI into this one file (scripts/bundle.mjs); start-up cost is measured by
// `npm run bench` against a bare `node -e 0`.
import { writeSync } from 'node:fs';
import { invokedCommand, READ_COMMANDS } from './route.js';
import { packageVersion } from './version.js';

// `fcfg decrypt config.enc | head -1` closes our stdout early: that is the reader's choice, not a crash.
// Any other failure to write the output (a full disk, an I/O error) is a failure of the command: one line,
// exit 1, no stack trace.
const onStdoutError = (e: NodeJS.ErrnoException): void => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  try {
    writeSync(2, `fernet-config: standard output could not be written (${e.code ?? 'error'}) [ERR_FILE_ACCESS]\n  hint: the output is incomplete: check the file or device it goes to, and run the command again\n`);
  } catch {
    // stderr is gone too: the exit status is all that is left to say it
  }
  process.exit(1);
};
// A message that cannot be written to stderr is lost, but it must not turn a command that did what was
// asked into a crash (an unhandled 'error' event) with another exit status.
const onStderrError = (): void => {};
// The listeners go on when a stream is first used, not here: creating one loads Node's stream classes,
// which `get` and `decrypt` (writing to fd 1 directly, see cli/io.ts) otherwise never need.
const streams: NodeJS.WriteStream[] = [];
for (const [name, listener] of [['stdout', onStdoutError], ['stderr', onStderrError]] as const) {
  const descriptor = Object.getOwnPropertyDescriptor(process, name);
  if (descriptor?.get !== undefined && descriptor.configurable === true) {
    const get = descriptor.get;
    Object.defineProperty(process, name, {
      ...descriptor,
      get() {
        Object.defineProperty(process, name, descriptor);
        const stream = get.call(process) as NodeJS.WriteStream;
        stream.on('error', listener);
        streams.push(stream);
        return stream;
      },
    });
  } else {
    process[name].on('error', listener);
    streams.push(process[name]);
  }
}

// Node opens its inspector on SIGUSR1: a debugger port any local user can reach, in a process that holds
// keys and plaintext. A listener takes the signal from it; this one ends the process as the signal's
// default action would (exit 138), unless a command listens itself (edit cleans up, run forwards it).
process.on('SIGUSR1', () => {
  if (process.listenerCount('SIGUSR1') === 1) process.exit(128 + 10);
});

const HELD = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // What commander prints for --version, without loading commander and declaring every command first:
  // deploy scripts call this to check the tool is there.
  const line = `${packageVersion()}\n`;
  // To fd 1 directly, as cli/io.ts writes; the stream only where that fails for another reason than EPIPE.
  try {
    writeSync(1, line);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPIPE') process.stdout.write(line);
  }
} else {
  // No top-level await: the bundle is CommonJS, which Node loads without starting its ES module loader.
  const command = invokedCommand(process.argv);
  const read = command !== undefined && READ_COMMANDS.includes(command);
  const bundle = read ? import('./run-read.js') : import('./run.js');
  let settled = false;
  // Node ends a process whose event loop has emptied even while a promise still waits, with status 0: a
  // prompt whose terminal closed (Ctrl-D, a dropped ssh session) would pass for success with nothing done.
  process.on('beforeExit', () => {
    if (settled) return;
    settled = true;
    writeSync(2, 'fernet-config: the command stopped before it finished: the input it was waiting for ended [ERR_ABORTED]\n  hint: run it again on a terminal, and answer its prompt\n');
    process.exit(1);
  });
  void bundle
    .then(({ run }) => run(process.argv))
    .then(
      (status) => {
        settled = true;
        process.exitCode = status;
        // A finished get or decrypt ends here rather than by Node's natural exit, which first runs the
        // tasks V8 has queued: among them a young-generation scavenge, which V8 queues once 80 % of the
        // young generation is in use (opening a .age ring takes a get past that), 4-5 ms of CPU spent on
        // a heap about to be dropped (bench/age.mjs). Only when every byte of output has been handed to
        // the OS: a stream still holding some (a slow pipe) is left to drain by the natural exit. 'exit'
        // listeners (temporary files) run either way. Other commands may still have work in flight
        // (children, editors, lock files) and end as Node ends them.
        // Nor while a listener for SIGINT, SIGTERM or SIGHUP is on: the CLI's atomic writes hold those
        // off until the next turn of the event loop (src/fs/atomic.ts), and one that came during
        // `decrypt -o`'s write must still end the process as the signal, not as a success.
        if (read && streams.every((s) => s.writableLength === 0) && !HELD.some((s) => process.listenerCount(s) > 0)) process.exit(status);
      },
      (e: unknown) => {
        // Only a bundle that failed to load gets here (run() reports its own errors): a broken install.
        settled = true;
        const missing = (e as { code?: unknown })?.code === 'MODULE_NOT_FOUND';
        writeSync(2, missing ? 'fernet-config: fernet-config is incomplete: a file of dist/cli is missing [ERR_FERNET_CONFIG]\n  hint: reinstall fernet-config\n' : 'fernet-config: unexpected internal error [ERR_INTERNAL]\n  hint: rerun with --debug for details, and report it if it persists\n');
        if (!missing && process.argv.includes('--debug')) writeSync(2, `${(e as Error)?.stack ?? String(e)}\n`);
        process.exitCode = 1;
      },
    );
}
