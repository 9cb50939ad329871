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
    .addOption(new Option('--strict-permissions', 'fail, instead of warning, on key files readable by others'))
    .addOption(new Option('--identity <file>', 'identity (age or SSH private key) to open a .age key ring'));
}

/** --redact and the --schema it reads `sensitive` marks from, for the commands that print values. */
function withRedaction(cmd: Command): Command {
  return cmd
    .option('--redact', 'mask values marked "sensitive": true in --schema')
    .option('--schema <file>', 'JSON Schema (for --redact)');
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
  6. secret.key beside the config file
  7. <name>.key.age, then secret.key.age beside the config, opened with
     --identity FILE (which selects the ring ahead of 1-6), else env
     FERNET_CONFIG_IDENTITY or FERNET_CONFIG_IDENTITY_FILE, else each of
     ~/.config/fernet-config/identities, ~/.ssh/id_ed25519, ~/.ssh/id_rsa`,
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

  withRedaction(withKeys(add('decrypt')))
    .description('decrypt a config file to stdout, or to a 0600 file')
    .argument('<config>', 'encrypted config file')
    .option('-o, --output <path>', 'write the plaintext to this file (mode 0600) instead of stdout')
    .option('--ttl <seconds>', 'fail when the config was encrypted longer ago than this', parseSeconds)
    .action(lazy('decrypt'));

  withRedaction(withKeys(add('get')))
    .description('print one value (strings raw, anything else as JSON)')
    .argument('<config>', 'encrypted config file')
    .argument('<path>', 'dot path, e.g. database.password or servers.0.host')
    .option('--json', 'always print JSON (strings quoted)')
    .option('--ttl <seconds>', 'fail when the config is older than this', parseSeconds)
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
  withKeys(add('edit'))
    .description('edit a config in your editor; the plaintext lives only in a private temp directory (creates a missing config)')
    .argument('<config>', 'encrypted config file (created when missing)')
    .option('--schema <file>', 'refuse to save content that does not match this JSON Schema; a new config starts from its defaults and required properties')
    .option('--resume', 'continue an edit that was kept as CONFIG.draft')
    .option('--draft <file>', 'the draft to continue (implies --resume; default CONFIG.draft)')
    .option('--discard-draft', "delete CONFIG's drafts, then edit the config")
    .addHelpText(
      'after',
      `
The editor is $VISUAL, else $EDITOR, else vi; it may carry arguments. GUI editors must be told to
wait: EDITOR="code --wait", "subl -w", "emacsclient -t". Nothing is saved when the editor exits
non-zero (vim: :cq). Invalid JSON or schema violations: re-open or stop on a terminal; otherwise,
and whenever the config changed on disk meanwhile, the edit is kept encrypted in CONFIG.draft.
Without --schema, a local "$schema" named in the document validates it. The temp directory is
in $FERNET_CONFIG_TMPDIR, else $XDG_RUNTIME_DIR or /dev/shm (memory), else the system temp dir.`,
    )
    .action(lazy('edit'));

  // --- loader tools (issue 5) ---
  add('compile-schema')
    .description('compile a JSON Schema into a validator module that loadConfig({ validate }) uses without ajv')
    .argument('<schema>', 'JSON Schema file')
    .option('-o, --output <path>', 'module to write (.js or .mjs; default: stdout); its .d.ts is written beside it')
    .option('--no-types', 'do not write the .d.ts')
    .action(lazy('compile-schema'));

  // --- rotation, status, run (issue 6) ---
  const parseCount = (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number, at least 1');
    return n;
  };
  const parseDays = (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number of days (fractions allowed)');
    return n;
  };
  withKeys(add('rotate'))
    .description("re-encrypt configs under the key ring's primary key (all opened before any is written)")
    .argument('<config...>', 'encrypted config files')
    .option('-f, --force', 'also re-encrypt configs the primary key already opens')
    .option('--keep-timestamp', "keep each token's original timestamp (Python MultiFernet.rotate) instead of now")
    .option('-n, --dry-run', 'report what would be rotated, write nothing')
    .option('--json', 'print a JSON report')
    .action(lazy('rotate'));

  const keys = add('keys').description('inspect and prune key rings');
  withKeys(keys.command('list'))
    .description('show index and fingerprint of each key (never the keys)')
    .argument('[keyfile]', 'key file (default: the usual key resolution, then ./secret.key)')
    .option('--json', 'print a JSON report')
    .action(lazy('keys-list'));
  keys
    .command('prune')
    .description('keep the N newest keys of a key file; refuses if a listed config needs a dropped key')
    .argument('<keyfile>', 'key file to rewrite (atomically, mode 0600)')
    .argument('[config...]', 'configs that must stay readable')
    .requiredOption('--keep <n>', 'how many keys to keep, counting from the primary', parseCount)
    .option('-n, --dry-run', 'report what would be dropped, write nothing')
    .option('--strict-permissions', 'fail, instead of warning, on a key file readable by others')
    .option('--json', 'print a JSON report')
    .action(lazy('keys-prune'));

  withKeys(add('status'))
    .description('which key opens each config, when it was encrypted, its size; --max-age fails on old ones')
    .argument('<config...>', 'encrypted config files')
    .option('--max-age <days>', 'exit 1 when a config was encrypted longer ago than this (fractions allowed)', parseDays)
    .option('--json', 'print a JSON report')
    .action(lazy('status'));

  withKeys(add('run'))
    .description('run a program with the config as environment variables (database.password -> APP_DATABASE__PASSWORD)')
    .usage('[options] <config> -- <command> [args...]')
    .argument('<config>', 'encrypted config file')
    .argument('<command>', 'program to run (looked up in PATH)')
    .argument('[args...]', 'its arguments (put -- before the command so its options are not taken for ours)')
    .option('--prefix <prefix>', 'put in front of every variable name ("" for none)', 'APP_')
    .option('--schema <file>', 'validate first (and fill in defaults) with this JSON Schema')
    .option('--ttl <seconds>', 'fail when the config is older than this', parseSeconds)
    .addHelpText(
      'after',
      `
Names: keys upper-cased, other characters -> _, nesting -> __. Strings as they are, numbers as
written, booleans true/false, arrays as JSON; null is left unset. Variables already set in the
environment win (the loader's precedence: file < env). Exit status: the program's, 128+N when it
is killed by signal N, 127 when it cannot be found.`,
    )
    .action(lazy('run'));

  // --- git and CI (issue 7) ---
  const driverKeys = (cmd: Command) =>
    cmd
      .addOption(new Option('-k, --key-file <path>', 'key file (default: the usual resolution for the real file)'))
      .addOption(new Option('--key-command <cmd>', 'shell command that prints the key ring'))
      .addOption(new Option('--identity <file>', 'identity to open a .age key ring'));
  const parseMaxAge = (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number of days');
    return n;
  };
  const parseBytes = (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of bytes');
    return n;
  };

  driverKeys(add('git-setup'))
    .description('make git diff show *.enc decrypted and merge them key by key (local git config + .gitattributes)')
    .option('--undo', 'remove exactly what git-setup added')
    .option('--schema <file>', 'mask values marked "sensitive": true in diffs')
    .option('--command <cmd>', 'how git should start fernet-config (default: this node and this CLI, by absolute path)')
    .action(lazy('git-setup'));

  driverKeys(add('textconv'))
    .description('print an encrypted file as canonical JSON (git diff textconv); without a key, the file as it is')
    .argument('<file>', 'encrypted file (git passes a temporary copy)')
    .option('--schema <file>', 'mask values marked "sensitive": true')
    .action(lazy('textconv'));

  driverKeys(add('merge-driver'))
    .description('git merge driver: three-way merge of encrypted configs, key by key (git runs it: %O %A %B %P)')
    .argument('<base>', 'common ancestor (%O)')
    .argument('<ours>', 'our version; receives the result (%A)')
    .argument('<theirs>', 'their version (%B)')
    .argument('<path>', 'the file in the work tree, for key lookup and messages (%P)')
    .action(lazy('merge-driver'));

  withKeys(add('check'))
    .description('find committed or exposed key files, plaintext copies, and configs that fail to open or validate')
    .argument('[paths...]', 'files and directories to check (default: .)')
    .option('--schema <file>', 'also validate every config a key opens')
    .option('--max-age <days>', 'report configs encrypted longer ago than this (fractions allowed)', parseMaxAge)
    .option('--json', 'print a JSON report')
    .option('--install-hook', 'run this check (with these options) from the git pre-commit hook')
    .option('--uninstall-hook', 'remove it from the pre-commit hook')
    .option('--scan', 'with --install-hook: also run `fcfg scan --staged`')
    .option('-f, --force', 'with --install-hook: append to a pre-commit hook fernet-config did not write')
    .action(lazy('check'));

  add('scan')
    .description('find likely secrets (keys, tokens, passwords) in files; exit 1 when there are any')
    .argument('[paths...]', 'files and directories (default: .); git-ignored files are skipped')
    .option('--staged', 'scan only what is staged for commit, and only the lines it adds')
    .option('--json', 'print a JSON report')
    .option('--ignore-file <path>', 'allow-list (default: .fcfgscanignore at the top of the repository)')
    .option('--max-file-size <bytes>', 'skip larger files (default 5 MiB)', parseBytes)
    .option('--list-rules', 'print the rules and exit')
    .action(lazy('scan'));

  // --- team access: .age key rings and their recipients (issue 13) ---
  // Key resolution is synchronous, age is not: a key command's .age ring is opened before it runs.
  program.hook('preAction', async (_program, action) => {
    if (!action.options.some((o) => o.long === '--identity') || action.parent?.name() === 'recipients') return;
    await (await import('./age.js')).openAgeRings(action);
  });
  const team = (file: string, fn: string) => async (...args: unknown[]) => {
    const mod = (await import(`./commands/${file}.js`)) as Record<string, Action>;
    const status = await mod[fn]!(...args);
    if (typeof status === 'number' && status !== 0) process.exitCode = status;
  };
  const recipients = add('recipients').description('who can open a .age key ring (secret.key.age)');
  const ringOption = () => new Option('--ring <path>', 'the .age key ring').default('secret.key.age');
  withKeys(recipients.command('add'))
    .description('add a recipient and re-encrypt the ring for everyone')
    .argument('<name>', 'a name for the person or machine')
    .argument('<recipient>', 'age1..., age1pq1..., "ssh-ed25519 ...", "ssh-rsa ..." or a .pub file')
    .addOption(ringOption())
    .option('-f, --force', 'write although the recipients file and the ring disagree')
    .option('--json', 'print a JSON report')
    .action(team('recipients', 'add'));
  recipients
    .command('list')
    .description('list the recipients; exit 1 when the file and the ring disagree')
    .addOption(ringOption())
    .option('--json', 'print a JSON report')
    .action(team('recipients', 'list'));
  withKeys(recipients.command('remove'))
    .description('remove a recipient; with --rotate, revoke: new key, rotate, prune')
    .argument('<name>', 'the recipient to remove')
    .option('--rotate <config...>', 'every config the ring opens: rotated to a new key')
    .addOption(ringOption())
    .option('-f, --force', 'write although the recipients file and the ring disagree')
    .option('--json', 'print a JSON report')
    .action(team('recipients', 'remove'));
  const identity = add('identity').description('age identities for people and machines');
  identity
    .command('new')
    .description('create an identity (mode 0600) and print its public recipient')
    .argument('[path]', 'file to create (default ~/.config/fernet-config/identities); - prints it')
    .option('-f, --force', 'replace an existing file (its identity is lost)')
    .option('--pq', 'a post-quantum hybrid identity (age1pq1...)')
    .option('--json', 'print a JSON report')
    .action(team('identity', 'create'));
  // --- end team access ---

  return program;
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number of seconds');
  return n;
}
