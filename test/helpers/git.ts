import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { removeDir, runCli, tempDir, type CliResult } from './cli.js';

/**
 * Real git repositories for tests, isolated from the developer's own git: HOME and the system config
 * are replaced, so a global external diff tool, signing or hooksPath cannot change what the tests see.
 */
export interface GitSandbox {
  /** The temp root of this test file (valid inside tests). */
  readonly root: string;
  env(extra?: Record<string, string>): Record<string, string>;
  git(cwd: string, args: string[], allowFail?: boolean): SpawnSyncReturns<string>;
  /** The built CLI, run with the sandbox environment. */
  cli(cwd: string, args: string[], input?: string): CliResult;
  /** A fresh empty directory. */
  dir(): string;
  /** A fresh repository on branch main with a local identity. */
  repo(): string;
}

export function useGitSandbox(prefix: string): GitSandbox {
  let root = '';
  let home = '';
  let seq = 0;
  beforeAll(() => {
    root = tempDir(prefix);
    home = join(root, 'home');
    mkdirSync(home);
  });
  afterAll(() => removeDir(root));

  const env = (extra: Record<string, string> = {}) => ({ HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...extra });
  const git = (cwd: string, args: string[], allowFail = false) => {
    const r = spawnSync('git', args, { cwd, env: { ...process.env, ...env() }, encoding: 'utf8' });
    if (!allowFail && r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
    return r;
  };
  const dir = () => {
    const d = join(root, `d${++seq}`);
    mkdirSync(d);
    return d;
  };
  return {
    get root() {
      return root;
    },
    env,
    git,
    cli: (cwd, args, input) => runCli(args, { cwd, env: env(), ...(input === undefined ? {} : { input }) }),
    dir,
    repo() {
      const d = dir();
      git(d, ['init', '-q', '-b', 'main']);
      git(d, ['config', 'user.name', 'Test']);
      git(d, ['config', 'user.email', 'test@example.invalid']);
      git(d, ['config', 'commit.gpgsign', 'false']);
      return d;
    },
  };
}
