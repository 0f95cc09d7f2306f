/**
 * The demo page: wires the panels together. Each concern lives in its own module: gpu.ts (the
 * device), device-lost.ts (what to do when it is lost), controls.ts (model and settings), data.ts
 * (Fashion-MNIST), training.ts (a run), progress.ts, charts.ts, results.ts, weights.ts,
 * drawing-pad.ts + predictor.ts + probabilities.ts, profile-panel.ts (one step's kernels, timed).
 */
import './style.css';
import { seedModel, type EpochRecord, type FashionMnist, type Gpu, type SeedModel } from '../../src/index';
import { Curves } from './charts';
import { Controls, seedModelNamed, type DemoSettings, type RunPhase } from './controls';
import { DataPanel } from './data';
import { DeviceLostPanel, type LostOffer } from './device-lost';
import { byId, count, describeError, duration, h, percent } from './dom';
import { DrawingPad, IMAGE_SIDE } from './drawing-pad';
import { connectGpu, DeviceLostError, initGpu, isSoftwareAdapter, type GpuWatch } from './gpu';
import { Predictor } from './predictor';
import { ProbabilityBars } from './probabilities';
import { ProfilePanel, profileDemoStep } from './profile-panel';
import { ProgressBar } from './progress';
import { ResultsPanel } from './results';
import { evaluateWeights, TrainingRun, type RunCheckpoint, type TrainedModel } from './training';
import { WeightsPanel } from './weights';

/** The device in use; null when there is none, or it was lost. */
let gpu: Gpu | null = null;
/** A lost device, released just before a new one is acquired. */
let lostGpu: Gpu | null = null;
let data: FashionMnist | null = null;
let trained: TrainedModel | null = null;
let run: TrainingRun | null = null;
/**
 * The run in progress, or the one a lost device interrupted: its settings and its checkpoint at
 * the end of its last finished epoch (null before the first). Null once a run ends otherwise.
 */
let unfinished: { settings: DemoSettings; checkpoint: RunCheckpoint | null } | null = null;
let software = false;

const runStatus = byId('run-status');
const epochRows = byId('epoch-table', HTMLTableElement).tBodies[0]!;

function status(state: string, text: string): void {
  runStatus.dataset.state = state;
  runStatus.textContent = text;
}

/** Problems that are not one panel's: a GPU error, a failed run. */
function fail(e: unknown, where: string): void {
  const { message, hint } = describeError(e);
  const banner = byId('app-error');
  banner.textContent = `${where}: ${message}${hint ? ` ${hint}` : ''}`;
  banner.hidden = false;
  console.error(e);
}

function showModel(seed: SeedModel): void {
  const d = seed.fit;
  byId('model-description').textContent =
    `${seed.description}. Report: ${d.epochs} epochs, batch ${d.batchSize}, ${d.optimizer === 'adam' ? 'Adam' : 'SGD'} at ${d.lr}` +
    `${d.patience === null ? '' : `, early stopping after ${d.patience} epochs without progress`}; pixels ${seed.data.preprocessing === 'standardize' ? 'standardised' : 'scaled to [0, 1]'}; ` +
    `test accuracy ${percent(seed.reportedAccuracy)}.`;
  byId('model-summary').textContent = seed.build().summary();
}

const controls = new Controls({
  onModelChange: showModel,
  onStart: () => void startRun(),
  onPause: () => run?.pause(),
  onResume: () => run?.resume(),
  onStop: () => run?.stop(),
  onProfile: () => void profileStep(),
});
showModel(controls.selected);

const progress = new ProgressBar();
const curves = new Curves(byId('loss-chart'), byId('accuracy-chart'));
const results = new ResultsPanel();
const pad = new DrawingPad();
const predictor = new Predictor();
const bars = new ProbabilityBars();
const weights = new WeightsPanel((loaded) => void useLoadedWeights(loaded));
const profiler = new ProfilePanel();

