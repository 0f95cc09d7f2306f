/**
 * Trains a model in the demo (in Chromium, as the e2e test does) and saves a full-page screenshot:
 *
 *   npx vite-node test/browser/screenshot.ts -- cnn 640 500 1 test-artifacts/demo-cnn.png
 *   (arguments: model, training images, test images, epochs, output file)
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { drawShirt, launchChromium, longTasks, openDemo, prepareRun, shownProbabilities, startDemoServer, waitForRunEnd, webGpuState, type RunSettings } from './harness';

const [model = 'cnn', train = '640', test = '500', epochs = '1', out = 'test-artifacts/demo-cnn.png'] = process.argv.slice(2).filter((a) => a !== '--');
const started = performance.now();
const log = (s: string) => console.log(`${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s  ${s}`);

const server = await startDemoServer();
const browser = await launchChromium();
try {
  const { page, errors } = await openDemo(browser, server.url);
  const gpu = await webGpuState(page);
  if (!gpu.ready) throw new Error(`no WebGPU in Chromium: ${gpu.text}`);
  log(gpu.text);
  await prepareRun(page, { model: model as RunSettings['model'], trainImages: Number(train), testImages: Number(test), epochs: Number(epochs) });
  await page.click('#start');
  let last = '';
  const timer = setInterval(() => {
    void Promise.all([page.textContent('#progress-label'), page.textContent('#progress-stats')]).then(([a, b]) => {
      const line = `${a} ${b}`;
      if (line !== last) log((last = line));
    }, () => {});
  }, 5_000);
  const end = await waitForRunEnd(page, 3_600_000);
  clearInterval(timer);
  log(end.text);
  const tasks = await longTasks(page);
  log(`main-thread tasks over 50 ms so far: ${tasks.length}, longest ${Math.round(Math.max(0, ...tasks))} ms`);
  await drawShirt(page);
  const p = await shownProbabilities(page, 300_000);
  log(`drawing: ${await page.textContent('#prediction-status')} (sum ${p.reduce((a, b) => a + b, 0)})`);
  await page.locator('header').scrollIntoViewIfNeeded();
  await mkdir(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  log(`saved ${out}${errors.length ? `; page errors: ${errors.join('; ')}` : ''}`);
} finally {
  await browser.close();
  await server.close();
}
