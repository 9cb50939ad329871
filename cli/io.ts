import { readFileSync } from 'node:fs';
import type { KeyOptions } from '../src/keys/resolve.js';
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

export function out(text: string | Uint8Array): void {
  process.stdout.write(text);
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
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
