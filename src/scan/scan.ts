import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { topLevel } from '../git/git.js';
import { IGNORE_FILE, inlineIgnored, isAllowed, readAllowList, type AllowList } from './ignore.js';
import { RULES, type Rule } from './rules.js';
import { listFiles, stagedFiles } from './walk.js';

/** One likely secret. The value itself is never kept: only a masked form and a one-way fingerprint. */
export interface Finding {
  /** As given to the user: relative to the working directory when below it. */
  path: string;
  line: number;
  column: number;
  rule: string;
  description: string;
  /** The name the value is assigned to, or the kind of key block, when the rule knows it. */
  name?: string;
  /** At most a public prefix of the value, then `***`. */
  masked: string;
  /** First 16 hex digits of SHA-256 over rule and value: stable across files and lines, for the allow-list. */
  fingerprint: string;
}

export interface ScanOptions {
  cwd: string;
  /** Files and directories (default: the working directory). */
  paths?: string[];
  /** Only what is staged for commit, and only the lines it adds. */
  staged?: boolean;
  /** The allow-list (default: `.fcfgscanignore` at the top of the repository, or in `cwd`). */
  ignoreFile?: string;
  /** Larger files are skipped (default 5 MiB). */
  maxFileSize?: number;
  rules?: readonly Rule[];
}

export interface ScanReport {
  findings: Finding[];
  files: number;
  skipped: { binary: number; large: number; unreadable: number };
}

export const DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024;

/** Extensions that are binary formats: skipped without reading them. */
const BINARY_EXT = new Set(
  'png jpg jpeg gif webp ico bmp tif tiff psd pdf zip gz tgz bz2 xz zst 7z rar jar war ear class so dylib dll exe bin o a lib obj woff woff2 ttf otf eot mp3 mp4 m4a mov avi mkv wav flac ogg webm sqlite sqlite3 db pyc pyo wasm node'
    .split(' ')
    .map((e) => '.' + e),
);

export interface RawFinding {
  rule: Rule;
  start: number;
  end: number;
  /** Where to report it. */
  at: number;
  value: string;
  name: string | undefined;
}

/**
 * Finds likely secrets in one text. `path` decides which rules apply (a Fernet token is expected in a
 * `.enc` file, unquoted assignments only count in config-like files); it is not read.
 */
export function scanText(text: string, path: string, rules: readonly Rule[] = RULES): RawFinding[] {
  const found: RawFinding[] = [];
  for (const rule of rules) {
    if (rule.skipFile?.(path) || !rule.prefilter.test(text)) continue;
    // Shared global regexes: safe because a scan is synchronous and always starts them from 0.
    const re = rule.pattern;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      if (m[0] === '') {
        re.lastIndex++;
        continue;
      }
      const group = (rule.groups ?? [1]).find((g) => m![g] !== undefined);
      if (group === undefined) continue;
      const value = m[group]!;
      const ctx = { value, group, match: m, text, path };
      if (rule.accept && !rule.accept(ctx)) continue;
      const [start, end] = m.indices![group]!;
      found.push({ rule, start, end, at: rule.atMatch ? m.index : start, value, name: rule.label?.(ctx) });
    }
  }
  // A value one specific rule already explains is not reported again as a generic assignment. A sweep
  // over the specific findings in order of start: linear after sorting, where comparing every pair was not.
  const specific = found.filter((f) => f.rule.id !== 'generic-secret').sort((a, b) => a.start - b.start);
  const reachBefore: number[] = []; // reachBefore[i]: the furthest end among specific[0..i]
  for (const [i, f] of specific.entries()) reachBefore.push(Math.max(f.end, reachBefore[i - 1] ?? -1));
  const explained = (g: RawFinding): boolean => {
    // The last specific finding starting before g ends; any overlap needs one of those to reach past g.start.
    let lo = 0;
    let hi = specific.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (specific[mid]!.start < g.end) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && reachBefore[lo - 1]! > g.start;
  };
  return found.filter((f) => f.rule.id !== 'generic-secret' || !explained(f));
}

export function fingerprintOf(rule: string, value: string): string {
  return createHash('sha256').update(rule).update('\0').update(value).digest('hex').slice(0, 16);
}