const dataPanel = new DataPanel((loaded) => {
  data = loaded;
  controls.suggestSubset(software, loaded.train.labels.length, loaded.test.labels.length);
  controls.setReady(gpu !== null);
  byId('sample-pad', HTMLButtonElement).disabled = false;
});

function setPhase(phase: RunPhase): void {
  controls.setPhase(phase);
  if (phase === 'pausing') status('pausing', 'Pausing within a few steps…');
  if (phase === 'paused') status('paused', 'Paused. Resume to go on where it stopped, or stop.');
  if (phase === 'stopping') status('stopping', 'Stopping within a few steps…');
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
  await train(settings, null);
}

/** Runs `settings` from the start, or after `from`'s last epoch (a run whose device was lost). */
async function train(settings: DemoSettings, from: RunCheckpoint | null): Promise<void> {
  if (!gpu || !data || run) return;
  byId('app-error').hidden = true;
  unfinished = { settings, checkpoint: from };
  controls.setPhase('starting');
  const upload = `${count(Math.min(settings.data.trainLimit, data.train.labels.length))} training images`;
  const history: EpochRecord[] = [...(from?.history ?? [])];
  if (from) {
    status('starting', `Resuming after epoch ${history.length}: uploading ${upload} and compiling ${settings.model} on the new device…`);
    // The page still shows the run up to the checkpoint; only the cut-short epoch's running loss goes.
    curves.rewind(history.length);
    epochRows.replaceChildren(...history.map(epochRow));
  } else {
    status('starting', `Uploading ${upload} and compiling ${settings.model}…`);
    curves.reset(settings.fit.epochs);
    results.clear();
    epochRows.replaceChildren();
  }
  progress.start(settings.fit.epochs);
  weights.setHistory(history);
  const started = performance.now();
  const theData = data;
  try {
    run = await TrainingRun.create(gpu, theData, settings, {
      phase: setPhase,
      epochStart: (epoch) => progress.epochStart(epoch),
      progress: (p) => {
        progress.step(p);
        if (p.loss !== undefined) curves.running(p.epoch, p.step / p.steps, p.loss);
      },
      evaluating: (what) => progress.evaluating(what),
      epochEnd: ({ record, checkpoint, test, data: dataset, trained: t }) => {
        unfinished = { settings, checkpoint };
        progress.epochEnd();
        history.push(record);
        curves.epoch(record);
        epochRows.append(epochRow(record));
        results.show(test, dataset, `${t.name}, ${t.origin}`, seedModel(settings.model).reportedAccuracy);
        trained = t;
        weights.set(t);
        weights.setHistory(history);
        predictPad();
      },
    }, from);
    const outcome = await run.run();
    unfinished = null;
    const last = outcome.epochs.at(-1);
    const took = `${duration((performance.now() - started) / 1000)}${from ? `, resumed after epoch ${from.history.length}` : ''}`;
    const summary = last ? ` Validation accuracy ${percent(last.valAccuracy)} after ${last.epoch} epoch${last.epoch === 1 ? '' : 's'} (${took}).` : '';
    if (outcome.stopped === 'early-stopping') status('done', `Stopped early: the validation loss did not improve for ${settings.fit.patience} epochs.${summary}`);
    else if (outcome.stopped) status('done', `Stopped.${summary}`);
    else status('done', `Done.${summary}`);
    progress.done(outcome.stopped ? 'Stopped' : 'Done');
  } catch (e) {
    if (e instanceof DeviceLostError) {
      // The device-lost panel (shown by deviceLost) offers what can be done; this line says where the run stands.
      const saved = unfinished?.checkpoint;
      status('interrupted', `Interrupted: the GPU device was lost ${saved ? `after epoch ${saved.history.length} of ${settings.fit.epochs} (saved)` : 'before the first epoch ended'}. See the panel at the top.`);
      progress.done('Interrupted');
    } else {
      unfinished = null;
      status('error', `The run failed: ${describeError(e).message}`);
      progress.done('Failed');
      fail(e, 'Training');
    }
  } finally {
    run = null;
    controls.setPhase('idle');
  }
}

