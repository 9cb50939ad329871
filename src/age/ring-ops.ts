import { existsSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { openToken, plaintextToText, readToken } from '../config/file.js';
import { FileNotFound, InvalidRecipient, RecipientError, RevokeIncomplete, RingMismatch, UsageError } from '../errors.js';
import { generateKey } from '../fernet/key.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { MAX_KEY_FILE_BYTES, MAX_RING_FILE_BYTES, readRegularFile, readRegularFileIfExists } from '../fs/read.js';
import { withLock, type LockOptions } from '../fs/lock.js';
import { readKeyFile, resolveKeyRing, type KeyOptions } from '../keys/resolve.js';
import { KeyRing, formatKeyFile } from '../keys/ring.js';
import { pruneKeyRing, type KeyStore, type PruneOptions, type PruneResult } from '../ops/prune.js';
import { rotateConfigs } from '../ops/rotate.js';
import { toDotPath } from '../schema/validate.js';
import { ringAgreement } from './agreement.js';
import { ageLib } from './lib.js';
import { openAgeRingDetailed } from './open.js';
import {
  checkName,
  formatRecipientsFile,
  normalizeRecipient,
  readRecipientsFile,
  RECIPIENT_HINT,
  recipientFingerprint,
  recipientsPathFor,
  sshFingerprint,
  type RecipientEntry,
  type RecipientKind,
} from './recipients-file.js';
import { forgetRings } from './select.js';
import { findDrafts } from '../edit/draft.js';

/** The default ring: `secret.key.age` in the working directory. */
export const DEFAULT_RING = 'secret.key.age';

export interface RingOptions extends KeyOptions {
  /** Write even though the recipients file and the ring disagree (the file's recipients win). */
  force?: boolean;
  lock?: LockOptions;
  /** Unix seconds to stamp into rotated configs (default: the clock). */
  now?: number;
}

export interface RecipientInfo {
  name: string;
  kind: RecipientKind;
  /** Short, for people comparing by eye: `SHA256:` + 12 characters for SSH keys, `age1abcd…uvwxyz` for age. */
  fingerprint: string;
  /** SSH keys: the whole fingerprint as `ssh-keygen -l` prints it (`SHA256:` + 43 base64 characters). */
  sshFingerprint?: string;
  /** The whole recipient (hundreds of characters for ssh-rsa), without the comment. */
  recipient: string;
  /** An SSH key's comment, as the recipients file has it. */
  comment?: string;
}

export interface RecipientListing {
  ring: string;
  recipientsFile: string;
  ringExists: boolean;
  recipients: RecipientInfo[];
  /** How the recipients file and the ring disagree (empty when they agree). */
  problems: string[];
}

const info = (e: RecipientEntry): RecipientInfo => ({
  name: e.name,
  kind: e.kind,
  fingerprint: recipientFingerprint(e),
  ...(e.kind === 'ssh-ed25519' || e.kind === 'ssh-rsa' ? { sshFingerprint: sshFingerprint(e.recipient) } : {}),
  recipient: e.recipient,
  ...(e.comment === undefined ? {} : { comment: e.comment }),
});

/** The recipients of a ring, and whether the recipients file agrees with it. Needs no identity. */
export function listRecipients(ring: string = DEFAULT_RING): RecipientListing {
  const recipientsFile = recipientsPathFor(ring);
  const file = readRecipientsFile(recipientsFile);
  const ringExists = existsSync(ring);
  const problems = ringAgreement(ring, file);
  return { ring, recipientsFile, ringExists, recipients: (file?.entries ?? []).map(info), problems };
}

function refuseMismatch(problems: string[], ring: string, options: RingOptions): void {
  if (problems.length === 0 || options.force) return;
  throw new RingMismatch(`the recipients file and ${ring} disagree: ${problems.join('; ')}`, {
    hint: 'restore both from version control, or pass --force to rewrite the ring for the recipients the file lists',
  });
}

/**
 * The recipients a RECIPIENT argument names: a recipient itself (`age1...`, `ssh-ed25519 AAAA...`), or
 * the path of a `.pub` file or an age recipients file (one recipient per line, `#` comments).
 */
export function recipientsFromArgument(arg: string): { kind: RecipientKind; recipient: string; comment?: string }[] {
  const trimmed = arg.trim();
  if (/^(age1|ssh-|ecdsa-|sk-|AGE-SECRET-KEY-)/.test(trimmed)) return [normalizeRecipient(trimmed)];
  let text: string;
  try {
    text = readRegularFile(arg, `recipient file ${arg}`, MAX_KEY_FILE_BYTES).data.toString('utf8');
  } catch (err) {
    if (err instanceof FileNotFound) {
      throw new InvalidRecipient('RECIPIENT is neither a recipient nor an existing file (expected age1..., age1pq1..., ssh-ed25519 AAAA..., ssh-rsa AAAA... or a .pub file)', { hint: RECIPIENT_HINT });
    }
    throw err;
  }
  const out: { kind: RecipientKind; recipient: string; comment?: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line !== '' && !line.startsWith('#')) out.push(normalizeRecipient(line, `${arg}, line ${i + 1}`));
  });
  if (out.length === 0) throw new InvalidRecipient(`${arg} holds no recipient`, { hint: RECIPIENT_HINT });
  return out;
}

