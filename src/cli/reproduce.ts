import { mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../data/write-atomic-node';
import { MODEL_NAMES, seedModel } from '../models/seed-models';
import { perClassAccuracy } from '../report/confusion';
import { markdownTable } from '../report/markdown';
import { loadData, log, withGpu } from './context';
import { dataOption, seedOption } from './options';
import { trainAndReport, type RunResult } from './run';

/** The report's one-hidden confusion matrix, rows 1..9 (row 0 is illegible in the source). */
const REPORTED_ONE_HIDDEN_ROWS: Record<number, number[]> = {
  1: [2, 964, 1, 22, 7, 0, 4, 0, 0, 0],
  2: [25, 3, 693, 12, 197, 3, 59, 0, 8, 0],
  3: [35, 13, 14, 864, 44, 1, 23, 0, 6, 0],
  4: [1, 1, 72, 28, 836, 0, 55, 0, 6, 1],
  5: [1, 0, 0, 1, 0, 915, 0, 51, 4, 28],
  6: [187, 5, 102, 28, 145, 3, 514, 0, 16, 0],
  7: [0, 0, 0, 0, 0, 29, 0, 937, 2, 32],
  8: [4, 0, 8, 5, 6, 8, 9, 6, 953, 1],
  9: [0, 0, 0, 1, 0, 19, 1, 40, 2, 937],
};

export function registerReproduce(program: Command): void {
  program
    .command('reproduce')
    .description("train all three models with the report's settings and write REPORT.md comparing the report's results with ours")
    .option('-o, --out <dir>', 'where to write REPORT.md and one results folder per model', 'runs/reproduce')
    .addOption(dataOption())
    .addOption(seedOption())
    .action(async (flags: { out: string; data?: string; seed: number }) => {
      const data = await loadData(flags.data, log);
      await mkdir(flags.out, { recursive: true });
      const results: RunResult[] = [];
      await withGpu(log, async (gpu) => {
        for (const name of MODEL_NAMES) {
          const seed = seedModel(name);
          const d = seed.defaults;
          log(`\n== ${name}: ${seed.description} ==`);
          results.push(await trainAndReport(gpu, data, seed, { ...d, seed: flags.seed, validationSplit: 0 }, join(flags.out, name), log));
        }
      });
      const report = reportMarkdown(results, data.classes, flags.out);
      await writeFileAtomic(join(flags.out, 'REPORT.md'), new TextEncoder().encode(report));
      log(`\n${markdownTable(['model', 'report', 'ours'], MODEL_NAMES.map((n, i) => [n, pct(seedModel(n).reportedAccuracy), pct(results[i]!.test.accuracy)]))}`);
      log(`report: ${join(flags.out, 'REPORT.md')}`);
    });
}

function reportMarkdown(results: RunResult[], classes: readonly string[], out: string): string {
  const rel = (r: RunResult, file: string) => relative(out, join(r.out, file));
  const lines = [
    '# Reproducing "Using Neural Networks for Classification of Fashion-MNIST Images"',
    '',
    `Adapter: ${results[0]?.adapter ?? 'unknown'}. Each model trained with the report's settings (\`wgml reproduce\`).`,
    '',
    markdownTable(
      ['model', 'report test accuracy', 'our test accuracy', 'epochs run', 'seconds / epoch (mean)', 'images / s'],
      results.map((r, i) => {
        const seed = seedModel(MODEL_NAMES[i]!);
        const mean = r.history.reduce((s, h) => s + h.seconds, 0) / Math.max(1, r.history.length);
        const rate = r.history.reduce((s, h) => s + h.imagesPerSecond, 0) / Math.max(1, r.history.length);
        return [seed.name, pct(seed.reportedAccuracy), pct(r.test.accuracy), `${r.history.length} of ${seed.defaults.epochs}`, mean.toFixed(1), Math.round(rate)];
      }),
    ),
    '',
    '## Per-class test accuracy',
    '',
    markdownTable(
      ['class', 'report (one-hidden)', ...results.map((_, i) => `ours (${MODEL_NAMES[i]})`)],
      classes.map((c, k) => [
        c,
        REPORTED_ONE_HIDDEN_ROWS[k] ? pct(REPORTED_ONE_HIDDEN_ROWS[k]![k]! / 1000) : 'illegible',
        ...results.map((r) => pct(perClassAccuracy(r.test.confusion)[k]!)),
      ]),
    ),
    '',
  ];
  results.forEach((r, i) => {
    const name = MODEL_NAMES[i]!;
    lines.push(
      `## ${name}`,
      '',
      `Per-epoch test (validation) accuracy: ${r.history.map((h) => pct(h.valAccuracy)).join(', ')}.`,
      '',
      `| loss | accuracy |`,
      `| --- | --- |`,
      `| ![loss](${rel(r, 'loss.svg')}) | ![accuracy](${rel(r, 'accuracy.svg')}) |`,
      '',
      `![confusion matrix](${rel(r, 'confusion.svg')})`,
      '',
      `Misclassified examples: ![misclassified](${rel(r, 'misclassified.svg')})`,
      '',
    );
  });
  return lines.join('\n');
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
