import { createRequire } from 'node:module';
import { writeSync } from 'node:fs';
import { FileNotFound, KeyCommandError, KeyFilePermissions, KeyNotFound, UsageError } from '../errors.js';
import { existsNotDirectory, MAX_KEY_FILE_BYTES, readRegularFile } from '../fs/read.js';
import { siblingsOf } from './siblings.js';
import { KeyRing, parseKeyFile, parseKeyList } from './ring.js';
import { ageRingSync, hasExplicitIdentity, siblingAgeRings, type AgeKeyOptions } from '../age/select.js';

// child_process (and the net stack it pulls in) is loaded only when a key command is actually run:
// apps that read a key file at boot should not pay for it.
const require = createRequire(import.meta.url);

/** Where keys come from. The same options serve the CLI, the runtime loader and the tests. */
export interface KeyOptions extends AgeKeyOptions {
  /** Literal key(s), separated by commas or whitespace. Discouraged on command lines (shell history). */
  key?: string;
  /** Path of a key file: one key per line, the first is the primary. */
  keyFile?: string;
  /** A shell command whose standard output is the key ring (a vault or cloud key store CLI). */
  keyCommand?: string;
  /** Milliseconds the key command may run (default 30 s). */
  keyCommandTimeout?: number;
  /** Environment to read FERNET_CONFIG_KEY* from (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Refuse, rather than warn about, key files that group or others can read. */
  strictPermissions?: boolean;
  /** Receives warnings (loose key-file permissions). The library itself never prints. */
  onWarning?: (message: string) => void;
}

export const ENV_KEY = 'FERNET_CONFIG_KEY';
export const ENV_KEY_FILE = 'FERNET_CONFIG_KEY_FILE';
export const ENV_KEY_COMMAND = 'FERNET_CONFIG_KEY_COMMAND';
/** Seconds the key command may run, when `keyCommandTimeout` is not given (fractions allowed). */
export const ENV_KEY_COMMAND_TIMEOUT = 'FERNET_CONFIG_KEY_COMMAND_TIMEOUT';

const DEFAULT_KEY_COMMAND_TIMEOUT = 30_000;

/**
 * Resolves the key ring for a config file. The order, documented in the README:
 *
 *  1. explicit options: `keyFile`, `key` or `keyCommand` (at most one)
 *  2. env FERNET_CONFIG_KEY (one or more keys separated by commas or whitespace)
 *  3. env FERNET_CONFIG_KEY_FILE
 *  4. env FERNET_CONFIG_KEY_COMMAND
 *  5. `<name>.key` beside `<name>.enc`
 *  6. `secret.key` beside the config file
 *  7. `<name>.key.age` beside `<name>.enc`, then `secret.key.age`: a `.age` ring opened with the user's
 *     identity (src/age/); an explicit `identity`/`identityFile` selects it ahead of steps 1-6
 *
 * The first source that is present is used; a present but broken source is an error, not a fall-through,
 * so a typo never silently selects a different key.
 */
export function resolveKeyRing(configPath: string | undefined, options: KeyOptions = {}): KeyRing {
  const env = options.env ?? process.env;
  const explicit = [options.keyFile, options.key, options.keyCommand].filter((v) => v !== undefined);
  if (explicit.length > 1) throw new UsageError('give only one of --key-file, --key and --key-command');

  // --- .age key ring, explicitly asked for (issue 13; the logic is in src/age/select.ts) ---
  if (hasExplicitIdentity(options)) {
    const ring = ageRingSync(configPath, options, siblingKeyFiles(configPath));
    if (ring) return ring;
    throw new KeyNotFound(['--identity: no config to find a .age key ring beside']);
  }
  // --- end .age ---

  if (options.keyFile !== undefined) return readNamedKeyFile(options.keyFile, '--key-file', options);
  if (options.key !== undefined) return new KeyRing(parseKeyList(options.key, 'the --key value'), 'the --key value');
  if (options.keyCommand !== undefined) return runKeyCommand(options.keyCommand, options);

  const fromEnv = env[ENV_KEY];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return new KeyRing(parseKeyList(fromEnv, ENV_KEY), ENV_KEY);
  const fileFromEnv = env[ENV_KEY_FILE];
  if (fileFromEnv !== undefined && fileFromEnv !== '') return readNamedKeyFile(fileFromEnv, ENV_KEY_FILE, options);
  const commandFromEnv = env[ENV_KEY_COMMAND];
  if (commandFromEnv !== undefined && commandFromEnv.trim() !== '') return runKeyCommand(commandFromEnv, options);

  const tried = [ENV_KEY, ENV_KEY_FILE, ENV_KEY_COMMAND];
  for (const candidate of siblingKeyFiles(configPath)) {
    // Anything but a directory is read, so a FIFO or device named secret.key gets a clear error, not a skip.
    if (existsNotDirectory(candidate)) return readKeyFile(candidate, options);
    tried.push(candidate);
  }
  // --- .age key ring beside the config (issue 13; the logic is in src/age/select.ts) ---
  const ageRing = ageRingSync(configPath, options, []);
  if (ageRing) return ageRing;
  tried.push(...siblingAgeRings(configPath));
  // --- end .age ---
  throw new KeyNotFound(tried, { noneGiven: true });
}

