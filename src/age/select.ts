import { createHmac, randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Aborted, AgeRingNeedsAsync, FileAccessError, FileNotFound, UsageError } from '../errors.js';
import { fileKind, isFile } from '../fs/read.js';
import type { KeyRing } from '../keys/ring.js';
import { siblingsOf } from '../keys/siblings.js';

/**
 * The part of key resolution that decides whether a `.age` key ring is used, and the registry of rings
 * already opened. Deliberately light (node:fs and node:path only): every key resolution imports it, and
 * age-encryption itself loads only in ./open.ts, when a ring is actually opened.
 */

/** Identity options, shared by the CLI, the loader and the tests (part of KeyOptions). */
export interface AgeKeyOptions {
  /** The identity itself: `AGE-SECRET-KEY-1...` lines, or an OpenSSH private key. Selects the `.age` ring. */
  identity?: string;
  /** Path of an identity file (age identities or an OpenSSH private key). Selects the `.age` ring. */
  identityFile?: string;
  /**
   * Asked for the passphrase of a protected SSH key, with a label naming the key (never its content).
   * Without it, a protected key that must be unlocked fails with PassphraseRequired.
   */
  passphrase?: (label: string) => Promise<string>;
  /** Home directory for the default identity paths (default: os.homedir(), which honours $HOME). */
  home?: string;
}

export const ENV_IDENTITY = 'FERNET_CONFIG_IDENTITY';
export const ENV_IDENTITY_FILE = 'FERNET_CONFIG_IDENTITY_FILE';

/** The subset of KeyOptions this module reads (declared here so it does not import resolve.ts back). */
interface SelectOptions extends AgeKeyOptions {
  key?: string;
  keyFile?: string;
  keyCommand?: string;
  env?: Record<string, string | undefined>;
}

/** The ring a config's key resolution would open, or undefined when a plain source comes first. */
export interface AgeRingChoice {
  /** The ring file (absolute only if the config path was). */
  ring: string;
  /** Whether an identity was given explicitly (`identity`/`identityFile`, `--identity`). */
  explicit: boolean;
}

/** `<name>.key.age` beside `<name>.enc`, then `secret.key.age` beside the config. */
export function siblingAgeRings(configPath: string | undefined): string[] {
  return siblingsOf(configPath, '.key.age');
}

export function hasExplicitIdentity(options: AgeKeyOptions): boolean {
  return options.identity !== undefined || options.identityFile !== undefined;
}

/**
 * Which `.age` ring key resolution lands on for `configPath`, following the documented order: explicit
 * key options and FERNET_CONFIG_KEY* win, then a plain key file beside the config, then the ring. An
 * explicit identity skips the plain sources (asking for the ring is what it means). Throws UsageError
 * for an identity together with --key-file/--key/--key-command, FileNotFound for an explicit identity
 * with no ring beside the config.
 */
export function chooseAgeRing(configPath: string | undefined, options: SelectOptions, plainSiblings: readonly string[]): AgeRingChoice | undefined {
  const explicit = hasExplicitIdentity(options);
  if (explicit && (options.key !== undefined || options.keyFile !== undefined || options.keyCommand !== undefined)) {
    throw new UsageError('give either --identity (a .age key ring) or --key-file/--key/--key-command, not both', {
      hint: '--identity opens the .age key ring beside the config; --key-file, --key and --key-command name plain Fernet keys instead: keep the one that holds this config\'s key',
    });
  }
  if (options.identity !== undefined && options.identityFile !== undefined) throw new UsageError('give only one of `identity` and `identityFile`', { hint: '`identity` is the identity itself, `identityFile` the path of a file holding it' });
  if (!explicit) {
    if (options.key !== undefined || options.keyFile !== undefined || options.keyCommand !== undefined) return undefined;
    const env = options.env ?? process.env;
    for (const name of ['FERNET_CONFIG_KEY', 'FERNET_CONFIG_KEY_FILE', 'FERNET_CONFIG_KEY_COMMAND']) {
      const v = env[name];
      if (v !== undefined && v.trim() !== '') return undefined;
    }
    if (plainSiblings.some((p) => isFile(p))) return undefined;
  }
  const candidates = siblingAgeRings(configPath);
  const ring = candidates.find((p) => isFile(p));
  if (ring !== undefined) return { ring, explicit };
  // Present but not a file (a FIFO, a directory): an error, as for a key file, not "no key found".
  for (const p of candidates) {
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch {
      continue; // its directory is not one: nothing there
    }
    if (st !== undefined) throw new FileAccessError(`${p} is not a regular file (it is ${fileKind(st)})`, { hint: 'a .age key ring is a regular file: replace it with the ring' });
  }
  if (explicit && configPath !== undefined && configPath !== '-') {
    throw new FileNotFound(`no .age key ring beside ${configPath} (looked for ${candidates.join(', ')})`, {
      hint: 'create one with `fcfg recipients add NAME RECIPIENT`, or drop --identity to use a plain key file',
    });
  }
  return undefined;
}

