/**
 * The demo page: wires the panels together. Each concern lives in its own module: gpu.ts (the
 * device, in the training worker worker.ts), device-lost.ts (what to do when it is lost),
 * controls.ts (model and settings), models.ts (seed models and model files), model-editor.ts (a
 * model written in the page), data.ts (Fashion-MNIST from the site, any dataset from files),
 * training.ts (a run), run-store.ts + saved-runs.ts (runs kept across reloads), progress.ts,
 * charts.ts, results.ts (+ figures-worker.ts), weights.ts, drawing-pad.ts + predictor.ts +
 * probabilities.ts, profile-panel.ts (one step's kernels, timed). Whether the data fits the chosen
 * model is checked here (model.checkFits), whenever either or a setting changes.
 */
import './style.css';
import { createDataset, imageBytes, Sequential, type Dataset, type EpochRecord } from '../../src/index';
import { Curves } from './charts';
import { Controls, type DemoSettings, type DraftSettings, type RunPhase } from './controls';
import { acceptDrops, DataPanel, describeData, isFashionMnist, type DemoData } from './data';
import { DeviceLostPanel, type LostOffer } from './device-lost';
import { byId, classCount, count, describeError, duration, h, keyboardFilePickers, nextTask, percent } from './dom';
import { DrawingPad, padShape, padText } from './drawing-pad';
import { connectGpu, DeviceLostError, initGpu, isSoftwareAdapter, type Gpu, type GpuWatch } from './gpu';
import { ModelEditor } from './model-editor';
import { definitionModel, shapeText, type DemoModel } from './models';
import { Predictor } from './predictor';
import { ProbabilityBars } from './probabilities';
import { ProfilePanel, profileDemoStep } from './profile-panel';
import { ProgressBar } from './progress';
import { ResultsPanel } from './results';
import { deleteRun, fingerprint, lockRun, newRunId, saveRun, type RunData, type StoredRun } from './run-store';
import { SavedRunsPanel } from './saved-runs';
import { evaluateWeights, TrainingRun, type RunCheckpoint, type TrainedModel } from './training';
import { showTuning } from './tuning';
import { WeightsPanel, type LoadedWeights } from './weights';

/** The device in use; null when there is none, or it was lost. */
let gpu: Gpu | null = null;
/** A lost device, released just before a new one is acquired. */
let lostGpu: Gpu | null = null;
let data: DemoData | null = null;
let trained: TrainedModel | null = null;
let run: TrainingRun | null = null;
/**
 * The run in progress, or the one a lost device interrupted: its settings and its checkpoint at
 * the end of its last finished epoch (null before the first). Null once a run ends otherwise.
 */
let unfinished: { settings: DemoSettings; checkpoint: RunCheckpoint | null; data: DemoData; id: string } | null = null;
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

const PIXELS = { standardize: 'standardised', scale01: 'scaled to [0, 1]', none: 'as they are' } as const;

function showModel(m: DemoModel): void {
  editor.show(m);
  const d = m.fit;
  const settings =
    `${d.epochs} epochs, batch ${d.batchSize}, ${d.optimizer === 'adam' ? 'Adam' : 'SGD'} at ${d.lr}` +
    `${d.patience === null ? '' : `, early stopping after ${d.patience} epochs without progress`}; pixels ${PIXELS[m.preprocessing]}`;
  byId('model-description').textContent = m.reportedAccuracy !== undefined
    ? `${m.description}. Report (Fashion-MNIST): ${settings}; test accuracy ${percent(m.reportedAccuracy)}.`
    : `${m.description}. ${m.definition.train ? 'Its train block' : 'No train block, so the command line\'s defaults'}: ${settings}.`;
  byId('model-summary').textContent = m.model.summary();
  checkFit();
}

/** A dataset made with the settings as typed (pre-processing left out: the check needs none), kept while they stay the same. */
let fitData: { data: DemoData; key: string; dataset: Dataset } | null = null;