/** Checks every recipient fully (bech32 checksums, SSH key encodings) and encrypts the key file text to them. */
async function encryptRing(keys: readonly string[], entries: readonly RecipientEntry[]): Promise<Uint8Array> {
  const { Encrypter } = await ageLib();
  const encrypter = new Encrypter();
  for (const e of entries) {
    if (e.kind === 'ssh-ed25519' || e.kind === 'ssh-rsa') {
      const ssh = await import('./ssh.js');
      encrypter.addRecipient(ssh.parseSshRecipient(e.recipient));
      continue;
    }
    try {
      encrypter.addRecipient(e.recipient);
    } catch (cause) {
      const kind = e.kind === 'x25519' ? 'age X25519 recipient (age1...)' : 'post-quantum age recipient (age1pq1...)';
      throw new InvalidRecipient(`recipient ${e.name}: not a valid ${kind}: bad checksum or length`, { cause, hint: 'a character was lost or changed when it was copied: ask for the recipient again' });
    }
  }
  return encrypter.encrypt(formatKeyFile(keys));
}

/** Writes the ring, then the recipients file recording it. Returns the ring's bytes. */
async function writeRing(ring: string, keys: readonly string[], entries: readonly RecipientEntry[]): Promise<Uint8Array> {
  const bytes = await encryptRing(keys, entries);
  const previous = readRegularFileIfExists(ring, `key ring ${ring}`, MAX_RING_FILE_BYTES);
  // Both are meant to be committed: 0644 for new files (the ring is encrypted), existing modes kept.
  writeFileAtomic(ring, bytes, { mode: 0o644, label: `key ring ${ring}` });
  try {
    writeFileAtomic(recipientsPathFor(ring), formatRecipientsFile(ring, entries, bytes), { mode: 0o644, label: `recipients file ${recipientsPathFor(ring)}` });
  } catch (e) {
    // The two files change together or not at all: a ring without the record of it would disagree.
    try {
      if (previous) writeFileAtomic(ring, previous, { label: `key ring ${ring}` });
      else unlinkSync(ring);
    } catch {
      // the error below is the one to report; `check` shows the disagreement left
    }
    throw e;
  }
  // Not remembered for later key resolution: whether the caller's identity opens the new ring is for the
  // ring to say (it may have just been removed), so the next use opens it afresh.
  return bytes;
}

/** The plain key file a ring replaces: `secret.key` for `secret.key.age`. */
export function plainTwin(ring: string): string | undefined {
  return ring.endsWith('.age') ? ring.slice(0, -4) : undefined;
}

