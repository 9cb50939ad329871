import { lstatSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FileNotFound } from '../errors.js';
import { fileError } from '../fs/errors.js';
import { git, splitNul, topLevel } from '../git/git.js';

/** Directories a plain walk never enters: dependencies and version-control internals. */
export const SKIPPED_DIRS = new Set(['node_modules', '.git', '.hg', '.svn']);

/**
 * The files under `paths` (absolute, sorted, no duplicates). Inside a git work tree a directory lists what
 * git would consider — tracked files and untracked ones that are not ignored — so .gitignore, nested
 * .gitignore files and .git/info/exclude all apply; outside one it is a plain walk that skips
 * dependencies and VCS directories. Symbolic links are never followed.
 */
export function listFiles(cwd: string, paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of paths.length === 0 ? ['.'] : paths) {
    const abs = resolve(cwd, p);
    const st = lstatOrThrow(abs, p);
    if (st.isFile()) out.add(abs);
    else if (st.isDirectory()) {
      const top = topLevel(abs);
      for (const f of top === undefined ? walk(abs) : gitFiles(abs)) out.add(f);
    }
  }
  return [...out].sort();
}

/** Every regular file below `dir` (a plain walk, for directories outside a git work tree). */
export function walk(dir: string, skip: ReadonlySet<string> = SKIPPED_DIRS): string[] {
  const out: string[] = [];
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      // A directory that vanished or cannot be read is skipped, like `find` does, not a failure of the walk.
      if (d === dir) throw fileError(e, dir);
      continue;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!skip.has(e.name)) stack.push(join(d, e.name));
      } else if (e.isFile()) {
        out.push(join(d, e.name));
      }
    }
  }
  return out;
}

function gitFiles(dir: string): string[] {
  const rels = splitNul(git(['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: dir }).stdout);
  const out: string[] = [];
  for (const rel of new Set(rels)) {
    const abs = join(dir, rel);
    // Tracked files deleted from the work tree, submodules and symlinks are listed too; keep regular files.
    try {
      if (lstatSync(abs).isFile()) out.push(abs);
    } catch {
      // deleted in the work tree
    }
  }
  return out;
}

function lstatOrThrow(abs: string, shown: string) {
  try {
    return lstatSync(abs);
  } catch (e) {
    const err = fileError(e, shown);
    if (err instanceof FileNotFound) throw new FileNotFound(`${shown} does not exist`, { cause: e, hint: 'pass files or directories to scan' });
    throw err;
  }
}

/** One file as it is staged: its blob, and the line numbers the staged change adds or modifies. */
export interface StagedFile {
  /** Absolute path in the work tree. */
  path: string;
  content: Buffer;
  addedLines: Set<number>;
}

/**
 * What `git commit` would add: for each staged (added, copied, modified) file, the staged content and
 * the lines the change adds. Scanning the whole staged blob but reporting only added lines keeps
 * multi-line rules (private key blocks) working while old, already-reviewed content stays quiet.
 */
export function stagedFiles(cwd: string, paths: readonly string[]): StagedFile[] {
  const top = topLevel(cwd);
  if (top === undefined) throw new FileNotFound(`${cwd} is not inside a git work tree, so nothing is staged`, { hint: 'run it inside your repository, or drop --staged' });
  const spec = paths.length === 0 ? [] : ['--', ...paths.map((p) => resolve(cwd, p))];
  const common = ['--cached', '--no-renames', '--diff-filter=ACM', '--no-ext-diff', '--no-textconv'];
  const raw = splitNul(git(['diff', ...common, '--raw', '-z', '--no-abbrev', ...spec], { cwd: top }).stdout);
  const entries: { path: string; oid: string }[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    // ":100644 100644 <old> <new> M" then the path.
    const meta = raw[i]!.split(' ');
    const mode = meta[1];
    if (mode !== '100644' && mode !== '100755') continue;
    entries.push({ path: raw[i + 1]!, oid: meta[3]! });
  }
  if (entries.length === 0) return [];
  const added = addedLines(git(['-c', 'core.quotePath=false', 'diff', ...common, '-U0', '--no-color', '--src-prefix=a/', '--dst-prefix=b/', ...spec], { cwd: top }).stdout.toString('utf8'));
  const blobs = catBlobs(top, entries.map((e) => e.oid));
  return entries.map((e, i) => ({ path: join(top, e.path), content: blobs[i]!, addedLines: added.get(e.path) ?? new Set() }));
}

/** Added line numbers per path, from a `-U0` patch. Hunk headers give the counts, so content is never mistaken for a header. */
export function addedLines(patch: string): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const lines = patch.split('\n');
  let current: Set<number> | undefined;
  let oldLeft = 0;
  let newLeft = 0;
  let lineNo = 0;
  for (const line of lines) {
    if (oldLeft > 0 || newLeft > 0) {
      if (line.startsWith('+')) {
        current?.add(lineNo++);
        newLeft--;
      } else if (line.startsWith('-')) {
        oldLeft--;
      } else if (line.startsWith(' ')) {
        lineNo++;
        oldLeft--;
        newLeft--;
      }
      continue;
    }
    if (line.startsWith('+++ ')) {
      const name = unquote(line.slice(4));
      if (name.startsWith('b/')) {
        current = new Set();
        out.set(name.slice(2), current);
      } else {
        current = undefined;
      }
    } else if (line.startsWith('@@')) {
      const m = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
      if (m) {
        oldLeft = m[1] === undefined ? 1 : Number(m[1]);
        lineNo = Number(m[2]);
        newLeft = m[3] === undefined ? 1 : Number(m[3]);
      }
    }
  }
  return out;
}

/** git's C-style quoting of unusual path names ("b/na\"me"). */
function unquote(s: string): string {
  if (!s.startsWith('"')) return s;
  const bytes: number[] = [];
  const map: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, '\\': 92, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 1; i < s.length - 1; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1]!;
      if (/[0-7]/.test(n)) {
        bytes.push(parseInt(s.slice(i + 1, i + 4), 8));
        i += 3;
      } else {
        bytes.push(map[n] ?? n.charCodeAt(0));
        i += 1;
      }
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Reads blobs with one `git cat-file --batch`. */
function catBlobs(top: string, oids: string[]): Buffer[] {
  const out = git(['cat-file', '--batch'], { cwd: top, input: oids.join('\n') + '\n' }).stdout;
  const blobs: Buffer[] = [];
  let pos = 0;
  for (let i = 0; i < oids.length; i++) {
    const nl = out.indexOf(10, pos);
    const header = out.subarray(pos, nl).toString('utf8').split(' ');
    const size = Number(header[2]);
    if (header[1] === 'missing' || !Number.isFinite(size)) {
      blobs.push(Buffer.alloc(0));
      pos = nl + 1;
      continue;
    }
    blobs.push(out.subarray(nl + 1, nl + 1 + size));
    pos = nl + 1 + size + 1;
  }
  return blobs;
}