/** Why `model` cannot train on the page's data with `draft`'s settings (model.checkFits's words), or null. */
function misfit(model: Sequential, draft: DraftSettings): { message: string; hint?: string } | null {
  if (!data) return null;
  try {
    const key = JSON.stringify(draft.data);
    if (fitData?.data !== data || fitData.key !== key) fitData = { data, key, dataset: createDataset(data, draft.data) };
    model.checkFits(fitData.dataset, draft.batchSize);
    return null;
  } catch (e) {
    return describeError(e);
  }
}

/** The fits-the-data check for the chosen model: Start stays off, saying why, until it passes. */
function checkFit(): void {
  controls.setMisfit(misfit(controls.selected.model, controls.draft()));
  updatePad();
}

const editor = new ModelEditor((m) => {
  if (!controls.busy) controls.addModel(m);
});

const controls = new Controls({
  onModelChange: showModel,
  onSettingsChange: () => checkFit(),
  onStart: () => void startRun(),
  onPause: () => run?.pause(),
  onResume: () => run?.resume(),
  onStop: () => run?.stop(),
  onProfile: () => void profileStep(),
});

const progress = new ProgressBar();
const curves = new Curves(byId('loss-chart'), byId('accuracy-chart'));
const results = new ResultsPanel();
const pad = new DrawingPad();
const predictor = new Predictor();
const bars = new ProbabilityBars();
const weights = new WeightsPanel((loaded) => void useLoadedWeights(loaded));
const profiler = new ProfilePanel();
const modelStatus = byId('model-status');

const dataPanel = new DataPanel((loaded) => {
  data = loaded;
  // Now, not when a run saves its first epoch: digesting the images copies them, a task of its own.
  void fingerprintOf(loaded);
  fitData = null;
  controls.suggestSubset(software, loaded.train.labels.length, loaded.test.labels.length, isFashionMnist(loaded));
  controls.setReady(gpu !== null);
  if (!trained) bars.empty(loaded.classes);
  checkFit();
}, (files) => void openFiles(files, 'chosen files'));
showModel(controls.selected);

/** A JSON model file becomes the picker's choice, its `train` block the settings' defaults. */
async function loadModelFile(file: File): Promise<void> {
  const show = (state: string, text: string) => {
    modelStatus.dataset.state = state;
    modelStatus.textContent = text;
  };
  if (controls.busy) {
    show('error', `${file.name} was not loaded: a run (or a profile) is going. Load it when it ends.`);
    return;
  }
  try {
    const m = definitionModel(await file.text(), file.name, 'file');
    controls.addModel(m);
    show('loaded', `Loaded ${file.name}: ${m.name}, input ${shapeText(m.model.inputShape)}, ${classCount(m.model.classes)}, ${m.model.paramCount.toLocaleString('en-US')} parameters.` +
      `${m.definition.train ? ' Its train block gives the settings.' : ''}`);
  } catch (e) {
    const { message, hint } = describeError(e);
    show('error', hint ? `${message} ${hint}` : message);
  }
}

/**
 * Files a person dropped (anywhere on the page) or chose: JSON model files go to the model picker,
 * a .safetensors file to the weights panel, a picture (PNG, JPEG…) to the drawing pad, the rest is
 * a dataset for loadDataset.
 */
async function openFiles(files: File[], how: 'dropped files' | 'chosen files' = 'dropped files'): Promise<void> {
  const models = files.filter((f) => /\.json$/i.test(f.name));
  const weightFiles = files.filter((f) => /\.safetensors$/i.test(f.name));
  const pictures = files.filter((f) => /\.(png|jpe?g|webp|gif|bmp)$/i.test(f.name));
  const rest = files.filter((f) => !models.includes(f) && !weightFiles.includes(f) && !pictures.includes(f));
  for (const f of models) await loadModelFile(f);
  if (pictures[0]) await showPicture(pictures[0]);
  if (rest.length > 0) await dataPanel.fromFiles(rest, how);
  if (weightFiles[0]) await weights.load(weightFiles[0]);
}

