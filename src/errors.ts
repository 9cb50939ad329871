/**
 * One error hierarchy for the library and the CLI.
 *
 * Every error carries a stable `code` (on the class and on the instance) that scripts and the CLI key on,
 * and an optional `hint` telling the user what to do next. Messages never contain key material, tokens or
 * config values: callers pass paths and descriptions, never data.
 */

export interface ErrorOptions {
  cause?: unknown;
  hint?: string;
}

export class FernetConfigError extends Error {
  static code = 'ERR_FERNET_CONFIG';
  readonly code: string;
  readonly hint: string | undefined;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = (new.target as typeof FernetConfigError).code;
    this.hint = options.hint;
  }
}

/**
 * A config whose token is older than the `ttl` the caller demanded (or stamped too far in the future).
 * Raised by the config layer, which knows the token is authentic; the bare Fernet API keeps InvalidToken.
 */
export class TokenExpired extends FernetConfigError {
  static override code = 'ERR_TOKEN_EXPIRED';
}

/** A key that is not 32 bytes of url-safe base64. The message never includes the key. */
export class InvalidKey extends FernetConfigError {
  static override code = 'ERR_INVALID_KEY';
  constructor(message = 'Fernet key must be 32 url-safe base64-encoded bytes (44 characters ending in "=")', options?: ErrorOptions) {
    super(message, { hint: 'generate one with `fcfg keygen` or Fernet.generate_key()', ...options });
  }
}

/**
 * Every token failure — bad encoding, wrong version, bad length, bad HMAC, bad padding, expired, from the
 * future, or a key that does not match — is this one error with this one message, so that nothing about
 * the reason leaks to an attacker (a padding oracle needs exactly that distinction).
 */
export class InvalidToken extends FernetConfigError {
  static override code = 'ERR_INVALID_TOKEN';
  constructor(options?: ErrorOptions) {
    super('invalid token: it is corrupted, expired, or was encrypted with a different key', options);
  }
}

/**
 * No key could be found; `tried` lists the sources in resolution order (names and paths only). Key
 * resolution speaks CLI flags (`--key-file`); the runtime loader passes `words: 'library'` and the function
 * the app called, so that the message names its options (`keyFile`, `key`, `keyCommand`) instead.
 */
export class KeyNotFound extends FernetConfigError {
  static override code = 'ERR_KEY_NOT_FOUND';
  /** The sources looked at, in order (variables that were unset, files that were missing). */
  readonly tried: string[];
  /** Whether no explicit key source (--key-file, --key, --key-command; the options from the library) was given. */
  readonly noneGiven: boolean;
  constructor(tried: string[], options: ErrorOptions & { words?: 'cli' | 'library'; caller?: string; hint?: string; noneGiven?: boolean } = {}) {
    const library = options.words === 'library';
    const call = `${options.caller ?? 'loadConfig'}()`;
    const noneGiven = options.noneGiven === true;
    const given = noneGiven ? (library ? 'no keyFile, key or keyCommand option given; ' : 'no --key-file, --key or --key-command given; ') : '';
    super(`no key found (${given}tried: ${tried.join('; ')})`, {
      hint: library
        ? `key files are looked for beside the config, not in the current directory: pass keyFile (or key, keyCommand) to ${call}, set FERNET_CONFIG_KEY_FILE, or create a key with \`fcfg keygen\``
        : 'key files are looked for beside the config, not in the current directory: pass --key-file PATH (-k), set FERNET_CONFIG_KEY_FILE, or create one with `fcfg keygen`',
      ...options,
    });
    this.tried = tried;
    this.noneGiven = noneGiven;
  }
}

/** A key file that group or others can read, under strict permission checking. */
export class KeyFilePermissions extends FernetConfigError {
  static override code = 'ERR_KEY_FILE_PERMISSIONS';
}

/** A `--key-command` / FERNET_CONFIG_KEY_COMMAND that failed, timed out or printed nothing usable. */
export class KeyCommandError extends FernetConfigError {
  static override code = 'ERR_KEY_COMMAND';
}

