/**
 * Node-only: write a finished run's artifacts into a directory. Each file is written atomically, so
 * a reader (or a crash) never sees half a file; the renderers themselves are the browser-safe
 * modules beside this one.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../data/write-atomic-node';
import { confusionSvg, confusionTable, confusionToJson } from './confusion';
import { accuracyCurvesSvg, lossCurvesSvg } from './curves';
import { imagesToPng, misclassifiedGridSvg } from './gallery';
import { historyToCsv, historyToJson } from './history';
import type { EpochRecord, Misclassified } from './types';

/** A finished run's results, as writeRunArtifacts takes them. */
export interface RunArtifacts {
  /** Every epoch of the run (History.epochs). */
  history: readonly EpochRecord[];
  /** Row-major [C, C] counts on the validation set, row = true class. */
  confusion: Uint32Array;
  /** Class names, indexed by label. */
  classes: readonly string[];
  /** Examples for the gallery (misclassified()); none writes no misclassified.svg/.png. */
  misclassified: readonly Misclassified[];
  /** Keras-style model summary text (Sequential.summary()). */
  modelSummary: string;
  /** Anything JSON-serialisable that identifies the run: model, hyper-parameters, seed, device, dates. */
  meta: Record<string, unknown>;
  /** Figure title prefix, e.g. the model name: "cnn" gives "cnn: loss". */
  title?: string;
}

/** Gallery columns: 10 like the classes, so 50 examples make a 5-row figure. */
const GALLERY_COLUMNS = 10;

/** JSON with 2-space indent and a final newline; NaN becomes null (JSON has no NaN). */
const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

/**
 * Writes history.json, history.csv, loss.svg, accuracy.svg, confusion.json, confusion.svg,
 * confusion.txt, misclassified.svg and misclassified.png (only when there are examples),
 * summary.txt and meta.json into `dir` (created if missing). Returns the written paths, in that order.
 */
export async function writeRunArtifacts(dir: string, run: RunArtifacts): Promise<string[]> {
  const prefix = run.title ? `${run.title}: ` : '';
  const files: [string, string | Uint8Array][] = [
    ['history.json', historyToJson(run.history)],
    ['history.csv', historyToCsv(run.history)],
    ['loss.svg', lossCurvesSvg(run.history, { title: `${prefix}loss` })],
    ['accuracy.svg', accuracyCurvesSvg(run.history, { title: `${prefix}accuracy` })],
    ['confusion.json', confusionToJson(run.confusion, run.classes)],
    ['confusion.svg', confusionSvg(run.confusion, run.classes, { title: `${prefix}confusion matrix` })],
    ['confusion.txt', confusionTable(run.confusion, run.classes)],
  ];
  if (run.misclassified.length > 0) {
    files.push(
      ['misclassified.svg', misclassifiedGridSvg(run.misclassified, run.classes, { columns: GALLERY_COLUMNS, title: `${prefix}misclassified examples` })],
      ['misclassified.png', imagesToPng(run.misclassified, GALLERY_COLUMNS)],
    );
  }
  files.push(
    ['summary.txt', run.modelSummary.endsWith('\n') ? run.modelSummary : run.modelSummary + '\n'],
    ['meta.json', json(run.meta)],
  );

  await mkdir(dir, { recursive: true });
  const encoder = new TextEncoder();
  const written: string[] = [];
  for (const [name, content] of files) {
    const path = join(dir, name);
    await writeFileAtomic(path, typeof content === 'string' ? encoder.encode(content) : content);
    written.push(path);
  }
  return written;
}
