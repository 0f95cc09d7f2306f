/**
 * The demo in a real Chromium with WebGPU (SwiftShader when there is no GPU): train the one-hidden
 * model on 3,000 real Fashion-MNIST images for 2 epochs, pausing and resuming on the way, and check
 * what a person would see: curves, confusion matrix, misclassified gallery, a validation accuracy
 * above 60%, the weights' round trip through a .safetensors file, and ten probabilities summing to
 * 1 for a drawing. Profile one training step: the per-kernel table `wgml profile` prints, as HTML.
 * Drop an .npz of colour images with a JSON model file of its own: the misfit with the chosen
 * model is named first, then the file's model trains and the results speak of the dataset's classes.
 * Then lose the GPU device in the middle of a run (the GPU process crashes) and
 * resume it: it must end with the numbers of a run that was never interrupted. Without WebGPU in
 * the browser this fails; it never skips.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import { npy, npz } from '../data/dataset-fixtures';
import {
  crashGpuProcess, drawShirt, dropFiles, epochTable, launchChromium, longTasks, longTasksInEpoch, openDemo, pageNow, prepareRun, shownProbabilities, startDemoServer, waitForRunEnd, webGpuState,
  type DemoServer, type RunSettings,
} from './harness';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
/** The demo tunes its kernels unless built with WGML_TUNE=off (vite.config.ts reads it when the dev server starts, here). */
const DEMO_TUNES = process.env.WGML_TUNE !== 'off';
const TRAIN_IMAGES = 3_000;
const TEST_IMAGES = 2_000;

/** A model file of its own (README's "Model files" format) for 8x8 colour images of 4 classes. */
const TINY_RGB_MODEL = {
  name: 'tiny-rgb',
  input: [8, 8, 3],
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' },
    { type: 'maxpool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 4, activation: 'softmax' },
  ],
  train: { optimizer: 'adam', lr: 0.01, batchSize: 16, epochs: 1, preprocessing: 'scale01' },
};

/**
 * An .npz (NumPy's savez layout) of 8x8 RGB images in four classes, by colour: mostly red, green,
 * blue or grey, on noise. One test label in ten is deliberately wrong, so some test images are
 * misclassified whatever the model learns.
 */
function colourNpz(train = 320, test = 80): { npzBytes: Uint8Array; classNames: string[]; testCount: number } {
  let state = 12345;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
  const images = (labels: number[]) => {
    const x = new Uint8Array(labels.length * 8 * 8 * 3);
    labels.forEach((k, n) => {
      for (let p = 0; p < 64; p++) {
        for (let c = 0; c < 3; c++) x[(n * 64 + p) * 3 + c] = Math.floor(random() * 70) + (k === c ? 150 : k === 3 ? 90 : 0);
      }
    });
    return x;
  };
  const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 4);
  const trainLabels = labels(train);
  const testLabels = labels(test);
  const testImages = images(testLabels);
  const shown = testLabels.map((k, i) => (i % 10 === 3 ? (k + 1) % 4 : k));
  return {
    npzBytes: npz({
      x_train: npy(images(trainLabels), [train, 8, 8, 3]),
      y_train: npy(BigInt64Array.from(trainLabels, BigInt), [train]),
      x_test: npy(testImages, [test, 8, 8, 3]),
      y_test: npy(BigInt64Array.from(shown, BigInt), [test]),
    }),
    classNames: ['red', 'green', 'blue', 'grey'],
    testCount: test,
  };
}

/**
 * CIFAR-10 binary files (five training batches of 64 records, a test batch of 100) of 32x32 colour
 * pictures whose class is their colour (red, green, blue, grey) on noise, and a batches.meta.txt
 * naming CIFAR-10's ten labels (the last six unused). Records store each channel's plane in turn.
 */
function cifarColours(): { files: Map<string, Uint8Array>; classNames: string[] } {
  let state = 777;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 8) / 2 ** 24;
  const batch = (count: number, offset: number) => {
    const out = new Uint8Array(count * 3073);
    for (let n = 0; n < count; n++) {
      const k = (n + offset) % 4;
      out[n * 3073] = k;
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < 1024; p++) out[n * 3073 + 1 + c * 1024 + p] = Math.floor(random() * 70) + (k === c ? 150 : k === 3 ? 90 : 0);
      }
    }
    return out;
  };
  const classNames = ['red', 'green', 'blue', 'grey', 'unused4', 'unused5', 'unused6', 'unused7', 'unused8', 'unused9'];
  const files = new Map<string, Uint8Array>();
  for (let b = 1; b <= 5; b++) files.set(`data_batch_${b}.bin`, batch(64, b));
  files.set('test_batch.bin', batch(100, 0));
  files.set('batches.meta.txt', new TextEncoder().encode(`${classNames.join('\n')}\n`));
  return { files, classNames };
}

