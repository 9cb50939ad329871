import { Command } from 'commander';
import { UsageError } from '../src/errors.js';

/**
 * A command-line mistake found by commander, caught before commander prints anything, so that it reaches
 * the user in our one shape (`fernet-config: <message> [ERR_USAGE]`, `  hint: ...`, exit 2) and without
 * echoing an argument that may be a secret value.
 */
export class CommandLineError extends Error {
  constructor(
    readonly command: Command,
    readonly commanderMessage: string,
    readonly commanderCode: string,
  ) {
    super(commanderMessage);
  }
}

/** commander's Command, with its errors thrown as CommandLineError instead of printed. */
export class CliCommand extends Command {
  override createCommand(name?: string): CliCommand {
    return new CliCommand(name);
  }

  override error(message: string, options?: { code?: string; exitCode?: number }): never {
    throw new CommandLineError(this, message, options?.code ?? 'commander.error');
  }

  // A command group run without its subcommand (`fcfg`, `fcfg keys`): a usage error, not a help page.
  override help(context?: { error?: boolean } | ((s: string) => string)): never {
    if (typeof context === 'object' && context?.error) {
      // `fcfg help nope` ends here too, with the words still in this.args.
      const [first, second] = this.args;
      if (first === 'help' && second !== undefined) {
        // commander's own unknown-command path, so `help gte` gets the did-you-mean `gte` gets. It is not in
        // commander's typings; should a release drop it, the message stays right without the suggestion.
        const unknownCommand = (this as unknown as { unknownCommand?: () => never }).unknownCommand;
        if (typeof unknownCommand === 'function') {
          this.args = [second];
          unknownCommand.call(this);
        }
        throw new CommandLineError(this, `unknown command '${second}'`, 'commander.unknownCommand');
      }
      throw new CommandLineError(this, 'missing command', 'fcfg.missingCommand');
    }
    return super.help(context as never);
  }
}

/** The program's name as the user typed it: `fcfg` or `fernet-config` (from argv[1]). */
export function programName(argv: readonly string[]): string {
  const script = argv[1] ?? '';
  const base = script.split(/[\\/]/).pop()!.replace(/\.(c|m)?js$/, '');
  return base === 'fcfg' || base === 'fernet-config' ? base : 'fernet-config';
}

// An option name as people write them: `--dry-run`, `-n`. Anything else after a dash (mixed case, digits
// in odd places, symbols) may be a value that begins with "-", such as a password, and is not printed.
const OPTION_NAME = /^(--[a-z][a-z0-9]*(-[a-z0-9]+)*|-[a-zA-Z])$/;
const COMMAND_NAME = /^[a-z][a-z0-9-]{0,30}$/;

/** The words of the command line from the program on: `fcfg keys prune`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c !== null; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Turns commander's message into ours. Known shapes are rewritten without the values commander quotes
 * (the text after `argument` in "option '--ttl <seconds>' argument 'abc' is invalid"); a shape we do not
 * know is not echoed at all.
 */
