import { performance } from 'node:perf_hooks';
import { RULES } from '../../src/scan/rules.js';
import { scan, type ScanOptions } from '../../src/scan/scan.js';
import { info, out, printJson } from '../io.js';

interface Flags {
  staged?: boolean;
  json?: boolean;
  ignoreFile?: string;
  maxFileSize?: number;
  listRules?: boolean;
}

export default async function scanCommand(paths: string[], flags: Flags): Promise<number> {
  if (flags.listRules) {
    const width = Math.max(...RULES.map((r) => r.id.length));
    for (const r of RULES) out(`${r.id.padEnd(width)}  ${r.description}\n`);
    return 0;
  }
  const options: ScanOptions = { cwd: process.cwd(), paths };
  if (flags.staged) options.staged = true;
  if (flags.ignoreFile !== undefined) options.ignoreFile = flags.ignoreFile;
  if (flags.maxFileSize !== undefined) options.maxFileSize = flags.maxFileSize;
  const started = performance.now();
  const report = scan(options);
  const seconds = (performance.now() - started) / 1000;
  const n = report.findings.length;

  if (flags.json) {
    printJson({ findings: report.findings, files: report.files, skipped: report.skipped, seconds: Number(seconds.toFixed(3)) });
    return n === 0 ? 0 : 1;
  }
  for (const f of report.findings) {
    out(`${f.path}:${f.line}:${f.column}: ${f.rule}${f.name ? ` (${f.name})` : ''} ${f.masked}  fingerprint:${f.fingerprint}\n`);
  }
  const what = `${report.files} file${report.files === 1 ? '' : 's'} in ${seconds.toFixed(2)}s`;
  if (n === 0) {
    info(`no secrets found (${what})`);
    return 0;
  }
  const files = new Set(report.findings.map((f) => f.path)).size;
  info(`fernet-config: ${n} likely secret${n === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'} (${what})`);
  info('  hint: remove them and revoke them (they may be in the history); a false positive: add `fcfg-scan: ignore` on its line, or its fingerprint to .fcfgscanignore');
  return 1;
}