let server: DemoServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startDemoServer(), launchChromium()]);
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the demo in Chromium', () => {
  it('trains one-hidden live on WebGPU and shows curves, confusion matrix, gallery, weights and a prediction', async () => {
    const { page, errors } = await openDemo(browser, server.url);
    const gpu = await webGpuState(page);
    expect(gpu.ready, `WebGPU is not available in Chromium: ${gpu.text}`).toBe(true);
    expect(gpu.text).toMatch(/WebGPU adapter: .+/);

    // The model's summary table is shown for the chosen model.
    await prepareRun(page, { model: 'one-hidden', trainImages: TRAIN_IMAGES, testImages: TEST_IMAGES, epochs: 2 });
    expect(await page.textContent('#model-summary')).toContain('Total params: 101,770');

    // Start, pause during the first epoch: the run stops within a few steps, mid-epoch; then resume.
    const started = await pageNow(page);
    await page.click('#start');
    await page.waitForSelector('#progress-stats:has-text("images/s")', { timeout: 60_000 });
    expect(await page.textContent('#progress-stats')).toMatch(/[\d,]+ images\/s · ETA .+/);
    // The page answers at once while the GPU trains: the click is handled in the middle of the epoch.
    await page.click('#pause');
    await page.waitForSelector('#run-status[data-state="pausing"], #run-status[data-state="paused"]', { timeout: 5_000 });
    await page.waitForSelector('#run-status[data-state="paused"]', { timeout: 120_000 });
    expect(await page.locator('#epoch-table tbody tr').count(), 'paused inside epoch 1').toBe(0);
    expect(await page.textContent('#pause')).toBe('Resume');
    // Profiling would share the GPU (and the page) with the paused run: it waits for the run to end.
    expect(await page.isDisabled('#profile')).toBe(true);
    expect(await page.getAttribute('#profile', 'title')).toContain('A run is using the GPU');
    await page.click('#pause');
    const end = await waitForRunEnd(page, 180_000);
    expect(end.state, end.text).toBe('done');
    expect(await page.locator('#epoch-table tbody tr').count()).toBe(2);
    // Training runs in the worker: the page's thread only draws. Over the whole of epoch 2 (its
    // steps, its evaluation, its results drawn) no main-thread task reaches 50 ms (a long task).
    expect(await page.getAttribute('#adapter', 'data-thread')).toBe('worker');
    const inEpoch = await longTasksInEpoch(page, 2);
    const tasks = await longTasks(page, started);
    console.log(`main-thread long tasks (over 50 ms) during epoch 2: ${inEpoch.length}; during the whole run (start, pause, resume included): ${tasks.length}, longest ${Math.round(Math.max(0, ...tasks))} ms`);
    expect(inEpoch, 'main-thread long tasks during epoch 2').toEqual([]);

    // The worker tuned the matmuls for this adapter (a fresh profile: nothing cached yet), and the line under the adapter says so.
    if (DEMO_TUNES) expect(await page.textContent('#tuning')).toMatch(/^Kernels tuned for this GPU: \d+ shapes? \(0 from cache\), \d+\.\d s/);

    // Curves: both epochs plotted, and the canvases have ink on them.
    expect(await page.getAttribute('#loss-chart', 'data-epochs')).toBe('2');
    expect(await page.getAttribute('#accuracy-chart', 'data-epochs')).toBe('2');
    const inked = await page.$$eval('#loss-chart canvas, #accuracy-chart canvas', (canvases) =>
      canvases.map((c) => {
        const canvas = c as HTMLCanvasElement;
        const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let coloured = 0;
        // Pixels of the series colours (blue/orange: channels far apart), not grid grey or black text.
        for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 0 && Math.max(d[i]!, d[i + 1]!, d[i + 2]!) - Math.min(d[i]!, d[i + 1]!, d[i + 2]!) > 60) coloured++;
        return coloured;
      }));
    expect(inked.length).toBe(2);
    for (const n of inked) expect(n, 'coloured pixels drawn by a chart').toBeGreaterThan(200);

    // The validation accuracy shown (the report's validation set: the test images) is above 60%.
    const shown = await page.textContent('#epoch-table tbody tr:last-child td[data-val-accuracy]');
    const valAccuracy = Number(shown!.replace('%', ''));
    expect(valAccuracy, `validation accuracy shown: ${shown}`).toBeGreaterThan(60);

    // The confusion matrix: a 10x10 heat map whose counts cover every test image.
    expect(await page.locator('#confusion svg rect.cell').count()).toBe(100);
    const counts = await page.$$eval('#confusion svg text.count', (t) => t.map((x) => Number(x.textContent)));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(TEST_IMAGES);
    expect(await page.locator('#per-class tbody tr').count()).toBe(10);
    // The gallery: misclassified images with true and predicted labels.
    const examples = page.locator('#gallery svg g.example');
    expect(await examples.count()).toBeGreaterThan(0);
    const first = examples.first();
    expect(await first.getAttribute('data-true')).not.toBe(await first.getAttribute('data-predicted'));
    expect(await first.locator('image').count()).toBe(1);

    // Download the weights, then load them back: the same model gives the same test accuracy.
    const trainedAccuracy = await page.getAttribute('#test-summary', 'data-accuracy');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-weights')]);
    expect(download.suggestedFilename()).toBe('one-hidden.safetensors');
    const weightsFile = `${ARTIFACTS}demo-one-hidden.safetensors`;
    await download.saveAs(weightsFile);
    await page.setInputFiles('#weights-file', weightsFile);
    await page.waitForSelector('#weights-status[data-state="loaded"]', { timeout: 30_000 });
    await page.waitForSelector('#results-epoch:has-text("demo-one-hidden.safetensors")', { timeout: 60_000 });
    expect(await page.getAttribute('#test-summary', 'data-accuracy')).toBe(trainedAccuracy);

    // Draw a garment: the model answers with ten probabilities that sum to 1.
    await drawShirt(page);
    const drawn = await page.$eval('#pad-preview', (c) => {
      const d = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28).data;
      let lit = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! > 0) lit++;
      return lit;
    });
    expect(drawn, 'pixels of the drawing in the 28x28 picture the model sees').toBeGreaterThan(100);
    const probabilities = await shownProbabilities(page);
    expect(probabilities).toHaveLength(10);
    for (const p of probabilities) expect(p).toBeGreaterThanOrEqual(0);
    expect(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);

    await page.locator('header').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}demo.png`, fullPage: true });
    expect(errors).toEqual([]);
  }, 420_000);

  it('profiles one training step of one-hidden: one row per dispatch, slowest first, shares summing to 100%', async () => {
    const { page, errors } = await openDemo(browser, server.url);
    await prepareRun(page, { model: 'one-hidden', trainImages: 1_000, testImages: 500, epochs: 1 });
    expect(await page.isHidden('#profile-panel')).toBe(true);
    const started = await pageNow(page);
    await page.click('#profile');
    await page.waitForSelector('#profile-status[data-state="done"], #profile-status[data-state="error"]', { timeout: 150_000 });
    expect(await page.getAttribute('#profile-status', 'data-state'), (await page.textContent('#profile-status'))!).toBe('done');

    // The line under the title: which method, how many steps, the sum of kernels and a real step's time.
    const summary = (await page.textContent('#profile-summary'))!;
    const method = await page.getAttribute('#profile-summary', 'data-method');
    console.log(`profile: ${summary}`);
    expect(['timestamp', 'submit']).toContain(method);
    expect(summary).toContain(method === 'timestamp' ? 'timed with timestamp queries' : 'timed with one submit per dispatch');
    expect(summary).toMatch(/mean of 20 steps after 2 warm-up\. Sum of kernels \d+\.\d{3} ms; a real training step \d+\.\d{3} ms of wall-clock time/);

    // The table: profileTable's columns, one row per dispatch of the step (each index once), slowest first.
    const dispatches = Number(await page.getAttribute('#profile-summary', 'data-dispatches'));
    expect(dispatches).toBeGreaterThan(5);
    expect(await page.$$eval('#profile-kernels thead th', (th) => th.map((x) => x.textContent))).toEqual(['#', 'kernel', 'ms', 'share', 'GFLOP/s', 'GB/s']);
    const rows = await page.$$eval('#profile-kernels tbody tr', (trs) =>
      trs.map((tr) => ({
        ms: Number((tr as HTMLElement).dataset.ms),
        share: Number((tr as HTMLElement).dataset.share),
        shader: (tr as HTMLElement).dataset.shader ?? '',
        cells: [...(tr as HTMLTableRowElement).cells].map((c) => c.textContent ?? ''),
      })));
    expect(rows).toHaveLength(dispatches);
    expect(rows.map((r) => Number(r.cells[0])).sort((a, b) => a - b)).toEqual([...Array(dispatches).keys()]);
    for (const r of rows) {
      expect(Number.isFinite(r.ms) && r.ms >= 0, `${r.cells[1]}: ${r.ms} ms`).toBe(true);
      expect(r.cells[2]).toBe(r.ms.toFixed(3));
      expect(r.cells[3]).toBe(`${(r.share * 100).toFixed(1)}%`);
    }
    for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.ms, `row ${i} (slowest first) is slower than row ${i - 1}`).toBeGreaterThanOrEqual(rows[i]!.ms);
    expect(rows[0]!.ms).toBeGreaterThan(0);
    expect(rows.reduce((a, r) => a + r.share, 0)).toBeCloseTo(1, 6);
    expect(await page.$$eval('#profile-kernels tfoot td', (td) => td.map((x) => x.textContent))).toContain('100.0%');
    // The dense layers' matrix products are there, with a rate: they declare their flops.
    const matmuls = rows.filter((r) => r.shader.startsWith('matmul:'));
    expect(matmuls.length, 'matmul rows').toBeGreaterThanOrEqual(3);
    expect(matmuls.some((r) => Number(r.cells[4]) > 0)).toBe(true);

    // Grouped by shader: matmul among them, and the groups' shares add up to the whole step too.
    const shaders = await page.$$eval('#profile-shaders tbody tr', (trs) =>
      trs.map((tr) => ({ name: (tr as HTMLTableRowElement).cells[0]!.textContent ?? '', share: Number((tr as HTMLElement).dataset.share) })));
    expect(shaders.some((g) => g.name.startsWith('matmul:'))).toBe(true);
    expect(shaders.reduce((a, g) => a + g.share, 0)).toBeCloseTo(1, 6);
    expect(await page.locator('#profile-layers tbody tr').count()).toBeGreaterThan(1);

    // The page stayed responsive, and is ready for a run or another profile.
    const tasks = await longTasks(page, started);
    expect(Math.max(0, ...tasks), 'longest main-thread task while profiling (ms)').toBeLessThan(1_500);
    expect(await page.isEnabled('#profile')).toBe(true);
    expect(await page.isEnabled('#start')).toBe(true);
    await page.locator('#profile-panel').screenshot({ path: `${ARTIFACTS}demo-profile.png` });
    expect(errors).toEqual([]);
  }, 240_000);

  it('trains a dropped JSON model file on a dropped .npz of colour images: misfit named first, then its classes and an RGB gallery', async () => {
    const { page, errors } = await openDemo(browser, server.url);
    await page.waitForSelector('#data-status[data-state="loaded"], #data-status[data-state="error"]', { timeout: 120_000 });
    await page.selectOption('#model', 'one-hidden');

    // Files the readers refuse: the typed error's message and hint, in the panel they were meant for.
    await dropFiles(page, '#drop-zone', [{ name: 'notes.bin', bytes: new Uint8Array(100) }]);
    await page.waitForSelector('#data-status[data-state="error"]', { timeout: 10_000 });
    expect(await page.textContent('#data-status')).toMatch(/No dataset found in dropped files: it holds notes\.bin\. Expected one of: an IDX dataset/);
    await dropFiles(page, '#model-drop', [{ name: 'broken.json', bytes: '{ "input": [8, 8, 3], "layers": [{ "type": "dense", "units": 0, "activation": "softmax" }] }' }]);
    await page.waitForSelector('#model-status[data-state="error"]', { timeout: 10_000 });
    expect(await page.textContent('#model-status')).toBe('broken.json: layers[0].units: must be at least 1 (got 0). See the model file format in the README ("Model files").');
    expect(await page.inputValue('#model')).toBe('one-hidden');

    // The dataset alone: one-hidden (Fashion-MNIST's [784], 10 classes) cannot train on it, and the page says why.
    const { npzBytes, classNames, testCount } = colourNpz();
    await dropFiles(page, '#drop-zone', [{ name: 'colours.npz', bytes: npzBytes }, { name: 'classes.txt', bytes: `${classNames.join('\n')}\n`, type: 'text/plain' }]);
    await page.waitForSelector('#data-status[data-state="loaded"][data-shape="[8, 8, 3]"], #data-status[data-state="error"]', { timeout: 60_000 });
    expect(await page.getAttribute('#data-status', 'data-state'), (await page.textContent('#data-status'))!).toBe('loaded');
    expect(await page.getAttribute('#data-status', 'data-classes')).toBe('4');
    expect(await page.isDisabled('#start')).toBe(true);
    // checkFits' words: both shapes (Keras' notation) and both class counts, then the fix.
    const why = (await page.getAttribute('#start', 'title'))!;
    expect(why).toContain('one-hidden takes input (None, 784)');
    expect(why).toContain('examples of (None, 8, 8, 3) (192 values) and 4 classes');
    expect(why).toContain('[8, 8, 3]');
    expect(await page.isVisible('#fit-note')).toBe(true);
    expect(await page.textContent('#fit-note')).toContain('(None, 8, 8, 3)');

    // The model file: it becomes the chosen model, its train block the settings, and the data fits.
    await dropFiles(page, '#model-drop', [{ name: 'tiny-rgb.json', bytes: JSON.stringify(TINY_RGB_MODEL), type: 'application/json' }]);
    await page.waitForSelector('#model-status[data-state="loaded"], #model-status[data-state="error"]', { timeout: 10_000 });
    expect(await page.getAttribute('#model-status', 'data-state'), (await page.textContent('#model-status'))!).toBe('loaded');
    expect(await page.$eval('#model', (s) => (s as HTMLSelectElement).selectedOptions[0]!.textContent)).toContain('tiny-rgb');
    expect(await page.inputValue('#epochs')).toBe('1');
    expect(await page.inputValue('#batch-size')).toBe('16');
    expect(await page.inputValue('#optimizer')).toBe('adam');
    expect(await page.textContent('#model-summary')).toContain('Total params');
    expect(await page.isEnabled('#start')).toBe(true);
    expect(await page.isHidden('#fit-note')).toBe(true);
    // The drawing pad follows the model: 8x8 colour pictures, with a colour brush.
    expect(await page.getAttribute('#draw-panel', 'data-state')).toBe('ready');
    expect(await page.getAttribute('#draw-panel', 'data-shape')).toBe('8x8 colour');
    expect(await page.isVisible('#brush-colour')).toBe(true);
    expect(await page.$eval('#pad-preview', (c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height])).toEqual([8, 8]);
    // A batch larger than the training set is refused the same way, before training.
    await page.fill('#batch-size', '5000');
    expect(await page.isDisabled('#start')).toBe(true);
    expect(await page.getAttribute('#start', 'title')).toContain('larger than the training set');
    await page.fill('#batch-size', '16');
    expect(await page.isEnabled('#start')).toBe(true);

    await page.click('#start');
    const end = await waitForRunEnd(page, 120_000);
    expect(end.state, end.text).toBe('done');
    expect(await page.locator('#epoch-table tbody tr').count()).toBe(1);

    // Results in the dataset's terms: its four classes by name, every test image counted.
    expect(await page.$$eval('#per-class tbody th', (th) => th.map((x) => x.textContent))).toEqual(classNames);
    expect(await page.locator('#confusion svg rect.cell').count()).toBe(16);
    const counts = await page.$$eval('#confusion svg text.count', (t) => t.map((x) => Number(x.textContent)));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(testCount);
    // The gallery draws the misclassified images in colour (a tenth of the test labels are wrong on purpose).
    const wrong = Number(await page.getAttribute('#gallery', 'data-count'));
    if (wrong > 0) {
      const first = page.locator('#gallery svg g.example').first();
      const truth = classNames[Number(await first.getAttribute('data-true'))]!;
      const predicted = classNames[Number(await first.getAttribute('data-predicted'))]!;
      expect(await first.locator('title').textContent()).toContain(`true ${truth}, predicted ${predicted}`);
      const href = (await first.locator('image').getAttribute('href'))!;
      expect(href).toMatch(/^data:image\/png;base64,/);
      const png = decodePng(Buffer.from(href.slice(href.indexOf(',') + 1), 'base64'));
      expect(png.channels, 'channels of a gallery image').toBe(3);
    } else {
      expect(await page.textContent('#gallery')).toContain(`all ${testCount} test images are classified correctly`);
    }

    // The weights of a model of its own go out and come back: the same picker entry, the same accuracy.
    const accuracy = await page.getAttribute('#test-summary', 'data-accuracy');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-weights')]);
    expect(download.suggestedFilename()).toBe('tiny-rgb.safetensors');
    const weightsFile = `${ARTIFACTS}demo-tiny-rgb.safetensors`;
    await download.saveAs(weightsFile);
    await page.setInputFiles('#weights-file', weightsFile);
    await page.waitForSelector('#weights-status[data-state="loaded"], #weights-status[data-state="misfit"], #weights-status[data-state="error"]', { timeout: 30_000 });
    expect(await page.getAttribute('#weights-status', 'data-state'), (await page.textContent('#weights-status'))!).toBe('loaded');
    await page.waitForSelector('#results-epoch:has-text("demo-tiny-rgb.safetensors")', { timeout: 60_000 });
    expect(await page.getAttribute('#test-summary', 'data-accuracy')).toBe(accuracy);
    expect(await page.$eval('#model', (s) => (s as HTMLSelectElement).selectedOptions[0]!.textContent)).toContain('tiny-rgb.json');

    await page.locator('header').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}demo-npz.png`, fullPage: true });
    expect(errors).toEqual([]);
  }, 240_000);

  it('trains a model written in the page on dropped CIFAR-10 files, then predicts a dropped picture', async () => {
    const { page, errors } = await openDemo(browser, server.url);
    await page.waitForSelector('#data-status[data-state="loaded"], #data-status[data-state="error"]', { timeout: 120_000 });
    const { files, classNames } = cifarColours();
    await dropFiles(page, '#drop-zone', [...files].map(([name, bytes]) => ({ name, bytes })));
    await page.waitForSelector('#data-status[data-state="loaded"][data-shape="[32, 32, 3]"], #data-status[data-state="error"]', { timeout: 60_000 });
    expect(await page.getAttribute('#data-status', 'data-state'), (await page.textContent('#data-status'))!).toBe('loaded');

    // The editor starts from the chosen model's definition; a mistake is named by its field as it is typed.
    await page.click('#model-editor summary');
    expect(JSON.parse(await page.inputValue('#model-json')).name).toBe(await page.inputValue('#model'));
    const model = {
      name: 'colours',
      input: [32, 32, 3],
      layers: [
        { type: 'conv2d', filters: -4, kernelSize: 3, padding: 'same', activation: 'relu' },
        { type: 'maxpool2d', poolSize: 4 },
        { type: 'flatten' },
        { type: 'dense', units: 10, activation: 'softmax' },
      ],
      train: { optimizer: 'adam', lr: 0.01, batchSize: 16, epochs: 1, preprocessing: 'scale01' },
    };
    await page.fill('#model-json', JSON.stringify(model, null, 2));
    await page.waitForSelector('#model-json-status[data-state="error"]', { timeout: 10_000 });
    expect(await page.textContent('#model-json-status')).toContain('layers[0].filters');
    expect(await page.isDisabled('#use-model-json')).toBe(true);
    model.layers[0]!.filters = 4;
    await page.fill('#model-json', JSON.stringify(model, null, 2));
    await page.waitForSelector('#model-json-status[data-state="loaded"]', { timeout: 10_000 });
    expect(await page.textContent('#model-json-status')).toContain('Valid: colours, input [32, 32, 3], 10 classes');
    expect(await page.textContent('#model-json-summary')).toContain('Total params: 2,682');
    await page.click('#use-model-json');
    expect(await page.$eval('#model', (s) => (s as HTMLSelectElement).selectedOptions[0]!.textContent)).toContain('colours');
    expect(await page.inputValue('#epochs')).toBe('1');
    await page.fill('#train-limit', '320');
    await page.fill('#test-limit', '100');
    expect(await page.isEnabled('#start')).toBe(true);
    await page.click('#start');
    const end = await waitForRunEnd(page, 180_000);
    expect(end.state, end.text).toBe('done');
    expect(await page.$$eval('#per-class tbody th', (th) => th.map((x) => x.textContent))).toEqual(classNames);

    // The pad draws 32x32 colour pictures for it; a dropped picture is scaled onto it and predicted.
    expect(await page.getAttribute('#draw-panel', 'data-shape')).toBe('32x32 colour');
    const red = encodePng({ width: 60, height: 40, channels: 3, data: new Uint8Array(60 * 40 * 3).map((_, i) => (i % 3 === 0 ? 220 : 30)) });
    await dropFiles(page, '#pad', [{ name: 'red.png', bytes: red, type: 'image/png' }]);
    await page.waitForSelector('#prediction-status:has-text("red.png")', { timeout: 60_000 });
    const seen = await page.$eval('#pad-preview', (c) => [...(c as HTMLCanvasElement).getContext('2d')!.getImageData(16, 16, 1, 1).data]);
    expect(seen[0]!, 'the picture the model sees is red').toBeGreaterThan(180);
    expect(seen[1]!).toBeLessThan(60);
    const probabilities = await shownProbabilities(page);
    expect(probabilities).toHaveLength(10);
    expect(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
    expect(errors).toEqual([]);
  }, 300_000);

  it('shows a 40-class dataset\'s confusion matrix as a picture and the ten most likely classes of a prediction', async () => {
    const { page, errors } = await openDemo(browser, server.url);
    await page.waitForSelector('#data-status[data-state="loaded"], #data-status[data-state="error"]', { timeout: 120_000 });
    const classes = 40;
    const labels = (n: number) => BigInt64Array.from({ length: n }, (_, i) => BigInt(i % classes));
    const images = (n: number) => Uint8Array.from({ length: n * 4 * 4 * 3 }, (_, i) => (i * 37 + Math.floor(i / 48) * 11) & 0xff);
    const bytes = npz({ x_train: npy(images(400), [400, 4, 4, 3]), y_train: npy(labels(400), [400]), x_test: npy(images(120), [120, 4, 4, 3]), y_test: npy(labels(120), [120]) });
    await dropFiles(page, '#drop-zone', [{ name: 'many.npz', bytes }]);
    await page.waitForSelector('#data-status[data-state="loaded"][data-classes="40"]', { timeout: 60_000 });
    const model = { name: 'many', input: [4, 4, 3], layers: [{ type: 'flatten' }, { type: 'dense', units: classes, activation: 'softmax' }], train: { optimizer: 'adam', lr: 0.01, batchSize: 20, epochs: 1 } };
    await dropFiles(page, '#model-drop', [{ name: 'many.json', bytes: JSON.stringify(model), type: 'application/json' }]);
    await page.waitForSelector('#model-status[data-state="loaded"]', { timeout: 10_000 });
    await page.click('#start');
    expect((await waitForRunEnd(page, 120_000)).state).toBe('done');
    await page.waitForSelector('#confusion canvas.heat-map', { timeout: 30_000 });
    expect(await page.$eval('#confusion canvas.heat-map', (c) => (c as HTMLCanvasElement).width)).toBe(classes * 12);
    expect(await page.locator('#confusion svg').count()).toBe(0);
    expect(await page.locator('#per-class tbody tr').count()).toBe(classes);
    await page.click('#sample-pad');
    const probabilities = await shownProbabilities(page);
    expect(probabilities).toHaveLength(10);
    expect(probabilities).toEqual([...probabilities].sort((a, b) => b - a));
    expect(await page.textContent('#prediction-status')).toContain('the 10 most likely of 40 classes shown');
    expect(Math.abs(Number(await page.getAttribute('#probabilities', 'data-sum')) - 1)).toBeLessThan(1e-5);
    expect(errors).toEqual([]);
  }, 180_000);

  it('offers to resume a run when the GPU device is lost, and the resumed epochs are those of an uninterrupted run', async () => {
    // Small enough for SwiftShader to train an epoch in seconds, with enough steps (63 of 32
    // images) that the device is lost in the middle of epoch 2 rather than between epochs.
    const settings: RunSettings = { model: 'one-hidden', trainImages: 2_000, testImages: 500, epochs: 3 };

    // The reference: the same settings (and so the same seed), never interrupted.
    const reference = await openDemo(browser, server.url);
    await prepareRun(reference.page, settings);
    await reference.page.click('#start');
    const referenceEnd = await waitForRunEnd(reference.page, 120_000);
    expect(referenceEnd.state, referenceEnd.text).toBe('done');
    const expected = await epochTable(reference.page);
    expect(expected.map((r) => r.epoch)).toEqual([1, 2, 3]);

    const { page, errors } = await openDemo(browser, server.url);
    await prepareRun(page, settings);
    await page.click('#start');
    await page.waitForSelector('#progress-label:has-text("Epoch 2/3 · step")', { timeout: 120_000 });
    const during = await page.textContent('#progress-label');
    // Every page loses its device: this one in the middle of its run, the reference page while idle.
    // (One crash only: after a second, this headless Chromium offers no WebGPU adapter any more.)
    await crashGpuProcess(browser);

    // The page says what happened and offers to resume from the last finished epoch.
    await page.waitForSelector('#device-lost[data-offer="resume"]', { timeout: 30_000 });
    const saved = Number(await page.getAttribute('#device-lost', 'data-saved-epoch'));
    console.log(`GPU process crashed at "${during}"; the run was saved after epoch ${saved}`);
    // Epoch 1 had finished; the crash is asked for during epoch 2 (if epoch 2 finished first, its end is the checkpoint).
    expect(saved).toBeGreaterThanOrEqual(1);
    expect(saved).toBeLessThan(settings.epochs);
    expect(await page.textContent('#device-lost-message')).toContain('The GPU device was lost');
    expect(await page.textContent('#device-lost-offer')).toContain(`saved at the end of epoch ${saved} of ${settings.epochs}`);
    expect(await page.textContent('#device-lost-action')).toBe('Resume');
    await page.waitForSelector('#run-status[data-state="interrupted"]', { timeout: 30_000 });
    expect(await page.getAttribute('#adapter', 'data-state')).toBe('lost');
    expect(await page.isDisabled('#start')).toBe(true);
    expect(await page.locator('#epoch-table tbody tr').count()).toBe(saved);
    await page.screenshot({ path: `${ARTIFACTS}demo-device-lost.png` });

    // Resume: a new device, then epochs saved+1..3.
    await page.click('#device-lost-action');
    const end = await waitForRunEnd(page, 120_000);
    expect(end.state, end.text).toBe('done');
    expect(end.text).toContain(`resumed after epoch ${saved}`);
    expect(await page.isHidden('#device-lost')).toBe(true);
    expect(await page.getAttribute('#adapter', 'data-state')).toBe('ready');
    const resumed = await epochTable(page);
    // Each epoch once, and the same validation accuracy as the uninterrupted run: epoch saved+1
    // started from the checkpoint's weights and counters and trained on the same shuffled batches.
    expect(resumed.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(resumed.map((r) => r.valAccuracy)).toEqual(expected.map((r) => r.valAccuracy));
    expect(await page.getAttribute('#accuracy-chart', 'data-epochs')).toBe('3');
    expect(await page.textContent('#results-epoch')).toContain('epoch 3');

    // The reference page lost its device while idle: reconnecting is enough for the drawing pad to
    // answer again with the weights it had trained (they live in the page, not on the device).
    const idle = reference.page;
    await idle.waitForSelector('#device-lost[data-offer="reconnect"]', { timeout: 30_000 });
    expect(await idle.textContent('#device-lost-action')).toBe('Reconnect');
    expect(await idle.isDisabled('#start')).toBe(true);
    expect(await idle.textContent('#prediction-status')).toContain('needs a GPU device');
    await idle.click('#device-lost-action');
    await idle.waitForSelector('#adapter[data-state="ready"]', { timeout: 30_000 });
    expect(await idle.isHidden('#device-lost')).toBe(true);
    expect(await idle.isDisabled('#start')).toBe(false);
    await drawShirt(idle);
    await idle.waitForSelector('#prediction-status:has-text("sure")', { timeout: 60_000 });
    const probabilities = await shownProbabilities(idle);
    expect(probabilities).toHaveLength(10);
    expect(Math.abs(probabilities.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
    expect(reference.errors).toEqual([]);

    await page.locator('header').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${ARTIFACTS}demo-resumed.png`, fullPage: true });
    expect(errors).toEqual([]);
  }, 420_000);

  it('keeps runs across reloads: resumed from the browser\'s storage, after an epoch or from a pause, they end with an uninterrupted run\'s weights bit for bit', async () => {
    const settings: RunSettings = { model: 'one-hidden', trainImages: 2_000, testImages: 500, epochs: 3 };
    /** The trained weights the page offers for download (model.save(): architecture, weights, pre-processing). */
    const downloadedWeights = async (page: Page) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-weights')]);
      return new Uint8Array(await readFile((await download.path())!));
    };
    const savedRuns = (page: Page) => page.locator('#saved-runs-list li');

    const { page, errors } = await openDemo(browser, server.url);
    await prepareRun(page, settings);
    await page.click('#start');
    expect((await waitForRunEnd(page, 180_000)).state).toBe('done');
    const reference = await downloadedWeights(page);
    // A finished run leaves nothing to resume.
    expect(await savedRuns(page).count()).toBe(0);

    // Reload in the middle of epoch 2: the run saved after epoch 1 is offered, and resumed.
    await prepareRun(page, settings);
    await page.click('#start');
    await page.waitForSelector('#progress-label:has-text("Epoch 2/3 · step")', { timeout: 120_000 });
    await page.reload();
    await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
    await page.waitForSelector('#saved-runs-list li[data-state="running"] button.resume', { timeout: 30_000 });
    expect(await savedRuns(page).count()).toBe(1);
    expect(await savedRuns(page).first().textContent()).toMatch(/one-hidden on Fashion-MNIST \(2,000 training images\), after epoch 1 of 3/);
    await page.click('#saved-runs-list li button.resume');
    const afterReload = await waitForRunEnd(page, 180_000);
    expect(afterReload.state, afterReload.text).toBe('done');
    expect(afterReload.text).toContain('resumed after epoch 1');
    // The new page's worker read the kernel choices its predecessor tuned from IndexedDB.
    if (DEMO_TUNES) expect(Number(await page.getAttribute('#tuning', 'data-cached')), (await page.textContent('#tuning'))!).toBeGreaterThan(0);
    expect((await epochTable(page)).map((r) => r.epoch)).toEqual([1, 2, 3]);
    // The curves show the saved epoch (drawn again on the fresh page) and the two trained since.
    expect(await page.getAttribute('#accuracy-chart', 'data-epochs')).toBe('3');
    expect(Buffer.from(await downloadedWeights(page)).equals(Buffer.from(reference)), 'weights after a reload and resume equal the uninterrupted run\'s').toBe(true);
    expect(await savedRuns(page).count()).toBe(0);

    // Pause inside epoch 2, reload, resume: it continues from the very step it paused at.
    await prepareRun(page, settings);
    await page.click('#start');
    await page.waitForSelector('#progress-label:has-text("Epoch 2/3 · step")', { timeout: 120_000 });
    await page.click('#pause');
    await page.waitForSelector('#run-status[data-state="paused"]', { timeout: 60_000 });
    await page.reload();
    await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
    await page.waitForSelector('#saved-runs-list li[data-state="paused"] button.resume', { timeout: 30_000 });
    expect(await savedRuns(page).first().textContent()).toContain('paused inside epoch 2 of 3');
    await page.click('#saved-runs-list li button.resume');
    // Another tab sees the run as training elsewhere: it cannot resume (or delete) it meanwhile.
    const other = await page.context().newPage();
    await other.goto(server.url);
    await other.waitForSelector('body[data-ready]', { timeout: 60_000 });
    await other.waitForSelector('#saved-runs-list li[data-state="elsewhere"]', { timeout: 30_000 });
    expect(await other.textContent('#saved-runs-list li')).toContain('Training in another tab now');
    expect(await other.isDisabled('#saved-runs-list li button.resume')).toBe(true);
    await other.close();
    const afterPause = await waitForRunEnd(page, 180_000);
    expect(afterPause.state, afterPause.text).toBe('done');
    expect(Buffer.from(await downloadedWeights(page)).equals(Buffer.from(reference)), 'weights after a pause, reload and resume equal the uninterrupted run\'s').toBe(true);

    // A record from another version of the page is listed for deletion, never resumed or removed unasked.
    await page.evaluate(() => new Promise<void>((resolve, reject) => {
      const open = indexedDB.open('wgml-demo');
      open.onsuccess = () => {
        const tx = open.result.transaction('runs', 'readwrite');
        tx.objectStore('runs').put({ format: 'wgml-demo-run/0' }, 'run-old');
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      };
      open.onerror = () => reject(open.error);
    }));
    await page.reload();
    await page.waitForSelector('#saved-runs-list li[data-state="unreadable"]', { timeout: 30_000 });
    expect(await page.textContent('#saved-runs-list li[data-state="unreadable"]')).toContain('another version of this page');
    expect(await page.locator('#saved-runs-list li[data-state="unreadable"] button.resume').count()).toBe(0);
    await page.click('#saved-runs-list li[data-state="unreadable"] button.delete');
    await page.waitForSelector('#saved-runs[hidden], #saved-runs-list:empty', { state: 'attached', timeout: 10_000 });
    expect(await savedRuns(page).count()).toBe(0);
    expect(errors).toEqual([]);
  }, 600_000);

  it('trains when the browser refuses storage, saying that a reload would lose the run', async () => {
    const { page, errors } = await openDemo(browser, server.url, { withoutStorage: true });
    await page.waitForSelector('#saved-runs-status[data-state="error"]', { timeout: 30_000 });
    expect(await page.textContent('#saved-runs-status')).toMatch(/storage is not available .*denied permission.*: reading the saved runs failed\. Private windows may refuse storage/);
    await prepareRun(page, { model: 'one-hidden', trainImages: 500, testImages: 200, epochs: 1 });
    await page.click('#start');
    const end = await waitForRunEnd(page, 120_000);
    expect(end.state, end.text).toBe('done');
    expect(await page.textContent('#saved-runs-status')).toContain('saving the run failed; it goes on, but a reload or a closed tab would lose it');
    expect(errors).toEqual([]);
  }, 180_000);

  it('explains how to get WebGPU when the browser has none, instead of a blank page', async () => {
    const { page, errors } = await openDemo(browser, server.url, { withoutWebGpu: true });
    expect(await page.isVisible('#gpu-error')).toBe(true);
    expect(await page.textContent('#gpu-error-message')).toContain('does not offer WebGPU');
    expect(await page.textContent('#gpu-error-hint')).toContain('--enable-unsafe-webgpu');
    expect(await page.getAttribute('#adapter', 'data-state')).toBe('error');
    expect(await page.isDisabled('#start')).toBe(true);
    // The rest of the page still works: the model summaries need no GPU.
    await page.selectOption('#model', 'cnn');
    expect(await page.textContent('#model-summary')).toContain('Total params: 423,338');
    await page.screenshot({ path: `${ARTIFACTS}demo-no-webgpu.png` });
    expect(errors).toEqual([]);
  }, 60_000);
});
