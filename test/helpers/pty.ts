import { spawnSync } from 'node:child_process';
import { CLI, cleanEnv } from './cli.js';
import { PYTHON } from './python.js';

/**
 * Runs the CLI on a real pseudo-terminal (Python's `pty` module), answering prompts like a person:
 * each step waits until the screen output matches `expect`, then types `send`. This is the only honest
 * way to test the TTY-only paths (confirmations, hidden input) end to end.
 */
export interface PtyStep {
  expect: string; // a regular expression (Python syntax)
  send: string;
}

export interface PtyResult {
  status: number;
  output: string;
}

const DRIVER = String.raw`
import json, os, pty, re, select, sys, time
spec = json.loads(sys.stdin.read())
pid, fd = pty.fork()
if pid == 0:
    os.chdir(spec['cwd'])
    if spec.get('stdoutFile'):
        # stdout redirected, stdin and stderr still the terminal: \`fcfg edit > out.txt\` typed at a prompt
        out_fd = os.open(spec['stdoutFile'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out_fd, 1)
        os.close(out_fd)
    os.execve(spec['argv'][0], spec['argv'], spec['env'])
out = b''
seen = 0
steps = spec['steps']
deadline = time.time() + spec['timeout']
while True:
    if time.time() > deadline:
        os.kill(pid, 9)
        out += b'\n[pty driver: timed out]'
        break
    r, _, _ = select.select([fd], [], [], 0.05)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    if steps and re.search(steps[0]['expect'], out[seen:].decode('utf-8', 'replace')):
        seen = len(out)
        os.write(fd, steps.pop(0)['send'].encode())
_, status = os.waitpid(pid, 0)
print(json.dumps({'status': os.waitstatus_to_exitcode(status), 'output': out.decode('utf-8', 'replace')}))
`;

export function runCliInPty(args: string[], options: { cwd: string; env?: Record<string, string | undefined>; steps: PtyStep[]; timeout?: number; stdoutFile?: string }): PtyResult {
  const spec = {
    cwd: options.cwd,
    stdoutFile: options.stdoutFile,
    argv: [process.execPath, CLI, ...args],
    env: cleanEnv({ TERM: 'xterm', ...options.env }),
    steps: options.steps,
    timeout: (options.timeout ?? 20_000) / 1000,
  };
  const r = spawnSync(PYTHON, ['-c', DRIVER], { input: JSON.stringify(spec), encoding: 'utf8', timeout: (options.timeout ?? 20_000) + 5_000 });
  if (r.status !== 0) throw new Error(`pty driver failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PtyResult;
}