interface Opened {
  ring?: KeyRing;
  error?: unknown;
}

// Rings opened (or failed to open) asynchronously, for the synchronous resolution that follows. The key
// is everything that decides the outcome: the ring (real path, size, mtime, inode) and the identity
// source the options select (explicit identity or identity file, FERNET_CONFIG_IDENTITY*, or the
// default files under home, each with its own stamp). A ring opened with one identity is therefore never
// handed to a call that names another: an explicit identity that is not a recipient always fails.
const opened = new Map<string, Opened>();

// Identity texts enter the key only as an HMAC under a per-process random key: the map never holds a
// secret, nor a plain hash of one that could be matched against a guess.
let salt: Buffer | undefined;
function digest(text: string): string {
  salt ??= randomBytes(32);
  return createHmac('sha256', salt).update(text).digest('hex');
}

// realpathSync.native: one system call where the JavaScript realpathSync makes one per path component
// and a Stats object for each; a key is taken several times per command (before opening, after, and
// where the command resolves its key), and only ever compared with keys made the same way.
const realPath = realpathSync.native;

function stampOf(path: string): string {
  try {
    const st = statSync(path);
    return `${realPath(path)}\0${st.size}:${st.mtimeMs}:${st.ino}`;
  } catch {
    return `${resolve(path)}\0missing`;
  }
}

/** The three default identity files under `home`, tried in order when no identity is given. */
export function defaultIdentityFiles(home: string): string[] {
  return [join(home, '.config', 'fernet-config', 'identities'), join(home, '.ssh', 'id_ed25519'), join(home, '.ssh', 'id_rsa')];
}

/**
 * The identities that would open a ring for `options`, as a cache key part: the sources identitySources
 * picks, an identity text as its HMAC, a file as its stamp (so replacing or creating one changes the key).
 */
function identityKey(options: SelectOptions): string {
  return identitySources(options)
    .sources.map((s) => `${s.label}\0${s.text !== undefined ? digest(s.text) : stampOf(s.path!)}`)
    .join('\0\0');
}

/**
 * Where identities come from, in order (the README's "Key resolution" says the same):
 *
 *  1. `identity` (the identity itself) or `identityFile` / `--identity FILE`
 *  2. env FERNET_CONFIG_IDENTITY (the identity itself: a CI secret)
 *  3. env FERNET_CONFIG_IDENTITY_FILE
 *  4. ~/.config/fernet-config/identities, ~/.ssh/id_ed25519, ~/.ssh/id_rsa — every one that exists
 *
 * The first of 1-3 that is set is the only one used (a typo must not fall through to another identity);
 * otherwise the default files are tried in order until one opens the ring.
 */
export interface IdentitySource {
  /** For messages: a path, or the name of the option or variable. Never the identity. */
  label: string;
  path?: string;
  text?: string;
}

export function identitySources(options: AgeKeyOptions & { env?: Record<string, string | undefined> }): { sources: IdentitySource[]; tried: string[] } {
  const env = options.env ?? process.env;
  if (options.identity !== undefined) return { sources: [{ label: 'the identity option', text: options.identity }], tried: ['the identity option'] };
  if (options.identityFile !== undefined) return { sources: [{ label: options.identityFile, path: options.identityFile }], tried: [options.identityFile] };
  const fromEnv = env[ENV_IDENTITY];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return { sources: [{ label: ENV_IDENTITY, text: fromEnv }], tried: [ENV_IDENTITY] };
  const fileFromEnv = env[ENV_IDENTITY_FILE];
  if (fileFromEnv !== undefined && fileFromEnv !== '') return { sources: [{ label: fileFromEnv, path: fileFromEnv }], tried: [ENV_IDENTITY_FILE] };
  const home = options.home ?? env.HOME ?? homedir();
  const defaults = defaultIdentityFiles(home);
  return { sources: defaults.filter((p) => isFile(p)).map((p) => ({ label: p, path: p })), tried: [ENV_IDENTITY, ENV_IDENTITY_FILE, ...defaults] };
}

function keyOf(ring: string, options: SelectOptions): string | undefined {
  const stamp = ringStamp(ring);
  return stamp === undefined ? undefined : `${stamp}${identityKey(options)}`;
}

