import { readFileSync, statSync } from 'node:fs';
import { fileError } from './errors.js';

/** A file's text, or undefined when it does not exist; any other failure is our error naming `label`. */
export function readTextIfExists(path: string, label = path): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(e, label);
  }
}

/** Whether `path` is a regular file (following links); false for anything missing or unreadable. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
