import { pruneKeyRing, type PruneOptions } from '../../src/ops/prune.js';
import { askPassphrase } from '../age.js';
import { info, keyOptions, printJson, warn } from '../io.js';

interface Flags {
  keep: number;
  dryRun?: boolean;
  /** false with --no-check. */
  check?: boolean;
  strictPermissions?: boolean;
  json?: boolean;
  identity?: string;
  force?: boolean;
}

export default async function keysPrune(keyFile: string, configs: string[], flags: Flags): Promise<number> {
  const options: PruneOptions = {
    keep: flags.keep,
    configs,
    dryRun: flags.dryRun,
    unchecked: flags.check === false,
    strictPermissions: flags.strictPermissions,
    onWarning: warn,
  };
  // A .age ring is opened with an identity and rewritten for its recipients (age loads only then).
  const result = keyFile.endsWith('.age')
    ? await (await import('../../src/age/ring-ops.js')).pruneAgeRing(keyFile, { ...options, ...keyOptions(flags), passphrase: askPassphrase, ...(flags.force ? { force: true } : {}) })
    : await pruneKeyRing(keyFile, options);
  if (configs.length === 0 && result.dropped.length > 0) {
    warn(`no CONFIG was given, so nothing checked that the dropped keys are unused${flags.dryRun ? ' (without --dry-run this is refused unless --no-check is given)' : ''}`);
  }
  if (flags.json) {
    printJson({ ...result, dryRun: flags.dryRun === true });
    return 0;
  }
  const fps = (list: { fingerprint: string }[]) => list.map((k) => k.fingerprint).join(', ');
  if (result.dropped.length === 0) {
    info(`${keyFile} holds ${result.kept.length} key${result.kept.length === 1 ? '' : 's'}; nothing to prune`);
  } else {
    const verb = flags.dryRun ? 'would drop' : 'dropped';
    info(`${verb} ${result.dropped.length} key${result.dropped.length === 1 ? '' : 's'} from ${keyFile} (${fps(result.dropped)}); kept ${result.kept.length} (${fps(result.kept)})`);
  }
  return 0;
}
