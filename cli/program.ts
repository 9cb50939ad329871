import { InvalidArgumentError, Option, type Command } from 'commander';
import { loadCommand } from './load-command.js';
import type { CommandName } from './route.js';
import { CliCommand } from './usage.js';
import { packageVersion } from './version.js';

/**
 * Every command is declared here; each action lives in its own module under ./commands and is imported
 * only when that command runs, so `fcfg get` never pays for the prompt library or ajv.
 */
type Action = (...args: any[]) => Promise<number | void> | number | void;

function lazy(name: string) {
  return async (...args: unknown[]) => {
    const mod = (await loadCommand(name)) as { default: Action };
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

/** Help is wrapped to 80 columns, the width of a default terminal, whatever the terminal is. */
const HELP_WIDTH = 80;


/**
 * Declares the program. `name` is the program as invoked (`fcfg` or `fernet-config`), so usage lines read
 * the way the user typed it. Wording follows git's help: lowercase descriptions without a final period,
 * `<required>` and `[optional]` arguments, and a short summary per command in the list.
 *
 * With `only`, the program declares that one command (with its subcommands) and none of the others:
 * declaring all of them, every option parsed into commander's objects, cost `fcfg get` about a tenth of
 * bare node's start-up. The one command parses, fails and explains itself exactly as in the whole program;
 * what needs the others (the command list, help, did-you-mean for commands) is for the caller to route to
 * the whole program (see run.ts).
 */
export function buildProgram(name = 'fernet-config', only?: CommandName): Command {
  const declares = (command: CommandName): boolean => only === undefined || only === command;
  const program = new CliCommand(name)
    .description('encrypted JSON config files in the Fernet format (compatible with Python cryptography.fernet)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--debug', 'print stack traces on errors (never secrets)')
    .exitOverride()
    .configureHelp({
      sortSubcommands: false,
      // Read when help is made: touching process.stdout at start would create the stream (see cli/io.ts).
      get helpWidth() {
        return Math.min(process.stdout.columns || HELP_WIDTH, HELP_WIDTH);
      },
      // The list names each command and sums it up, as `git help` does; its arguments are in its own help.
      subcommandTerm: (cmd) => cmd.name(),
    })
    .addHelpCommand('help [command]', 'show help for a command')
    .addHelpText(
      'after',
      `
Key resolution, first match wins:
  1. --key-file <path>, --key <keys> or --key-command <cmd>
  2. env FERNET_CONFIG_KEY (keys separated by commas or whitespace)
  3. env FERNET_CONFIG_KEY_FILE
  4. env FERNET_CONFIG_KEY_COMMAND
  5. <name>.key beside <name>.enc
  6. secret.key beside the config file
  7. <name>.key.age, then secret.key.age beside the config, opened with
     --identity FILE (which selects the ring ahead of 1-6), else env
     FERNET_CONFIG_IDENTITY or FERNET_CONFIG_IDENTITY_FILE, else each of
     ~/.config/fernet-config/identities, ~/.ssh/id_ed25519, ~/.ssh/id_rsa

Run '${name} <command> --help' for the options of one command.`,
    );
  // Errors reach run() as exceptions (exitOverride, CliCommand.error); commander itself prints nothing.
  program.configureOutput({ outputError: () => {} });
  // The summary is the command's line in `--help`; without one, the list shows its description.
  const add = (name: string, summary?: string, options?: { hidden?: boolean }) => {
    const cmd = program.command(name, options);
    return summary === undefined ? cmd : cmd.summary(summary);
  };

  if (declares('keygen')) {
    add('keygen', 'create a key file')
      .description('create a key file (mode 0600); "-" prints the key instead')
      .argument('[path]', 'key file to create', 'secret.key')
      .option('-a, --add', 'prepend a new primary key to an existing key ring (a key file or a .age ring), keeping the old keys')
      .option('-f, --force', 'replace an existing key file, keeping a backup of it; with a .age ring, write although its recipients file disagrees')
      .addOption(new Option('--identity <file>', 'identity to open a .age key ring (with --add)'))
      .option('--json', 'print a JSON report')
      .action(lazy('keygen'));
  }

  if (declares('encrypt')) {
    withKeys(add('encrypt', 'encrypt a JSON file into a config file'))
      .description('encrypt a JSON file (or "-" for standard input) into a config file')
      .argument('<input>', 'JSON file, or - for standard input')
      .option('-o, --output <path>', 'where to write (default: <input> with .json replaced by .enc; stdout for -)')
      .option('-f, --force', 'replace an existing output file')
      .option('--schema <file>', 'refuse content that does not match this JSON Schema')
      .action(lazy('encrypt'));
  }

  if (declares('decrypt')) {
    withRedaction(withKeys(add('decrypt', 'print the plaintext of a config')))
      .description('decrypt a config file to standard output, or to a 0600 file')
      .argument('<config>', 'encrypted config file')
      .option('-o, --output <path>', 'write the plaintext to this file (mode 0600) instead of stdout')
      .option('-f, --force', 'replace an existing output file')
      .option('--ttl <seconds>', 'fail when the config was encrypted longer ago than this', parseSeconds)
      .option('--raw', 'write the decrypted bytes exactly as they are (no UTF-8 or JSON check, no newline added)')
      .action(lazy('decrypt'));
  }

  if (declares('get')) {
    withRedaction(withKeys(add('get', 'print one value')))
      .description('print one value (strings raw, anything else as JSON)')
      .argument('<config>', 'encrypted config file')
      .argument('<path>', 'dot path, e.g. database.password or servers.0.host')
      .option('--json', 'always print JSON (strings quoted)')
      .option('--ttl <seconds>', 'fail when the config is older than this', parseSeconds)
      .action(lazy('get'));
  }

  if (declares('set')) {
    withKeys(add('set', 'set one value'))
      .description(
        'set one value (creates the config and missing objects); prompts for <value> when it is left out on a ' +
          `terminal. A value that starts with "-" goes after --: ${name} set <config> <path> -- <value>`,
      )
      .argument('<config>', 'encrypted config file')
      .argument('<path>', 'dot path, e.g. database.password')
      .argument('[value]', 'JSON value, or a string when it does not parse as JSON (one starting with {, [ or " must be valid JSON, or use --string)')
      .option('-s, --string', 'store <value> as a string even if it parses as JSON')
      .option('--stdin', 'read the value from standard input (keeps secrets out of shell history)')
      .option('--schema <file>', 'refuse the change when the result does not match this JSON Schema')
      .action(lazy('set'));
  }

  if (declares('unset')) {
    withKeys(add('unset', 'remove one value'))
      .description('remove one value')
      .argument('<config>', 'encrypted config file')
      .argument('<path>', 'dot path')
      .action(lazy('unset'));
  }

  if (declares('validate')) {
    withKeys(add('validate', 'check a config against a JSON Schema'))
      .description('check a config against a JSON Schema (violations as path: message, never values)')
      .argument('<config>', 'encrypted config file')
      .requiredOption('--schema <file>', 'JSON Schema')
      .option('--json', 'print a JSON report')
      .action(lazy('validate'));
  }

  // --- edit (issue 4) ---
  if (declares('edit')) {
    withKeys(add('edit', 'edit a config in your editor'))
      .description('edit a config in your editor; the plaintext lives only in a private temp directory (creates a missing config)')
      .argument('<config>', 'encrypted config file (created when missing)')
      .option('--schema <file>', 'refuse to save content that does not match this JSON Schema; a new config starts from its defaults and required properties')
      .option('--resume', 'continue an edit that was kept as <config>.draft')
      .option('--draft <file>', 'the draft to continue (implies --resume; default <config>.draft)')
      .option('--discard-draft', "delete the config's drafts, then edit it")
      .option('-f, --force', 'with --resume and no terminal: save the draft even though the config changed since it was made (replacing that version)')
      .addHelpText(
        'after',
        `
The editor is $VISUAL, else $EDITOR, else vi; it may carry arguments. GUI
editors must be told to wait: EDITOR="code --wait", "subl -w", "emacsclient -t".
Nothing is saved when the editor exits non-zero (vim: :cq). Invalid JSON or
schema violations: re-open or stop on a terminal; otherwise, and whenever the
config changed on disk meanwhile, the edit is kept encrypted in <config>.draft.
If not even that can be written (a full disk), the temp directory stays and the
message says how to finish. Without --schema, a local "$schema" named in the
document validates it. Without a terminal, only an editor set in VISUAL or
EDITOR runs (not the EDITOR=vi that npm sets). The temp directory is in
$FERNET_CONFIG_TMPDIR, else $XDG_RUNTIME_DIR or /dev/shm (memory), else the
system temp directory.`,
      )
      .action(lazy('edit'));
  }

  // --- loader tools (issue 5) ---
  if (declares('compile-schema')) {
    add('compile-schema', 'compile a JSON Schema into a validator module')
      .description('compile a JSON Schema into a validator module that loadConfig({ validate }) uses without ajv')
      .argument('<schema>', 'JSON Schema file')
      .option('-o, --output <path>', 'module to write: .mjs, .cjs, .ts, or .js as package.json says (default: stdout); declarations beside it')
      .option('--format <format>', 'esm, cjs or ts, instead of choosing by the output name')
      .option('--no-types', 'do not write the .d.ts')
      .action(lazy('compile-schema'));
  }

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
  if (declares('rotate')) {
    withKeys(add('rotate', "re-encrypt configs under the key ring's primary key"))
      .description("re-encrypt configs under the key ring's primary key (all opened before any is written)")
      .argument('<config...>', 'encrypted config files')
      .option('-f, --force', 'also re-encrypt configs the primary key already opens')
      .option('--keep-timestamp', "keep each token's original timestamp (Python MultiFernet.rotate) instead of now")
      .option('-n, --dry-run', 'report what would be rotated, write nothing')
      .option('--json', 'print a JSON report')
      .action(lazy('rotate'));
  }

  if (declares('keys')) {
    const keys = add('keys', 'inspect and prune key rings (list, prune)').description('inspect and prune key rings');
    keys.addHelpCommand(false);
    withKeys(keys.command('list'))
      .description('show index and fingerprint of each key (never the keys)')
      .argument('[keyfile]', 'key file (default: the usual key resolution, then ./secret.key)')
      .option('--json', 'print a JSON report')
      .action(lazy('keys-list'));
    keys
      .command('prune')
      .description('keep the N newest keys of a key file; refuses if a listed config needs a dropped key')
      .argument('<keyfile>', 'key file to rewrite (atomically, mode 0600)')
      .argument('[config...]', 'configs that must stay readable (and the edit drafts beside them)')
      .requiredOption('--keep <n>', 'how many keys to keep, counting from the primary', parseCount)
      .option('-n, --dry-run', 'report what would be dropped, write nothing')
      .option('--no-check', 'drop keys although no config is listed to check (refused otherwise)')
      .option('--strict-permissions', 'fail, instead of warning, on a key file readable by others')
      .addOption(new Option('--identity <file>', 'identity to open a .age key ring'))
      .option('-f, --force', 'with a .age ring: write although its recipients file disagrees')
      .option('--json', 'print a JSON report')
      .action(lazy('keys-prune'));
  }

  if (declares('status')) {
    withKeys(add('status', 'show which key opens each config, and its age'))
      .description('which key opens each config, when it was encrypted, its size; --max-age fails on old ones')
      .argument('<config...>', 'encrypted config files')
      .option('--max-age <days>', 'exit 1 when a config was encrypted longer ago than this (fractions allowed)', parseDays)
      .option('--json', 'print a JSON report')
      .action(lazy('status'));
  }

  if (declares('run')) {
    withKeys(add('run', 'run a program with the config as environment variables'))
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
Names: keys upper-cased, other characters -> _, nesting -> __. Strings as they
are, numbers as written, booleans true/false, arrays as JSON; null is left
unset. Variables already set in the environment win (the loader's precedence:
file < env). A value too large for the environment is an error naming it.
Exit status: the program's, 128+N when it is killed by signal N, 127 when it
cannot be found.`,
      )
      .action(lazy('run'));
  }

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

  if (declares('git-setup')) {
    driverKeys(add('git-setup', 'make git diff and merge encrypted configs'))
      .description('make git diff show *.enc decrypted and merge them key by key (local git config + .gitattributes)')
      .option('--undo', 'remove exactly what git-setup added')
      .option('--schema <file>', 'mask values marked "sensitive": true in diffs')
      .option('--command <cmd>', 'how git should start fernet-config (default: this node and this CLI, by absolute path)')
      .addHelpText(
        'after',
        `
git-setup registers two plumbing commands, which git runs (they are not listed
in --help, and people rarely need them):
  textconv <file>       print an encrypted file as JSON, for git diff
  merge-driver <base> <ours> <theirs> <path>
                        three-way merge, key by key (git passes %O %A %B %P)
Both take --key-file <path> and --key-command <cmd>; see their own --help.`,
      )
      .action(lazy('git-setup'));
  }

  if (declares('textconv')) {
    driverKeys(add('textconv', 'git diff textconv: an encrypted file as JSON', { hidden: true }))
      .description('print an encrypted file as canonical JSON (git diff textconv); without a key, the file as it is')
      .argument('<file>', 'encrypted file (git passes a temporary copy)')
      .option('--schema <file>', 'mask values marked "sensitive": true')
      .action(lazy('textconv'));
  }

  if (declares('merge-driver')) {
    driverKeys(add('merge-driver', 'git merge driver for encrypted configs', { hidden: true }))
      .description('git merge driver: three-way merge of encrypted configs, key by key (git runs it: %O %A %B %P)')
      .argument('<base>', 'common ancestor (%O)')
      .argument('<ours>', 'our version; receives the result (%A)')
      .argument('<theirs>', 'their version (%B)')
      .argument('<path>', 'the file in the work tree, for key lookup and messages (%P)')
      .action(lazy('merge-driver'));
  }

  if (declares('check')) {
    withKeys(add('check', 'find exposed key files, plaintext copies and broken configs'))
      .description('find committed or exposed key files, plaintext copies, and configs that fail to open or validate')
      .argument('[paths...]', 'files and directories to check (default: .)')
      .option('--schema <file>', 'also validate every config a key opens')
      .option('--max-age <days>', 'report configs encrypted longer ago than this (fractions allowed)', parseMaxAge)
      .option('--json', 'print a JSON report')
      .option('--install-hook', 'run this check (with these options) from the git pre-commit hook')
      .option('--uninstall-hook', 'remove it from the pre-commit hook')
      .option('--scan', `with --install-hook: also run \`${name} scan --staged\``)
      .option('-f, --force', 'with --install-hook: append to a pre-commit hook fernet-config did not write')
      .action(lazy('check'));
  }

  if (declares('scan')) {
    add('scan', 'find likely secrets in files')
      .description('find likely secrets (keys, tokens, passwords) in files; exit 1 when there are any')
      .argument('[paths...]', 'files and directories (default: .); git-ignored files are skipped')
      .option('--staged', 'scan only what is staged for commit, and only the lines it adds')
      .option('--json', 'print a JSON report')
      .option('--ignore-file <path>', 'allow-list (default: .fcfgscanignore at the top of the repository)')
      .option('--max-file-size <bytes>', 'skip larger files (default 5 MiB)', parseBytes)
      .option('--list-rules', 'print the rules and exit')
      .action(lazy('scan'));
  }

  // --- team access: .age key rings and their recipients (issue 13) ---
  // Key resolution is synchronous, age is not: a key command's .age ring is opened before it runs.
  program.hook('preAction', async (_program, action) => {
    // Commands that rewrite a ring open it themselves (once: one passphrase prompt).
    if (!action.options.some((o) => o.long === '--identity') || action.parent?.name() === 'recipients' || action.name() === 'keygen' || action.name() === 'prune') return;
    await (await import('./age.js')).openAgeRings(action);
  });
  const team = (file: string, fn: string) => async (...args: unknown[]) => {
    const mod = (await loadCommand(file)) as Record<string, Action>;
    const status = await mod[fn]!(...args);
    if (typeof status === 'number' && status !== 0) process.exitCode = status;
  };
  if (declares('recipients')) {
    const recipients = add('recipients', 'manage who can open a .age key ring').description('who can open a .age key ring (secret.key.age)');
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
      .description('list the recipients (short fingerprints); exit 1 when the file and the ring disagree')
      .addOption(ringOption())
      .option('--full', 'print each whole recipient, as the recipients file has it')
      .option('--json', 'print a JSON report (whole recipients and fingerprints)')
      .action(team('recipients', 'list'));
    withKeys(recipients.command('remove'))
      .description('remove a recipient; with --rotate, revoke: new key, rotate, prune')
      .argument('<name>', 'the recipient to remove')
      .option('--rotate <config...>', 'every config the ring opens: rotated to a new key')
      .addOption(ringOption())
      .option('-f, --force', 'write although the recipients file and the ring disagree')
      .option('--json', 'print a JSON report')
      .action(team('recipients', 'remove'));
  }
  if (declares('identity')) {
    const identity = add('identity', 'create age identities for people and machines').description('age identities for people and machines');
    identity
      .command('new')
      .description('create an identity (mode 0600) and print its public recipient')
      .argument('[path]', 'file to create (default ~/.config/fernet-config/identities); - prints it')
      .option('-f, --force', 'replace an existing file (its identity is lost)')
      .option('--pq', 'a post-quantum hybrid identity (age1pq1...)')
      .option('--json', 'print a JSON report')
      .action(team('identity', 'create'));
  }
  // --- end team access ---

  return program;
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a non-negative number of seconds');
  return n;
}