acceptDrops((files) => void openFiles(files));
keyboardFilePickers();
const modelInput = byId('model-file', HTMLInputElement);
modelInput.addEventListener('change', () => {
  const files = [...(modelInput.files ?? [])];
  modelInput.value = '';
  void openFiles(files, 'chosen files');
});

/** The run's phase on the buttons; the data stays as it is while a run or a profile uses it. */
function phaseChanged(phase: RunPhase): void {
  controls.setPhase(phase);
  editor.setBusy(phase !== 'idle');
  dataPanel.block(phase === 'idle' ? null : 'A run (or a profile) is using the data: load other data when it ends, or stop it.');
}

function setPhase(phase: RunPhase): void {
  phaseChanged(phase);
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
  await train(settings, null, data);
}

/** The report's accuracy for a seed model, when the data is the report's (Fashion-MNIST). */
function reported(model: DemoModel | undefined, on: DemoData): number | undefined {
  return model && isFashionMnist(on) ? model.reportedAccuracy : undefined;
}

/** Each dataset's fingerprint, computed once (a saved run records it, to recognise the data on resume). */
const fingerprints = new WeakMap<DemoData, Promise<string>>();
function fingerprintOf(d: DemoData): Promise<string> {
  let f = fingerprints.get(d);
  if (!f) fingerprints.set(d, (f = fingerprint(d)));
  return f;
}

/** What a saved run records of its data: the server's Fashion-MNIST, or named files, with their fingerprint. */
async function runData(d: DemoData): Promise<RunData> {
  const print = await fingerprintOf(d);
  return 'classesFrom' in d ? { kind: 'files', description: `${d.source} (${describeData(d)})`, fingerprint: print } : { kind: 'fashion-mnist', fingerprint: print };
}

/**
 * Writes the run's record (run-store.ts) with `checkpoint`: the run survives a reload from here.
 * A storage failure is reported and the run goes on (it is then only in memory).
 */
async function persist(id: string, settings: DemoSettings, theData: DemoData, checkpoint: RunCheckpoint, state: StoredRun['state']): Promise<void> {
  try {
    await saveRun({
      id, modelId: settings.model.id, modelOrigin: settings.model.origin, definition: settings.model.definition,
      fit: settings.fit, data: settings.data, dataSource: await runData(theData),
      history: [...checkpoint.history], checkpoint: checkpoint.bytes, state,
    });
  } catch (e) {
    savedRuns.problem(e);
  }
}

/**
 * Runs `settings` on `theData` from the start, or from `from` (`source`: a run whose device was
 * lost, still shown, or a saved run resumed after a reload); `id` is its record in the browser's storage.
 */
