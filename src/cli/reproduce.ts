import { mkdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { createDataset, markdownTable, MODEL_NAMES, perClassAccuracy, seedModel, type EpochRecord, type ModelName } from '../index';
import { writeFileAtomic } from '../node';
import { loadData, log, resolveModel, withGpu } from './context';
import { dataOption, seedOption } from './options';
import { trainAndReport, type RunSettings } from './run';

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
    .option('--retrain', 'train every model again, even one whose finished results folder is already in --out')
    .addOption(dataOption())
    .addOption(seedOption())
    .action(async (flags: { out: string; data?: string; seed?: number; retrain?: boolean }) => {
      const data = await loadData(flags.data, log);
      await mkdir(flags.out, { recursive: true });
      const results: Finished[] = [];
      const settingsOf = (name: ModelName): RunSettings => {
        const seed = seedModel(name);
        return { fit: { ...seed.fit, seed: flags.seed ?? seed.fit.seed }, data: { ...seed.data, validationSplit: 0 } };
      };
      // A run that finished with these exact settings is reused: reproduce can be stopped and restarted.
      const reused = new Map<ModelName, Finished>();
      for (const name of flags.retrain ? [] : MODEL_NAMES) {
        const done = await finishedRun(join(flags.out, name), settingsOf(name));
        if (done) reused.set(name, done);
      }
      const todo = MODEL_NAMES.filter((n) => !reused.has(n));
      const trained = new Map<ModelName, Finished>();
      if (todo.length > 0) {
        await withGpu(log, async (gpu) => {
          for (const name of todo) {
            log(`\n== ${name}: ${seedModel(name).description} ==`);
            const r = await trainAndReport(gpu, data, await resolveModel(name), settingsOf(name), { out: join(flags.out, name), log });
            trained.set(name, { history: r.epochs, testAccuracy: r.test.accuracy, confusion: r.test.confusion, out: r.out, adapter: r.adapter });
          }
        });
      }
      for (const name of MODEL_NAMES) {
        if (reused.has(name)) log(`${name}: reusing the finished run in ${join(flags.out, name)} (--retrain to train it again)`);
        results.push(reused.get(name) ?? trained.get(name)!);
      }
      const report = reportMarkdown(results, createDataset(data).classes, flags.out);
      await writeFileAtomic(join(flags.out, 'REPORT.md'), new TextEncoder().encode(report));
      log(`\n${markdownTable(['model', 'report', 'ours'], MODEL_NAMES.map((n, i) => [n, pct(seedModel(n).reportedAccuracy), pct(results[i]!.testAccuracy)]))}`);
      log(`report: ${join(flags.out, 'REPORT.md')}`);
    });
}

/** What REPORT.md needs of a finished run, whether just trained or read back from its folder. */
interface Finished {
  history: EpochRecord[];
  testAccuracy: number;
  confusion: Uint32Array;
  out: string;
  adapter: string;
}

/** The finished run in `dir`, if it has all its files and was trained with `settings`. */
async function finishedRun(dir: string, settings: RunSettings): Promise<Finished | null> {
  try {
    const read = async (f: string) => JSON.parse(await readFile(join(dir, f), 'utf8'));
    const [meta, history, confusion] = await Promise.all([read('meta.json'), read('history.json'), read('confusion.json')]);
    await readFile(join(dir, 'weights.safetensors'));
    const canonical = (o: object) => JSON.stringify(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
    if (canonical(meta.settings) !== canonical({ ...settings.fit, ...settings.data })) return null;
    return { history, testAccuracy: meta.testAccuracy, confusion: Uint32Array.from(confusion.matrix.flat()), out: dir, adapter: meta.adapter };
  } catch {
    return null;
  }
}

function reportMarkdown(results: Finished[], classes: readonly string[], out: string): string {
  const rel = (r: Finished, file: string) => relative(out, join(r.out, file));
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
        return [seed.name, pct(seed.reportedAccuracy), pct(r.testAccuracy), `${r.history.length} of ${seed.fit.epochs}`, mean.toFixed(1), Math.round(rate)];
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
        ...results.map((r) => pct(perClassAccuracy(r.confusion)[k]!)),
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
