import { chmodSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { FileExists } from '../errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { fileError } from '../fs/errors.js';
import { configGet, gitPath } from './git.js';
import { readTextIfExists } from '../fs/read.js';

const BEGIN = '# >>> fernet-config >>>';
const END = '# <<< fernet-config <<<';

/** Where git looks for the pre-commit hook: core.hooksPath when set, else the git directory's hooks/. */
export function preCommitHookPath(top: string): string {
  const hooksPath = configGet(top, 'core.hooksPath');
  if (hooksPath !== undefined && hooksPath !== '') {
    const expanded = hooksPath.startsWith('~/') ? join(process.env.HOME ?? '~', hooksPath.slice(2)) : hooksPath;
    return join(isAbsolute(expanded) ? expanded : join(top, expanded), 'pre-commit');
  }
  return gitPath(top, 'hooks/pre-commit');
}

export type HookOutcome = 'created' | 'updated' | 'unchanged' | 'appended';

export interface HookOptions {
  /** Shell lines to run; each must succeed for the commit to go ahead. */
  commands: string[];
  /** Append our block to a hook that is not ours (otherwise that is refused). */
  force?: boolean;
}

function block(commands: readonly string[]): string {
  return [BEGIN, '# installed by `fcfg check --install-hook`; remove with `fcfg check --uninstall-hook`', ...commands.map((c) => `${c} || exit 1`), END, ''].join('\n');
}

/**
 * Installs the pre-commit hook. Our lines live between marker comments, so installing again replaces
 * them in place and uninstalling removes exactly them. A hook written by someone else is left alone
 * unless `force` is given, and then only appended to.
 */
export function installHook(top: string, options: HookOptions): { path: string; outcome: HookOutcome } {
  const path = preCommitHookPath(top);
  const ours = block(options.commands);
  const existing = readTextIfExists(path);
  let next: string;
  let outcome: HookOutcome;
  if (existing === undefined || existing.trim() === '') {
    next = `#!/bin/sh\n${ours}`;
    outcome = 'created';
  } else if (existing.includes(BEGIN) && existing.includes(END)) {
    next = replaceBlock(existing, ours);
    outcome = next === existing ? 'unchanged' : 'updated';
  } else if (options.force) {
    next = appendBlock(existing, ours);
    outcome = 'appended';
  } else {
    throw new FileExists(`${path} already exists and was not written by fernet-config; it was left unchanged`, {
      hint: 'pass --force to append the check to it, or add `fcfg check` to it yourself',
    });
  }
  if (outcome !== 'unchanged') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, next, { mode: 0o755 });
  }
  ensureExecutable(path);
  return { path, outcome };
}

/** Removes our block; deletes the hook when nothing but a shebang would be left. */
export function uninstallHook(top: string): { path: string; removed: boolean } {
  const path = preCommitHookPath(top);
  const existing = readTextIfExists(path);
  if (existing === undefined || !existing.includes(BEGIN)) return { path, removed: false };
  const rest = replaceBlock(existing, '');
  try {
    if (rest.replace(/^#!.*\n?/, '').trim() === '') unlinkSync(path);
    else writeFileAtomic(path, rest, { mode: 0o755 });
  } catch (e) {
    throw fileError(e, path);
  }
  return { path, removed: true };
}

/** Appends our block, but before a final `exec …` line, which would otherwise never return to run it. */
function appendBlock(text: string, ours: string): string {
  const lines = text.replace(/\n*$/, '').split('\n');
  const last = lines[lines.length - 1]!;
  if (/^\s*exec\s/.test(last)) return [...lines.slice(0, -1), ours + last, ''].join('\n');
  return lines.join('\n') + '\n' + ours;
}

function replaceBlock(text: string, replacement: string): string {
  const start = text.indexOf(BEGIN);
  const endAt = text.indexOf(END, start);
  if (start === -1 || endAt === -1) return text;
  let end = endAt + END.length;
  if (text[end] === '\n') end++;
  return text.slice(0, start) + replacement + text.slice(end);
}

function ensureExecutable(path: string): void {
  try {
    const mode = statSync(path).mode & 0o7777;
    if ((mode & 0o111) === 0) chmodSync(path, mode | 0o755);
  } catch (e) {
    throw fileError(e, path);
  }
}
