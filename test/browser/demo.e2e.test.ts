/**
 * The demo in a real Chromium with WebGPU (SwiftShader when there is no GPU): train the one-hidden
 * model on 3,000 real Fashion-MNIST images for 2 epochs, pausing and resuming on the way, and check
 * what a person would see: curves, confusion matrix, misclassified gallery, a validation accuracy
 * above 60%, the weights' round trip through a .safetensors file, and ten probabilities summing to
 * 1 for a drawing. Without WebGPU in the browser this fails; it never skips.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawShirt, launchChromium, longTasks, openDemo, pageNow, prepareRun, shownProbabilities, startDemoServer, waitForRunEnd, webGpuState, type DemoServer } from './harness';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const TRAIN_IMAGES = 3_000;
const TEST_IMAGES = 2_000;

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

    // Start, pause during the first epoch: the run waits after it; then resume.
    const started = await pageNow(page);
    await page.click('#start');
    await page.waitForSelector('#progress-stats:has-text("images/s")', { timeout: 60_000 });
    expect(await page.textContent('#progress-stats')).toMatch(/[\d,]+ images\/s · ETA .+/);
    // The page answers at once while the GPU trains: the click is handled in the middle of the epoch.
    await page.click('#pause');
    await page.waitForSelector('#run-status[data-state="pausing"], #run-status[data-state="paused"]', { timeout: 5_000 });
    await page.waitForSelector('#run-status[data-state="paused"]', { timeout: 120_000 });
    expect(await page.locator('#epoch-table tbody tr').count()).toBe(1);
    expect(await page.textContent('#pause')).toBe('Resume');
    await page.click('#pause');
    const end = await waitForRunEnd(page, 180_000);
    expect(end.state, end.text).toBe('done');
    expect(await page.locator('#epoch-table tbody tr').count()).toBe(2);
    // No frozen page while training: no main-thread task anywhere near a second (a synchronous
    // readback or a render of the results blocking it would be); typically the longest is ~0.1 s.
    const tasks = await longTasks(page, started);
    console.log(`main-thread tasks over 50 ms during the run: ${tasks.length}, longest ${Math.round(Math.max(0, ...tasks))} ms`);
    expect(Math.max(0, ...tasks), 'longest main-thread task during training (ms)').toBeLessThan(1_500);

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
