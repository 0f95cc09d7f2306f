/**
 * The demo page: wires the panels together. Each concern lives in its own module: gpu.ts (the
 * device), controls.ts (model and settings), data.ts (Fashion-MNIST), training.ts (a run),
 * progress.ts, charts.ts, results.ts, weights.ts, drawing-pad.ts + predictor.ts + probabilities.ts.
 */
import './style.css';
import type { FashionMnist } from '../../src/data';
import type { Gpu } from '../../src/gpu/device';
import type { SeedModel } from '../../src/models/seed-models';
import type { EpochRecord } from '../../src/report/types';
import { Curves } from './charts';
import { Controls, type RunPhase } from './controls';
import { DataPanel } from './data';
import { byId, count, describeError, duration, h, percent } from './dom';
import { DrawingPad } from './drawing-pad';
import { initGpu, isSoftwareAdapter } from './gpu';
import { classProbabilities } from './predictor';
import { ProbabilityBars } from './probabilities';
import { ProgressBar } from './progress';
import { ResultsPanel } from './results';
import { evaluateWeights, TrainingRun, type TrainedModel } from './training';
import { WeightsPanel } from './weights';

let gpu: Gpu | null = null;
let data: FashionMnist | null = null;
let trained: TrainedModel | null = null;
let run: TrainingRun | null = null;
let software = false;

const runStatus = byId('run-status');
const epochRows = byId('epoch-table', HTMLTableElement).tBodies[0]!;

function status(state: string, text: string): void {
  runStatus.dataset.state = state;
  runStatus.textContent = text;
}

/** Problems that are not one panel's: a lost device, a failed run. */
function fail(e: unknown, where: string): void {
  const { message, hint } = describeError(e);
  const banner = byId('app-error');
  banner.textContent = `${where}: ${message}${hint ? ` ${hint}` : ''}`;
  banner.hidden = false;
  console.error(e);
}

function showModel(seed: SeedModel): void {
  const d = seed.defaults;
  byId('model-description').textContent =
    `${seed.description}. Report: ${d.epochs} epochs, batch ${d.batchSize}, ${d.optimizer === 'adam' ? 'Adam' : 'SGD'} at ${d.lr}` +
    `${d.patience === null ? '' : `, early stopping after ${d.patience} epochs without progress`}; pixels ${seed.preprocessing === 'standardize' ? 'standardised' : 'scaled to [0, 1]'}; ` +
    `test accuracy ${percent(seed.reportedAccuracy)}.`;
  byId('model-summary').textContent = seed.build().summary();
}

const controls = new Controls({
  onModelChange: showModel,
  onStart: () => void startRun(),
  onPause: () => run?.pause(),
  onResume: () => run?.resume(),
  onStop: () => run?.stop(),
});
showModel(controls.selected);

const progress = new ProgressBar();
const curves = new Curves(byId('loss-chart'), byId('accuracy-chart'));
const results = new ResultsPanel();
const pad = new DrawingPad();
const bars = new ProbabilityBars();
const weights = new WeightsPanel((loaded) => void useLoadedWeights(loaded));

const dataPanel = new DataPanel((loaded) => {
  data = loaded;
  controls.suggestSubset(software, loaded.train.count, loaded.test.count);
  controls.setReady(gpu !== null);
  byId('sample-pad', HTMLButtonElement).disabled = false;
});

function setPhase(phase: RunPhase): void {
  controls.setPhase(phase);
  if (phase === 'pausing') status('pausing', 'Pausing at the end of this epoch…');
  if (phase === 'paused') status('paused', 'Paused. Resume to go on with the next epoch, or stop.');
  if (phase === 'stopping') status('stopping', 'Stopping at the end of this epoch…');
  if (phase === 'running') status('running', 'Training…');
}

function epochRow(r: EpochRecord): HTMLTableRowElement {
  return h('tr', {},
    h('td', { class: 'num' }, String(r.epoch)),
    h('td', { class: 'num' }, r.loss.toFixed(4)),
    h('td', { class: 'num' }, percent(r.accuracy)),
    h('td', { class: 'num' }, r.valLoss.toFixed(4)),
    h('td', { class: 'num', 'data-val-accuracy': String(r.valAccuracy) }, percent(r.valAccuracy)),
    h('td', { class: 'num' }, `${r.seconds < 10 ? r.seconds.toFixed(1) : Math.round(r.seconds)} s`),
    h('td', { class: 'num' }, count(r.imagesPerSecond)));
}

