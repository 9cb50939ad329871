import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkedFiles, runCheck, type CheckOptions } from '../../src/check/check.js';
import { openAgeRingsFor } from '../../src/ops/rings.js';
import { askPassphrase } from '../age.js';
import { UsageError } from '../../src/errors.js';
import { requireTopLevel } from '../../src/git/git.js';
import { installHook, uninstallHook } from '../../src/git/hook.js';
import { isEphemeralInstall, selfCommand, shellJoin } from '../../src/git/setup.js';
import { info, keyOptions, out, printJson, warn, type KeyFlags } from '../io.js';
import { loadValidator } from '../schema.js';

interface Flags extends KeyFlags {
  schema?: string;
  maxAge?: number;
  json?: boolean;
  installHook?: boolean;
  uninstallHook?: boolean;
  scan?: boolean;
  force?: boolean;
}

export default async function check(paths: string[], flags: Flags): Promise<number> {
  if (flags.installHook && flags.uninstallHook) throw new UsageError('give only one of --install-hook and --uninstall-hook');
  if (flags.installHook || flags.uninstallHook) return hook(paths, flags);
  if (flags.scan || flags.force) throw new UsageError('--scan and --force go with --install-hook');

  const options: CheckOptions = { cwd: process.cwd(), paths, keys: keyOptions(flags) };
  if (flags.schema !== undefined) options.validate = await loadValidator(flags.schema);
  if (flags.maxAge !== undefined) options.maxAgeDays = flags.maxAge;
  // Every config the walk finds, not only those named: the rings of configs in subfolders open here too.
  const configs = checkedFiles(options.cwd, paths).filter((f) => f.endsWith('.enc'));
  if (configs.length > 0) await openAgeRingsFor(configs, { ...options.keys, passphrase: askPassphrase });
  const report = runCheck(options);
  const errors = report.problems.filter((p) => p.severity === 'error').length;

  if (flags.json) {
    printJson({ ok: errors === 0, problems: report.problems, configs: report.configs, keyFiles: report.keyFiles, skipped: report.skipped });
    return errors === 0 ? 0 : 1;
  }
  for (const p of report.problems) {
    out(`${p.path}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message} [${p.check}]\n`);
    if (p.hint) out(`  hint: ${p.hint}\n`);
  }
  const scope = `${report.configs.length} config${report.configs.length === 1 ? '' : 's'}, ${report.keyFiles.length} key file${report.keyFiles.length === 1 ? '' : 's'}`;
  if (report.skipped.length > 0) {
    warn(`no key for ${report.skipped.length} config${report.skipped.length === 1 ? '' : 's'}; checked their format only (${report.skipped.join(', ')})`);
  }
  if (errors > 0) {
    info(`fernet-config: check failed: ${errors} problem${errors === 1 ? '' : 's'} (${scope})`);
    return 1;
  }
  info(`check passed (${scope})`);
  return 0;
}

/** The hook runs this same check, with the options given alongside --install-hook, from the top of the work tree. */
async function hook(paths: string[], flags: Flags): Promise<number> {
  const top = requireTopLevel(process.cwd());
  if (flags.uninstallHook) {
    const { path, removed } = uninstallHook(top);
    info(removed ? `removed the check from ${path}` : `${path} has no fernet-config check`);
    return 0;
  }
  if (flags.key !== undefined) throw new UsageError('--key would be written into the hook in plain text', { hint: 'use --key-file or --key-command' });
  const script = fileURLToPath(new URL('../main.js', import.meta.url));
  if (isEphemeralInstall(script)) warn('this fernet-config runs from the npx cache, which may be cleared; install it in the project and install the hook again');
  const self = selfCommand(script);
  const args: string[] = [...paths.map((p) => resolve(p))];
  if (flags.schema !== undefined) {
    await loadValidator(flags.schema);
    args.push('--schema', resolve(flags.schema));
  }
  if (flags.maxAge !== undefined) args.push('--max-age', String(flags.maxAge));
  if (flags.keyFile !== undefined) args.push('--key-file', resolve(flags.keyFile));
  if (flags.keyCommand !== undefined) args.push('--key-command', flags.keyCommand);
  if (flags.strictPermissions) args.push('--strict-permissions');
  const commands = [`${self} check ${shellJoin(args)}`.trimEnd()];
  if (flags.scan) commands.push(`${self} scan --staged`);
  const { path, outcome } = installHook(top, { commands, ...(flags.force ? { force: true } : {}) });
  const said = {
    created: `created ${path}`,
    updated: `updated the fernet-config lines in ${path}`,
    unchanged: `${path} already runs the check`,
    appended: `appended the check to the existing ${path}`,
  }[outcome];
  info(said);
  return 0;
}
