import { basename, extname } from 'node:path';
import { decodeBase64Url } from '../fernet/encoding.js';
import { charClasses, shannonEntropy } from './entropy.js';

/** What a rule sees of one regex match. */
export interface MatchContext {
  /** The candidate secret. */
  value: string;
  /** Which capture group held it (generic assignments have several value forms). */
  group: number;
  match: RegExpExecArray;
  text: string;
  path: string;
}

export interface Rule {
  id: string;
  description: string;
  /** Global regex with the `d` flag. */
  pattern: RegExp;
  /** Capture groups that may hold the secret; the first one that matched does (default: group 1). */
  groups?: readonly number[];
  /** A cheap test on the whole text before running `pattern` (most files contain none of these). */
  prefilter: RegExp;
  /** How many leading characters of a value are safe to show: a fixed public prefix, never random bits. */
  visible: (value: string) => number;
  accept?: (m: MatchContext) => boolean;
  /** Files this rule does not apply to. */
  skipFile?: (path: string) => boolean;
  /** Report the position of the whole match (a key block's BEGIN line) rather than of the value. */
  atMatch?: boolean;
  /** A name to show with the finding, e.g. the variable a generic secret is assigned to. */
  label?: (m: MatchContext) => string | undefined;
}

/** Values people write instead of a secret. */
const PLACEHOLDER =
  /example|sample|dummy|placeholder|changeme|change[_-]me|replace[_-]?me|your[_-]?(?:own|real)?[_-]?(?:key|token|secret|pass)|insert[_-]|x{4,}|\*{3,}|\.{3,}|<[^>]*>|\$\{|\{\{|%\(|\$\(|^%s$|process\.env|os\.environ|getenv|redacted|not[_-]?a[_-]?real|fake/i;

/**
 * Words that turn up in dummy values of tests and docs (`password123`, `dev-secret-1`): a generic value
 * containing one is not reported. Random strings contain them almost never; format rules do not use this.
 */
const STOPWORDS = /pass(?:word|wd)|secret|token|api_?key|test|dummy|demo|dev|local|admin|default|qwerty|letmein|foo|bar/i;

const fixed = (n: number) => () => n;

/** A value that is random enough to be a credential: entropy scaled to its length, at least two kinds of characters. */
function looksRandom(value: string): boolean {
  // Hex has only 16 symbols, so the same randomness measures lower; thresholds chosen to miss ~0.02% of random 32-digit hex.
  const hex = /^[0-9a-f]+$/i.test(value);
  const threshold = hex ? Math.min(3.0, Math.max(2.3, Math.log2(value.length) - 1.4)) : Math.min(3.3, Math.max(2.3, Math.log2(value.length) - 1));
  return shannonEntropy(value) >= threshold && charClasses(value) >= 2;
}

/** 32 bytes of url-safe base64, canonical (the padding bits of the last character are zero). */
function isFernetKey(value: string): boolean {
  const raw = decodeBase64Url(value);
  return raw !== undefined && raw.length === 32 && raw.toString('base64url') === value.slice(0, 43);
}

function isFernetToken(value: string): boolean {
  const raw = decodeBase64Url(value);
  return raw !== undefined && raw.length >= 73 && raw[0] === 0x80 && (raw.length - 57) % 16 === 0;
}

/** Digest contexts where a 44-character base64 string is a hash, not a key. */
const DIGEST_CONTEXT = /sha-?256|sha-?384|digest|checksum|integrity|hash|fingerprint/i;

/** How far around a match its context is read: a line of a minified file can be megabytes long. */
const CONTEXT_CHARS = 200;

/**
 * The line around `index`, at most CONTEXT_CHARS either side. Bounded so that each candidate costs the
 * same whatever the line's length; unbounded, a one-line file with many candidates was quadratic.
 */
function lineAround(text: string, index: number): string {
  const from = Math.max(0, index - CONTEXT_CHARS);
  const to = Math.min(text.length, index + CONTEXT_CHARS);
  const window = text.slice(from, to);
  const at = index - from;
  const start = window.lastIndexOf('\n', at) + 1;
  const end = window.indexOf('\n', at);
  return window.slice(start, end === -1 ? window.length : end);
}

/**
 * Lock files that hold only checksums of dependencies: Go's `go.sum`/`go.work.sum` and Terraform's
 * `.terraform.lock.hcl`. Their `h1:` hashes are 32 bytes of base64, shaped exactly like a Fernet key.
 */
const LOCK_FILES = new Set(['go.sum', 'go.work.sum', '.terraform.lock.hcl']);
const isLockFile = (path: string): boolean => LOCK_FILES.has(basename(path));

/**
 * A checksum by its line shape, in any file (vendor/modules.txt, docs quoting a go.sum line): Go's and
 * Terraform's `h1:` (SHA-256 dirhash, base64) and Terraform's `zh:` (zip hash, hex).
 */
const CHECKSUM_PREFIX = /(?:^|[^A-Za-z0-9])(?:h1|zh):$/;

/**
 * Letters only: words (`bert-base-uncased`, `MyServiceName`, `BEARER_TOKEN`) have few capitals or all of
 * them; random letters are about half capitals.
 */
function looksLikeWords(v: string): boolean {
  const letters = v.replace(/[^A-Za-z]/g, '');
  const upper = letters.replace(/[^A-Z]/g, '').length / letters.length;
  return letters.length < 12 || upper < 0.25 || upper > 0.85;
}

/** File types where `KEY=value` without quotes is a real assignment rather than code referring to a variable. */
const UNQUOTED_EXT = new Set(['.env', '.ini', '.cfg', '.conf', '.properties', '.yaml', '.yml', '.toml', '.sh', '.bash', '.zsh', '.envrc', '.npmrc', '.pypirc', '.netrc', '.txt', '.tfvars']);
function allowsUnquoted(path: string): boolean {
  const name = basename(path).toLowerCase();
  if (name.startsWith('.env') || name.endsWith('.env') || name === 'dockerfile' || name === 'env' || name === '.npmrc' || name === '.netrc') return true;
  return UNQUOTED_EXT.has(extname(name));
}

const KEYWORD =
  '(?:pass(?:word|wd|phrase)?|pwd|secret|api[_.-]?key|apikey|access[_.-]?key|secret[_.-]?key|private[_.-]?key|auth[_.-]?token|access[_.-]?token|refresh[_.-]?token|token|client[_.-]?secret|credentials?)';
const GENERIC = new RegExp(
  `(?<![\\w.-])([\\w.-]*?${KEYWORD})["']?(?:\\s*:\\s*(?:string|str|String))?\\s*(?::=|=>|=|:)\\s*` +
    `(?:"((?:[^"\\\\\\r\\n]|\\\\.){6,256}?)"|'([^'\\r\\n]{6,256}?)'|\`([^\`\\r\\n]{6,256}?)\`|([^\\s"'\`,;(){}\\[\\]<>]{6,256}))`,
  'dgi',
);

function acceptGeneric(m: MatchContext): boolean {
  const v = m.value;
  if (m.group === 5 && !allowsUnquoted(m.path)) return false;
  if (v.length < 8 || /\s/.test(v)) return false;
  if (PLACEHOLDER.test(v) || STOPWORDS.test(v)) return false;
  // Paths, URLs (credentials in URLs have their own rule), dotted identifiers and plain words.
  if (/^(?:[a-z][a-z0-9+.-]*:)?\/\//i.test(v) || /^[./~]/.test(v) || /^\$[A-Za-z_]\w*$/.test(v) || /^@[\w./-]+$/.test(v)) return false;
  if (/^[A-Za-z]+(?:[-_. :][A-Za-z]+)*$/.test(v) && looksLikeWords(v)) return false;
  if (/^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/.test(v)) return false;
  // A variable reference in a config file (`password: DB_PASSWORD`, `token = settings.TOKEN`).
  if (m.group === 5 && /^[A-Z][A-Z0-9_]*$/.test(v)) return false;
  if (v.startsWith('gAAAAA') && isFernetToken(v)) return false;
  return looksRandom(v);
}

/**
 * The rules, most specific first. Each one is a format with a public prefix or structure, checked
 * further where the format allows (base64 that decodes to the right length, entropy of the random part).
 */
/** A whole age secret key, as in an identity file line (the rule above finds them inside text). */
export const AGE_SECRET_KEY = /^(?:AGE-SECRET-KEY-(?:PQ-)?1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}|age-secret-key-(?:pq-)?1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58})$/;

export const RULES: readonly Rule[] = [
  {
    id: 'fernet-key',
    description: 'Fernet key',
    // `=` may precede a key (`KEY=...`) but not follow it: padding only ever ends base64.
    pattern: /(?<![A-Za-z0-9_\-+/])([A-Za-z0-9_-]{43}=)(?![A-Za-z0-9_\-+/=])/dg,
    prefilter: /[A-Za-z0-9_-]{43}=/,
    visible: fixed(0),
    accept: (m) => {
      if (!isFernetKey(m.value) || shannonEntropy(m.value) < 4) return false;
      const before = m.text.slice(Math.max(0, m.match.index - 8), m.match.index);
      return !/sha\d+-$/i.test(before) && !CHECKSUM_PREFIX.test(before) && !DIGEST_CONTEXT.test(lineAround(m.text, m.match.index));
    },
    skipFile: isLockFile,
  },
  {
    id: 'fernet-token',
    description: 'Fernet token (an encrypted value outside a .enc file)',
    pattern: /(?<![A-Za-z0-9_-])(gAAAAA[A-Za-z0-9_-]{92,}={0,2})(?![A-Za-z0-9_\-=])/dg,
    prefilter: /gAAAAA/,
    visible: fixed(6),
    accept: (m) => isFernetToken(m.value),
    // Encrypted configs are meant to be committed; a token pasted anywhere else is worth a look.
    skipFile: (path) => path.endsWith('.enc'),
  },
  {
    id: 'private-key',
    description: 'private key block',
    pattern:
      /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP |SSH2 ENCRYPTED )?PRIVATE KEY(?: BLOCK)?)-----(?:\s|\\r|\\n)+((?:Proc-Type:|Version:|Comment:)[^\r\n]*|[A-Za-z0-9+/=]{40,})/dg,
    prefilter: /PRIVATE KEY/,
    groups: [2],
    atMatch: true,
    visible: fixed(0),
    label: (m) => m.match[1],
  },
  {
    id: 'age-identity',
    description: 'age secret key (identity)',
    // Bech32 (BIP 173): HRP, separator `1`, then 32 symbols that exclude 1, b, i and o; one case only.
    // A native X25519 identity has 58 data symbols (32 bytes + checksum), as has the post-quantum hybrid
    // one of age-encryption's generateHybridIdentity (AGE-SECRET-KEY-PQ-1..., a 32-byte seed).
    pattern: /(?<![A-Za-z0-9-])(AGE-SECRET-KEY-(?:PQ-)?1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}|age-secret-key-(?:pq-)?1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58})(?![A-Za-z0-9])/dg,
    prefilter: /AGE-SECRET-KEY-|age-secret-key-/,
    // The human-readable part up to the separator is public; the rest is the key.
    visible: (v) => v.indexOf('1') + 1,
    accept: (m) => shannonEntropy(m.value.slice(m.value.indexOf('1') + 1)) >= 3.5,
  },
  {
    id: 'aws-access-key-id',
    description: 'AWS access key ID',
    pattern: /(?<![A-Za-z0-9])((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Za-z0-9])/dg,
    prefilter: /A(?:KI|SI|BI|CC)A/,
    visible: fixed(4),
    accept: (m) => !m.value.endsWith('EXAMPLE') && shannonEntropy(m.value.slice(4)) >= 3,
  },
  {
    id: 'aws-secret-access-key',
    description: 'AWS secret access key',
    pattern: /aws.{0,20}?(?:secret|sk).{0,20}?["'\s:=]+([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dgi,
    prefilter: /aws/i,
    visible: fixed(0),
    accept: (m) => !PLACEHOLDER.test(m.value) && shannonEntropy(m.value) >= 4 && charClasses(m.value) >= 3,
  },
  {
    id: 'github-token',
    description: 'GitHub token',
    pattern: /(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9_])/dg,
    prefilter: /gh[pousr]_|github_pat_/,
    visible: (v) => (v.startsWith('github_pat_') ? 11 : 4),
    accept: (m) => shannonEntropy(m.value.slice(4)) >= 3.5,
  },
  {
    id: 'gitlab-token',
    description: 'GitLab token',
    pattern: /(?<![A-Za-z0-9_-])(gl(?:pat|dt|rt|ptt|soat|ft|cbt)-[A-Za-z0-9_-]{20,64})(?![A-Za-z0-9_-])/dg,
    prefilter: /gl(?:pat|dt|rt|ptt|soat|ft|cbt)-/,
    visible: (v) => v.indexOf('-') + 1,
    accept: (m) => shannonEntropy(m.value.slice(m.value.indexOf('-') + 1)) >= 3.5,
  },
  {
    id: 'slack-token',
    description: 'Slack token',
    pattern: /(?<![A-Za-z0-9-])(xox[abposre]-[A-Za-z0-9-]{10,250}|xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)(?![A-Za-z0-9-])/dg,
    prefilter: /xox[abposre]-|xapp-/,
    visible: (v) => v.indexOf('-') + 1,
    accept: (m) => !PLACEHOLDER.test(m.value) && shannonEntropy(m.value.slice(5)) >= 3,
  },
  {
    id: 'slack-webhook',
    description: 'Slack webhook URL',
    pattern: /(https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+\/[A-Za-z0-9_/-]{8,})/dg,
    prefilter: /hooks\.slack\.com/,
    visible: (v) => v.indexOf('/', 'https://hooks.slack.com/'.length) + 1,
    accept: (m) => !PLACEHOLDER.test(m.value) && shannonEntropy(m.value.slice(m.value.lastIndexOf('/') + 1)) >= 3,
  },
  {
    id: 'discord-webhook',
    description: 'Discord webhook URL',
    pattern: /(https:\/\/(?:ptb\.|canary\.)?discord(?:app)?\.com\/api\/webhooks\/\d{5,30}\/[A-Za-z0-9_-]{30,})/dg,
    prefilter: /discord(?:app)?\.com\/api\/webhooks/,
    visible: (v) => v.indexOf('/webhooks/') + '/webhooks/'.length,
  },
  {
    id: 'stripe-key',
    description: 'Stripe secret key',
    pattern: /(?<![A-Za-z0-9_])((?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,247}|whsec_[A-Za-z0-9]{32,})(?![A-Za-z0-9_])/dg,
    prefilter: /(?:sk|rk)_(?:live|test)_|whsec_/,
    visible: (v) => v.lastIndexOf('_') + 1,
    accept: (m) => shannonEntropy(m.value.slice(m.value.lastIndexOf('_') + 1)) >= 3.5,
  },
  {
    id: 'google-api-key',
    description: 'Google API key',
    pattern: /(?<![A-Za-z0-9_-])(AIza[0-9A-Za-z_-]{35})(?![A-Za-z0-9_-])/dg,
    prefilter: /AIza/,
    visible: fixed(4),
    accept: (m) => shannonEntropy(m.value.slice(4)) >= 3.5,
  },
  {
    id: 'url-password',
    description: 'password in a URL',
    pattern: /\b[a-z][a-z0-9+.-]{1,20}:\/\/[^\s:@/"'<>]{1,64}:([^\s:@/"'<>]{3,128})@([A-Za-z0-9.-]+)/dgi,
    // Bounded like the pattern: an unbounded `[^\s]*@` went from every `://` to the end of the line, which
    // is quadratic on a one-line minified file full of URLs.
    prefilter: /:\/\/[^\s:@/"'<>]{1,64}:[^\s:@/"'<>]{3,128}@/,
    visible: fixed(0),
    accept: (m) =>
      !PLACEHOLDER.test(m.value) &&
      !/^(?:pass(?:word|wd)?|pwd|secret|\$\w+|\$\{\w+\}|%\w+%?|:\w+|\{\w+\})$/i.test(m.value) &&
      !/(?:^|\.)example\.(?:com|org|net)$|^example$/i.test(m.match[2] ?? ''),
  },
  {
    id: 'generic-secret',
    description: 'high-entropy value assigned to a secret-like name',
    pattern: GENERIC,
    groups: [2, 3, 4, 5],
    prefilter: /pass|pwd|secret|key|token|credential/i,
    visible: (v) => Math.min(3, Math.floor(v.length / 6)),
    accept: acceptGeneric,
    skipFile: isLockFile,
    label: (m) => m.match[1],
  },
];