/** The key ring opened nothing: the config was encrypted with a key that is not in it. */
export class WrongKey extends FernetConfigError {
  static override code = 'ERR_WRONG_KEY';

  /**
   * What to check, for where the ring came from (`KeyRing.source`): a key file, FERNET_CONFIG_KEY (which
   * wins over every key file, so a stale export is a classic), `--key`, or a key command.
   */
  static hintFor(source: string): string {
    if (source.startsWith('key file ')) return 'check which key file you are using (see `fcfg status`)';
    if (source === 'FERNET_CONFIG_KEY') return 'check the key in FERNET_CONFIG_KEY: it is used before any key file (unset it to use the key file beside the config)';
    if (source === 'the --key value') return 'check the --key value: it holds no key this file was encrypted with';
    if (source === 'key command') return 'check what the key command prints (run it yourself): it is not the key this file was encrypted with';
    return `check ${source}: it holds no key this file was encrypted with (see \`fcfg status\`)`;
  }
}

/** A file that should exist does not. */
export class FileNotFound extends FernetConfigError {
  static override code = 'ERR_FILE_NOT_FOUND';
}

/** A file could not be read or written: a directory where a file should be, permissions, and the like. */
export class FileAccessError extends FernetConfigError {
  static override code = 'ERR_FILE_ACCESS';
}

/** Refusing to overwrite an existing file. */
export class FileExists extends FernetConfigError {
  static override code = 'ERR_FILE_EXISTS';
}

/** An encrypted file that is not a Fernet token at all (empty, binary, several lines). */
export class MalformedConfigFile extends FernetConfigError {
  static override code = 'ERR_MALFORMED_FILE';
}

/** Text that is not valid JSON. Carries the position, never the text. */
export class InvalidJson extends FernetConfigError {
  static override code = 'ERR_INVALID_JSON';
  readonly line: number;
  readonly column: number;
  constructor(source: string, line: number, column: number, reason: string, options?: ErrorOptions) {
    super(`${source} is not valid JSON: ${reason} at line ${line}, column ${column}`, options);
    this.line = line;
    this.column = column;
  }
}

/** A dot path that is malformed, or that walks through something that is not an object. */
export class InvalidPath extends FernetConfigError {
  static override code = 'ERR_INVALID_PATH';
}

/** A dot path that names nothing in the config. */
export class PathNotFound extends FernetConfigError {
  static override code = 'ERR_PATH_NOT_FOUND';
}

export interface ValidationIssue {
  /** JSON pointer (RFC 6901) to the offending value ("" for the root), for programs; people read `issueDotPath`. */
  path: string;
  /** What is wrong, without the value itself. */
  message: string;
}

/**
 * The issue's location as every command takes it: a dot path (`database.port`), with `\.` and `\\` for a
 * literal dot or backslash in a key, as parsePath reads them; `(root)` for the whole config.
 */
export function issueDotPath(issue: ValidationIssue): string {
  if (issue.path === '') return '(root)';
  return issue.path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~').replace(/[\\.]/g, '\\$&'))
    .join('.');
}

/** Config that does not satisfy its JSON Schema. Lists paths and messages, never the offending values. */
export class ConfigValidationError extends FernetConfigError {
  static override code = 'ERR_CONFIG_VALIDATION';
  readonly issues: ValidationIssue[];
  /** The message without the list, and the list one line per issue (`database.port: must be integer`). */
  readonly summary = 'config does not match the schema';
  readonly problems: readonly string[];
  constructor(issues: ValidationIssue[], options?: ErrorOptions) {
    const problems = issues.map((i) => `${issueDotPath(i)}: ${i.message}`);
    super(`config does not match the schema: ${problems.join('; ')}`, options);
    this.issues = issues;
    this.problems = problems;
  }
}

/**
 * A JSON Schema that ajv cannot compile, or that cannot be read. `problems` has one line per fault ajv's
 * meta-schema check found, each with its location in the schema (`#/properties/port/type: ...`).
 */