/** Only the key options, without the identity ones (which select a ring, not plain keys). */
function plainKeyOptions(options: KeyOptions): KeyOptions {
  const { identity: _i, identityFile: _f, passphrase: _p, ...rest } = options;
  return rest;
}

function hasPlainKeySource(options: KeyOptions): boolean {
  const env = options.env ?? process.env;
  return [options.key, options.keyFile, options.keyCommand, env.FERNET_CONFIG_KEY, env.FERNET_CONFIG_KEY_FILE, env.FERNET_CONFIG_KEY_COMMAND].some((v) => v !== undefined && v.trim() !== '');
}

export interface AddResult {
  ring: string;
  recipientsFile: string;
  added: RecipientInfo[];
  /** Whether the ring was created now, and where its keys came from. */
  created: boolean;
  keySource: string;
  /** A plain key file beside the ring that is no longer needed (and still wins key resolution). */
  plainKeyFile?: string;
  recipients: RecipientInfo[];
}

/**
 * Adds a recipient and rewrites the ring for everyone. A new ring takes its keys from the usual plain
 * sources (--key-file, FERNET_CONFIG_KEY*, or the `secret.key` it replaces), or a new key when there is
 * none; an existing ring is opened with the caller's identity. Several recipients in a file become
 * NAME-1, NAME-2, ...
 */
export async function addRecipient(name: string, recipientArg: string, ring: string = DEFAULT_RING, options: RingOptions = {}): Promise<AddResult> {
  checkName(name, 'NAME');
  const found = recipientsFromArgument(recipientArg);
  const added: RecipientEntry[] = found.map((r, i) => ({ name: found.length === 1 ? name : `${name}-${i + 1}`, ...r }));
  added.forEach((e) => checkName(e.name, 'NAME'));
  return withLock(ring, async () => {
    const recipientsFile = recipientsPathFor(ring);
    const file = readRecipientsFile(recipientsFile);
    const ringExists = existsSync(ring);
    refuseMismatch(ringAgreement(ring, file), ring, options);
    const current = file?.entries ?? [];
    for (const e of added) {
      if (current.some((c) => c.name === e.name)) throw new RecipientError(`a recipient named ${e.name} already exists`, { hint: `remove it first (fcfg recipients remove ${e.name}), or pick another name` });
      const same = current.find((c) => c.recipient === e.recipient);
      if (same) throw new RecipientError(`that recipient is already in the ring, as ${same.name}`, { hint: `nothing to add: ${same.name} already opens the ring; to rename it, run \`fcfg recipients remove ${same.name}\` and add it again` });
    }
    let keys: string[];
    let keySource: string;
    const twin = plainTwin(ring);
    if (ringExists) {
      const opened = await openAgeRingDetailed(ring, options);
      keys = opened.ring.exportKeys();
      keySource = `${ring} (opened with ${opened.identity})`;
    } else if (hasPlainKeySource(options)) {
      const r = resolveKeyRing(undefined, plainKeyOptions(options));
      keys = r.exportKeys();
      keySource = r.source;
    } else if (twin !== undefined && existsSync(twin)) {
      const r = readKeyFile(twin, options);
      keys = r.exportKeys();
      keySource = r.source;
    } else {
      keys = [generateKey()];
      keySource = 'a new key';
    }
    const entries = [...current, ...added];
    await writeRing(ring, keys, entries);
    const result: AddResult = { ring, recipientsFile, added: added.map(info), created: !ringExists, keySource, recipients: entries.map(info) };
    if (twin !== undefined && existsSync(twin)) result.plainKeyFile = twin;
    return result;
  }, options.lock);
}

/**
 * What an existing ring is rewritten for (keygen --add, keys prune): the recipients file's entries, once
 * the ring exists and the file agrees with it (or `force` passes the disagreement, returned as
 * `problems`). A file listing nobody is refused unless nothing will be written (`dryRun`).
 */
