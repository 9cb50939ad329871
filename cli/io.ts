import { readFileSync, writeSync } from 'node:fs';
import type { KeyOptions } from '../src/keys/resolve.js';
import { FileAccessError } from '../src/errors.js';
import { fileError } from '../src/fs/errors.js';

/** Options every key-using command accepts (declared once in program.ts). */
export interface KeyFlags {
  keyFile?: string;
  key?: string;
  keyCommand?: string;
  strictPermissions?: boolean;
  /** --identity FILE: opens a .age key ring (issue 13). */
  identity?: string;
}

export function warn(message: string): void {
  process.stderr.write(`fernet-config: warning: ${message}\n`);
}

/**
 * Progress and success lines, on stderr so stdout stays data. They carry no `fernet-config:` prefix and no
 * `hint:` label (a follow-up step is a `note:`): that shape marks failures and warnings, which log filters
 * look for, so a success must not look like one.
 */
export function info(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Set once a write to fd 1 could not be finished directly: the rest goes through process.stdout, in order. */
let stdoutStream = false;

/**
 * Writes to standard output. Straight to file descriptor 1: process.stdout would load Node's stream classes
 * on first use, a good part of what `get` and `decrypt` cost over bare node. Where fd 1 will not take the
 * bytes now (EAGAIN: a pipe that another process sharing it made non-blocking, and a slow reader) or at
 * all, the rest goes to process.stdout, which waits for the reader or fails as it always did. A reader that
 * closed the pipe (`fcfg decrypt c.enc | head -1`) ends the process as main.ts does for the stream: its
 * choice, not a crash, so no stack trace.
 */
export function out(text: string | Uint8Array): void {
  if (!stdoutStream) {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(1, bytes, written, bytes.length - written);
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') process.exit(process.exitCode ?? 0);
      // Only "not now" goes on through the stream; a full disk or an I/O error is the command's failure.
      if (code !== 'EAGAIN') throw stdoutFailed(e);
      stdoutStream = true;
      text = bytes.subarray(written);
    }
  }
  process.stdout.write(text);
}

/** A write to standard output that failed: what got there is incomplete (fileError's "nothing was changed" is for files we replace). */
function stdoutFailed(e: unknown): FileAccessError {
  const failed = fileError(e, 'standard output');
  return new FileAccessError(failed.message, { cause: e, hint: 'the output is incomplete: check the file or device it goes to, and run the command again' });
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2) + '\n');
}

export function keyOptions(flags: KeyFlags): KeyOptions {
  const o: KeyOptions = { onWarning: warn };
  if (flags.keyFile !== undefined) o.keyFile = flags.keyFile;
  if (flags.key !== undefined) o.key = flags.key;
  if (flags.keyCommand !== undefined) o.keyCommand = flags.keyCommand;
  if (flags.strictPermissions) o.strictPermissions = true;
  if (flags.identity !== undefined) o.identityFile = flags.identity;
  return o;
}

export const stdinIsTTY = (): boolean => process.stdin.isTTY === true;

/** Reads a whole input: a file path, or `-` for standard input. */
export function readInput(path: string, label = path): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (e) {
    throw fileError(e, path === '-' ? 'standard input' : label);
  }
}

/** Whether an output path means standard output: `-`, or a name of file descriptor 1 (never renamed over). */
export function isStdoutPath(path: string): boolean {
  return path === '-' || path === '/dev/stdout' || path === '/dev/fd/1' || path === '/proc/self/fd/1';
}
