import { constants } from 'node:os';

/**
 * The signals whose default action ends the process (signal(7): "Term" and "Core") and that Node lets a
 * program handle. Left out: SIGKILL and SIGSTOP (no process can catch them); SIGSEGV, SIGBUS, SIGFPE and
 * SIGILL (Node's docs: when raised for real they leave the process where no JavaScript can safely run);
 * the real-time signals (Node has no names for them). Names this platform lacks are dropped, and so are
 * aliases (SIGIOT = SIGABRT, SIGPOLL = SIGIO), so each signal is handled once.
 */
const CANDIDATES = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTRAP', 'SIGABRT', 'SIGUSR1', 'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM',
  'SIGSTKFLT', 'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGIO', 'SIGPWR', 'SIGSYS', 'SIGLOST', 'SIGINFO',
] as const;

export const TERMINATING_SIGNALS: readonly NodeJS.Signals[] = (() => {
  const seen = new Set<number>();
  const out: NodeJS.Signals[] = [];
  const table = constants.signals as Record<string, number | undefined>;
  for (const name of CANDIDATES) {
    const n = table[name];
    if (n === undefined || seen.has(n)) continue;
    seen.add(n);
    out.push(name as NodeJS.Signals);
  }
  return out;
})();

/** 128 + the signal's number: the exit status a shell reports for a process ended by it. */
export function signalExitStatus(signal: NodeJS.Signals): number {
  return 128 + ((constants.signals as Record<string, number | undefined>)[signal] ?? 0);
}

// Node ignores SIGPIPE (a write to a closed pipe fails with EPIPE instead). Once a listener for it has
// been added, removing the last one restores the kernel's default, which kills the process on the next
// such write; this no-op listener stays, so SIGPIPE remains as harmless as Node made it.
const ignorePipe = (): void => {};

/**
 * Calls `handler` on any of TERMINATING_SIGNALS instead of letting it end the process. Returns the
 * function that removes the handlers again.
 */
export function onTerminatingSignals(handler: (signal: NodeJS.Signals) => void): () => void {
  const installed: [NodeJS.Signals, () => void][] = [];
  for (const signal of TERMINATING_SIGNALS) {
    const listener = () => handler(signal);
    try {
      process.on(signal, listener);
      installed.push([signal, listener]);
    } catch {
      // a signal this platform lists but will not let us watch
    }
  }
  return () => {
    for (const [signal, listener] of installed) {
      if (signal === 'SIGPIPE' && !process.listeners('SIGPIPE').includes(ignorePipe)) process.on('SIGPIPE', ignorePipe);
      process.removeListener(signal, listener);
    }
  };
}
