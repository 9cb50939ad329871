import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';

/**
 * Every command is declared here; each action lives in its own module under ./commands and is imported
 * only when that command runs, so `fcfg get` never pays for the prompt library or ajv.
 */
type Action = (...args: any[]) => Promise<number | void> | number | void;

function lazy(name: string) {
  return async (...args: unknown[]) => {
    const mod = (await import(`./commands/${name}.js`)) as { default: Action };
    const status = await mod.default(...args);
    if (typeof status === 'number' && status !== 0) process.exitCode = status;
  };
}

/** Key-source options, declared once and added to every command that needs a key. */
function withKeys(cmd: Command): Command {
  return cmd
    .addOption(new Option('-k, --key-file <path>', 'key file (one key per line; the first encrypts)'))
    .addOption(new Option('--key <keys>', 'literal key(s), comma-separated (avoid: ends up in shell history)'))
    .addOption(new Option('--key-command <cmd>', 'shell command that prints the key ring (vault, cloud key store)'))
    .addOption(new Option('--strict-permissions', 'fail, instead of warning, on key files readable by others'));
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('fernet-config')
    .description('Encrypted JSON config files in the Fernet format (compatible with Python cryptography.fernet)')
    .version(version(), '-V, --version')
    .option('--debug', 'print stack traces on errors (never secrets)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureHelp({ sortSubcommands: false })
    .addHelpText(
      'after',
      `
Key resolution, first match wins:
  1. --key-file PATH, --key KEYS or --key-command CMD
  2. env FERNET_CONFIG_KEY (keys separated by commas or whitespace)
  3. env FERNET_CONFIG_KEY_FILE
  4. env FERNET_CONFIG_KEY_COMMAND
  5. <name>.key beside <name>.enc
  6. secret.key beside the config file`,
    );
  // Subcommands inherit exitOverride and this output, so usage errors come back to run() (exit 2).
  program.configureOutput({ outputError: (text, write) => write(`fernet-config: ${text.replace(/^error: /, '')}`) });
  const add = (name: string) => program.command(name);

  add('keygen')
    .description('create a key file (mode 0600); "-" prints the key')
    .argument('[path]', 'key file to create', 'secret.key')
    .option('-f, --force', 'replace an existing key file (its old keys are lost)')
    .option('-a, --add', 'prepend a new primary key to an existing key ring, keeping the old keys')
    .option('--json', 'print a JSON report')
    .action(lazy('keygen'));

  withKeys(add('encrypt'))
    .description('encrypt a JSON file (or "-" for stdin) into a config file')
    .argument('<input>', 'JSON file, or - for standard input')
    .option('-o, --output <path>', 'where to write (default: INPUT with .json replaced by .enc; stdout for -)')
    .option('--schema <file>', 'refuse content that does not match this JSON Schema')
    .action(lazy('encrypt'));

  withKeys(add('decrypt'))
    .description('decrypt a config file to stdout, or to a 0600 file')
    .argument('<config>', 'encrypted config file')
    .option('-o, --output <path>', 'write the plaintext to this file (mode 0600) instead of stdout')
    .option('--ttl <seconds>', 'fail when the config was encrypted longer ago than this', parseSeconds)
    .option('--redact', 'mask values marked "sensitive": true in --schema')
    .option('--schema <file>', 'JSON Schema (for --redact)')
    .action(lazy('decrypt'));

  withKeys(add('get'))
    .description('print one value (strings raw, anything else as JSON)')
    .argument('<config>', 'encrypted config file')
    .argument('<path>', 'dot path, e.g. database.password or servers.0.host')
    .option('--json', 'always print JSON (strings quoted)')
    .option('--ttl <seconds>', 'fail when the config is older than this', parseSeconds)
    .option('--redact', 'mask values marked "sensitive": true in --schema')
    .option('--schema <file>', 'JSON Schema (for --redact)')
    .action(lazy('get'));

  withKeys(add('set'))
    .description('set one value (creates the config and missing objects); prompts when VALUE is omitted on a terminal')
    .argument('<config>', 'encrypted config file')
    .argument('<path>', 'dot path, e.g. database.password')
    .argument('[value]', 'JSON value, or a string when it does not parse as JSON')
    .option('-s, --string', 'store VALUE as a string even if it parses as JSON')
    .option('--stdin', 'read the value from standard input (keeps secrets out of shell history)')
    .option('--schema <file>', 'refuse the change when the result does not match this JSON Schema')
    .action(lazy('set'));

  withKeys(add('unset'))
    .description('remove one value')
    .argument('<config>', 'encrypted config file')
    .argument('<path>', 'dot path')
    .action(lazy('unset'));

  withKeys(add('validate'))
    .description('check a config against a JSON Schema (violations as path: message, never values)')
    .argument('<config>', 'encrypted config file')
    .requiredOption('--schema <file>', 'JSON Schema')
    .option('--json', 'print a JSON report')
    .action(lazy('validate'));

  // --- edit (issue 4) ---

  // --- loader tools (issue 5) ---

  // --- rotation, status, run (issue 6) ---

  // --- git and CI (issue 7) ---

  return program;
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number of seconds');
  return n;
}
