import { FernetConfigError, FileNotFound, InvalidIdentity, InvalidKey, KeyCommandError, KeyNotFound, NoIdentity, TokenExpired, UsageError, WrongKey } from '../errors.js';

/**
 * Key resolution and config opening are shared with the CLI and speak its flags (`--key-file`, "the --key
 * value", "raise --ttl"). An app that called loadConfig() passed options, not flags: this restates those
 * errors in the loader's words, naming the function the app called. One table, so the two vocabularies
 * cannot drift apart word by word.
 */
const FLAG_TO_OPTION: readonly [RegExp, string][] = [
  [/\bthe --key value\b/g, 'the key option'],
  [/--key-file( PATH)?/g, 'keyFile'],
  [/--key-command\b/g, 'keyCommand'],
  [/--key\b/g, 'key'],
  [/--ttl\b/g, 'ttl'],
  [/--strict-permissions\b/g, 'strictPermissions'],
  [/--identity FILE\b/g, 'identityFile'],
  [/--identity\b/g, 'identity/identityFile'],
];

/** Classes whose constructor is `(message, options)` and whose texts may name a key flag. */
const RESTATED = [WrongKey, UsageError, TokenExpired, InvalidKey, KeyCommandError, FileNotFound, InvalidIdentity] as const;

function inOptionWords(text: string): string {
  return FLAG_TO_OPTION.reduce((t, [flag, option]) => t.replace(flag, option), text);
}

/** `e` in the loader's words (same class and code, the original as `cause`); anything else unchanged. */
export function inLibraryWords(e: unknown, caller: string): unknown {
  // The restated error takes the place of `e`, whose CLI wording must not come back as its `cause` (Node
  // prints causes with an uncaught error); what caused `e` is passed on.
  // Exact classes: the subclasses (NotARecipient, PassphraseRequired) keep their own code and text, which
  // name no flag; rebuilding them as KeyNotFound would lose both.
  if (e instanceof NoIdentity && e.constructor === NoIdentity) return new NoIdentity(e.ring, e.tried, { words: 'library', caller, cause: e.cause });
  if (e instanceof KeyNotFound && e.constructor === KeyNotFound) return new KeyNotFound(e.tried, { words: 'library', caller, cause: e.cause, noneGiven: e.noneGiven });
  if (!(e instanceof FernetConfigError)) return e;
  const Class = RESTATED.find((C) => e.constructor === C);
  if (Class === undefined) return e;
  const message = inOptionWords(e.message);
  const hint = e.hint === undefined ? undefined : inOptionWords(e.hint);
  if (message === e.message && hint === e.hint) return e;
  return new Class(message, { cause: e.cause, ...(hint === undefined ? {} : { hint }) });
}
