import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FileAccessError, FileExists, FileNotFound, UsageError } from '../errors.js';
import { danglingLinkError, fileError } from './errors.js';
import { fileKind } from './read.js';

export interface AtomicWriteOptions {
  /** Mode for a new file (default 0600). An existing file keeps its own mode. */
  mode?: number;
  /** Keep an existing file's mode (default true); false applies `mode` to the new content too. */
  keepMode?: boolean;
  /** Fail with FileExists instead of replacing an existing file (exclusive create, race-free). */
  exclusive?: boolean;
  /** How to name the file in messages (default: its path). */
  label?: string;
  /** Receives warnings (a write that splits hard links). The library itself never prints. */
  onWarning?: (message: string) => void;
  /**
   * Owner and group for a new file (an existing one keeps its own). Applied only where the writer may
   * give a file away (root); elsewhere the file is the writer's, as any new file is.
   */
  owner?: { uid: number; gid: number };
}

/** Temp files are hidden, named after their target, and end in `.tmp`: never mistaken for a config. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * The target a temp file of writeFileAtomic (or of a lock) was made for, from its name, or undefined for
 * any other name. A temp file that outlives its writer (killed between create and rename) holds a
 * complete or partial copy of the new content: for a key file, keys in plaintext.
 */
export function tempTargetName(name: string): string | undefined {
  return /^\.(.+)\.[0-9a-f]{12}\.tmp$/.exec(name)?.[1];
}

/** How old (mtime, ms) a temp file must be before a later locked writer removes it as a leftover. */
export const LEFTOVER_TEMP_AGE_MS = 60_000;

/**
 * Removes temp files of `target` (a resolved path) left by writers that were killed, if older than
 * `olderThanMs`. Called by withLock, so no locked writer of `target` is running. An unlocked writer
 * (`encrypt -o`, `keygen`) may be: its temp lives for one open-write-fsync-rename sequence with no
 * waiting in between, far less than the margin, and its mtime is set by its own write. Should one ever
 * stall past the margin (a hung network disk), its rename fails and it reports the error — it never
 * reports success for a write that did not happen. Failures here are ignored: cleaning is best effort.
 */
export function removeLeftoverTemps(target: string, olderThanMs = LEFTOVER_TEMP_AGE_MS, now = Date.now()): void {
  const name = basename(target);
  sweepDirectory(dirname(target), (entry) => tempTargetName(entry) === name, (p) => {
    const st = lstatSync(p);
    return st.isFile() && now - st.mtimeMs > olderThanMs;
  });
}

/**
 * Best-effort cleaning of `dir`: every entry `matches` names whose `stale` check (given its path) says
 * so is removed. Failures are ignored — an entry gone meanwhile, or not ours to remove, is no error.
 */
export function sweepDirectory(dir: string, matches: (entry: string) => boolean, stale: (path: string) => boolean): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!matches(entry)) continue;
    const p = join(dir, entry);
    try {
      if (stale(p)) unlinkSync(p);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
}

/**
 * The file a write to `path` must replace: symbolic links are followed to their final target, so the
 * link stays a link and the file it points to gets the new content (and the lock). A path that does
 * not exist yet resolves inside the real directory. A link whose target is missing is an error: writing
 * there would create a file somewhere the user may not expect, or fail late.
 */
export function resolveTarget(path: string, label = path): string {
  try {
    return realpathSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(e, label);
  }
  let link: Stats | undefined;
  try {
    link = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(e, label);
  }
  if (link?.isSymbolicLink()) {
    // A link into /proc/self/fd (/dev/stdout to a pipe, say) names something that exists but has no path.
    let end: Stats | undefined;
    try {
      end = statSync(path);
    } catch {
      // really dangling
    }
    if (end !== undefined) throw new FileAccessError(`${label} is not a regular file (it is ${fileKind(end)}); it is not replaced`, { hint: 'write to a regular file' });
    throw danglingLinkError(path, label) ?? new FileNotFound(`${label} does not exist`);
  }
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new FileNotFound(`the directory of ${label} does not exist`, { cause: e, hint: `create it first: mkdir -p ${dirname(path)}` });
    throw fileError(e, `the directory of ${label}`);
  }
}

/** UTF-16 code units per slice when writing a string: its UTF-8 bytes, at most 3 MiB, are the only copy. */
const STRING_SLICE = 1 << 20;

function writeBytes(fd: number, buf: Uint8Array, position: number): number {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position + off);
  return position + off;
}