/**
 * A key file the user named (by flag or environment): when it is missing, say where the path came from,
 * since a stale FERNET_CONFIG_KEY_FILE in a shell profile is easy to forget and hides the files beside the config.
 */
function readNamedKeyFile(path: string, origin: string, options: KeyOptions): KeyRing {
  try {
    return readKeyFile(path, options);
  } catch (e) {
    // A dangling link already says what is wrong, with its own hint.
    if (!(e instanceof FileNotFound) || /a dangling link\)$/.test(e.message)) throw e;
    const hint = origin === ENV_KEY_FILE
      ? `fix the path in ${ENV_KEY_FILE}, or unset it to use the key file beside the config`
      : 'check the path (a relative one starts from the current directory)';
    throw new FileNotFound(`key file ${path} (from ${origin}) does not exist`, { cause: e, hint });
  }
}

/** The key files looked for beside a config: `<name>.key` for `<name>.enc`, then `secret.key`. */
export function siblingKeyFiles(configPath: string | undefined): string[] {
  return siblingsOf(configPath, '.key');
}

/**
 * Reads a key file, checking that it is a private regular file. Pipes and devices are refused without
 * blocking, and files over MAX_KEY_FILE_BYTES are not read (see readRegularFile).
 */
export function readKeyFile(path: string, options: Pick<KeyOptions, 'strictPermissions' | 'onWarning'> = {}): KeyRing {
  const source = `key file ${path}`;
  const { data, stat } = readRegularFile(path, source, MAX_KEY_FILE_BYTES);
  const mode = stat.mode;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    const message = `${source} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(4, '0')})`;
    const hint = `run: chmod 600 ${path}`;
    if (options.strictPermissions) {
      data.fill(0);
      throw new KeyFilePermissions(message, { hint });
    }
    options.onWarning?.(`${message}; ${hint}`);
  }
  const text = data.toString('utf8');
  data.fill(0);
  return new KeyRing(parseKeyFile(text, source), source, path);
}

/**
 * Runs a key command. Its standard output is parsed as key-file text and kept only in memory; its
 * standard error reaches ours (that is where vault CLIs say "not logged in"), and none of its output is
 * ever quoted in our messages.
 *
 * On a timeout only the shell can be killed (a new session would cost the command its terminal, which
 * pinentry and password prompts need), so whatever it started may live on. When our stderr is not a
 * terminal, the command's stderr is therefore collected and relayed, so that leftover never holds the
 * caller's pipe open (a CI step or `2>&1 | tee` would wait for it).
 */
function runKeyCommand(command: string, options: KeyOptions): KeyRing {
  const source = 'key command';
  const timeout = options.keyCommandTimeout ?? keyCommandTimeoutFromEnv(options.env ?? process.env) ?? DEFAULT_KEY_COMMAND_TIMEOUT;
  const relayStderr = process.stderr.isTTY !== true;
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const result = spawnSync(command, {
    shell: true,
    timeout,
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', relayStderr ? 'pipe' : 'inherit'],
    maxBuffer: 1 << 20,
    windowsHide: true,
  });
  if (relayStderr && result.stderr) writeSync(2, result.stderr);
  const hint = 'check the command by running it yourself (it must print the key ring on standard output)';
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === 'ETIMEDOUT') throw new KeyCommandError(`${source} timed out after ${timeout / 1000}s`, { hint: `${hint}; ${ENV_KEY_COMMAND_TIMEOUT}=SECONDS raises the limit` });
    throw new KeyCommandError(`${source} could not be run (${code ?? 'error'})`, { hint });
  }
  if (result.signal) throw new KeyCommandError(`${source} was killed by ${result.signal}`, { hint });
  if (result.status !== 0) throw new KeyCommandError(`${source} exited with status ${result.status}`, { hint });
  if (result.stdout.trim() === '') throw new KeyCommandError(`${source} printed no key`, { hint });
  return new KeyRing(parseCommandOutput(result.stdout, source), source);
}

/**
 * Key-file text, except that a line may also hold several keys separated by commas or spaces: many
 * secret stores keep single-line values best, so `k1,k2` works as well as one key per line.
 */
function parseCommandOutput(text: string, source: string): string[] {
  const keys: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#')) keys.push(...parseKeyList(line, `${source}, line ${i + 1}`));
  });
  if (keys.length === 0) throw new KeyCommandError(`${source} printed no key`, { hint: 'it must print the key ring: one or more Fernet keys, one per line or separated by commas' });
  return keys;
}

function keyCommandTimeoutFromEnv(env: Record<string, string | undefined>): number | undefined {
  const raw = env[ENV_KEY_COMMAND_TIMEOUT];
  if (raw === undefined || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`${ENV_KEY_COMMAND_TIMEOUT} must be a positive number of seconds`, { hint: 'for example 30, or 2.5' });
  }
  return seconds * 1000;
}
