import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import { openToken, plaintextToText, readToken } from '../config/file.js';
import { parseJson } from '../config/json.js';
import { findDuplicateKeys } from '../config/tree.js';
import { FernetConfigError, FileNotFound, issueDotPath, KeyNotFound, type ValidationIssue } from '../errors.js';
import { fileError } from '../fs/errors.js';
import { jsonEqual } from '../git/merge.js';
import { ignoredPaths, topLevel, trackedFiles } from '../git/git.js';
import { ENV_KEY, ENV_KEY_COMMAND, ENV_KEY_FILE, resolveKeyRing, type KeyOptions } from '../keys/resolve.js';
import { parseKeyFile, type KeyRing } from '../keys/ring.js';
import { walk } from '../scan/walk.js';
import { AGE_SECRET_KEY } from '../scan/rules.js';
import { isFile } from '../fs/read.js';
import { tempTargetName } from '../fs/atomic.js';
import { ringAgreement, ringsOf } from '../age/agreement.js';

export type CheckId = 'tracked-key' | 'unignored-key' | 'key-permissions' | 'plaintext-twin' | 'decrypt' | 'key' | 'schema' | 'max-age' | 'duplicate-key' | 'ring' | 'leftover-temp';

export interface Problem {
  check: CheckId;
  /** Errors fail the check; warnings are reported only. */
  severity: 'error' | 'warning';
  /** Relative to the working directory when below it. */
  path: string;
  message: string;
  hint?: string;
}

export interface CheckOptions {
  cwd: string;
  /** Files and directories (default: the working directory). */
  paths?: string[];
  keys?: KeyOptions;
  /** Validates each decrypted config (from `--schema`). */
  validate?: (value: unknown) => ValidationIssue[];
  /** Tokens encrypted longer ago than this many days are reported. */
  maxAgeDays?: number;
  /** Clock, Unix seconds. */
  now?: number;
}

export interface CheckReport {
  problems: Problem[];
  configs: string[];
  keyFiles: string[];
  /** Configs that could not be opened because no key was found for them (structure checked only). */
  skipped: string[];
}

/** Names that mark a plaintext copy of `<name>.enc`. */
const TWIN_SUFFIXES = ['.json', '.dec.json', '.decrypted.json', '.plain.json', '.plaintext.json', '.enc.json'];

/**
 * The files `runCheck` looks at, absolute: every file below each directory of `paths` (default: the
 * working directory), and each named file. Callers use it to open the `.age` rings of the configs
 * among them before the (synchronous) check. Throws FileNotFound for a path that does not exist.
 */
export function checkedFiles(cwd: string, paths: readonly string[] | undefined): string[] {
  const files: string[] = [];
  for (const p of paths?.length ? paths : ['.']) {
    const abs = resolve(cwd, p);
    let isDir: boolean;
    try {
      isDir = statSync(abs).isDirectory();
    } catch (e) {
      const err = fileError(e, p);
      if (err instanceof FileNotFound) throw new FileNotFound(`${p} does not exist`, { cause: e, hint: 'pass files or directories to check' });
      throw err;
    }
    files.push(...(isDir ? walk(abs) : [abs]));
  }
  return files;
}

/**
 * Checks a tree for the ways encrypted config goes wrong in practice: keys that are (or are about to be)
 * committed or readable by others, decrypted copies lying next to the encrypted file, and — where a key
 * is at hand — configs that no longer open, no longer validate, or were not re-encrypted for too long.
 * Only paths and descriptions are reported, never values.
 */
