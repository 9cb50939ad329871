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
    default:
      return new FileAccessError(`${what} could not be accessed (${code ?? 'unknown error'})`, { cause: e });
  }
}
