import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RULES } from '../src/scan/rules.js';
import { generateCorpus, plantedSecretText, score, writeCorpus, type Corpus } from './fixtures/scan-corpus/generate.js';
import { removeDir, runCli, tempDir } from './helpers/cli.js';

// The thresholds the README reports. The measured values on these seeds are printed by the tests; the
// thresholds sit a little below them so that a regression fails while an unlucky new look-alike does not.
const MIN_PRECISION = 0.98;
const MIN_RECALL = 0.95;
/** Recall on secrets in the forms the rules claim to cover (the corpus also plants deliberately hard ones). */
const MIN_RECALL_COVERED = 0.99;

let root: string;
beforeAll(() => {
  root = tempDir('fcfg-scan-corpus-');
});
afterAll(() => removeDir(root));

interface Output {
  findings: { path: string; line: number; rule: string; masked: string }[];
  files: number;
  seconds: number;
}

function run(dir: string): { out: Output; stdout: string; wall: number } {
  const t = performance.now();
  const r = runCli(['scan', '--json'], { cwd: dir, timeout: 120_000 });
  const wall = (performance.now() - t) / 1000;
  expect(r.stderr).toBe('');
  expect(r.status).toBe(1);
  return { out: JSON.parse(r.stdout) as Output, stdout: r.stdout, wall };
}

function measure(corpus: Corpus, out: Output) {
  const s = score(corpus, out.findings);
  const covered = corpus.planted.filter((p) => !p.hard);
  const coveredHits = covered.length - s.missed.filter((p) => !p.hard).length;
  return { ...s, recallCovered: coveredHits / covered.length };
}

describe('scan precision and recall on a generated corpus', () => {
  it('finds the planted secrets, not the look-alikes, and never prints a secret', () => {
    const corpus = generateCorpus(7, { files: 400 });
    const dir = `${root}/corpus`;
    writeCorpus(dir, corpus);
    const { out, stdout } = run(dir);
    const m = measure(corpus, out);
    console.info(
      `scan corpus: ${corpus.files.size} files, ${corpus.planted.length} planted (${corpus.planted.filter((p) => p.hard).length} hard), ` +
        `${corpus.lookalikes} look-alikes: precision ${m.precision.toFixed(3)}, recall ${m.recall.toFixed(3)} (covered forms ${m.recallCovered.toFixed(3)})`,
    );
    const show = (list: unknown[]) => JSON.stringify(list.slice(0, 5));
    expect(m.precision, `false positives: ${show(m.falsePositives)}`).toBeGreaterThanOrEqual(MIN_PRECISION);
    expect(m.recall, `missed: ${show(m.missed)}`).toBeGreaterThanOrEqual(MIN_RECALL);
    expect(m.recallCovered, `missed: ${show(m.missed.filter((p) => !p.hard))}`).toBeGreaterThanOrEqual(MIN_RECALL_COVERED);
    // Every rule is exercised by the corpus.
    expect(new Set(out.findings.map((f) => f.rule))).toEqual(new Set(RULES.map((r) => r.id)));
    for (const f of out.findings) expect(f.masked).toMatch(/^.{0,40}\*\*\*$/);
    for (const secret of plantedSecretText(corpus)) expect(stdout.includes(secret), 'a planted secret leaked into the output').toBe(false);
  });

  it('scans a 10,000-file tree in seconds', () => {
    const corpus = generateCorpus(3, { files: 10_000, dirs: 100, secretRate: 0.05 });
    const dir = `${root}/tree`;
    writeCorpus(dir, corpus);
    const { out, wall } = run(dir);
    const m = measure(corpus, out);
    console.info(`scan 10,000 files: ${out.seconds.toFixed(2)}s scanning, ${wall.toFixed(2)}s wall including start-up; precision ${m.precision.toFixed(3)}, recall ${m.recall.toFixed(3)}`);
    expect(out.files).toBe(10_000);
    expect(m.precision).toBeGreaterThanOrEqual(MIN_PRECISION);
    expect(m.recall).toBeGreaterThanOrEqual(MIN_RECALL);
    // A sanity bound for a loaded CI machine, far above the measured time (see README).
    expect(wall).toBeLessThan(30);
  }, 180_000);
});