export function runCheck(options: CheckOptions): CheckReport {
  const cwd = options.cwd;
  const keys: KeyOptions = { ...options.keys, onWarning: () => {} };
  const problems: Problem[] = [];
  const show = (abs: string) => display(cwd, abs);

  const configs = new Set<string>();
  const keyCandidates = new Set<string>();
  const walked: string[] = [];
  const tops = new Map<string, string | undefined>();
  for (const f of checkedFiles(cwd, options.paths)) {
    walked.push(f);
    if (f.endsWith('.enc')) configs.add(f);
    else if (f.endsWith('.key')) keyCandidates.add(f);
  }
  // Key files named explicitly or by the environment are checked too (permissions, tracking).
  const env = keys.env ?? process.env;
  for (const k of [keys.keyFile, env[ENV_KEY_FILE]]) if (k) keyCandidates.add(resolve(cwd, k));

  for (const f of walked) {
    const problem = leftoverTemp(f, show);
    if (problem) problems.push(problem);
  }

  const keyFiles = [...keyCandidates].filter(isFernetKeyFile).sort();
  const topOf = (abs: string) => {
    const dir = dirname(abs);
    if (!tops.has(dir)) tops.set(dir, topLevel(dir));
    return tops.get(dir);
  };
  const identityFiles = walked.filter((f) => !keyCandidates.has(f) && isAgeIdentityFile(f));
  const git = gitStatus(keyFiles.concat(identityFiles, twinsOf(configs)), topOf);

  for (const f of identityFiles) {
    if (git.get(f)?.tracked) {
      problems.push({
        check: 'tracked-key',
        severity: 'error',
        path: show(f),
        message: 'age identity file (age secret keys) is tracked by git',
        hint: `untrack it (git rm --cached ${show(f)}), add it to .gitignore, and replace the identity: it is in the history`,
      });
    }
  }

  for (const k of keyFiles) {
    const st = git.get(k);
    if (st?.tracked) {
      problems.push({
        check: 'tracked-key',
        severity: 'error',
        path: show(k),
        message: 'key file is tracked by git',
        hint: `untrack it (git rm --cached ${show(k)}), add it to .gitignore, and replace the key: it is in the history`,
      });
    } else if (st && !st.ignored) {
      problems.push({
        check: 'unignored-key',
        severity: 'error',
        path: show(k),
        message: 'key file is not covered by .gitignore (one `git add .` away from being committed)',
        hint: `add it to .gitignore: echo '${basename(k)}' >> .gitignore`,
      });
    }
    if (process.platform !== 'win32') {
      const mode = statSync(k).mode & 0o777;
      if ((mode & 0o077) !== 0) {
        problems.push({
          check: 'key-permissions',
          severity: 'error',
          path: show(k),
          message: `key file is readable by group or others (mode ${mode.toString(8).padStart(4, '0')})`,
          hint: `chmod 600 ${show(k)}`,
        });
      }
    }
  }

  // --- .age key rings (issue 13): the recipients file and the ring must agree ---
  for (const ring of ringsOf(walked)) {
    let found: string[];
    try {
      found = ringAgreement(ring);
    } catch (e) {
      found = [describe(e)];
    }
    for (const message of found) {
      problems.push({ check: 'ring', severity: 'error', path: show(ring), message: message.split(ring).join(show(ring)), hint: 'restore the ring and its recipients file from version control, or rewrite the ring: fcfg recipients add/remove --force' });
    }
  }
  // --- end .age ---

  const skipped: string[] = [];
  const sharedRing = hasSharedKey(keys) ? lazyRing(keys) : undefined;
  for (const c of [...configs].sort()) {
    const decrypted = checkConfig(c, sharedRing ?? lazyRing(keys, c), options, problems, show, skipped);
    for (const twin of twinsOf([c])) {
      const twinProblem = checkTwin(c, twin, decrypted, git.get(twin), show);
      if (twinProblem) problems.push(twinProblem);
    }
  }

  problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { problems, configs: [...configs].sort().map(show), keyFiles: keyFiles.map(show), skipped: skipped.map(show) };
}

/**
 * A temp file of an atomic write whose writer was killed before its rename (see tempPathFor). Next to a
 * key file it is a copy of the keys, in plaintext, that `git add -A` would stage; next to a
 * config or age ring it is encrypted litter. The next locked write of the target removes it once it is old enough.
 */
