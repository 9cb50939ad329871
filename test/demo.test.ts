/**
 * `npm run demo` prints every step before running it; pasted into a shell, the printed steps must do
 * what the demo did (the Python line once printed a program that failed with `NameError: Fernet`).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO, cleanEnv, useTempDirs } from './helpers/cli.js';
import { PYTHON } from './helpers/python.js';

const newDir = useTempDirs('fcfg-demo-test-');
// The demo calls `python3` by name; put the interpreter the tests use first on PATH.
const env = cleanEnv({ PATH: `${dirname(PYTHON) === '.' ? '' : `${dirname(PYTHON)}:`}${process.env['PATH'] ?? ''}` });

describe('examples/demo.mjs', () => {
  it('prints exactly what it runs: the printed steps, replayed by a shell, give the same output', () => {
    const out = execFileSync(process.execPath, [join(REPO, 'examples/demo.mjs')], { env, encoding: 'utf8', timeout: 120_000 });
    const steps = out.split('\n').filter((l) => l.startsWith('$ ')).map((l) => l.slice(2));
    expect(steps[0]).toBe('fcfg keygen');
    const python = steps.find((s) => s.startsWith('python3 -c '));
    expect(python, 'the interop step runs (Python with cryptography is a test requirement)').toBeDefined();
    // The demo's own run printed the port the `set` step wrote.
    expect(out).toContain(`$ ${python}\n6432\n`);

    const dir = newDir();
    copyFileSync(join(REPO, 'examples/config.json'), join(dir, 'config.json'));
    const script = [`fcfg() { "${process.execPath}" "${CLI}" "$@"; }`, 'set -e', ...steps.filter((s) => s.startsWith('fcfg ')), python!].join('\n');
    const replay = spawnSync('sh', ['-c', script], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
    expect(replay.stderr).not.toMatch(/Error/);
    expect(replay.status).toBe(0);
    expect(replay.stdout.endsWith('6432\n')).toBe(true);
  }, 180_000);
});
