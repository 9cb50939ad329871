import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { generateKey } from '../../src/fernet/key.js';

export const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The built CLI (`npm test` builds before running vitest). */
export const CLI = join(REPO, 'dist/cli/main.js');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeout?: number;
}

/** The environment without any FERNET_CONFIG_* of the developer's, so tests are hermetic. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('FERNET_CONFIG_') && v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Runs the CLI to completion. */
export function runCli(args: string[], options: CliOptions): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: options.timeout ?? 30_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI without waiting (for signal and concurrency tests). */
export function spawnCli(args: string[], options: Omit<CliOptions, 'input'>) {
  return spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: cleanEnv(options.env), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** A fresh private directory (realpath, so macOS-style /tmp symlinks do not confuse path checks). */
export function tempDir(prefix = 'fcfg-test-'): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Writes a key file with fresh keys (mode 0600) and returns its path and keys. */
export function makeKeyFile(dir: string, name = 'secret.key', count = 1): { path: string; keys: string[] } {
  const keys = Array.from({ length: count }, () => generateKey());
  const path = join(dir, name);
  writeFileSync(path, keys.join('\n') + '\n', { mode: 0o600 });
  return { path, keys };
}

/**
 * One temp root per test file, removed after it; each call of the returned function makes a fresh,
 * empty sub-directory, so tests never see each other's files.
 */
export function useTempDirs(prefix = 'fcfg-test-'): () => string {
  let root = '';
  let seq = 0;
  beforeAll(() => {
    root = tempDir(prefix);
  });
  afterAll(() => removeDir(root));
  return () => {
    const d = join(root, `t${++seq}`);
    mkdirSync(d);
    return d;
  };
}