function leftoverTemp(path: string, show: (abs: string) => string): Problem | undefined {
  const target = tempTargetName(basename(path));
  if (target === undefined) return undefined;
  const hint = `delete it: rm ${show(path)}`;
  if (target.endsWith('.key')) {
    return { check: 'leftover-temp', severity: 'error', path: show(path), message: `is a temp file left by an interrupted write of ${target}, so it may hold the keys in plaintext`, hint: `${hint} (the write it belonged to never finished; ${target} is intact)` };
  }
  // An age ring is encrypted like a config: litter, not a leak.
  if (target.endsWith('.enc') || target.endsWith('.key.age')) {
    return { check: 'leftover-temp', severity: 'warning', path: show(path), message: `is a temp file left by an interrupted write of ${target}`, hint };
  }
  return undefined;
}

/** A small file whose lines (besides `#` comments and blank lines) are all age secret keys, as age-keygen writes. */
function isAgeIdentityFile(path: string): boolean {
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size > 64 * 1024 || st.size < 74) return false;
    const lines = readFileSync(path, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    return lines.length > 0 && lines.every((l) => AGE_SECRET_KEY.test(l));
  } catch {
    return false;
  }
}

/** A `.key` file that holds Fernet keys (TLS and other keys are `scan`'s business). */
function isFernetKeyFile(path: string): boolean {
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size > 64 * 1024) return false;
    parseKeyFile(readFileSync(path, 'utf8'), path);
    return true;
  } catch {
    return false;
  }
}

function twinsOf(configs: Iterable<string>): string[] {
  const out: string[] = [];
  for (const c of configs) {
    const stem = c.slice(0, -'.enc'.length);
    for (const suffix of TWIN_SUFFIXES) {
      const twin = suffix === '.enc.json' ? c + '.json' : stem + suffix;
      if (isFile(twin)) out.push(twin);
    }
  }
  return out;
}

interface GitState {
  tracked: boolean;
  ignored: boolean;
}

/** Tracked / ignored state of each path inside a work tree (paths outside one are absent). */
function gitStatus(paths: string[], topOf: (abs: string) => string | undefined): Map<string, GitState> {
  const byTop = new Map<string, string[]>();
  for (const p of paths) {
    const top = topOf(p);
    if (top === undefined) continue;
    if (!byTop.has(top)) byTop.set(top, []);
    byTop.get(top)!.push(p);
  }
  const out = new Map<string, GitState>();
  for (const [top, list] of byTop) {
    const tracked = trackedFiles(top);
    const rel = (p: string) => relative(top, p).split(sep).join('/');
    const untracked = list.filter((p) => !tracked.has(rel(p)));
    const ignored = ignoredPaths(top, untracked.map(rel));
    for (const p of list) out.set(p, { tracked: tracked.has(rel(p)), ignored: ignored.has(rel(p)) });
  }
  return out;
}

function hasSharedKey(keys: KeyOptions): boolean {
  const env = keys.env ?? process.env;
  return [keys.key, keys.keyFile, keys.keyCommand, env[ENV_KEY], env[ENV_KEY_FILE], env[ENV_KEY_COMMAND]].some((v) => v !== undefined && v.trim() !== '');
}

/** Resolves a ring once, on first use; a failure is remembered rather than retried (a key command runs once). */
function lazyRing(keys: KeyOptions, config?: string): () => KeyRing {
  let ring: KeyRing | undefined;
  let error: unknown;
  return () => {
    if (ring) return ring;
    if (error) throw error;
    try {
      ring = resolveKeyRing(config, keys);
      return ring;
    } catch (e) {
      error = e;
      throw e;
    }
  };
}

