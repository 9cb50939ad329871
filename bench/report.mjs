// Table and machine formatting shared by the benchmarks (run.mjs, boot.mjs).
import { cpus } from 'node:os';

/** "AMD EPYC, 2 cores": the first two words of the CPU model, enough to tell machines apart. */
export function machineName() {
  const model = cpus()[0]?.model.trim().split(/\s+/).slice(0, 2).join(' ') ?? 'unknown CPU';
  return `${model}, ${cpus().length} cores`;
}

/** A markdown table; the first `left` columns are left-aligned labels, the rest right-aligned numbers. */
export function markdownTable(head, rows, left = 1) {
  const align = head.map((_, i) => (i < left ? ':--' : '--:'));
  return [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The same table for a terminal, padded into columns with a rule under the head. */
export function textTable(head, rows, left = 1) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i < left ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
