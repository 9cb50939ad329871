import { readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { openToken, plaintextToText } from '../config/file.js';
import { findDuplicateKeys, parseTree, valueOf } from '../config/tree.js';
import { isTokenShape } from '../fernet/fernet.js';
import { openAgeRingUnlessTried } from '../age/select.js';
import { resolveKeyRing, type KeyOptions } from '../keys/resolve.js';
import type { KeyRing } from '../keys/ring.js';
import { canonicalLiteral, literalOf } from './canonical.js';
import { git, splitNul, topLevel } from './git.js';

export interface TextconvOptions {
  keys?: KeyOptions;
  /** Working directory git ran us in: the top of the work tree. */
  cwd?: string;
  /** Masks values the schema marks `sensitive` (the redactor is passed in so ajv loads only when needed). */
  redact?: (value: unknown) => unknown | Promise<unknown>;
  /** What a masked value reads as (the redactor's placeholder). */
  mask?: string;
  /** Told of each repeated key (path, line, column; never a value). */
  onWarning?: (message: string) => void;
}

/**
 * What `git diff` shows for an encrypted file: its decrypted content as canonical JSON, or — when it
 * cannot be decrypted (no key here, a retired key, not a token at all) — the file's bytes unchanged, so
 * that a missing key degrades the diff to what git would show anyway instead of breaking `git log -p`.
 *
 * Values are printed from the text, not from JavaScript numbers: every number exactly as written, so any
 * change to any value shows (`12345678901234567891` → `…892` as much as `1.50` → `1.5`). A key written
 * twice is shown once, with the last copy's value — what Python and JSON.parse read — and reported.
 */
export async function textconv(file: string, options: TextconvOptions = {}): Promise<Buffer> {
  const raw = readFileSync(file);
  try {
    const text = await decryptForDiff(file, raw, options);
    if (text === undefined) return raw;
    const tree = parseTree(text, 'the file');
    for (const d of findDuplicateKeys(text)) {
      options.onWarning?.(`${file}: the key ${d.path} appears more than once (again at line ${d.line}, column ${d.column}); the diff shows the last one, which readers use`);
    }
    const literal = literalOf(tree);
    if (!options.redact) return Buffer.from(canonicalLiteral(literal), 'utf8');
    const shown = await options.redact(valueOf(tree));
    return Buffer.from(canonicalLiteral(literal, { value: shown, mask: options.mask ?? '[redacted]' }), 'utf8');
  } catch {
    // Whatever failed (including the redactor), the plaintext is not printed: the raw token is.
    return raw;
  }
}

async function decryptForDiff(file: string, raw: Buffer, options: TextconvOptions): Promise<string | undefined> {
  const token = raw.toString('latin1').trim();
  if (!isTokenShape(token)) return undefined;
  const keys: KeyOptions = { ...options.keys, onWarning: () => {} };
  for await (const ring of candidateRings(file, keys, options.cwd ?? process.cwd())) {
    try {
      const { bytes } = openToken(token, ring, 'the file');
      return plaintextToText(bytes, 'the file');
    } catch {
      // try the next candidate
    }
  }
  return undefined;
}

/**
 * The key rings that may open `file`. git hands textconv the work-tree file when it is current, but a
 * copy in a temp directory (`/tmp/git-blob-XXXX/<name>`, or `XXXXXX_<name>` with older gits) for every
 * other version, so keys beside it are not the keys beside the real file. Explicit and environment keys
 * apply to any path; otherwise the keys beside each tracked file with the same name are tried in turn.
 */
async function* candidateRings(file: string, keys: KeyOptions, cwd: string): AsyncGenerator<KeyRing> {
  const seen = new Set<string>();
  const attempt = async (path: string): Promise<KeyRing | undefined> => {
    try {
      // A .age ring beside the path opens only asynchronously: first here, so that resolveKeyRing finds
      // it. In a repository whose only key is a ring, every version but the work tree's (a temp copy)
      // used to be shown as its token. No prompt: git runs this without a terminal to ask on.
      await openAgeRingUnlessTried(path, keys);
    } catch {
      // remembered; resolveKeyRing below meets it and this candidate is skipped
    }
    try {
      const ring = resolveKeyRing(path, keys);
      if (seen.has(ring.source)) return undefined;
      seen.add(ring.source);
      return ring;
    } catch {
      return undefined;
    }
  };
  const direct = await attempt(resolve(cwd, file));
  if (direct) yield direct;
  const explicit = keys.key ?? keys.keyFile ?? keys.keyCommand ?? envKey(keys.env ?? process.env);
  if (explicit !== undefined) return;

  const top = topLevel(cwd);
  if (top === undefined) return;
  const name = basename(file);
  const names = new Set([name]);
  const legacy = /^[A-Za-z0-9]{6}_(.+)$/.exec(name);
  if (legacy && !dirname(file).includes('git-blob-')) names.add(legacy[1]!);
  let tracked: string[];
  try {
    // `*name` also matches in subdirectories (pathspec wildcards cross `/`); basenames are compared below.
    tracked = splitNul(git(['ls-files', '-z', '--cached', '--full-name', '--', ...[...names].map((n) => `*${n}`)], { cwd: top }).stdout);
  } catch {
    return;
  }
  for (const rel of tracked) {
    if (!names.has(basename(rel))) continue;
    const ring = await attempt(join(top, rel));
    if (ring) yield ring;
  }
}

function envKey(env: Record<string, string | undefined>): string | undefined {
  for (const name of ['FERNET_CONFIG_KEY', 'FERNET_CONFIG_KEY_FILE', 'FERNET_CONFIG_KEY_COMMAND']) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') return v;
  }
  return undefined;
}
