import { closeSync, openSync } from 'node:fs';
import { basename } from 'node:path';
import type { StdioOptions } from 'node:child_process';
import { UsageError } from '../errors.js';
import { isFile } from '../fs/read.js';

/** The program that edits the file, and the arguments that go before the file's path. */
export interface EditorCommand {
  file: string;
  args: string[];
  /**
   * Where it came from, for messages: "VISUAL", "EDITOR", "default", or "npm" for the `EDITOR=vi` that
   * npm puts in the environment of `npm run` and `npx` when the user set none (see npmSetEditor).
   */
  source: 'VISUAL' | 'EDITOR' | 'default' | 'npm';
}

/**
 * Splits a command line into words the way a POSIX shell does, without expanding anything: blanks
 * separate words, '...' is literal, "..." honours backslash before \ " $ ` and newline, and a backslash
 * outside quotes escapes the next character. That covers `code --wait`, `"/opt/My Editor/bin/ed" -w`
 * and `/opt/My\ Editor/bin/ed`, the forms people put in $EDITOR for git.
 */
export function splitCommandLine(line: string, what = 'the command'): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new UsageError(`${what} has an unterminated single quote`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '\\"$`\n'.includes(line[j + 1]!)) {
          j++;
          if (line[j] !== '\n') word += line[j];
        } else {
          word += line[j];
        }
      }
      if (j >= line.length) throw new UsageError(`${what} has an unterminated double quote`);
      inWord = true;
      i = j;
    } else if (ch === '\\') {
      if (i + 1 >= line.length) throw new UsageError(`${what} ends with a lone backslash`);
      const next = line[++i]!;
      if (next !== '\n') {
        word += next;
        inWord = true;
      }
    } else if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The editor to run: $VISUAL, else $EDITOR, else `vi` (Notepad on Windows), as git and crontab choose.
 * A value that is itself the path of an existing file is taken whole, so an unquoted path with spaces
 * still works; otherwise it is split into words (see splitCommandLine).
 */
export function editorCommand(env: Record<string, string | undefined> = process.env, platform: NodeJS.Platform = process.platform): EditorCommand {
  if (npmSetEditor(env)) return { file: 'vi', args: [], source: 'npm' };
  for (const source of ['VISUAL', 'EDITOR'] as const) {
    const value = env[source]?.trim();
    if (!value) continue;
    if (/[/\\]/.test(value) && isFile(value)) return { file: value, args: [], source };
    const words = splitCommandLine(value, `$${source}`);
    if (words.length === 0) continue;
    return { file: words[0]!, args: words.slice(1), source };
  }
  return { file: platform === 'win32' ? 'notepad' : 'vi', args: [], source: 'default' };
}

/** Was an editor chosen explicitly (VISUAL or EDITOR set to something, and not by npm)? */
export function editorIsConfigured(env: Record<string, string | undefined> = process.env): boolean {
  if (npmSetEditor(env)) return false;
  return Boolean(env['VISUAL']?.trim() || env['EDITOR']?.trim());
}

/**
 * Is `EDITOR=vi` most likely npm's and not the user's? npm (its `editor` setting, @npmcli/config) exports
 * EDITOR to every script it runs — `npm run`, `npx`, `npm exec` — and when the user has neither EDITOR
 * nor VISUAL that value is its default, `vi`. Such a process carries npm's own variables (npm_execpath,
 * npm_command, npm_lifecycle_event); an `npm_config_editor` means the user configured npm's editor.
 * A user who really set EDITOR=vi under npm is read the same way, which only matters without a
 * terminal, where vi cannot work anyway.
 */
export function npmSetEditor(env: Record<string, string | undefined> = process.env): boolean {
  const underNpm = Boolean(env['npm_execpath'] || env['npm_command'] || env['npm_lifecycle_event']);
  return underNpm && !env['VISUAL']?.trim() && env['EDITOR']?.trim() === 'vi' && !env['npm_config_editor'];
}

export interface EditorStdio {
  stdio: StdioOptions;
  /** Closes the terminal opened for the editor, if any; call once it has exited. */
  close(): void;
}

/**
 * The editor's standard streams. A terminal editor draws the plaintext on its standard output, so that
 * must never be a pipe or file (a CI log, `fcfg edit c.enc > out`): where ours is not a terminal, the
 * editor gets the controlling terminal (/dev/tty) when there is one, else nothing (/dev/null). Its input
 * likewise comes from the terminal when ours is redirected. Errors still go to our standard error.
 */
export function editorStdio(stdinIsTTY = process.stdin.isTTY === true, stdoutIsTTY = process.stdout.isTTY === true): EditorStdio {
  if (stdinIsTTY && stdoutIsTTY) return { stdio: 'inherit', close: () => {} };
  let tty: number | undefined;
  try {
    tty = openSync('/dev/tty', 'r+');
  } catch {
    // no controlling terminal (CI, a service, a detached job)
  }
  const fd = tty;
  return {
    stdio: [stdinIsTTY ? 'inherit' : (fd ?? 'inherit'), stdoutIsTTY ? 'inherit' : (fd ?? 'ignore'), 'inherit'],
    close: () => {
      if (fd !== undefined) closeSync(fd);
    },
  };
}

/**
 * GUI editors hand the file to a running window and return at once unless told to wait; the edit would
 * then end before it began. Known launchers and the flags that make them wait.
 */
const WAIT_FLAGS: Record<string, readonly string[]> = {
  code: ['--wait', '-w'],
  'code-insiders': ['--wait', '-w'],
  codium: ['--wait', '-w'],
  cursor: ['--wait', '-w'],
  subl: ['--wait', '-w'],
  atom: ['--wait', '-w'],
  zed: ['--wait', '-w'],
  mate: ['--wait', '-w'],
  gedit: ['--wait', '-w'],
  kate: ['--block', '-b'],
  gvim: ['--nofork', '-f'],
  mvim: ['--nofork', '-f'],
};

/** The flag a known GUI editor needs to wait for the file to be closed, when it is missing; else undefined. */
export function missingWaitFlag(cmd: EditorCommand): string | undefined {
  const name = basename(cmd.file).replace(/\.(exe|cmd|bat)$/i, '').toLowerCase();
  const flags = WAIT_FLAGS[name];
  if (flags === undefined) return undefined;
  return cmd.args.some((a) => flags.includes(a)) ? undefined : flags[0];
}

/** The command for messages: its words, quoted where a shell would need it. */
export function describeCommand(cmd: EditorCommand): string {
  return [cmd.file, ...cmd.args].map(shellQuote).join(' ');
}

/** Quotes a word for a POSIX shell when it needs it (for commands we suggest in hints). */
export function shellQuote(word: string): string {
  if (/^[\w./@%+=:,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
