import { recipientsPathFor } from '../../src/age/recipients-file.js';
import { addRecipient, DEFAULT_RING, listRecipients, removeRecipient, type RecipientInfo } from '../../src/age/ring-ops.js';
import { FileNotFound, RevokeIncomplete } from '../../src/errors.js';
import { askPassphrase } from '../age.js';
import { info, keyOptions, out, printJson, warn, type KeyFlags } from '../io.js';
import { ringShown, written } from '../written.js';

interface Flags extends KeyFlags {
  ring?: string;
  force?: boolean;
  json?: boolean;
  full?: boolean;
  rotate?: string[] | boolean;
}

const show = (r: RecipientInfo) => `${r.name} (${r.kind} ${r.fingerprint})`;

function options(flags: Flags) {
  return { ...keyOptions(flags), passphrase: askPassphrase, ...(flags.force ? { force: true } : {}) };
}

export async function add(name: string, recipient: string, flags: Flags): Promise<number> {
  const result = await addRecipient(name, recipient, flags.ring ?? DEFAULT_RING, options(flags));
  if (flags.json) {
    printJson(result);
    return 0;
  }
  if (result.created) info(`created ${result.ring} with the keys of ${result.keySource}`);
  const ring = ringShown(result.ring);
  for (const r of result.added) info(`added ${show(r)} to ${ring}`);
  info(`${written(result.ring)} now opens for: ${result.recipients.map((r) => r.name).join(', ')}`);
  info(`commit ${written(result.ring)} and ${written(result.recipientsFile)}`);
  if (result.plainKeyFile) {
    warn(`${result.plainKeyFile} is no longer needed: every recipient opens ${result.ring}; delete it (a plain key file beside a config wins key resolution)`);
  }
  return 0;
}

export async function list(flags: Flags): Promise<number> {
  const listing = listRecipients(flags.ring ?? DEFAULT_RING);
  if (flags.json && (listing.ringExists || listing.recipients.length > 0)) {
    printJson(listing);
    return listing.problems.length > 0 ? 1 : 0;
  }
  // Nothing to list is a failure, as for any missing file a command is pointed at: a script reading the
  // list must not take a typo in --ring (or the wrong directory) for a ring that opens for nobody.
  if (listing.recipients.length === 0 && !listing.ringExists) {
    throw new FileNotFound(`key ring ${listing.ring} does not exist`, {
      // --ring defaults to secret.key.age (program.ts): that name is the default ring, named or not.
      hint: flags.ring !== undefined && flags.ring !== DEFAULT_RING
        ? 'check the path given to --ring (a relative one starts from the current directory)'
        : `there is no ${DEFAULT_RING} here: run in the directory that holds it, pass --ring PATH, or create it with \`fcfg recipients add NAME RECIPIENT\``,
    });
  }
  const width = Math.max(4, ...listing.recipients.map((r) => r.name.length));
  for (const r of listing.recipients) {
    // --full prints recipients-file lines (what `recipients add` takes); the default fits a terminal line.
    const line = flags.full ? `${r.name} ${r.recipient}${r.comment === undefined ? '' : ` ${r.comment}`}` : `${r.name.padEnd(width)}  ${r.kind.padEnd(14)}  ${r.fingerprint}${r.comment === undefined ? '' : `  ${r.comment}`}`;
    out(line + '\n');
  }
  for (const p of listing.problems) warn(p);
  if (listing.problems.length > 0) info('  hint: `fcfg check` reports this too; restore both files from version control, or rewrite the ring with --force');
  return listing.problems.length > 0 ? 1 : 0;
}

export async function remove(name: string, flags: Flags): Promise<number> {
  const configs = Array.isArray(flags.rotate) ? flags.rotate : [];
  let result: Awaited<ReturnType<typeof removeRecipient>>;
  try {
    result = await removeRecipient(name, flags.ring ?? DEFAULT_RING, configs, options(flags));
  } catch (e) {
    // All or nothing: anything written was put back, or RevokeIncomplete says how to finish. Said only
    // while it is true (a name that never was a recipient gets the error alone).
    if (!(e instanceof RevokeIncomplete) && isRecipient(name, flags)) info(`nothing was changed: ${name} is still a recipient${configs.length > 0 ? ' and every config is as it was' : ''}`);
    throw e;
  }
  if (flags.json) {
    printJson(result);
    return 0;
  }
  info(`removed ${show(result.removed)}; ${ringShown(result.ring)} now opens for: ${result.recipients.map((r) => r.name).join(', ')}`);
  if (!result.rotated) {
    warn(`${name} still knows the keys in the ring, and can open every config they could open before; to revoke, run: fcfg recipients remove ${name} --rotate CONFIG...`);
    info(`commit ${written(result.ring)} and ${written(recipientsPathFor(result.ring))}`);
    return 0;
  }
  info(`new primary key ${result.newKey}; dropped ${result.droppedKeys!.join(', ')}`);
  for (const r of result.rotated) info(`rotated ${r.path}`);
  if (result.plainKeyFile) {
    if (result.plainKeyFile.updated) info(`updated ${result.plainKeyFile.path} with the new key (better: delete it)`);
    else warn(`${result.plainKeyFile.path} holds other keys than the ring and was left as it was: it no longer opens the rotated configs`);
  }
  info(`commit ${written(result.ring)}, ${written(recipientsPathFor(result.ring))} and the rotated configs`);
  const exposed = result.exposed!.filter((e) => e.paths.length > 0);
  if (exposed.length > 0) {
    info(`${name} could read these values: rotating the key cannot take them back; change them at their source:`);
    for (const e of exposed) for (const p of e.paths) out(`${e.path}: ${p}\n`);
  }
  return 0;
}

function isRecipient(name: string, flags: Flags): boolean {
  try {
    return listRecipients(flags.ring ?? DEFAULT_RING).recipients.some((r) => r.name === name);
  } catch {
    return false;
  }
}
