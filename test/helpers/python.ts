/**
 * Runs Python from tests: the interop tests check our tokens against Python's `cryptography`, the
 * reference implementation.
 *
 * The interpreter is `FERNET_CONFIG_PYTHON` when set (CI points it at the system Python that has
 * `cryptography`), else `python3` from PATH. A missing interpreter fails loudly rather than skipping:
 * interop with Python is the point of the package.
 */
import { spawnSync } from 'node:child_process';

export const PYTHON = process.env['FERNET_CONFIG_PYTHON'] || 'python3';

export interface RunPythonOptions {
  /** Kill the process after this long (default 60 s). */
  timeoutMs?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/**
 * Runs `code` (a whole program, passed with `-c`) in a fresh Python process, with `input` on stdin, and
 * returns its stdout. Throws with the exit status and stderr when Python fails.
 */
export function runPython(code: string, input?: string, options: RunPythonOptions = {}): string {
  const result = spawnSync(PYTHON, ['-c', code], {
    input: input ?? '',
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 512 * 1024 * 1024,
    env: { ...process.env, PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
  });
  if (result.error) {
    throw new Error(`could not run ${PYTHON} (set FERNET_CONFIG_PYTHON to choose another): ${result.error.message}`, {
      cause: result.error,
    });
  }
  if (result.status !== 0) {
    const how = result.status === null ? `was killed by ${result.signal}` : `exited with status ${result.status}`;
    throw new Error(`${PYTHON} ${how}:\n${result.stderr}`);
  }
  return result.stdout;
}

/**
 * Runs `code` with `input` serialized as JSON on stdin and parses the JSON the program prints.
 * The program typically starts with `import json, sys; cases = json.load(sys.stdin)` and ends with
 * `json.dump(results, sys.stdout)`. Batching many cases into one process keeps the tests fast.
 */
export function runPythonJson<T>(code: string, input: unknown, options?: RunPythonOptions): T {
  const stdout = runPython(code, JSON.stringify(input), options);
  try {
    return JSON.parse(stdout) as T;
  } catch (cause) {
    throw new Error(`${PYTHON} did not print JSON:\n${stdout.slice(0, 2000)}`, { cause });
  }
}

/** The installed `cryptography` version, e.g. "48.0.0". Throws (with Python's message) if it is missing. */
export function pythonCryptographyVersion(): string {
  return runPython('import cryptography; print(cryptography.__version__)').trim();
}