function rewriteFor(ring: string, options: RingOptions, { dryRun = false } = {}): { entries: RecipientEntry[]; problems: string[] } {
  if (!existsSync(ring)) throw new FileNotFound(`key ring ${ring} does not exist`, { hint: 'create it with `fcfg recipients add NAME RECIPIENT`' });
  const file = readRecipientsFile(recipientsPathFor(ring));
  const problems = ringAgreement(ring, file);
  refuseMismatch(problems, ring, options);
  const entries = file?.entries ?? [];
  if (entries.length === 0 && !dryRun) throw new RecipientError(`${recipientsPathFor(ring)} lists no recipients: nobody could open the rewritten ring`, { hint: 'restore it from version control' });
  return { entries, problems };
}

export interface AddKeyResult {
  ring: string;
  /** Fingerprint of the new primary key (never the key). */
  fingerprint: string;
  /** Keys in the ring now, the new one included. */
  keys: number;
  recipients: RecipientInfo[];
}

/**
 * Prepends a new primary key to a `.age` ring and rewrites it for its current recipients (keygen --add
 * for a ring): configs are then moved to it with `rotate`, and the old keys dropped with `keys prune`.
 * The ring is opened with the caller's identity; no plain key file is written.
 */
export async function addRingKey(ring: string, options: RingOptions = {}): Promise<AddKeyResult> {
  return withLock(ring, async () => {
    const { entries } = rewriteFor(ring, options);
    const opened = await openAgeRingDetailed(ring, options);
    const next = new KeyRing([generateKey(), ...opened.ring.exportKeys()], `key ring ${ring}`);
    await writeRing(ring, next.exportKeys(), entries);
    return { ring, fingerprint: next.fingerprint(0), keys: next.size, recipients: entries.map(info) };
  }, options.lock);
}

/**
 * `keys prune` for a `.age` ring: the same checks as for a key file (every listed config must stay
 * readable), the ring opened with the caller's identity and rewritten for its current recipients.
 */
export async function pruneAgeRing(ring: string, options: PruneOptions & RingOptions): Promise<PruneResult> {
  let entries: RecipientEntry[] = [];
  const store: KeyStore = {
    read: async () => {
      const target = rewriteFor(ring, options, { dryRun: options.dryRun === true });
      // Forced past a disagreement: the ring is rewritten for the file's recipients even if no key goes.
      store.rewrite = target.problems.length > 0;
      entries = target.entries;
      return (await openAgeRingDetailed(ring, options)).ring;
    },
    write: async (keys) => {
      await writeRing(ring, keys, entries);
    },
  };
  return pruneKeyRing(ring, { ...options, store });
}

export interface RemoveResult {
  ring: string;
  removed: RecipientInfo;
  recipients: RecipientInfo[];
  /** With configs to rotate: what happened to them. */
  rotated?: { path: string; rotated: boolean }[];
  /** Fingerprints of the new primary key and of the keys dropped from the ring. */
  newKey?: string;
  droppedKeys?: string[];
  /** The dot paths of the values the removed recipient could read, per config (never the values). */
  exposed?: { path: string; paths: string[] }[];
  /** A plain key file beside the ring rewritten with the new keys, or left stale (warn). */
  plainKeyFile?: { path: string; updated: boolean };
}

/**
 * Removes a recipient and rewrites the ring for the others. Refuses to remove the last one. With
 * `configs`, also revokes: a new primary key, every config rotated to it, the old keys pruned — all
 * configs are opened before anything is written, so a config that does not open changes nothing; other
 * `*.enc` files beside the ring that the old keys open must be listed too, or nothing is written (they
 * would become unreadable once the old keys are pruned).
 */
