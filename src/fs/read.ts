import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { FileAccessError, FileNotFound } from '../errors.js';
import { danglingLinkError, fileError } from './errors.js';

/** Largest config (token) file read, in bytes: 64 MiB, far above any config, far below a mistaken disk image. */
export const MAX_CONFIG_FILE_BYTES = 64 * 1024 * 1024;
/** Largest key file read, in bytes: 1 MiB holds over 20 000 keys. */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;
/**
 * Largest `.age` key ring read, in bytes: a full key file plus a header for hundreds of recipients
 * (a post-quantum stanza is about 1.6 KB).
 */
export const MAX_RING_FILE_BYTES = 4 * 1024 * 1024;

export interface CheckedRead {
  data: Buffer;
  /** fstat of the very file descriptor that was read: no window between checking and reading. */
  stat: Stats;
}

/**
 * Reads a whole regular file, refusing anything else before a single byte is read: a FIFO would block
 * forever, a device (/dev/zero, /dev/urandom) never ends. O_NONBLOCK makes opening a FIFO return at once
 * (without it, open() itself waits for a writer); the checks are made on the opened descriptor.
 * Errors name `label`, never the contents.
 */
export function readRegularFile(path: string, label: string, maxBytes: number): CheckedRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw danglingLinkError(path, label, e) ?? fileError(e, label);
    throw fileError(e, label);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw new FileAccessError(`${label} is a directory`, { hint: 'pass the path of the file itself' });
    if (!stat.isFile()) {
      throw new FileAccessError(`${label} is not a regular file (it is ${fileKind(stat)})`, { hint: 'pass the path of a regular file; pipes and devices are not read' });
    }
    if (stat.size > maxBytes) throw tooLarge(label, maxBytes);
    // The size can change under us: read one byte past it to notice a file that grew (or passed the cap).
    const data = Buffer.allocUnsafe(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, data, length, data.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) throw tooLarge(label, maxBytes);
      if (length === data.length) {
        // More bytes than fstat reported: something is appending to it in place (our writers replace
        // files whole). Whatever we cut here would be a torn read, so none is returned.
        throw new FileAccessError(`${label} grew while it was being read`, { hint: 'try again once whatever is writing it has finished' });
      }
    }
    return { data: data.subarray(0, length), stat };
  } catch (e) {
    if (e instanceof FileAccessError) throw e;
    throw fileError(e, label);
  } finally {
    closeSync(fd);
  }
}

/** readRegularFile's bytes, or undefined when nothing exists at `path` (a dangling link is still an error). */
export function readRegularFileIfExists(path: string, label: string, maxBytes: number): Buffer | undefined {
  try {
    return readRegularFile(path, label, maxBytes).data;
  } catch (e) {
    if (e instanceof FileNotFound && danglingLinkError(path, label) === undefined) return undefined;
    throw e;
  }
}

function tooLarge(label: string, maxBytes: number): FileAccessError {
  return new FileAccessError(`${label} is larger than ${Math.round(maxBytes / 1024)} KiB, the most read for such a file`, { hint: 'check that the path names the right file' });
}

/** "a FIFO", "a character device", ... for messages. */
export function fileKind(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** A file's text, or undefined when it does not exist; any other failure is our error naming `label`. */
export function readTextIfExists(path: string, label = path): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(e, label);
  }
}

// Both are asked, on every key resolution, about files that are mostly not there (the key file and ring
// names beside a config): `throwIfNoEntry: false` answers those without Node building an exception, with
// its message and stack, for each. Other failures (ENOTDIR, EACCES) still throw, and are caught.

/** Whether `path` is a regular file (following links); false for anything missing or unreadable. */
export function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
  } catch {
    return false;
  }
}

/** Whether something other than a directory exists at `path` (following links): a file to read, or to refuse clearly. */
export function existsNotDirectory(path: string): boolean {
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    return st !== undefined && !st.isDirectory();
  } catch {
    return false;
  }
}