/** Profiles one training step of the selected model with the settings as typed (never during a run: Controls disables it). */
async function profileStep(): Promise<void> {
  if (!gpu || !data || run) return;
  profiler.start();
  let settings;
  try {
    settings = controls.read();
  } catch (e) {
    profiler.failed(describeError(e).message);
    return;
  }
  controls.setPhase('profiling');
  const started = performance.now();
  try {
    const result = await profileDemoStep(gpu, data, settings, (text) => profiler.stage(text));
    profiler.show(result, (performance.now() - started) / 1000);
  } catch (e) {
    if (e instanceof DeviceLostError) {
      profiler.failed('The GPU device was lost while profiling. Reconnect (see the panel at the top), then profile again.');
    } else {
      profiler.failed(`Profiling failed: ${describeError(e).message}`);
      fail(e, 'Profiling');
    }
  } finally {
    controls.setPhase('idle');
  }
}

async function useLoadedWeights(loaded: TrainedModel): Promise<void> {
  const seed = seedModelNamed(loaded.name);
  if (seed) controls.selectModel(seed.name);
  trained = loaded;
  predictPad();
  if (!gpu || !data) return;
  try {
    const { test, data: dataset } = await evaluateWeights(gpu, data, loaded, controls.read().data.testLimit);
    results.show(test, dataset, `${loaded.name}, ${loaded.origin}`, seed?.reportedAccuracy);
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
  if (!trained) {
    bars.message('Train a model (one epoch is enough) or load weights, then draw.');
    return;
  }
  if (!gpu) {
    bars.message('Predicting needs a GPU device: reconnect it (see the panel at the top).');
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
  predictor.probabilities(gpu, model, image)
    .then((p) => bars.show(p, `${model.name}, ${model.origin}; ${caption}`))
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
  const i = Math.floor(Math.random() * data.test.labels.length);
  const pixels = IMAGE_SIDE * IMAGE_SIDE;
  nextCaption = `test image ${i}, a ${data.classes[data.test.labels[i]!]}`;
  pad.show(data.test.images.subarray(i * pixels, (i + 1) * pixels));
});

/** A lost device: say so, and offer what a new one can do (resume the run, if it has a checkpoint). */
function deviceLost(description: string): void {
  lostGpu = gpu;
  gpu = null;
  controls.setReady(false);
  let offer: LostOffer = { kind: 'reconnect' };
  if (unfinished) offer = unfinished.checkpoint ? { kind: 'resume', checkpoint: unfinished.checkpoint } : { kind: 'restart', settings: unfinished.settings };
  lostPanel.show(description, offer);
  predictPad();
}

/** A new device (the adapter line names it), then what `offer` promised on it. */
async function reconnect(offer: LostOffer): Promise<void> {
  lostPanel.reconnecting();
  // The lost device goes first; released, it is never reported as lost again.
  lostGpu?.release();
  lostGpu = null;
  try {
    gpu = await connectGpu(gpuWatch);
  } catch (e) {
    lostPanel.failed(describeError(e).message);
    return;
  }
  software = isSoftwareAdapter(gpu);
  lostPanel.hide();
  byId('app-error').hidden = true;
  controls.setReady(data !== null);
  predictPad();
  if (offer.kind === 'resume') await train(offer.checkpoint.settings, offer.checkpoint);
  else if (offer.kind === 'restart') await train(offer.settings, null);
  else if (unfinished) {
    unfinished = null;
    status('idle', 'The interrupted run was left; start a new one when ready.');
  }
}

const lostPanel = new DeviceLostPanel((offer) => void reconnect(offer));
const gpuWatch: GpuWatch = {
  lost: deviceLost,
  error: (message) => fail(new Error(`GPU error: ${message}`), 'WebGPU'),
};

// Start: the device first (its absence is explained in place), then the data from the server.
gpu = await initGpu(gpuWatch);
if (gpu) {
  software = isSoftwareAdapter(gpu);
  controls.suggestSubset(software);
  await dataPanel.fromServer();
} else {
  status('error', 'Training needs WebGPU; see above.');
}
document.body.dataset.ready = 'true';
