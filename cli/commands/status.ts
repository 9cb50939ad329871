import type { Command } from 'commander';
import { FernetConfigError, TokenExpired } from '../../src/errors.js';
import { ringResolver } from '../../src/ops/rings.js';
import { configStatus, isFutureDated, isOlderThan, MAX_CLOCK_SKEW_SECONDS, type ConfigStatus } from '../../src/ops/status.js';
import { keyOptions, out, printJson, type KeyFlags } from '../io.js';
import { reportError } from '../report.js';

interface Flags extends KeyFlags {
  maxAge?: number;
  json?: boolean;
}

type Row = (ConfigStatus & { tooOld?: boolean; future?: boolean }) | { path: string; error: { code: string; message: string } };

export default function status(configs: string[], flags: Flags, command: Command): number {
  const debug = command.optsWithGlobals<{ debug?: boolean }>().debug === true;
  const ringOf = ringResolver(keyOptions(flags));
  const now = Date.now() / 1000;
  const rows: Row[] = [];
  const problems: unknown[] = [];
  for (const path of configs) {
    let s: ConfigStatus;
    try {
      s = configStatus(path, ringOf, { now });
    } catch (e) {
      problems.push(e);
      const code = e instanceof FernetConfigError ? e.code : 'ERR_INTERNAL';
      const message = e instanceof FernetConfigError ? e.message : 'unexpected internal error';
      rows.push({ path, error: { code, message } });
      continue;
    }
    if (flags.maxAge === undefined) {
      rows.push(s);
      continue;
    }
    const future = isFutureDated(s);
    const tooOld = isOlderThan(s, flags.maxAge) || future;
    rows.push({ ...s, tooOld, ...(future ? { future } : {}) });
    if (future) {
      problems.push(
        new TokenExpired(`${path} is dated ${describeAge(-s.ageSeconds)} in the future, beyond the ${MAX_CLOCK_SKEW_SECONDS} s allowed clock skew: its age is unknown`, {
          hint: `its writer's clock was wrong; re-encrypt it on a machine with a correct clock (fcfg rotate --force ${path})`,
        }),
      );
    } else if (tooOld) {
      problems.push(
        new TokenExpired(`${path} was encrypted ${describeAge(s.ageSeconds)} ago, more than --max-age ${flags.maxAge} days`, {
          hint: `add a key and rotate (fcfg keygen --add KEYFILE; fcfg rotate ${path}), or re-encrypt with the same key (fcfg rotate --force ${path})`,
        }),
      );
    }
  }

  if (flags.json) printJson({ maxAgeDays: flags.maxAge ?? null, ok: problems.length === 0, configs: rows });
  else out(rows.map(render).join('\n'));
  for (const p of problems) reportError(p, debug);
  return problems.length === 0 ? 0 : 1;
}

function render(row: Row): string {
  if ('error' in row) return `${row.path}\n  error      ${row.error.message} [${row.error.code}]\n`;
  const key = `#${row.keyIndex} of ${row.ringSize}, fingerprint ${row.fingerprint} (${row.keySource})`;
  const note = row.primary ? ', the primary' : `; not the primary: \`fcfg rotate ${row.path}\` re-encrypts it`;
  const when = row.ageSeconds < -60 ? `${describeAge(-row.ageSeconds)} in the future (check the clock)` : `${describeAge(row.ageSeconds)} ago`;
  const old = row.future ? ' (future-dated)' : row.tooOld ? ' (too old)' : '';
  return `${row.path}\n  key        ${key}${note}\n  encrypted  ${row.encryptedAt}, ${when}${old}\n  size       ${row.size} bytes\n`;
}

/** Human-sized age: seconds, minutes, hours, then days with one decimal. */
export function describeAge(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 120) return Math.floor(s) === 1 ? '1 second' : `${Math.floor(s)} seconds`;
  if (s < 7200) return `${Math.floor(s / 60)} minutes`;
  if (s < 2 * 86_400) return `${(s / 3600).toFixed(1)} hours`;
  return `${(s / 86_400).toFixed(1)} days`;
}