async function train(settings: DemoSettings, from: RunCheckpoint | null, theData: DemoData, id = newRunId(), source: 'device-lost' | 'storage' = 'device-lost'): Promise<void> {
  if (!gpu || run) return;
  phaseChanged('starting');
  // One tab per run: another tab resuming the same saved run would train it twice.
  const unlock = await lockRun(id);
  if (!unlock) {
    phaseChanged('idle');
    savedRuns.message('That run is training in another tab of this browser: watch it there, or stop it there first.', 'error');
    void savedRuns.refresh();
    return;
  }
  byId('app-error').hidden = true;
  unfinished = { settings, checkpoint: from, data: theData, id };
  savedRuns.setBusy(true, id);
  void savedRuns.refresh();
  const name = settings.model.name;
  const upload = `${count(Math.min(settings.data.trainLimit, theData.train.labels.length))} training images`;
  const history: EpochRecord[] = [...(from?.history ?? [])];
  if (from && source === 'device-lost') {
    status('starting', `Resuming after epoch ${history.length}: uploading ${upload} and compiling ${name} on the new device…`);
    // The page still shows the run up to the checkpoint; only the cut-short epoch's running loss goes.
    curves.rewind(history.length);
    epochRows.replaceChildren(...history.map(epochRow));
  } else if (from) {
    status('starting', `Resuming the saved run after epoch ${history.length}: uploading ${upload} and compiling ${name}…`);
    // A fresh page (or another run shown): the saved epochs are drawn again.
    curves.reset(settings.fit.epochs);
    for (const r of history) curves.epoch(r);
    results.clear();
    epochRows.replaceChildren(...history.map(epochRow));
  } else {
    status('starting', `Uploading ${upload} and compiling ${name}…`);
    curves.reset(settings.fit.epochs);
    results.clear();
    epochRows.replaceChildren();
  }
  progress.start(settings.fit.epochs);
  weights.setHistory(history);
  const started = performance.now();
  try {
    run = await TrainingRun.create(gpu, theData, settings, {
      phase: setPhase,
      epochStart: (epoch) => {
        // User Timing marks: an epoch, from its first step to its results drawn, in DevTools' timeline (and for the e2e test's long-task check).
        performance.mark('wgml:epoch-start', { detail: { epoch } });
        progress.epochStart(epoch);
        // fit built the training step before its first epoch: its kernels have chosen their variants (tuned, or cached).
        if (gpu) showTuning(gpu);
      },
      progress: (p) => {
        progress.step(p);
        if (p.loss !== undefined) curves.running(p.epoch, p.step / p.steps, p.loss);
      },
      evaluating: (what) => progress.evaluating(what),
      epochEnd: async ({ record, checkpoint, test, data: dataset, trained: t }) => {
        // Saved before it is shown: what the page shows survives a reload.
        await persist(id, settings, theData, checkpoint, 'running');
        unfinished = { settings, checkpoint, data: theData, id };
        progress.epochEnd();
        history.push(record);
        epochRows.append(epochRow(record));
        trained = t;
        weights.set(t);
        weights.setHistory(history);
        // Each in a task of its own: together they would hold the page's thread for a frame or more.
        await nextTask();
        curves.epoch(record);
        await results.show(test, dataset, `${t.name}, ${t.origin}`, reported(settings.model, theData));
        predictPad();
        // The epoch's evaluation built kernels of its own batch size: they may have been tuned.
        if (gpu) showTuning(gpu);
        performance.mark('wgml:epoch-end', { detail: { epoch: record.epoch } });
      },
      paused: async (checkpoint) => {
        await persist(id, settings, theData, checkpoint, 'paused');
        unfinished = { settings, checkpoint, data: theData, id };
      },
    }, from);
    const outcome = await run.run();
    unfinished = null;
    // Finished (or stopped on purpose): nothing left to resume. If the record cannot be deleted
    // (storage refused: then it was never saved), the list shown after the run says what is left.
    await deleteRun(id).catch(() => {});
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
      const { message, hint } = describeError(e);
      status('error', `The run failed: ${message}${hint ? ` ${hint}` : ''}`);
      progress.done('Failed');
      fail(e, 'Training');
    }
  } finally {
    run = null;
    phaseChanged('idle');
    updatePad();
    unlock();
    savedRuns.setBusy(false, null);
    void savedRuns.refresh();
  }
}

/**
 * A saved run, resumed after a reload: its model (a seed model, or its definition as a new entry),
 * its settings, and its data, which must be the data it was trained on (by fingerprint; the server's
 * Fashion-MNIST is fetched when needed). Then it goes on from its checkpoint exactly as it would have.
 */