/**
 * Writes a string as UTF-8 slice by slice instead of encoding it whole (a 50 MB config was 50 MB more).
 * A slice never ends between the two halves of a surrogate pair, which alone would encode as U+FFFD.
 */
function writeString(fd: number, text: string): void {
  let position = 0;
  for (let i = 0; i < text.length; ) {
    let end = Math.min(i + STRING_SLICE, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    position = writeBytes(fd, Buffer.from(text.slice(i, end), 'utf8'), position);
    i = end;
  }
}

/**
 * The CLI's writes hold off SIGINT, SIGTERM and SIGHUP while their temp file exists. The write is
 * synchronous, so a signal with no listener ends the process in the middle of it and leaves the temp
 * file behind: for `decrypt -o`, plaintext in a file nobody asked for (the sweep that removes leftovers
 * runs only under a writer's lock). With a listener, Node hands the signal over once the write is done,
 * and the listener then ends the process as the signal's default action would, unless the command
 * listens itself (edit, run). Not for library callers: an app decides what its signals do.
 */
let deferSignals = false;

/** Called once by the CLI (cli/run.ts): its atomic writes defer SIGINT, SIGTERM and SIGHUP (see above). */
export function deferSignalsDuringWrites(): void {
  deferSignals = true;
}

const DEFERRED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let listening = false;
let release: NodeJS.Immediate | undefined;

function onDeferredSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return; // the command's own listener decides
  stopListening();
  process.kill(process.pid, signal); // the default action, now that no listener is left
}

function stopListening(): void {
  if (release !== undefined) clearImmediate(release);
  release = undefined;
  if (!listening) return;
  for (const s of DEFERRED) process.removeListener(s, onDeferredSignal);
  listening = false;
}

/** @internal Holds off the CLI's SIGINT, SIGTERM and SIGHUP while a temp file of ours exists (see deferSignals); pair with releaseSignals. */
export function holdSignals(): void {
  if (!deferSignals) return;
  if (release !== undefined) clearImmediate(release);
  release = undefined;
  if (listening) return;
  for (const s of DEFERRED) process.on(s, onDeferredSignal);
  listening = true;
}

/** @internal The end of holdSignals' span. */
export function releaseSignals(): void {
  // Not at once: a signal that came during the write reaches its listener in the next turn of the event
  // loop (its poll phase); removing the listener first would drop it. An immediate runs after that phase.
  if (listening && release === undefined) release = setImmediate(stopListening);
}

/**
 * Writes a file so that a crash or kill at any instant leaves either the old or the new content: the data
 * goes to a temp file beside the real target (same file system), is fsynced, then renamed over it, and
 * the directory is fsynced so the rename itself survives a power loss.
 *
 * What the replaced file had is kept: links are followed (see resolveTarget), the mode (unless
 * `keepMode: false`), the owner and group. A writer that could not give the new file the old owner
 * (not root, someone else's file) is refused before anything is written. Only regular files are
 * replaced. A file with other hard links is replaced under this name only; `onWarning` is told so.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const label = options.label ?? path;
  // Checked on the name given, before links are resolved: /dev/stdout to a pipe resolves to no real path.
  let given: Stats | undefined;
  try {
    given = statSync(path);
  } catch {
    // missing (or unreadable): resolveTarget says which
  }
  if (given !== undefined && !given.isFile() && !given.isDirectory()) {
    throw new FileAccessError(`${label} is not a regular file (it is ${fileKind(given)}); it is not replaced`, { hint: 'write to a regular file' });
  }
  const target = resolveTarget(path, label);
  let mode = options.mode ?? 0o600;
  let owner: { uid: number; gid: number } | undefined;
  let st: Stats | undefined;
  try {
    st = statSync(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(e, label);
  }
  if (st !== undefined) {
    if (st.isDirectory()) throw new FileAccessError(`${label} is a directory`);
    if (!st.isFile()) throw new FileAccessError(`${label} is not a regular file (it is ${fileKind(st)}); it is not replaced`, { hint: 'write to a regular file' });
    if (options.exclusive) throw new FileExists(`${label} already exists`, { hint: 'pass --force to replace it' });
    if (options.keepMode !== false) mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
    checkOwnerKeepable(st, target, label);
    refuseReadOnly(st, path, label);
    if (st.nlink > 1) {
      const others = st.nlink - 1;
      options.onWarning?.(`${label} has ${others} other hard link${others === 1 ? '' : 's'}; the new content replaces this name only, the other link${others === 1 ? ' keeps' : 's keep'} the old content`);
    }
  } else if (options.owner !== undefined && process.getuid?.() === 0) {
    owner = options.owner;
  }

  const tmp = tempPathFor(target);
  let fd: number | undefined;
  holdSignals();
  try {
    fd = openSync(tmp, 'wx', mode);
    if (owner !== undefined) {
      const mine = fstatSync(fd);
      if (mine.uid !== owner.uid || mine.gid !== owner.gid) fchownSync(fd, owner.uid, owner.gid);
    }
    fchmodSync(fd, mode); // exact mode, whatever the umask (and after chown, which may clear set-id bits)
    // Positional writes (pwrite): the temp file is new, and our data writes stay apart from the event
    // loop's own write() calls, which the fault-injection tests must not hit.
    if (typeof data === 'string') writeString(fd, data);
    else writeBytes(fd, data, 0);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (options.exclusive) {
      // link() fails if the target appeared meanwhile, where rename() would silently replace it.
      try {
        linkSync(tmp, target);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExists(`${label} already exists`, { hint: 'pass --force to replace it' });
        throw e;
      }
      unlinkSync(tmp);
    } else {
      renameSync(tmp, target);
    }
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // the write already failed; that error is the one to report
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    if (e instanceof FileExists) throw e;
    throw fileError(e, label);
  } finally {
    releaseSignals();
  }
  syncDirectory(dirname(target));
}

/**
 * Replacing goes through the directory, so a file without write permission would be rewritten all the
 * same; its mode says the owner wants it left alone, and that is honoured. Exported for writers that do
 * something first (a backup) which only makes sense if the replacement will be allowed.
 */
