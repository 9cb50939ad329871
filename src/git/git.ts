import { spawnSync } from 'node:child_process';
import { isAbsolute, join, resolve } from 'node:path';
import { GitError } from '../errors.js';

export interface GitResult {
  status: number;
  stdout: Buffer;
  stderr: string;
}

export interface GitOptions {
  cwd: string;
  input?: string | Buffer;
  /** Exit statuses that are answers rather than failures (e.g. 1 for `check-ignore` "nothing ignored"). */
  allow?: number[];
}

/**
 * Runs the git binary. Output is kept as bytes: file lists are NUL-separated and blobs may not be UTF-8.
 * Our own textconv must never kick in when we read diffs or blobs, so callers pass --no-textconv where
 * git would otherwise apply it; and GIT_* variables from a surrounding hook are left as they are, since
 * git sets them precisely so that nested git commands find the right repository.
 */
export function git(args: string[], options: GitOptions): GitResult {
  const r = spawnSync('git', args, {
    cwd: options.cwd,
    input: options.input ?? '',
    maxBuffer: 1 << 30,
    windowsHide: true,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new GitError('git is not installed or not on PATH', { hint: 'install git, or run this where git is available' });
    throw new GitError(`git could not be run (${code ?? 'error'})`);
  }
  const status = r.status ?? 128;
  const stderr = r.stderr.toString('utf8').trim();
  if (status !== 0 && !(options.allow ?? []).includes(status)) {
    // git's own messages name paths and refs, never file contents; the first line is enough.
    const reason = stderr.split('\n')[0] || `exit status ${status}`;
    throw new GitError(`git ${args[0]} failed: ${reason}`);
  }
  return { status, stdout: r.stdout, stderr };
}

/** Text output of a git command, without the trailing newline. */
export function gitText(args: string[], options: GitOptions): string {
  return git(args, options).stdout.toString('utf8').replace(/\n$/, '');
}

/** Splits `-z` output into its entries. */
export function splitNul(buf: Buffer): string[] {
  const text = buf.toString('utf8');
  return text === '' ? [] : text.split('\0').filter((s) => s !== '');
}

/** The top-level directory of the work tree that contains `dir`, or undefined outside a repository. */
export function topLevel(dir: string): string | undefined {
  const r = git(['rev-parse', '--show-toplevel'], { cwd: dir, allow: [128] });
  if (r.status !== 0) return undefined;
  const top = r.stdout.toString('utf8').trim();
  return top === '' ? undefined : resolve(top);
}

/** Like topLevel, but a repository is required. */
export function requireTopLevel(dir: string): string {
  const top = topLevel(dir);
  if (top === undefined) throw new GitError(`${dir} is not inside a git work tree`, { hint: 'run it inside your repository (or `git init` first)' });
  return top;
}

/** A path inside the git directory (`hooks`, `info/attributes`), honouring worktrees. */
export function gitPath(top: string, name: string): string {
  const p = gitText(['rev-parse', '--git-path', name], { cwd: top });
  return isAbsolute(p) ? p : join(top, p);
}

/** One value from the repository's own config file (not global or system), or undefined. */
export function localConfigGet(top: string, key: string): string | undefined {
  const r = git(['config', '--local', '--get', key], { cwd: top, allow: [1] });
  return r.status === 0 ? r.stdout.toString('utf8').replace(/\n$/, '') : undefined;
}

/** Any config value as git sees it (local, global, system). */
export function configGet(top: string, key: string): string | undefined {
  const r = git(['config', '--get', key], { cwd: top, allow: [1] });
  return r.status === 0 ? r.stdout.toString('utf8').replace(/\n$/, '') : undefined;
}

export function localConfigSet(top: string, key: string, value: string): void {
  git(['config', '--local', key, value], { cwd: top });
}

/** Removes a whole `[section "sub"]` from the local config; false when it was not there. */
export function localConfigRemoveSection(top: string, section: string): boolean {
  // 128 is "no such section" (older gits), 1 the same on newer ones.
  return git(['config', '--local', '--remove-section', section], { cwd: top, allow: [1, 128] }).status === 0;
}

export function localConfigUnset(top: string, key: string): boolean {
  // 5: the key was not set.
  return git(['config', '--local', '--unset-all', key], { cwd: top, allow: [5] }).status === 0;
}

/** Keys (lower-cased by git) present in the local config under a section prefix like `diff.fernet-config.`. */
export function localConfigKeys(top: string, prefix: string): string[] {
  const re = '^' + prefix.replace(/[.]/g, '\\.');
  const r = git(['config', '--local', '--name-only', '--get-regexp', re], { cwd: top, allow: [1] });
  return r.status === 0 ? r.stdout.toString('utf8').split('\n').filter(Boolean) : [];
}

/** Paths (relative to `top`) that git tracks. */
export function trackedFiles(top: string): Set<string> {
  return new Set(splitNul(git(['ls-files', '-z', '--cached', '--full-name'], { cwd: top }).stdout));
}

/** Of the given paths (relative to `top`), the ones .gitignore and friends exclude. */
export function ignoredPaths(top: string, paths: readonly string[]): Set<string> {
  if (paths.length === 0) return new Set();
  const r = git(['check-ignore', '-z', '--stdin'], { cwd: top, input: paths.join('\0') + '\0', allow: [1] });
  return new Set(splitNul(r.stdout));
}