async function resumeSaved(saved: StoredRun): Promise<void> {
  if (!gpu || run) return;
  let theData = data;
  if (saved.dataSource.kind === 'fashion-mnist' && !(theData && (await fingerprintOf(theData)) === saved.dataSource.fingerprint)) {
    savedRuns.message('Loading Fashion-MNIST from the server for the saved run…');
    await dataPanel.fromServer();
    theData = data;
  }
  if (!theData || (await fingerprintOf(theData)) !== saved.dataSource.fingerprint) {
    const what = saved.dataSource.kind === 'files' ? saved.dataSource.description : 'Fashion-MNIST';
    savedRuns.message(`The saved run trained on ${what}, which is not the data loaded now. Load the same files (choose or drop them), then Resume again.`, 'error');
    return;
  }
  let model: DemoModel;
  try {
    const entry = controls.find(Sequential.fromJSON(saved.definition, 'the saved run'));
    model = entry ?? definitionModel(saved.definition, saved.modelOrigin, 'file');
    if (!entry) controls.addModel(model);
    else controls.selectModel(entry.id);
  } catch (e) {
    const { message, hint } = describeError(e);
    savedRuns.message(`The saved run's model cannot be rebuilt: ${message}${hint ? ` ${hint}` : ''} Delete the saved run.`, 'error');
    return;
  }
  savedRuns.message('');
  await train({ model, fit: saved.fit, data: saved.data }, { settings: { model, fit: saved.fit, data: saved.data }, history: saved.history, bytes: saved.checkpoint }, theData, saved.id, 'storage');
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
  phaseChanged('profiling');
  const started = performance.now();
  try {
    const result = await profileDemoStep(gpu, data, settings, (text) => profiler.stage(text));
    profiler.show(result, (performance.now() - started) / 1000);
    if (gpu) showTuning(gpu);
  } catch (e) {
    if (e instanceof DeviceLostError) {
      profiler.failed('The GPU device was lost while profiling. Reconnect (see the panel at the top), then profile again.');
    } else {
      profiler.failed(`Profiling failed: ${describeError(e).message}`);
      fail(e, 'Profiling');
    }
  } finally {
    phaseChanged('idle');
  }
}

/** Class names for a model of `classes` classes: the data's when they are as many, else numbers. */
function classNamesFor(classes: number): readonly string[] {
  return data?.classes.length === classes ? data.classes : Array.from({ length: classes }, (_, i) => String(i));
}

/**
 * Weights from a file (any architecture: loadModel rebuilds it). The picker shows the architecture
 * (a seed model, a model file's, or a new entry); the weights are evaluated on the test set when
 * they fit the data, and otherwise the weights panel says why not, naming both shapes.
 */
async function useLoadedWeights({ weights: bytes, model, file }: LoadedWeights): Promise<void> {
  const loaded: TrainedModel = { weights: bytes, name: model.name, origin: file, inputShape: model.inputShape, classNames: classNamesFor(model.classes) };
  const entry = controls.busy ? undefined : controls.find(model);
  if (entry) controls.selectModel(entry.id);
  else if (!controls.busy) controls.addModel(definitionModel(model.toJSON(), file, 'weights'));
  trained = loaded;
  updatePad();
  predictPad();
  const text = `Loaded ${file}: ${model.name}, input ${shapeText(model.inputShape)}, ${classCount(model.classes)}, ${model.paramCount.toLocaleString('en-US')} parameters.`;
  if (!data) {
    weights.set(loaded, `${text} Load data to evaluate it.`, 'loaded');
    return;
  }
  const problem = misfit(model, { data: { preprocessing: 'none', validationSplit: 0, trainLimit: 1 } });
  if (problem) {
    weights.set(loaded, `${text} It does not fit the data, so it is not evaluated: ${problem.message}${problem.hint ? ` ${problem.hint}` : ''}`, 'misfit');
    return;
  }
  weights.set(loaded, text, 'loaded');
  if (!gpu) return;
  try {
    const { test, data: dataset } = await evaluateWeights(gpu, data, loaded, controls.read().data.testLimit);
    await results.show(test, dataset, `${loaded.name}, ${loaded.origin}`, reported(entry, data));
  } catch (e) {
    fail(e, 'Evaluating the loaded weights');
  }
}

/** Whether the data's test images are pictures of the pad's shape (for "A test image"). */
function dataFitsPad(): boolean {
  const d = data && padShape(data.shape);
  const p = pad.shape;
  return !!d && d.height === p.height && d.width === p.width && d.channels === p.channels;
}

