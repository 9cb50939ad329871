import type { Command } from 'commander';
import { rotateConfigs, type RotateResult } from '../../src/ops/rotate.js';
import { info, keyOptions, printJson, warn, type KeyFlags } from '../io.js';
import { reportError } from '../report.js';

interface Flags extends KeyFlags {
  force?: boolean;
  keepTimestamp?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export default async function rotate(configs: string[], flags: Flags, command: Command): Promise<number> {
  const failures: { path: string; error: unknown }[] = [];
  const verb = flags.dryRun ? 'would rotate' : 'rotated';
  let results: RotateResult[];
  try {
    results = await rotateConfigs(configs, keyOptions(flags), {
      force: flags.force,
      keepTimestamp: flags.keepTimestamp,
      dryRun: flags.dryRun,
      onError: (path, error) => failures.push({ path, error }),
      // Printed as each file is written, so a failure half-way still tells exactly which files changed.
      onRotated: (r) => {
        if (flags.json) return;
        if (r.rotated) info(`${verb} ${r.path} (key #${r.fromKey} ${r.fromFingerprint} -> primary ${r.toFingerprint})`);
        else info(`${r.path} already uses the primary key ${r.toFingerprint}; unchanged (--force re-encrypts it anyway)`);
        for (const d of r.drafts) {
          if (d.rotated) info(`${verb} draft ${d.path} (key #${d.fromKey} -> primary ${r.toFingerprint})`);
          else if (d.fromKey < 0) warn(`draft ${d.path} cannot be opened with this key ring; left as it is`);
        }
      },
    });
  } catch (e) {
    if (failures.length === 0) throw e;
    const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
    for (const f of failures) reportError(f.error, debug);
    const n = failures.length;
    info(`nothing was written: ${n} config${n === 1 ? '' : 's'} could not be opened`);
    return 1;
  }
  const done = results.filter((r) => r.rotated).length;
  if (flags.json) {
    printJson({ dryRun: flags.dryRun === true, rotated: done, configs: results });
  } else {
    info(`${verb} ${done} of ${results.length} config${results.length === 1 ? '' : 's'}`);
  }
  return 0;
}