export function maskValue(value: string, visible: number): string {
  return value.slice(0, Math.max(0, Math.min(visible, value.length - 4))) + '***';
}

/** Scans files (or the staged changes) and applies the allow-list and inline ignore comments. */
export function scan(options: ScanOptions): ScanReport {
  const cwd = options.cwd;
  const rules = options.rules ?? RULES;
  const maxSize = options.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  const allow = loadAllowList(cwd, options.ignoreFile);
  const report: ScanReport = { findings: [], files: 0, skipped: { binary: 0, large: 0, unreadable: 0 } };

  const consider = (abs: string, content: Buffer, onlyLines?: Set<number>) => {
    if (content.length > maxSize) {
      report.skipped.large++;
      return;
    }
    if (isBinary(content)) {
      report.skipped.binary++;
      return;
    }
    report.files++;
    collect(report.findings, abs, display(cwd, abs), content.toString('utf8'), rules, allow, onlyLines);
  };

  if (options.staged) {
    for (const f of stagedFiles(cwd, options.paths ?? [])) {
      if (f.addedLines.size === 0) continue;
      if (BINARY_EXT.has(extname(f.path).toLowerCase())) {
        report.skipped.binary++;
        continue;
      }
      consider(f.path, f.content, f.addedLines);
    }
    return report;
  }

  for (const abs of listFiles(cwd, options.paths ?? [])) {
    if (BINARY_EXT.has(extname(abs).toLowerCase())) {
      report.skipped.binary++;
      continue;
    }
    const content = readLimited(abs, maxSize);
    if (content === undefined) report.skipped.unreadable++;
    else if (content === 'large') report.skipped.large++;
    else consider(abs, content);
  }
  return report;
}

function loadAllowList(cwd: string, explicit: string | undefined): AllowList {
  if (explicit !== undefined) return readAllowList(resolve(cwd, explicit), true);
  try {
    return readAllowList(join(topLevel(cwd) ?? cwd, IGNORE_FILE), false);
  } catch (e) {
    // Outside a repository without git installed there is simply no repository allow-list.
    if ((e as { code?: string }).code === 'ERR_GIT') return readAllowList(join(cwd, IGNORE_FILE), false);
    throw e;
  }
}

function collect(out: Finding[], abs: string, shown: string, text: string, rules: readonly Rule[], allow: AllowList, onlyLines?: Set<number>): void {
  const raw = scanText(text, abs, rules);
  if (raw.length === 0) return;
  const starts = lineStarts(text);
  const lineText = (line: number) => text.slice(starts[line - 1], (starts[line] ?? text.length + 1) - 1);
  // Whether a line carries an ignore comment, per rule: read once per line, not once per finding (a
  // minified file is one line of megabytes with any number of findings on it).
  const ignored = new Map<string, boolean>();
  for (const f of raw.sort((a, b) => a.at - b.at)) {
    const line = lineOf(starts, f.at);
    if (onlyLines && !onlyLines.has(line)) continue;
    const key = `${line}\0${f.rule.id}`;
    let skip = ignored.get(key);
    if (skip === undefined) {
      skip = inlineIgnored(lineText(line), line > 1 ? lineText(line - 1) : undefined, f.rule.id);
      ignored.set(key, skip);
    }
    if (skip) continue;
    const fingerprint = fingerprintOf(f.rule.id, f.value);
    if (isAllowed(allow, abs, f.rule.id, fingerprint)) continue;
    const finding: Finding = {
      path: shown,
      line,
      column: f.at - starts[line - 1]! + 1,
      rule: f.rule.id,
      description: f.rule.description,
      masked: maskValue(f.value, f.rule.visible(f.value)),
      fingerprint,
    };
    if (f.name !== undefined) finding.name = f.name;
    out.push(finding);
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** 1-based line of an offset (binary search over line starts). */
function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function display(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel === '' || rel.startsWith('..') ? abs : rel.split(sep).join('/');
}

/** NUL in the first 8 KiB, as git decides. */
function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

/** Reads a file unless it is larger than `max`; undefined when it cannot be read. */
function readLimited(path: string, max: number): Buffer | 'large' | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size > max) return 'large';
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