export class InvalidSchema extends FernetConfigError {
  static override code = 'ERR_INVALID_SCHEMA';
  readonly summary: string;
  readonly problems: readonly string[];
  constructor(message: string, options: ErrorOptions & { problems?: readonly string[] } = {}) {
    const problems = options.problems ?? [];
    super(problems.length > 0 ? `${message}: ${problems.join('; ')}` : message, options);
    this.summary = message;
    this.problems = problems;
  }
}

/** An environment override that cannot be coerced to the type the schema wants. */
export class EnvOverrideError extends FernetConfigError {
  static override code = 'ERR_ENV_OVERRIDE';
}

/** Another process holds the lock on a config for too long. */
export class LockTimeout extends FernetConfigError {
  static override code = 'ERR_LOCK_TIMEOUT';
}

/** The file changed on disk between reading and writing (for example during `edit`). */
export class ConcurrentModification extends FernetConfigError {
  static override code = 'ERR_CONCURRENT_MODIFICATION';
}

/** Wrong use of the CLI or the API: missing or conflicting arguments. The CLI exits 2 on it. */
export class UsageError extends FernetConfigError {
  static override code = 'ERR_USAGE';
}

/** An operation the user declined or aborted (editor exited non-zero, prompt answered no). */
export class Aborted extends FernetConfigError {
  static override code = 'ERR_ABORTED';
}

/** git is missing, the directory is not a repository, or a git command failed. */
export class GitError extends FernetConfigError {
  static override code = 'ERR_GIT';
}

/** `keys prune` would drop a key that a listed config still needs. */
export class KeyInUse extends FernetConfigError {
  static override code = 'ERR_KEY_IN_USE';
}

/** A config that cannot become environment variables: two paths map to one name, a NUL byte, a non-object top level. */
export class EnvExportError extends FernetConfigError {
  static override code = 'ERR_ENV_EXPORT';
}

/** The program `fcfg run` was asked to start does not exist (the CLI exits 127, like a shell). */
export class CommandNotFound extends FernetConfigError {
  static override code = 'ERR_COMMAND_NOT_FOUND';
}

/**
 * A number in a config that a JavaScript number cannot hold exactly: an integer beyond ±(2^53−1) (however
 * it is written: `12345678901234567891`, `1e20`) or a value beyond the double range (`1e400`). The loader
 * refuses it rather than rounding it; the message names the dot path, never the value.
 */
export class UnsafeNumber extends FernetConfigError {
  static override code = 'ERR_UNSAFE_NUMBER';
  /** Dot paths of the numbers concerned. */
  readonly paths: string[];
  constructor(message: string, paths: string[], options?: ErrorOptions) {
    super(message, options);
    this.paths = paths;
  }
}

/** A JSON object with the same key twice. Names where the repeat is and its dot path, never a value. */
export class DuplicateKey extends FernetConfigError {
  static override code = 'ERR_DUPLICATE_KEY';
  readonly line: number;
  readonly column: number;
  readonly path: string;
  constructor(message: string, options: ErrorOptions & { line: number; column: number; path: string }) {
    super(message, options);
    this.line = options.line;
    this.column = options.column;
    this.path = options.path;
  }
}

/** Input bytes that are not valid UTF-8. Carries the byte offset of the first bad sequence, never the bytes. */
export class InvalidUtf8 extends FernetConfigError {
  static override code = 'ERR_INVALID_UTF8';
  readonly offset: number;
  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(message, options);
    this.offset = offset;
  }
}

/** A signal (SIGINT, SIGTERM, SIGHUP...) ended the operation; the CLI exits 128 + its number. */
export class Interrupted extends Aborted {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals, message: string, options?: ErrorOptions) {
    super(message, options);
    this.signal = signal;
  }
}

/**
 * A recipient (age `age1...`, `age1pq1...`, `ssh-ed25519 ...`, `ssh-rsa ...`) that is malformed or of an
 * unsupported kind. The message says which kind was expected and never repeats the input.
 */
export class InvalidRecipient extends FernetConfigError {
  static override code = 'ERR_INVALID_RECIPIENT';
}