export function usageErrorFrom(e: CommandLineError): UsageError {
  const cmd = e.command;
  const where = commandPath(cmd);
  const helpHint = `see \`${where} --help\``;
  const text = e.commanderMessage.replace(/^error: /, '');
  const [first = '', ...rest] = text.split('\n');
  const suggestion = /^\(Did you mean (.+)\?\)$/.exec(rest.join('\n').trim())?.[1];
  const isRun = cmd.name() === 'run' && cmd.parent !== null && cmd.parent.parent === null;

  switch (e.commanderCode) {
    case 'commander.unknownCommand': {
      const word = /^unknown command '(.*)'$/.exec(first)?.[1] ?? '';
      const shown = COMMAND_NAME.test(word) ? `unknown command '${word}'` : 'unknown command (not shown: it does not look like one)';
      return new UsageError(shown, { hint: suggestion !== undefined ? `did you mean \`${where} ${suggestion}\`?` : `\`${where} --help\` lists the commands` });
    }
    case 'commander.unknownOption': {
      const flag = /^unknown option '(.*)'$/.exec(first)?.[1] ?? '';
      const name = flag.includes('=') ? flag.slice(0, flag.indexOf('=')) : flag;
      // `set` takes a value on the command line, so there even a name-shaped word may be one (`--hunter2`):
      // it is shown only when it is a near miss of one of our options.
      const takesValue = cmd.name() === 'set' && cmd.parent?.parent === null;
      const shown = OPTION_NAME.test(name) && (suggestion !== undefined || !takesValue);
      const message = shown ? `unknown option '${name}'` : 'unknown option (not shown: it may be a value)';
      if (isRun) {
        const usage = `\`${where} <config> -- <command> [args...]\``;
        return new UsageError(message, {
          hint: suggestion !== undefined ? `did you mean ${suggestion}? (the program's own options go after --: ${usage})` : `put -- before the program and its options: ${usage}`,
        });
      }
      if (cmd.parent === null && shown) {
        // `fcfg --key-file k get ...`: an option of the commands, given before the command.
        const takers = cmd.commands.filter((c) => c.options.some((o) => o.long === name || o.short === name)).map((c) => c.name());
        if (takers.length > 0) {
          // The command the user typed after it, where it is one of them; the example names that one.
          const typed = process.argv.slice(2).find((word) => takers.includes(word)) ?? takers[0]!;
          const listed = takers.length > 6 ? `${takers.slice(0, 6).join(', ')}, …` : takers.join(', ');
          return new UsageError(message, { hint: `options go after the command: \`${where} ${typed} ... ${name}\` (${name} is an option of ${listed})` });
        }
      }
      if (suggestion !== undefined) return new UsageError(message, { hint: `did you mean ${suggestion}?` });
      if (!shown || flag.includes('=')) {
        const example = takesValue ? `\`${where} <config> <path> -- <value>\`` : `\`${where} [options] -- <arguments>\``;
        return new UsageError(message, { hint: `a value that starts with "-" goes after --, e.g. ${example}` });
      }
      return new UsageError(message, { hint: helpHint });
    }
    case 'commander.invalidArgument': {
      // "option '--ttl <seconds>' argument 'abc' is invalid. expected ..." — without 'abc'.
      const option = /^option '([^']*)' (?:argument|value) .* is invalid\.\s*([\s\S]*)$/.exec(text);
      if (option) return new UsageError(`option '${option[1]}': ${option[2]!.trim() || 'invalid value'}`, { hint: helpHint });
      const argument = /^command-argument value .* is invalid for argument '([^']*)'\.\s*([\s\S]*)$/.exec(text);
      if (argument) return new UsageError(`argument '${argument[1]}': ${argument[2]!.trim() || 'invalid value'}`, { hint: helpHint });
      return new UsageError('invalid argument', { hint: helpHint });
    }
    case 'commander.missingArgument':
    case 'commander.optionMissingArgument':
    case 'commander.missingMandatoryOptionValue':
    case 'commander.conflictingOption':
      // These quote only our own argument and option names.
      return new UsageError(first, { hint: helpHint });
    case 'commander.excessArguments': {
      const counts = /Expected (\d+) arguments? but got (\d+)/.exec(first);
      const message = counts ? `too many arguments for '${cmd.name()}' (expected ${counts[1]}, got ${counts[2]})` : `too many arguments for '${cmd.name()}'`;
      if (isRun) return new UsageError(message, { hint: `put -- before the program and its arguments: \`${where} <config> -- <command> [args...]\`` });
      return new UsageError(message, { hint: helpHint });
    }
    case 'fcfg.missingCommand':
      return new UsageError(`missing command`, { hint: `\`${where} --help\` lists the commands` });
    default:
      return new UsageError('invalid command line', { hint: helpHint });
  }
}
