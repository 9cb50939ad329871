/**
 * `scan` and dependency lock files: checksums are not secrets. And a one-line minified file full of URLs
 * is scanned in time linear in its size.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scan, scanText } from '../src/scan/scan.js';
import { runCli, useTempDirs } from './helpers/cli.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/scan-lockfiles/', import.meta.url));
const fresh = useTempDirs('fcfg-scan-lock-');
const read = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
/** The base64 of every `h1:` hash in a text. */
const h1Values = (text: string) => [...text.matchAll(/h1:([A-Za-z0-9+/]{43}=)/g)].map((m) => m[1]!);

describe('lock files', () => {
  it.each(['go.sum', '.terraform.lock.hcl', 'modules.txt'])('%s: its hashes would be reported as Fernet keys anywhere else', (name) => {
    const values = h1Values(read(name));
    expect(values.length).toBeGreaterThanOrEqual(2);
    // The control: the same values assigned in an ordinary file are Fernet-key shaped findings.
    const plain = values.map((v, i) => `key${i} = ${v}\n`).join('');
    expect(scanText(plain, 'notes.txt').filter((f) => f.rule.id === 'fernet-key')).toHaveLength(values.length);
  });

  it.each([
    ['go.sum', 'go.sum'],
    ['go.sum', 'go.work.sum'],
    ['.terraform.lock.hcl', '.terraform.lock.hcl'],
    ['modules.txt', 'vendor/modules.txt'],
    ['modules.txt', 'docs/deps.md'],
  ])('%s as %s: nothing found', (fixture, path) => {
    expect(scanText(read(fixture), path).map((f) => `${f.rule.id} ${f.value.slice(0, 4)}`)).toEqual([]);
  });

  it('by line shape: an h1: or zh: prefix, not just any colon', () => {
    const [value] = h1Values(read('go.sum'));
    expect(scanText(`x h1:${value}\n`, 'notes.txt')).toEqual([]);
    expect(scanText(`x zh:${value}\n`, 'notes.txt')).toEqual([]);
    expect(scanText(`x k1:${value}\n`, 'notes.txt').map((f) => f.rule.id)).toEqual(['fernet-key']);
    expect(scanText(`x ah1:${value}\n`, 'notes.txt').map((f) => f.rule.id)).toEqual(['fernet-key']);
  });

  it('a Go and Terraform project scans clean from the CLI', () => {
    const d = fresh();
    copyFileSync(join(FIXTURES, 'go.sum'), join(d, 'go.sum'));
    copyFileSync(join(FIXTURES, '.terraform.lock.hcl'), join(d, '.terraform.lock.hcl'));
    const r = runCli(['scan', '.', '--json'], { cwd: d });
    expect(JSON.parse(r.stdout).findings).toEqual([]);
    expect(r.status).toBe(0);
  });
});

describe('linear in the size of a file', () => {
  /** One line of minified JavaScript: `n` bytes of URLs, none with credentials, one `@` at the end. */
  function minified(n: number): string {
    const parts: string[] = ['var u=['];
    let size = 0;
    for (let i = 0; size < n; i++) {
      const url = `"https://cdn${i % 97}.assets.invalid/static/js/chunk-${(i * 7919).toString(36)}.min.js?v=${i}",`;
      parts.push(url);
      size += url.length;
    }
    parts.push('];var mail="ops@assets.invalid";');
    return parts.join('');
  }

  it('a 2 MB one-line file of URLs finishes in seconds, not minutes', () => {
    const d = fresh();
    writeFileSync(join(d, 'bundle.min.js'), minified(2 * 1024 * 1024));
    const started = Date.now();
    const report = scan({ cwd: d, paths: ['.'] });
    const elapsed = Date.now() - started;
    expect(report.files).toBe(1);
    expect(report.findings).toEqual([]);
    // The quadratic prefilter took about 150 s here (6 s at 400 KB); linear code takes 1-2 s. The bound is
    // generous for a loaded machine and still an order of magnitude below the old behaviour.
    expect(elapsed).toBeLessThan(20_000);
  }, 120_000);
});
