import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES } from '../../src/data/fashion-mnist';
import { historyFromCsv } from '../../src/report/history';
import { writeRunArtifacts } from '../../src/report/write-node';
import { makeHistory, makeMisclassified, REPORT_CONFUSION } from './fixtures';
import { parseSvg } from './xml';

const root = await mkdtemp(join(tmpdir(), 'wgml-report-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const run = {
  history: makeHistory(5),
  confusion: REPORT_CONFUSION,
  classes: FASHION_MNIST_CLASSES,
  misclassified: makeMisclassified(12),
  modelSummary: 'Model: "cnn"\nTotal params: 423,338',
  meta: { model: 'cnn', seed: 1, batch: 64, learningRate: 1e-3 },
  title: 'cnn',
};

describe('writeRunArtifacts', () => {
  it('creates the directory and writes every artifact, nothing else', async () => {
    const dir = join(root, 'runs', 'cnn-1');
    const written = await writeRunArtifacts(dir, run);
    const names = [
      'history.json', 'history.csv', 'loss.svg', 'accuracy.svg', 'confusion.json', 'confusion.svg',
      'confusion.txt', 'misclassified.svg', 'misclassified.png', 'summary.txt', 'meta.json',
    ];
    expect(written).toEqual(names.map((f) => join(dir, f)));
    expect((await readdir(dir)).sort()).toEqual([...names].sort()); // no temp files left behind

    const read = (f: string) => readFile(join(dir, f), 'utf8');
    expect(historyFromCsv(await read('history.csv'))).toEqual(run.history);
    for (const f of ['loss.svg', 'accuracy.svg', 'confusion.svg', 'misclassified.svg']) parseSvg(await read(f));
    expect(await read('loss.svg')).toContain('cnn: loss');
    const confusion = JSON.parse(await read('confusion.json'));
    expect(confusion.classes).toEqual(FASHION_MNIST_CLASSES);
    expect(confusion.matrix[6]).toEqual([187, 5, 102, 28, 145, 3, 514, 0, 16, 0]);
    expect(confusion.perClassAccuracy[6]).toBeCloseTo(0.514);
    expect(await read('summary.txt')).toBe(`${run.modelSummary}\n`);
    expect(JSON.parse(await read('meta.json'))).toEqual(run.meta);
    expect(decode(await readFile(join(dir, 'misclassified.png'))).width).toBeGreaterThan(28);
  });

  it('skips the gallery when nothing was misclassified, and overwrites earlier files', async () => {
    const dir = join(root, 'perfect');
    await writeRunArtifacts(dir, run);
    const written = await writeRunArtifacts(dir, { ...run, misclassified: [], meta: { model: 'again' } });
    expect(written.some((p) => p.includes('misclassified'))).toBe(false);
    expect(JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'))).toEqual({ model: 'again' });
  });
});
