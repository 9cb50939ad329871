import { readFileSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { fileError } from '../fs/errors.js';
import { RULES } from './rules.js';

/** The allow-list file looked for at the top of the repository (or the current directory outside one). */
export const IGNORE_FILE = '.fcfgscanignore';

/**
 * An allow-list. Each non-blank, non-`#` line is one of:
 *
 *     PATTERN                 ignore every finding in files matching PATTERN
 *     PATTERN RULE[,RULE…]    ignore only these rules there
 *     fingerprint:HEX         ignore one value wherever it appears (the fingerprint `scan` prints)
 *
 * PATTERN is a gitignore-style glob relative to the file's directory: `*` and `?` stay within a path
 * segment, `**` crosses them, a leading `/` or an inner `/` anchors it, a trailing `/` matches a directory
 * and everything below it, and a pattern without `/` matches a name at any depth. Negation is not
 * supported: an allow-list only ever widens.
 */
export interface AllowList {
  base: string;
  entries: { pattern: RegExp; dirOnly: boolean; rules: Set<string> | undefined; line: number }[];
  fingerprints: Set<string>;
}

export function emptyAllowList(base: string): AllowList {
  return { base, entries: [], fingerprints: new Set() };
}

/** Reads an allow-list; a missing file is an empty list unless it was asked for explicitly. */
export function readAllowList(path: string, required: boolean): AllowList {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return emptyAllowList(dirname(path));
    throw fileError(e, `allow-list ${path}`);
  }
  return parseAllowList(text, dirname(path), path);
}

export function parseAllowList(text: string, base: string, source = IGNORE_FILE): AllowList {
  const list = emptyAllowList(base);
  const known = new Set(RULES.map((r) => r.id));
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fp = /^fingerprint:\s*([0-9a-f]{8,64})$/i.exec(line);
    if (fp) {
      list.fingerprints.add(fp[1]!.toLowerCase());
      return;
    }
    const [pattern, ruleList, ...extra] = line.split(/\s+/);
    let rules: Set<string> | undefined;
    if (ruleList !== undefined) {
      rules = new Set(ruleList.split(',').filter(Boolean));
      const unknown = [...rules, ...extra].filter((r) => !known.has(r));
      if (unknown.length > 0 || extra.length > 0) {
        throw new UsageError(`${source}, line ${i + 1}: unknown rule "${unknown[0] ?? extra[0]}"`, {
          hint: `separate rules with commas; see \`fcfg scan --list-rules\``,
        });
      }
    }
    list.entries.push({ ...globToRegExp(pattern!), rules, line: i + 1 });
  });
  return list;
}

/** Compiles a gitignore-style glob. Paths it is tested against use `/` and have no leading `./`. */
export function globToRegExp(glob: string): { pattern: RegExp; dirOnly: boolean } {
  let g = glob;
  const dirOnly = g.endsWith('/');
  if (dirOnly) g = g.replace(/\/+$/, '');
  const anchored = g.startsWith('/') || g.includes('/');
  g = g.replace(/^\/+/, '');
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') {
      if (g[i + 1] === '*') {
        const slashAfter = g[i + 2] === '/';
        const atSegmentStart = i === 0 || g[i - 1] === '/';
        if (atSegmentStart && slashAfter) {
          re += '(?:.*/)?';
          i += 2;
        } else {
          re += '.*';
          i += 1;
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = g.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
      } else {
        const body = g.slice(i + 1, close).replace(/\\/g, '\\\\');
        re += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < g.length) {
      re += escapeRe(g[++i]!);
    } else {
      re += escapeRe(c);
    }
  }
  const prefix = anchored ? '^' : '^(?:.*/)?';
  return { pattern: new RegExp(`${prefix}${re}$`), dirOnly };
}

function escapeRe(c: string): string {
  return /[.+^${}()|[\]\\/-]/.test(c) ? '\\' + c : c;
}

/** Whether the allow-list drops a finding of `rule` in `file` (absolute) with this fingerprint. */
export function isAllowed(list: AllowList, file: string, rule: string, fingerprint: string): boolean {
  if (list.fingerprints.has(fingerprint)) return true;
  if (list.entries.length === 0) return false;
  const rel = relative(list.base, file).split(sep).join('/');
  if (rel === '' || rel.startsWith('../') || rel === '..') return false;
  const candidates = ancestry(rel);
  for (const e of list.entries) {
    if (e.rules && !e.rules.has(rule)) continue;
    // A pattern matches the file itself or any directory it is in (`fixtures/` ignores what is below it).
    const hit = candidates.some((c, i) => (e.dirOnly ? i < candidates.length - 1 : true) && e.pattern.test(c));
    if (hit) return true;
  }
  return false;
}

/** `a/b/c.txt` → [`a`, `a/b`, `a/b/c.txt`]. */
function ancestry(rel: string): string[] {
  const parts = rel.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

const INLINE = /fcfg-scan:\s*ignore(-next-line)?\b([^\r\n]*)/;

/**
 * Inline ignores: `fcfg-scan: ignore` on a line drops its findings, `fcfg-scan: ignore-next-line` those on
 * the next line. Rule ids written after it restrict it to those rules; other words are just a comment.
 */
export function inlineIgnored(lineText: string, previousLine: string | undefined, rule: string): boolean {
  const here = INLINE.exec(lineText);
  if (here && !here[1] && coversRule(here[2]!, rule)) return true;
  const above = previousLine === undefined ? null : INLINE.exec(previousLine);
  return above !== null && above[1] !== undefined && coversRule(above[2]!, rule);
}

function coversRule(rest: string, rule: string): boolean {
  const known = new Set(RULES.map((r) => r.id));
  const named = (rest.match(/[a-z0-9]+(?:-[a-z0-9]+)+/g) ?? []).filter((w) => known.has(w));
  return named.length === 0 || named.includes(rule);
}