export async function removeRecipient(name: string, ring: string = DEFAULT_RING, configs: readonly string[] = [], options: RingOptions = {}): Promise<RemoveResult> {
  return withLock(ring, async () => {
    const recipientsFile = recipientsPathFor(ring);
    const file = readRecipientsFile(recipientsFile);
    const ringExists = existsSync(ring);
    if (!ringExists) throw new FileNotFound(`key ring ${ring} does not exist`, { hint: 'pass --ring PATH' });
    refuseMismatch(ringAgreement(ring, file), ring, options);
    const current = file?.entries ?? [];
    const gone = current.find((e) => e.name === name);
    if (!gone) throw new RecipientError(`no recipient named ${name} in ${recipientsFile}`, { hint: current.length > 0 ? `its recipients: ${current.map((e) => e.name).join(', ')}` : 'it lists none (see `fcfg recipients list`)' });
    const remaining = current.filter((e) => e !== gone);
    if (remaining.length === 0) throw new RecipientError(`refusing to remove ${name}, the last recipient of ${ring}: nobody could open it`, { hint: 'add the new recipient first' });

    const opened = await openAgeRingDetailed(ring, options);
    const oldKeys = opened.ring.exportKeys();
    const result: RemoveResult = { ring, removed: info(gone), recipients: remaining.map(info) };
    if (configs.length === 0) {
      await writeRing(ring, oldKeys, remaining);
      return result;
    }

    // Revocation. Open everything first: the listed configs, and refuse if an unlisted config beside the
    // ring would be stranded by pruning.
    const listed = new Set(configs.map((c) => resolve(c)));
    const exposed = configs.map((path) => ({ path, paths: leafPaths(openPlain(path, opened.ring)) }));
    for (const other of configsBeside(ring)) {
      if (listed.has(other)) continue;
      let opens = false;
      try {
        openToken(readToken(other), opened.ring, other).bytes.fill(0);
        opens = true;
      } catch {
        // not ours: another ring's config
      }
      if (opens) {
        throw new UsageError(`${other} is encrypted with this ring's keys but not listed: pruning the old keys would leave it unreadable`, { hint: 'list every config this ring opens after --rotate' });
      }
    }
    const next = new KeyRing([generateKey(), ...oldKeys], `key ring ${ring}`);
    const pruned = next.slice(1);
    const twin = plainTwin(ring);
    const undo = new Undo(name, ring, configs, recipientsFile);
    let rotated: Awaited<ReturnType<typeof rotateConfigs>>;
    try {
      rotated = await rotateConfigs(configs, next, {
        force: true,
        ...(options.now !== undefined ? { now: options.now } : {}),
        ...(options.lock ? { lock: options.lock } : {}),
        // 1. Every config is locked and opened: only now is anything written. The new key is saved for the
        // remaining recipients before any config depends on it.
        beforeWrite: async () => {
          undo.snapshot([ring, recipientsFile, ...configs.flatMap((c) => [c, ...findDrafts(c)])]);
          undo.superset = await writeRing(ring, next.exportKeys(), remaining);
        },
      });
      // 2. (rotateConfigs) every listed config rotated, each write atomic. 3. Prune: every listed config now
      // opens with the new primary, which is all the ring keeps.
      await writeRing(ring, pruned.exportKeys(), remaining);
      if (twin !== undefined && existsSync(twin)) {
        let same = false;
        try {
          same = readKeyFile(twin, {}).exportKeys().join('\n') === oldKeys.join('\n');
        } catch {
          // unreadable or not a key file: leave it, and warn
        }
        if (same) writeFileAtomic(twin, formatKeyFile(pruned.exportKeys()), { mode: 0o600, keepMode: false, label: `key file ${twin}` });
        result.plainKeyFile = { path: twin, updated: same };
      }
    } catch (error) {
      await undo.rollback(error);
      throw error;
    }
    result.rotated = rotated.map((r) => ({ path: r.path, rotated: r.rotated }));
    result.newKey = next.fingerprint(0);
    result.droppedKeys = oldKeys.map((_, i) => next.fingerprint(i + 1));
    result.exposed = exposed;
    return result;
  }, options.lock);
}

/**
 * Undoes a revocation that failed while writing: every file it may have written (the ring, its
 * recipients file, the configs and their drafts) is put back byte for byte, in an order that keeps every
 * config readable at each step — the ring holding old and new keys first, then the configs, then the
 * recipients file, then the old ring. If a step fails too, a RevokeIncomplete says how to finish from
 * where it stopped.
 */
