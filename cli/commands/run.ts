import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Command } from 'commander';
import { openConfig } from '../../src/config/file.js';
import { CommandNotFound, ConfigValidationError, EnvExportError, FileAccessError } from '../../src/errors.js';
import { checkEnvPrefix, flattenToEnv } from '../../src/ops/env.js';
import { keyOptions, type KeyFlags } from '../io.js';
import { reportError } from '../report.js';
import { warnDuplicateKeys } from '../values.js';

interface Flags extends KeyFlags {
  prefix: string;
  schema?: string;
  ttl?: number;
}

/**
 * Signals a supervisor (systemd, docker, a CI runner) sends to the process it started, which is us: the
 * program must get them instead. From a terminal, Ctrl-C reaches both of us and the program receives
 * SIGINT twice; programs that exit on the first one do not notice.
 */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];

export default async function run(config: string, program: string, args: string[], flags: Flags, command: Command): Promise<number> {
  checkEnvPrefix(flags.prefix);
  const opened = openConfig(config, keyOptions(flags), flags.ttl === undefined ? {} : { ttl: flags.ttl });
  // Reading takes the last copy of a repeated key, as Python does; say so, as get and decrypt do.
  warnDuplicateKeys(opened.text, config, opened);
  const value = opened.value;
  if (flags.schema !== undefined) {
    const { compileSchema, readSchemaFile, validateWith } = await import('../../src/schema/compile.js');
    // Like the runtime loader, defaults from the schema become variables too; the file is not touched.
    const validate = compileSchema(readSchemaFile(flags.schema), { useDefaults: true }, `schema ${flags.schema}`);
    const issues = validateWith(validate, value);
    if (issues.length > 0) throw new ConfigValidationError(issues, { hint: `fix it with \`fcfg edit ${config}\` or \`fcfg set ${config} <path> <value>\`` });
  }
  const vars = flattenToEnv(value, { prefix: flags.prefix, text: opened.text });
  // What is already in the environment wins, as with the loader's env overrides (file < env): a one-off
  // `APP_DEBUG=1 fcfg run ...` works, and an empty prefix can never replace PATH or HOME.
  const exported = Object.entries(vars).filter(([name]) => process.env[name] === undefined);
  checkEnvSizes(exported);
  const env = { ...vars, ...process.env };

  const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
  try {
    return await runChild(program, args, env, exported);
  } catch (e) {
    reportError(e, debug);
    if (e instanceof CommandNotFound) return 127;
    if (e instanceof FileAccessError) return 126;
    return 1;
  }
}

/**
 * Linux refuses (E2BIG) any one environment string `NAME=value` longer than MAX_ARG_STRLEN, 32 pages of
 * 4 KiB = 131072 bytes counting its NUL (include/uapi/linux/binfmts.h). Checked before spawning so the
 * message can name the variable; the limit on the whole environment depends on the stack limit and is
 * mapped from E2BIG after the fact.
 */
const MAX_ARG_STRLEN = 128 * 1024;

/** Size of `NAME=value` as execve(2) counts it, NUL included, in bytes. */
const envStringBytes = ([name, value]: [string, string]): number => Buffer.byteLength(name) + 1 + Buffer.byteLength(value) + 1;

function checkEnvSizes(vars: [string, string][]): void {
  if (process.platform !== 'linux') return;
  for (const entry of vars) {
    const size = envStringBytes(entry);
    if (size > MAX_ARG_STRLEN) throw tooLarge(entry[0], size, `the system limit for one variable is ${MAX_ARG_STRLEN} bytes`);
  }
}

function tooLarge(name: string, size: number, limit: string, cause?: unknown): EnvExportError {
  return new EnvExportError(`${name} is too large for the environment (${size} bytes; ${limit})`, {
    cause,
    hint: 'keep large values out of the environment: read them with `fcfg get`, or have the program load the config itself',
  });
}

function runChild(program: string, args: string[], env: NodeJS.ProcessEnv, exported: [string, string][]): Promise<number> {
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(program, args, { stdio: 'inherit', env });
    } catch (e) {
      // Some failures (E2BIG) come from spawn itself rather than as an 'error' event.
      reject(spawnError(e as NodeJS.ErrnoException, program, exported));
      return;
    }
    const handlers = new Map<NodeJS.Signals, () => void>();
    const cleanup = () => {
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    };
    for (const signal of FORWARDED) {
      const handler = () => {
        child.kill(signal);
      };
      try {
        process.on(signal, handler);
        handlers.set(signal, handler);
      } catch {
        // a signal this platform cannot listen for
      }
    }
    child.once('error', (e: NodeJS.ErrnoException) => {
      // Only a failure to start matters; a failed kill() of a running child also lands here.
      if (child.pid !== undefined) return;
      cleanup();
      reject(spawnError(e, program, exported));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

/**
 * Whether the command line had `-- <program>`: commander drops the `--`, so only the raw words tell. Telling
 * someone who wrote it to add it sends them looking for the wrong mistake.
 */
function programAfterDashDash(program: string): boolean {
  const argv = process.argv;
  const end = argv.indexOf('--');
  return end !== -1 && argv[end + 1] === program;
}

function spawnError(e: NodeJS.ErrnoException, program: string, exported: [string, string][]): Error {
  switch (e.code) {
    case 'ENOENT':
      return new CommandNotFound(`command not found: ${program}`, {
        cause: e,
        hint: programAfterDashDash(program) ? 'check the name and your PATH' : 'check the name and your PATH; put -- before the command',
      });
    case 'EACCES':
    case 'EPERM':
      return new FileAccessError(`${program} cannot be run: permission denied`, { cause: e, hint: `is it executable? chmod +x ${program}` });
    case 'E2BIG': {
      // The environment as a whole is over the limit: name the largest variable, the likeliest culprit.
      let largest: [string, string] | undefined;
      for (const entry of exported) if (largest === undefined || envStringBytes(entry) > envStringBytes(largest)) largest = entry;
      const total = exported.reduce((sum, entry) => sum + envStringBytes(entry), 0);
      if (largest === undefined) return new EnvExportError('the environment is too large for the system to start the program', { cause: e });
      return tooLarge(largest[0], envStringBytes(largest), `the config's variables take ${total} bytes, more than the system allows in all`, e);
    }
    default:
      return new FileAccessError(`${program} could not be started (${e.code ?? 'error'})`, { cause: e });
  }
}