/**
 * The drawing pad, sized to the model's input (the trained one, else the chosen one): grey or
 * colour pictures of its height and width; off with a note for inputs it cannot draw.
 */
function updatePad(): void {
  const shape = trained?.inputShape ?? controls.selected.model.inputShape;
  const name = trained?.name ?? controls.selected.name;
  const size = padShape(shape);
  if (size) pad.setShape(size);
  pad.setEnabled(size !== null);
  const note = byId('pad-note');
  note.hidden = size !== null;
  note.textContent = size ? '' : `The drawing pad makes grey or colour pictures, for models that take [h, w, 1], [h, w, 3] or a square number of values; ${name} takes ${shapeText(shape)}.`;
  byId('draw-panel').dataset.state = size ? 'ready' : 'unavailable';
  byId('draw-panel').dataset.shape = size ? padText(size) : '';
  byId('sample-pad', HTMLButtonElement).disabled = !size || !dataFitsPad();
}

// The drawing pad: one prediction at a time; changes made meanwhile are predicted once it is done.
let predicting = false;
let again = false;
let caption = 'your drawing';
/** What the next replacement of the pad shows (a test image), for the prediction's caption. */
let nextCaption: string | null = null;

function predictPad(): void {
  pad.updatePreview();
  if (trained && !padShape(trained.inputShape)) {
    bars.message(`The pad draws pictures, for models that take [h, w, 1], [h, w, 3] or a square number of values; ${trained.name} takes ${shapeText(trained.inputShape)}.`);
    return;
  }
  if (!trained) {
    bars.message('Train a model (one epoch is enough) or load weights, then draw.');
    return;
  }
  if (!gpu) {
    bars.message('Predicting needs a GPU device: reconnect it (see the panel at the top).');
    return;
  }
  if (pad.empty) {
    bars.message('Draw something (or drop a picture, or take a test image): the model then says what it sees.');
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
    .then((p) => bars.show(p, model.classNames, `${model.name}, ${model.origin}; ${caption}`))
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
  if (!data || !dataFitsPad()) return;
  const i = Math.floor(Math.random() * data.test.labels.length);
  const { height, width, channels } = pad.shape;
  const values = height * width * channels;
  nextCaption = `test image ${i}: ${data.classes[data.test.labels[i]!]}`;
  pad.show(imageBytes(data.test.images.subarray(i * values, (i + 1) * values)));
});

/** A picture dropped or chosen for the pad: scaled onto it, then predicted like a drawing. */
async function showPicture(file: File): Promise<void> {
  if (!pad.isEnabled) {
    bars.message(`${file.name}: the pad is off for this model (see the note above it).`);
    return;
  }
  try {
    nextCaption = file.name;
    await pad.showFile(file);
  } catch (e) {
    nextCaption = null;
    bars.message(describeError(e).message);
  }
}

const padImage = byId('pad-image', HTMLInputElement);
padImage.addEventListener('change', () => {
  const file = padImage.files?.[0];
  padImage.value = '';
  if (file) void showPicture(file);
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
  // The interrupted run goes on with its own data, even if other data was loaded meanwhile.
  const runData = unfinished?.data ?? data;
  if (offer.kind === 'resume' && runData) await train(offer.checkpoint.settings, offer.checkpoint, runData, unfinished?.id);
  else if (offer.kind === 'restart' && runData) await train(offer.settings, null, runData);
  else if (unfinished) {
    unfinished = null;
    status('idle', 'The interrupted run was left; start a new one when ready.');
  }
}

const lostPanel = new DeviceLostPanel((offer) => void reconnect(offer));
const savedRuns = new SavedRunsPanel((saved) => void resumeSaved(saved));
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
  await savedRuns.refresh();
} else {
  status('error', 'Training needs WebGPU; see above.');
}
document.body.dataset.ready = 'true';