export function refuseReadOnly(st: Stats, path: string, label: string): void {
  if (!isReadOnly(st)) return;
  throw new FileAccessError(`${label} is read-only (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}); it is not replaced`, {
    hint: `if the change is intended, make it writable first (chmod u+w ${path})`,
  });
}

/** Whether `st` denies writing to this process by its mode bits (root: when no one may write it). */
function isReadOnly(st: Stats): boolean {
  const euid = process.geteuid?.();
  if (euid === undefined || euid === 0) return (st.mode & 0o222) === 0;
  if (st.uid === euid) return (st.mode & 0o200) === 0;
  const groups = [process.getegid?.(), ...(process.getgroups?.() ?? [])];
  if (groups.includes(st.gid)) return (st.mode & 0o020) === 0;
  return (st.mode & 0o002) === 0;
}

/**
 * Whether this process can give a new file the owner and group of `st`. Root can; anyone else can keep
 * only their own uid and a group they belong to (or one a set-group-id directory hands down).
 */
function checkOwnerKeepable(st: Stats, target: string, label: string): void {
  if (typeof process.geteuid !== 'function' || typeof process.getegid !== 'function') return;
  const euid = process.geteuid();
  if (euid === 0) return;
  const hint = 'run the command as the file\'s owner (or as root, which keeps the owner), or copy the file to change its owner on purpose';
  if (st.uid !== euid) {
    throw new FileAccessError(`${label} belongs to uid ${st.uid}; rewriting it as uid ${euid} would change its owner, so it is not written`, { hint });
  }
  if (st.gid === process.getegid() || (process.getgroups?.() ?? []).includes(st.gid)) return;
  try {
    const dir = statSync(dirname(target));
    if ((dir.mode & 0o2000) !== 0 && dir.gid === st.gid) return;
  } catch {
    // fall through to the refusal
  }
  throw new FileAccessError(`${label} belongs to group ${st.gid}, which this user is not in; rewriting it would change its group, so it is not written`, { hint });
}

function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Device and inode of the file at `path` (following links), or undefined when there is none. */
export function fileIdentity(path: string): { dev: number; ino: number } | undefined {
  try {
    const st = statSync(path);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined;
  }
}

/** Whether two paths name the same file (by device and inode, so links and `./` spellings are seen through). */
export function sameFile(a: string, b: string): boolean {
  const x = fileIdentity(a);
  const y = fileIdentity(b);
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
}

/**
 * Refuses an output path that names one of `protect` (by device and inode, so links and other spellings
 * are seen through): a command never replaces its own input or the key file it uses, even with --force.
 */
export function refuseToReplace(output: string, protect: readonly { path: string | undefined; what: string }[]): void {
  for (const { path, what } of protect) {
    if (path === undefined || path === '-') continue;
    if (path === output || sameFile(output, path)) {
      throw new UsageError(`${output} is ${what}; the output must not replace it (not even with --force)`, { hint: 'pass -o with another path' });
    }
  }
}
