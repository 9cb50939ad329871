/**
 * What the package ships and depends on: the LICENSE its package.json names, and only the prompt packages
 * the CLI imports (not the whole @inquirer/prompts bundle with its external editor and encodings).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllowList } from '../src/scan/ignore.js';
import { scan } from '../src/scan/scan.js';
import { cleanEnv, REPO } from './helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { license: string; dependencies: Record<string, string> };

describe('the package', () => {
  it('ships LICENSE (npm pack --dry-run), the MIT text its package.json names', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: REPO,
      env: cleanEnv({ npm_config_update_notifier: 'false' }),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const files = (JSON.parse(out) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
    expect(files).toContain('LICENSE');
    expect(pkg.license).toBe('MIT');
    const text = readFileSync(join(REPO, 'LICENSE'), 'utf8');
    expect(text.split('\n').slice(0, 3)).toEqual(['MIT License', '', 'Copyright (c) 2026 the fernet-config authors']);
  }, 60_000);

  it('depends on exactly the prompt packages the CLI imports', () => {
    const imported = new Set<string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/import\(\s*'(@inquirer\/[\w-]+)'\s*\)|from '(@inquirer\/[\w-]+)'/g)) imported.add(m[1] ?? m[2]!);
      }
    };
    walk(join(REPO, 'cli'));
    walk(join(REPO, 'src'));
    const declared = Object.keys(pkg.dependencies).filter((d) => d.startsWith('@inquirer/'));
    expect(imported.size).toBeGreaterThan(0);
    expect(declared.sort()).toEqual([...imported].sort());
    expect(declared).not.toContain('@inquirer/prompts');
  });

  it('the repository scans clean with its .fcfgscanignore, whose every pattern names the rules it silences', () => {
    const text = readFileSync(join(REPO, '.fcfgscanignore'), 'utf8');
    const list = parseAllowList(text, REPO);
    expect(list.entries.length).toBeGreaterThan(0);
    expect(list.entries.every((e) => e.rules !== undefined && e.rules.size > 0)).toBe(true);
    expect(list.fingerprints.size).toBe(0);
    const report = scan({ cwd: REPO });
    expect(report.findings.map((f) => `${f.path}:${f.line} ${f.rule}`)).toEqual([]);
    expect(report.files).toBeGreaterThan(100);
  }, 60_000);
});
