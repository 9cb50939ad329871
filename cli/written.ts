import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';

/**
 * A file that was written, as the user should `git add` it: the target of a link (that is the file that
 * changed), relative to the working directory when inside it, else absolute; a plain relative path as given.
 */
export function written(path: string): string {
  let real: string;
  try {
    if (!isAbsolute(path) && !lstatSync(path).isSymbolicLink()) return path;
    real = realpathSync(path);
  } catch {
    return path;
  }
  const rel = relative(process.cwd(), real);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : real;
}

/** The ring as changed: its target, and the link it was reached through. */
export function ringShown(ring: string): string {
  const target = written(ring);
  return target === ring ? ring : `${target} (through ${ring})`;
}
