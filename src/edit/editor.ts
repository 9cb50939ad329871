import { basename } from 'node:path';
import { UsageError } from '../errors.js';
import { isFile } from '../fs/read.js';

/** The program that edits the file, and the arguments that go before the file's path. */
export interface EditorCommand {
  file: string;
  args: string[];
  /** Where it came from, for messages: "VISUAL", "EDITOR" or "default". */
  source: 'VISUAL' | 'EDITOR' | 'default';
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

/** Was an editor chosen explicitly (VISUAL or EDITOR set to something)? */
export function editorIsConfigured(env: Record<string, string | undefined> = process.env): boolean {
  return Boolean(env['VISUAL']?.trim() || env['EDITOR']?.trim());
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