class Undo {
  readonly #files = new Map<string, Buffer>();
  /** The ring with the new key and the old ones (step 1), once written: it opens every config, rotated or not. */
  superset: Uint8Array | undefined;

  constructor(
    readonly name: string,
    readonly ring: string,
    readonly configs: readonly string[],
    readonly recipientsFile: string,
  ) {}

  snapshot(paths: readonly string[]): void {
    for (const p of paths) this.#files.set(p, readFileSync(p));
  }

  async rollback(cause: unknown): Promise<void> {
    if (this.#files.size === 0) return; // failed before anything was written
    const differs = (p: string) => {
      try {
        return !readFileSync(p).equals(this.#files.get(p)!);
      } catch {
        return true;
      }
    };
    const put = (p: string, bytes: Uint8Array) => writeFileAtomic(p, bytes, { label: p === this.ring ? `key ring ${p}` : p });
    try {
      const ringNow = readFileSync(this.ring);
      if (this.superset && !ringNow.equals(this.#files.get(this.ring)!) && !ringNow.equals(this.superset)) put(this.ring, this.superset);
      for (const [p, bytes] of this.#files) if (p !== this.ring && p !== this.recipientsFile && differs(p)) put(p, bytes);
      if (differs(this.recipientsFile)) put(this.recipientsFile, this.#files.get(this.recipientsFile)!);
      if (differs(this.ring)) put(this.ring, this.#files.get(this.ring)!);
    } catch (undoError) {
      throw new RevokeIncomplete(`revoking ${this.name} failed while writing (${messageOf(cause)}), and undoing it failed too (${messageOf(undoError)}); every config still opens with ${this.ring}`, {
        cause,
        hint: this.finishHint(),
      });
    } finally {
      forgetRings();
    }
  }

  /** The commands that finish the revocation from what is on disk now. */
  finishHint(): string {
    const all = this.configs.join(' ');
    let listed = true;
    try {
      listed = readRecipientsFile(this.recipientsFile)?.entries.some((e) => e.name === this.name) ?? false;
    } catch {
      // unreadable: say the general way
    }
    // NAME still listed: the ring opens for the others either way, so the whole command runs again.
    if (listed) return `fix the cause, then run again with --force: fcfg recipients remove ${this.name} --ring ${this.ring} --force --rotate ${all}`;
    return `${this.name} is no longer a recipient; fix the cause, then finish with: fcfg rotate ${all} && fcfg keys prune ${this.ring} --keep 1 --force ${all}`;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : 'unknown error';
}

function openPlain(path: string, ring: KeyRing): unknown {
  const { bytes } = openToken(readToken(path), ring, path);
  try {
    return JSON.parse(plaintextToText(bytes, path));
  } catch {
    return undefined;
  } finally {
    bytes.fill(0);
  }
}

/** Dot paths of every leaf (scalar, empty object or empty array) of a JSON value. */
export function leafPaths(value: unknown, prefix: string[] = []): string[] {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
    if (entries.length > 0) return entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
  }
  return prefix.length === 0 ? [] : [toDotPath(prefix)];
}

function configsBeside(ring: string): string[] {
  const dir = dirname(resolve(ring));
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.enc'))
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

export interface NewIdentity {
  /** The public recipient (age1... or age1pq1...): safe to print and share. */
  recipient: string;
  /** The identity file text (secret). */
  text: string;
}

/** A new age identity in age-keygen's file layout: comments with the date and the public key, then the key. */
export async function newIdentity(options: { postQuantum?: boolean; now?: Date } = {}): Promise<NewIdentity> {
  const age = await ageLib();
  const identity = options.postQuantum ? await age.generateHybridIdentity() : await age.generateX25519Identity();
  const recipient = await age.identityToRecipient(identity);
  const created = (options.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { recipient, text: `# created: ${created}\n# public key: ${recipient}\n${identity}\n` };
}
