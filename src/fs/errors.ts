import { lstatSync, readlinkSync } from 'node:fs';
import { FileAccessError, FileNotFound } from '../errors.js';

/** Maps a Node file-system error to ours, naming the path and never the contents. */
export function fileError(e: unknown, what: string): Error {
  const code = (e as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOENT':
      return new FileNotFound(`${what} does not exist`, { cause: e });
    case 'EISDIR':
      return new FileAccessError(`${what} is a directory`, { cause: e });
    case 'ENOTDIR':
      return new FileAccessError(`${what}: a parent of it is not a directory`, { cause: e });
    case 'EACCES':
    case 'EPERM':
      return new FileAccessError(`${what}: permission denied`, { cause: e, hint: 'check the file and directory permissions' });
    case 'ENOSPC':
    case 'EDQUOT':
      // A failed write removes its temp file and leaves the target as it was (see atomic.ts).
      return new FileAccessError(`${what}: no space left on the device (${code})`, { cause: e, hint: 'free some space (or raise the disk quota) and run the command again; nothing was changed' });
    case 'EROFS':
      return new FileAccessError(`${what}: read-only file system`, { cause: e, hint: 'write to a writable file system, or remount it read-write; nothing was changed' });
    default:
      return new FileAccessError(`${what} could not be accessed (${code ?? 'unknown error'})`, { cause: e });
  }
}

/**
 * The error for `path` when it is a symbolic link whose target is missing, or undefined when it is not
 * one: "does not exist" would send the user looking for a file that is plainly there in `ls`.
 */
export function danglingLinkError(path: string, label: string, cause?: unknown): FileNotFound | undefined {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
  } catch {
    return undefined;
  }
  let to = '';
  try {
    to = ` to ${readlinkSync(path)}`;
  } catch {
    // the message is clear enough without it
  }
  return new FileNotFound(`${label} is a symbolic link${to}, which does not exist (a dangling link)`, { cause, hint: 'create the file it points to, or replace the link' });
}