/** An identity (age secret key or SSH private key) that cannot be parsed or is of an unsupported kind. Never echoes the key. */
export class InvalidIdentity extends FernetConfigError {
  static override code = 'ERR_INVALID_IDENTITY';
}

/** The passphrase of a protected identity (an SSH private key) does not open it. */
export class WrongPassphrase extends FernetConfigError {
  static override code = 'ERR_WRONG_PASSPHRASE';
}

/**
 * A `.age` key ring is beside the config but no identity to open it was found; `tried` lists the
 * identity sources in order (names and paths only). A KeyNotFound, so callers that carry on without a key
 * (textconv, check) treat it alike.
 */
export class NoIdentity extends KeyNotFound {
  static override code = 'ERR_NO_IDENTITY';
  readonly ring: string;
  /** `tried`: the variables and default files looked at (no explicit identity was given, or this is not thrown). */
  constructor(ring: string, tried: string[], options: ErrorOptions & { words?: 'cli' | 'library'; caller?: string } = {}) {
    const library = options.words === 'library';
    super(tried, {
      hint: library
        ? `pass identity or identityFile to ${options.caller ?? 'loadConfig'}(), set FERNET_CONFIG_IDENTITY_FILE, or create one with \`fcfg identity new\` and ask to be added with \`fcfg recipients add\``
        : 'pass --identity FILE, set FERNET_CONFIG_IDENTITY_FILE, or create one with `fcfg identity new` and ask to be added with `fcfg recipients add`',
      ...options,
    });
    this.ring = ring;
    const given = library ? 'no identity or identityFile option given' : 'no --identity given';
    this.message = `no identity found to open ${ring} (${given}; tried: ${tried.join('; ')})`;
  }
}

/** None of the identities at hand is a recipient of a `.age` key ring. Names recipients by fingerprint only. */
export class NotARecipient extends KeyNotFound {
  static override code = 'ERR_NOT_A_RECIPIENT';
  constructor(message: string, tried: string[], options?: ErrorOptions) {
    super(tried, { hint: 'send your public key (`fcfg identity new`, or ~/.ssh/id_ed25519.pub) to a recipient and ask them to run `fcfg recipients add`', ...options });
    this.message = message;
  }
}

/**
 * A protected SSH key must be unlocked but there is no terminal to ask for its passphrase. A KeyNotFound:
 * without the passphrase there is no key, and callers that carry on without one (check in a pre-commit
 * hook, textconv) should.
 */
export class PassphraseRequired extends KeyNotFound {
  static override code = 'ERR_PASSPHRASE_REQUIRED';
  constructor(message: string, options?: ErrorOptions) {
    super([], options);
    this.message = message;
  }
}

/** A recipients file and its `.age` key ring disagree (edited by hand, half-written, or merged apart). */
export class RingMismatch extends FernetConfigError {
  static override code = 'ERR_RING_MISMATCH';
}

/** A `.age` key ring that does not open (its header or payload is damaged) although an identity matched. */
export class RingUnreadable extends FernetConfigError {
  static override code = 'ERR_RING_UNREADABLE';
}

/** Adding a recipient name that exists, removing one that does not, or removing the last one. */
export class RecipientError extends FernetConfigError {
  static override code = 'ERR_RECIPIENT';
}

/** Synchronous key resolution met a `.age` key ring, which opens only asynchronously. */
export class AgeRingNeedsAsync extends FernetConfigError {
  static override code = 'ERR_AGE_RING_SYNC';
}

/** An age file (the `.age` key ring) whose header or a stanza in it is malformed. Names the stanza type, never its contents. */
export class MalformedAgeFile extends FernetConfigError {
  static override code = 'ERR_MALFORMED_AGE_FILE';
}

/**
 * A revocation (`recipients remove NAME --rotate`) that failed while writing and could not be undone:
 * the hint gives the exact commands that finish it from the state left on disk.
 */
export class RevokeIncomplete extends FernetConfigError {
  static override code = 'ERR_REVOKE_INCOMPLETE';
}
