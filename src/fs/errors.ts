import { lstatSync, readlinkSync } from 'node:fs';
import { FernetConfigError, FileAccessError, FileNotFound } from '../errors.js';

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

/**
 * The error for a file of this package that Node could not load (a `MODULE_NOT_FOUND` naming a file
 * under our dist/), or undefined for any other error: a broken install is said as such, never as a
 * damaged ring or an internal error. The path is the package's own, never user data.
 */
export function incompleteInstall(e: unknown): FernetConfigError | undefined {
  // The age bundles' own loads (scripts/age-open-entry.mjs), which cannot use our error classes.
  if ((e as { code?: unknown } | null)?.code === PACKAGE_FILE_BROKEN) return packageFileBroken(String((e as { file?: unknown }).file), (e as Error).cause);
  if ((e as { code?: unknown } | null)?.code !== 'MODULE_NOT_FOUND') return undefined;
  const name = /Cannot find module '([^']+)'/.exec((e as Error).message ?? '')?.[1];
  if (name === undefined) return undefined;
  // An absolute path under dist/, or a name relative to the file of ours that asked for it (a chunk).
  const requirer = (e as { requireStack?: unknown }).requireStack;
  const from = Array.isArray(requirer) && typeof requirer[0] === 'string' ? requirer[0] : undefined;
  // A package ours depend on (ajv, required by dist/meta/*.cjs), missing from node_modules.
  if (!/^[./\\]/.test(name) && !/^[A-Za-z]:/.test(name) && from !== undefined && /[\\/]dist[\\/]/.test(from)) {
    const dependency = (name.startsWith('@') ? name.split('/').slice(0, 2) : name.split('/').slice(0, 1)).join('/');
    return new FernetConfigError(`fernet-config is incomplete: the package ${dependency}, which it needs, is missing`, { hint: 'reinstall fernet-config (npm install)', cause: e });
  }
  const file = name.startsWith('./') && from !== undefined ? `${from.replace(/[^\\/]*$/, '')}${name.slice(2)}` : name;
  const parts = file.split(/[\\/]dist[\\/]/);
  if (parts.length < 2) return undefined;
  return packageFileMissing(`dist/${parts.pop()!.split('\\').join('/')}`, e);
}

/** `file` (a path in the package, `dist/…`) is not installed: the one message for a broken install. */
export function packageFileMissing(file: string, cause?: unknown): FernetConfigError {
  return new FernetConfigError(`fernet-config is incomplete: ${file} is missing`, { hint: 'reinstall fernet-config', ...(cause !== undefined ? { cause } : {}) });
}

/** The code the age bundles give an error of theirs for a file of the package that does not load. */
const PACKAGE_FILE_BROKEN = 'ERR_FERNET_CONFIG_FILE';

/**
 * `file` (a path in the package, `dist/…`) is there but does not load, or lacks what it should export:
 * a damaged install (or one file from another version), said as such rather than as a damaged ring or
 * an internal error. A missing file is packageFileMissing's. The cause is Node's error about our file.
 */
export function packageFileBroken(file: string, cause?: unknown): FernetConfigError {
  if ((cause as { code?: unknown } | null)?.code === 'MODULE_NOT_FOUND') return incompleteInstall(cause) ?? packageFileMissing(file, cause);
  return new FernetConfigError(`fernet-config is damaged: ${file} does not load`, { hint: 'reinstall fernet-config', ...(cause !== undefined ? { cause } : {}) });
}
