import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Fernet } from '../src/fernet/fernet.js';
import { generateKey } from '../src/fernet/key.js';
import { globToRegExp, parseAllowList } from '../src/scan/ignore.js';
import { RULES } from '../src/scan/rules.js';
import { scanText } from '../src/scan/scan.js';
import { prng } from './fixtures/scan-corpus/generate.js';
import { useGitSandbox } from './helpers/git.js';

const sb = useGitSandbox('fcfg-scan-');
const { git, cli, dir, repo } = sb;

interface Finding {
  path: string;
  line: number;
  column: number;
  rule: string;
  masked: string;
  fingerprint: string;
  name?: string;
}
function findings(d: string, args: string[] = []): { status: number | null; list: Finding[]; stdout: string } {
  const r = cli(d, ['scan', '--json', ...args]);
  return { status: r.status, stdout: r.stdout, list: (JSON.parse(r.stdout) as { findings: Finding[] }).findings };
}

// Secrets are assembled at run time from a seeded generator: no credential-shaped literal in the repository.
const rng = prng(42);
const pick = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rng() * alphabet.length)]).join('');
const AZ = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const az = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = AZ + az + '0123456789';
const fake = {
  aws: () => ['AK', 'IA'].join('') + pick(AZ + '234567', 16),
  github: () => ['gh', 'p_'].join('') + pick(ALNUM, 36),
  stripe: () => ['sk', 'live', ''].join('_') + pick(ALNUM, 30),
  google: () => ['AI', 'za'].join('') + pick(ALNUM + '-_', 35),
  slack: () => ['xo', 'xb-'].join('') + pick('0123456789', 12) + '-' + pick(ALNUM, 24),
  password: () => pick(ALNUM, 20),
};


describe('rules', () => {
  // [rule, text that must be found, text that must not]
  const table: [string, () => string, string][] = [
    ['fernet-key', () => `KEY=${generateKey()}`, `integrity="sha256-${Buffer.alloc(32, 7).toString('base64')}"`],
    ['fernet-token', () => `blob = "${new Fernet(generateKey()).encrypt('x')}"`, 'gAAAAAB-too-short'],
    ['aws-access-key-id', () => `id: ${fake.aws()}`, 'id: AKIAIOSFODNN7EXAMPLE'],
    ['github-token', () => `t = "${fake.github()}"`, `t = "ghp_${'x'.repeat(36)}"`],
    ['stripe-key', () => `stripe = '${fake.stripe()}'`, `pk = 'pk_live_${pick(ALNUM, 30)}'`],
    ['google-api-key', () => `maps=${fake.google()}`, 'maps=AIza-short'],
    ['slack-token', () => `bot: ${fake.slack()}`, 'bot: xoxb-your-token-here'],
    ['url-password', () => `DATABASE_URL=postgres://app:${fake.password()}@db:5432/app`, 'see postgres://user:password@localhost/app'],
    ['generic-secret', () => `password = "${fake.password()}"`, 'tokenizer = "bert-base-uncased"'],
    ['private-key', () => `-----BEGIN RSA PRIVATE KEY-----\n${Buffer.from(pick(ALNUM, 60)).toString('base64')}\n-----END RSA PRIVATE KEY-----`, '-----BEGIN PUBLIC KEY-----\nMIIB\n'],
  ];
  it.each(table)('%s', (rule, positive, negative) => {
    const text = positive();
    expect(scanText(text, 'file.txt').map((f) => f.rule.id)).toEqual([rule]);
    expect(scanText(negative, 'file.txt').filter((f) => f.rule.id === rule)).toEqual([]);
  });

  it('every rule is covered by the table above or the corpus, and has a unique id', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });

  it('a Fernet token inside a .enc file is expected, not a finding', () => {
    const token = new Fernet(generateKey()).encrypt('{}');
    expect(scanText(token, 'config.enc')).toEqual([]);
    expect(scanText(token, 'notes.txt').map((f) => f.rule.id)).toEqual(['fernet-token']);
  });

  it('unquoted assignments count only in config-like files', () => {
    const v = fake.password();
    expect(scanText(`API_KEY=${v}`, '.env.production')).toHaveLength(1);
    expect(scanText(`api_key: ${v}`, 'values.yaml')).toHaveLength(1);
    expect(scanText(`api_key = ${v}`, 'main.py')).toHaveLength(0);
    expect(scanText('password: DB_PASSWORD', 'values.yaml')).toHaveLength(0);
  });

  it('allow-list globs follow .gitignore rules', () => {
    const m = (glob: string, path: string) => globToRegExp(glob).pattern.test(path);
    expect(m('*.snap', 'a/b/c.snap')).toBe(true);
    expect(m('/docs/*.md', 'docs/a.md')).toBe(true);
    expect(m('/docs/*.md', 'x/docs/a.md')).toBe(false);
    expect(m('docs/**/*.md', 'docs/a/b/c.md')).toBe(true);
    expect(m('docs/**/*.md', 'docs/c.md')).toBe(true);
    expect(m('a?c', 'abc')).toBe(true);
    expect(m('a?c', 'a/c')).toBe(false);
    expect(() => parseAllowList('docs/** no-such-rule\n', '/')).toThrow(/unknown rule "no-such-rule"/);
  });
});

