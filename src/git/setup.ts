import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import { fileError } from '../fs/errors.js';
import { git, localConfigGet, localConfigKeys, localConfigRemoveSection, localConfigSet, localConfigUnset } from './git.js';
import { readTextIfExists } from '../fs/read.js';

/** The driver name used in git config and .gitattributes. */
export const DRIVER = 'fernet-config';
export const ATTRIBUTES_LINE = `*.enc diff=${DRIVER} merge=${DRIVER}`;
const ATTRIBUTES_COMMENT = '# encrypted configs: decrypted diffs and key-by-key merges (fcfg git-setup)';
/** Local config key recording whether git-setup wrote the .gitattributes line, so --undo removes only that. */
const RECORD_KEY = `${DRIVER}.attributes`;

/** Quotes one word for the POSIX shell git runs drivers with. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function shellJoin(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}

export interface SetupOptions {
  /** The command that runs this CLI, already shell-quoted (e.g. `'/usr/bin/node' '/…/dist/cli/main.js'`). */
  command: string;
  /** Extra arguments for both drivers (key options, --schema), as words to quote. */
  textconvArgs?: string[];
  mergeArgs?: string[];
}

export interface SetupChange {
  what: string;
  changed: boolean;
  /** What happened, where "changed"/"not set" would not say it (a line deliberately kept). */
  outcome?: 'kept';
}

/** The config values git-setup writes. */
export function driverConfig(options: SetupOptions): [string, string][] {
  return [
    [`diff.${DRIVER}.textconv`, [options.command, 'textconv', ...(options.textconvArgs ?? []).map(shellQuote)].join(' ')],
    [`merge.${DRIVER}.name`, 'fernet-config: key-by-key merge of encrypted JSON configs'],
    [`merge.${DRIVER}.driver`, [options.command, 'merge-driver', ...(options.mergeArgs ?? []).map(shellQuote), '%O %A %B %P'].join(' ')],
  ];
}

/**
 * Configures a repository: the diff and merge drivers in its local config and the `*.enc` line in the
 * top-level .gitattributes. Running it again changes nothing that is already right; running it with other
 * options updates the commands. (textconv caching is deliberately left off: git would store the decrypted
 * text in its object database.)
 */
export function setupGit(top: string, options: SetupOptions): SetupChange[] {
  const changes: SetupChange[] = [];
  for (const [key, value] of driverConfig(options)) {
    const current = localConfigGet(top, key);
    if (current !== value) localConfigSet(top, key, value);
    changes.push({ what: `git config ${key}`, changed: current !== value });
  }
  const attributes = join(top, '.gitattributes');
  const text = readTextIfExists(attributes);
  if (text !== undefined && hasOurLine(text)) {
    changes.push({ what: `.gitattributes: ${ATTRIBUTES_LINE}`, changed: false });
    return changes;
  }
  const sep = text === undefined || text === '' || text.endsWith('\n') ? '' : '\n';
  const blank = text === undefined || text.trim() === '' ? '' : '\n';
  // The record goes first: if writing the file fails, --undo finds nothing to remove and that is correct.
  localConfigSet(top, RECORD_KEY, text === undefined ? 'created' : 'appended');
  writeFileAtomic(attributes, `${text ?? ''}${sep}${blank}${ATTRIBUTES_COMMENT}\n${ATTRIBUTES_LINE}\n`, { mode: 0o644 });
  changes.push({ what: `.gitattributes: ${ATTRIBUTES_LINE}`, changed: true });
  return changes;
}

/** Removes what setupGit added: the two driver sections, and the .gitattributes line if it added it. */
export function undoGit(top: string): SetupChange[] {
  const changes: SetupChange[] = [];
  const record = localConfigGet(top, RECORD_KEY);
  const attributes = join(top, '.gitattributes');
  if (record === 'created' || record === 'appended') {
    const text = readTextIfExists(attributes);
    if (text !== undefined && hasOurLine(text) && lineIsTracked(top)) {
      // Once the line is in git's index it belongs to the team, not to this clone: removing it here would
      // turn git-setup --undo into a change everyone gets on their next pull. Without the local driver
      // config git ignores the attribute, so keeping it is harmless.
      changes.push({ what: `${ATTRIBUTES_LINE} in .gitattributes (it is committed or staged; remove it in a commit if the whole team stops using fernet-config)`, changed: false, outcome: 'kept' });
    } else if (text !== undefined && hasOurLine(text)) {
      const rest = removeOurLines(text);
      if (record === 'created' && rest.trim() === '') {
        try {
          unlinkSync(attributes);
        } catch (e) {
          throw fileError(e, attributes);
        }
        changes.push({ what: '.gitattributes (git-setup created it, and nothing else is in it)', changed: true });
      } else {
        writeFileAtomic(attributes, rest, { mode: 0o644 });
        changes.push({ what: `${ATTRIBUTES_LINE} from .gitattributes`, changed: true });
      }
    }
  } else {
    const text = readTextIfExists(attributes);
    if (text !== undefined && hasOurLine(text)) changes.push({ what: `${ATTRIBUTES_LINE} in .gitattributes (it was there before git-setup)`, changed: false, outcome: 'kept' });
  }
  localConfigUnset(top, RECORD_KEY);
  if (localConfigKeys(top, `${DRIVER}.`).length === 0) localConfigRemoveSection(top, DRIVER);
  for (const section of [`diff.${DRIVER}`, `merge.${DRIVER}`]) {
    changes.push({ what: `git config ${section}`, changed: localConfigRemoveSection(top, section) });
  }
  return changes;
}

/** Whether the version of .gitattributes in git's index (staged or committed) has our line. */
function lineIsTracked(top: string): boolean {
  const r = git(['show', ':.gitattributes'], { cwd: top, allow: [128] });
  return r.status === 0 && hasOurLine(r.stdout.toString('utf8'));
}

function hasOurLine(text: string): boolean {
  return text.split(/\r?\n/).some((l) => l.trim() === ATTRIBUTES_LINE);
}

function removeOurLines(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '').trim();
    if (line === ATTRIBUTES_LINE) continue;
    if (line === ATTRIBUTES_COMMENT && lines[i + 1]?.replace(/\r$/, '').trim() === ATTRIBUTES_LINE) continue;
    out.push(lines[i]!);
  }
  // Drop the blank separator line setupGit put before its block.
  let result = out.join('\n');
  result = result.replace(/\n\n+$/, '\n');
  return result;
}

/**
 * The command git should run to start this CLI: this node binary and `script`, by absolute path. That works
 * from a local install (node_modules/.bin is not on git's PATH), a global one and a checkout alike, and
 * survives PATH changes; a node upgrade that moves the binary needs `fcfg git-setup` again.
 */
export function selfCommand(script: string): string {
  return shellJoin([process.execPath, script]);
}

/** npx runs packages from a cache that it may clear at any time: no place for a command git keeps. */
export function isEphemeralInstall(script: string): boolean {
  return /[\\/]_npx[\\/]/.test(script);
}