/** The part of keyOf that is the ring itself (real path, size, mtime, inode), whatever the identity. */
function ringStamp(ring: string): string | undefined {
  try {
    const st = statSync(ring);
    return `${realPath(ring)}\0${st.size}:${st.mtimeMs}:${st.ino}\0`;
  } catch {
    return undefined;
  }
}

/** @internal Records the outcome of opening `ring` with `options` (a KeyRing, or the error to rethrow on use). */
export function rememberRing(ring: string, options: SelectOptions, outcome: { ring: KeyRing } | { error: unknown }): void {
  const key = keyOf(ring, options);
  if (key) opened.set(key, outcome);
}

/** @internal Forgets every opened ring (tests; and after a process drops its identities). */
export function forgetRings(): void {
  opened.clear();
}

/**
 * The synchronous half of key resolution's `.age` step: the ring opened earlier by `openAgeRingFor`
 * (the CLI does so before every key command, `loadConfig` before loading), or a clear error.
 */
export function ageRingSync(configPath: string | undefined, options: SelectOptions, plainSiblings: readonly string[]): KeyRing | undefined {
  const choice = chooseAgeRing(configPath, options, plainSiblings);
  if (!choice) return undefined;
  const key = keyOf(choice.ring, options);
  const entry = key === undefined ? undefined : opened.get(key);
  if (entry) {
    if (entry.error !== undefined) throw entry.error;
    return entry.ring;
  }
  // Opened before, but by a call that named another identity (or none): say so, or the hint would tell the
  // caller to do what they just did.
  const stamp = ringStamp(choice.ring);
  const openedOtherwise = stamp !== undefined && [...opened.keys()].some((k) => k.startsWith(stamp));
  throw new AgeRingNeedsAsync(`${choice.ring} is a .age key ring, which opens only asynchronously`, {
    hint: openedOtherwise
      ? 'it was opened with other identity options: pass the same identity or identityFile to the synchronous calls as to openAgeRingFor()'
      : 'use loadConfig() rather than loadConfigSync(), or `await openAgeRingFor(path, options)` once before the synchronous calls',
  });
}

/**
 * Opens the `.age` ring that key resolution would use for `configPath`, if any, so that the synchronous
 * resolution after it finds the ring. Loads age-encryption only when there is a ring to open. A ring
 * opened before in this process and unchanged on disk is reused; a failure is thrown here, remembered
 * for the synchronous resolution, and retried on the next call.
 */
export async function openAgeRingFor(configPath: string | undefined, options: SelectOptions & { strictPermissions?: boolean } = {}, plainSiblings: readonly string[] = defaultPlainSiblings(configPath)): Promise<KeyRing | undefined> {
  return openRing(configPath, options, plainSiblings, true);
}

/**
 * @internal openAgeRingFor for a caller that opens rings on its own account (rotateConfigs, textconv): a
 * ring already opened or tried in this process with these options is left as it is, its outcome kept.
 * The CLI opens rings before a command runs, with its passphrase prompt; trying again without the prompt
 * would replace a wrong passphrase with "no terminal to ask".
 */
export async function openAgeRingUnlessTried(configPath: string, options: SelectOptions = {}): Promise<void> {
  await openRing(configPath, options, defaultPlainSiblings(configPath), false);
}

/** Both of the above; `retry`: whether a remembered failure (other than a cancelled prompt) is tried again. */
async function openRing(configPath: string | undefined, options: SelectOptions, plainSiblings: readonly string[], retry: boolean): Promise<KeyRing | undefined> {
  const choice = chooseAgeRing(configPath, options, plainSiblings);
  if (!choice) return undefined;
  // Opened already and unchanged since: no second decryption, and no second passphrase prompt.
  const entry = opened.get(keyOf(choice.ring, options) ?? '');
  if (entry?.ring) return entry.ring;
  if (entry !== undefined && !retry) return undefined;
  // The user cancelled a prompt for this ring: the command's own resolution must not ask again.
  if (entry?.error instanceof Aborted) throw entry.error;
  try {
    // Inside: a chunk of the package that does not load is remembered as this ring's outcome too, and
    // met again where the config resolves its key, rather than as "opens only asynchronously".
    const { openAgeRing } = await import('./open.js');
    const ring = await openAgeRing(choice.ring, options);
    rememberRing(choice.ring, options, { ring });
    return ring;
  } catch (error) {
    rememberRing(choice.ring, options, { error });
    throw error;
  }
}

function defaultPlainSiblings(configPath: string | undefined): string[] {
  return siblingsOf(configPath, '.key');
}