describe('scan', () => {
  it('reports file, line, column and rule, masks the value, and exits 1', () => {
    const d = dir();
    const secret = fake.github();
    writeFileSync(join(d, 'app.js'), `// config\nconst token = "${secret}";\n`);
    writeFileSync(join(d, 'clean.txt'), 'nothing here\n');
    const r = cli(d, ['scan']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^app\.js:2:16: github-token ghp_\*\*\* {2}fingerprint:[0-9a-f]{16}\n$/);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(r.stderr).toContain('1 likely secret in 1 file');
    const clean = cli(d, ['scan', 'clean.txt']);
    expect(clean.status).toBe(0);
    expect(clean.stdout).toBe('');
    expect(clean.stderr).toMatch(/^no secrets found \(1 file in [0-9.]+s\)\n$/);
    // A finding keeps the prefix: it is a failure.
    expect(r.stderr).toMatch(/^fernet-config: 1 likely secret/m);
  });

  it('respects .gitignore inside a repository, and skips node_modules outside one', () => {
    const d = repo();
    writeFileSync(join(d, '.gitignore'), 'ignored/\n*.local\n');
    mkdirSync(join(d, 'ignored'));
    mkdirSync(join(d, 'src'));
    writeFileSync(join(d, 'ignored/a.env'), `API_KEY=${fake.aws()}\n`);
    writeFileSync(join(d, 'settings.local'), `API_KEY=${fake.aws()}\n`);
    writeFileSync(join(d, 'src/untracked.py'), `k = "${fake.aws()}"\n`);
    writeFileSync(join(d, 'tracked.py'), `k = "${fake.aws()}"\n`);
    git(d, ['add', 'tracked.py']);
    expect(findings(d).list.map((f) => f.path)).toEqual(['src/untracked.py', 'tracked.py']);
    expect(findings(join(d, 'src')).list.map((f) => f.path)).toEqual(['untracked.py']);

    const p = dir();
    mkdirSync(join(p, 'node_modules/dep'), { recursive: true });
    writeFileSync(join(p, 'node_modules/dep/index.js'), `k = "${fake.aws()}"\n`);
    writeFileSync(join(p, 'main.js'), `k = "${fake.aws()}"\n`);
    expect(findings(p).list.map((f) => f.path)).toEqual(['main.js']);
  });

  it('--staged scans only the lines the staged change adds', () => {
    const d = repo();
    writeFileSync(join(d, 'old.py'), `old = "${fake.aws()}"\n`);
    git(d, ['add', '-A']);
    git(d, ['commit', '-qm', 'old secret, already reviewed']);
    writeFileSync(join(d, 'old.py'), `old = "${fake.aws()}"\nx = 1\nnew = "${fake.stripe()}"\n`);
    writeFileSync(join(d, 'unstaged.py'), `k = "${fake.aws()}"\n`);
    git(d, ['add', 'old.py']);
    writeFileSync(join(d, 'old.py'), 'worktree changed after staging\n');
    const r = findings(d, ['--staged']);
    expect(r.status).toBe(1);
    expect(r.list.map((f) => `${f.path}:${f.line} ${f.rule}`)).toEqual(['old.py:1 aws-access-key-id', 'old.py:3 stripe-key']);
    git(d, ['commit', '-qm', 'x', '--no-verify']);
    expect(findings(d, ['--staged'])).toMatchObject({ status: 0, list: [] });
  });

  it('honours inline ignore comments and the allow-list file', () => {
    const d = repo();
    const keep = fake.aws();
    const lines = [
      `a = "${fake.aws()}"  # fcfg-scan: ignore`,
      `b = "${fake.aws()}"  # fcfg-scan: ignore github-token (a different rule: still reported)`,
      '# fcfg-scan: ignore-next-line',
      `c = "${fake.aws()}"`,
      `d = "${keep}"`,
      `e = "${keep}"`,
    ];
    writeFileSync(join(d, 'app.py'), lines.join('\n') + '\n');
    mkdirSync(join(d, 'fixtures'));
    writeFileSync(join(d, 'fixtures/keys.txt'), `${fake.github()}\n${fake.aws()}\n`);
    let r = findings(d);
    expect(r.list.map((f) => `${f.path}:${f.line}`)).toEqual(['app.py:2', 'app.py:5', 'app.py:6', 'fixtures/keys.txt:1', 'fixtures/keys.txt:2']);
    const fp = r.list.find((f) => f.line === 5)!.fingerprint;
    writeFileSync(join(d, '.fcfgscanignore'), `# reviewed\nfingerprint:${fp}\nfixtures/ github-token\n`);
    r = findings(d);
    expect(r.list.map((f) => `${f.path}:${f.line}`)).toEqual(['app.py:2', 'fixtures/keys.txt:2']);
    writeFileSync(join(d, '.fcfgscanignore'), 'fixtures/\napp.py\n');
    expect(findings(d)).toMatchObject({ status: 0, list: [] });
    writeFileSync(join(d, '.fcfgscanignore'), 'app.py aws-key\n');
    const bad = cli(d, ['scan']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('.fcfgscanignore, line 1: unknown rule "aws-key"');
    expect(cli(d, ['scan', '--ignore-file', 'missing']).stderr).toContain('[ERR_FILE_NOT_FOUND]');
  });

  it('skips binary and oversized files, and lists its rules', () => {
    const d = dir();
    writeFileSync(join(d, 'blob.bin'), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(fake.aws())]));
    writeFileSync(join(d, 'data.txt'), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(fake.aws())]));
    writeFileSync(join(d, 'big.txt'), `k = "${fake.aws()}"\n` + 'x'.repeat(2000));
    const r = cli(d, ['scan', '--json', '--max-file-size', '1000']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ files: 0, skipped: { binary: 2, large: 1 } });
    const rules = cli(d, ['scan', '--list-rules']).stdout;
    for (const rule of RULES) expect(rules).toContain(rule.id);
  });
});