function checkConfig(
  path: string,
  ring: () => KeyRing,
  options: CheckOptions,
  problems: Problem[],
  show: (abs: string) => string,
  skipped: string[],
): unknown {
  const add = (check: CheckId, message: string, hint?: string) => problems.push({ check, severity: 'error', path: show(path), message, ...(hint ? { hint } : {}) });
  let token: string;
  try {
    token = readToken(path);
  } catch (e) {
    add('decrypt', describe(e), (e as FernetConfigError).hint);
    return undefined;
  }
  let r: KeyRing;
  try {
    r = ring();
  } catch (e) {
    if (e instanceof KeyNotFound) {
      skipped.push(path);
      return undefined;
    }
    add('key', describe(e), (e as FernetConfigError).hint);
    return undefined;
  }
  let value: unknown;
  let timestamp: number;
  try {
    const opened = openToken(token, r, 'the config');
    timestamp = opened.timestamp;
    const text = plaintextToText(opened.bytes, 'the config');
    value = parseJson(text, 'the decrypted config');
    // Readers take the last copy, every writer refuses the file: which copy was meant needs a person.
    for (const d of findDuplicateKeys(text)) {
      add('duplicate-key', `has the key ${d.path} more than once (again at line ${d.line}, column ${d.column})`, 'readers use the last copy; remove the other with `fcfg edit`');
    }
  } catch (e) {
    add('decrypt', describe(e), (e as FernetConfigError).hint);
    return undefined;
  }
  if (options.validate) {
    const issues = options.validate(value);
    if (issues.length > 0) {
      add('schema', `does not match the schema: ${issues.map((i) => `${issueDotPath(i)}: ${i.message}`).join('; ')}`, `fix it with \`fcfg edit ${show(path)}\` or \`fcfg set ${show(path)} <path> <value>\``);
    }
  }
  if (options.maxAgeDays !== undefined) {
    const now = options.now ?? Math.floor(Date.now() / 1000);
    const ageDays = (now - timestamp) / 86400;
    if (ageDays > options.maxAgeDays) {
      const shown = ageDays >= 10 ? String(Math.floor(ageDays)) : ageDays.toFixed(1);
      add('max-age', `was encrypted ${shown} days ago (limit: ${options.maxAgeDays})`, 're-encrypt it under the current key (`fcfg rotate`)');
    }
    // Dated ahead beyond Python's 60 s skew: a writer with a wrong clock must not escape the age check.
    if (timestamp - now > 60) {
      const ahead = -ageDays >= 10 ? String(Math.floor(-ageDays)) : (-ageDays).toFixed(1);
      add('max-age', `is dated ${ahead} days in the future (beyond the 60 s clock skew), so its age is unknown`, 're-encrypt it on a machine with a correct clock (`fcfg rotate --force`)');
    }
  }
  return value;
}

function checkTwin(config: string, twin: string, decrypted: unknown, git: GitState | undefined, show: (abs: string) => string): Problem | undefined {
  let value: unknown;
  try {
    value = parseJson(readFileSync(twin, 'utf8'), twin);
  } catch {
    return undefined; // not JSON: not a decrypted config
  }
  let message: string;
  if (decrypted === undefined) {
    message = `looks like a plaintext copy of ${show(config)} (by its name; no key here to compare)`;
  } else if (jsonEqual(value, decrypted)) {
    message = `is a plaintext copy of ${show(config)} (same content)`;
  } else if (sharesShape(value, decrypted)) {
    message = `looks like a plaintext copy of ${show(config)} (same keys)`;
  } else {
    return undefined;
  }
  const ignored = git !== undefined && git.ignored && !git.tracked;
  return {
    check: 'plaintext-twin',
    severity: ignored ? 'warning' : 'error',
    path: show(twin),
    message: ignored ? `${message}; git ignores it, but it is plaintext on disk` : message,
    hint: `delete it and edit the config with \`fcfg edit ${show(config)}\`${git?.tracked ? '; it is committed, so treat its secrets as leaked' : ''}`,
  };
}

/** At least half of the decrypted config's top-level keys appear in the other object. */
function sharesShape(value: unknown, decrypted: unknown): boolean {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(value) || !isObj(decrypted)) return false;
  const keys = Object.keys(decrypted);
  if (keys.length === 0) return false;
  const shared = keys.filter((k) => Object.hasOwn(value, k)).length;
  return shared > 0 && shared * 2 >= keys.length;
}

function describe(e: unknown): string {
  if (e instanceof FernetConfigError) {
    // Our messages name "the config"; the path is already the problem's own column.
    return e.message;
  }
  return 'could not be checked (unexpected error)';
}

function display(cwd: string, abs: string): string {
  const rel = relative(cwd, abs);
  return rel === '' || rel.startsWith('..') ? abs : rel.split(sep).join('/');
}