async function startRun(): Promise<void> {
  if (!gpu || !data || run) return;
  let settings;
  try {
    settings = controls.read();
  } catch (e) {
    status('error', describeError(e).message);
    return;
  }
  byId('app-error').hidden = true;
  controls.setPhase('starting');
  status('starting', `Uploading ${count(Math.min(settings.trainLimit, data.train.count))} training images and compiling ${settings.model}…`);
  curves.reset(settings.epochs);
  results.clear();
  epochRows.replaceChildren();
  progress.start(settings.epochs);
  const history: EpochRecord[] = [];
  weights.setHistory(history);
  const started = performance.now();
  const theData = data;
  try {
    run = await TrainingRun.create(gpu, theData, settings, {
      phase: setPhase,
      epochStart: (epoch) => progress.epochStart(epoch),
      progress: (epoch, p) => {
        progress.step(p);
        if (p.runningLoss !== undefined) curves.running(epoch, p.step / p.steps, p.runningLoss);
      },
      evaluating: (what) => progress.evaluating(what),
      epochEnd: ({ record, test, trained: t }) => {
        progress.epochEnd();
        history.push(record);
        curves.epoch(record);
        epochRows.append(epochRow(record));
        results.show(test, theData, `${t.model.name}, ${t.origin}`, t.seed.reportedAccuracy);
        trained = t;
        weights.set(t);
        weights.setHistory(history);
        predictPad();
      },
    });
    const outcome = await run.run();
    const last = outcome.history.at(-1);
    const took = duration((performance.now() - started) / 1000);
    const summary = last ? ` Validation accuracy ${percent(last.valAccuracy)} after ${last.epoch} epoch${last.epoch === 1 ? '' : 's'} (${took}).` : '';
    if (outcome.stopped === 'early-stopping') status('done', `Stopped early: the validation loss did not improve for ${settings.patience} epochs.${summary}`);
    else if (outcome.stopped === 'stop') status('done', `Stopped.${summary}`);
    else status('done', `Done.${summary}`);
    progress.done(outcome.stopped ? 'Stopped' : 'Done');
  } catch (e) {
    status('error', `The run failed: ${describeError(e).message}`);
    progress.done('Failed');
    fail(e, 'Training');
  } finally {
    run = null;
    controls.setPhase('idle');
  }
}

async function useLoadedWeights(loaded: TrainedModel): Promise<void> {
  controls.selectModel(loaded.seed.name);
  trained = loaded;
  predictPad();
  if (!gpu || !data) return;
  try {
    const testLimit = controls.read().testLimit;
    results.show(await evaluateWeights(gpu, data, loaded, testLimit), data, `${loaded.model.name}, ${loaded.origin}`, loaded.seed.reportedAccuracy);
  } catch (e) {
    fail(e, 'Evaluating the loaded weights');
  }
}

// The drawing pad: one prediction at a time; changes made meanwhile are predicted once it is done.
let predicting = false;
let again = false;
let caption = 'your drawing';
/** What the next replacement of the pad shows (a test image), for the prediction's caption. */
let nextCaption: string | null = null;

function predictPad(): void {
  pad.updatePreview();
  if (!gpu || !trained) {
    bars.message('Train a model (one epoch is enough) or load weights, then draw.');
    return;
  }
  if (predicting) {
    again = true;
    return;
  }
  predicting = true;
  document.body.dataset.predicting = 'true';
  const model = trained;
  const image = pad.updatePreview();
  classProbabilities(gpu, model, image)
    .then((p) => bars.show(p, `${model.model.name}, ${model.origin}; ${caption}`))
    .catch((e) => bars.message(`Could not predict: ${describeError(e).message}`))
    .finally(() => {
      predicting = false;
      if (again) {
        again = false;
        predictPad();
      } else {
        delete document.body.dataset.predicting;
      }
    });
}

pad.onChange((final) => {
  if (final) {
    caption = nextCaption ?? 'your drawing';
    nextCaption = null;
  }
  pad.updatePreview();
  // While a stroke goes on, predict as fast as the GPU answers; always once more when it ends.
  if (final || !predicting) predictPad();
});

byId('sample-pad').addEventListener('click', () => {
  if (!data) return;
  const i = Math.floor(Math.random() * data.test.count);
  const pixels = data.rows * data.cols;
  nextCaption = `test image ${i}, a ${data.classes[data.test.labels[i]!]}`;
  pad.show(data.test.images.subarray(i * pixels, (i + 1) * pixels));
});

// Start: the device first (its absence is explained in place), then the data from the server.
gpu = await initGpu((message) => fail(new Error(message), 'WebGPU'));
if (gpu) {
  software = isSoftwareAdapter(gpu);
  controls.suggestSubset(software);
  await dataPanel.fromServer();
} else {
  status('error', 'Training needs WebGPU; see above.');
}
document.body.dataset.ready = 'true';
