/**
 * The model picker and the run's settings: defaults from the report (the seed models' `fit`),
 * read back and checked when a run starts, and the Start / Pause / Stop / Profile buttons' states.
 */
import { MODEL_NAMES, seedModel, UsageError, type DataSettings, type FitSettings, type ModelName, type OptimizerKind, type SeedModel } from '../../src/index';
import { byId, count } from './dom';

/** A run's settings: the seed model, how to train it (fit's) and on which examples (createDataset's, all set). */
export interface DemoSettings {
  model: ModelName;
  fit: FitSettings;
  data: Required<DataSettings>;
}

/** The run's phase, as the buttons show it; 'profiling': one step is being profiled, no run. */
export type RunPhase = 'idle' | 'starting' | 'running' | 'pausing' | 'paused' | 'stopping' | 'profiling';

/** The seed model called `name`, or null (weights of a model of its own). */
export function seedModelNamed(name: string): SeedModel | null {
  return (MODEL_NAMES as readonly string[]).includes(name) ? seedModel(name) : null;
}

export interface ControlHandlers {
  onModelChange(seed: SeedModel): void;
  onStart(): void;
  onPause(): void;
  onResume(): void;
  onStop(): void;
  onProfile(): void;
}

export class Controls {
  readonly model = byId('model', HTMLSelectElement);
  private readonly epochs = byId('epochs', HTMLInputElement);
  private readonly batchSize = byId('batch-size', HTMLInputElement);
  private readonly lr = byId('lr', HTMLInputElement);
  private readonly optimizer = byId('optimizer', HTMLSelectElement);
  private readonly seed = byId('seed', HTMLInputElement);
  private readonly patience = byId('patience', HTMLInputElement);
  private readonly trainLimit = byId('train-limit', HTMLInputElement);
  private readonly testLimit = byId('test-limit', HTMLInputElement);
  private readonly validation = byId('validation', HTMLSelectElement);
  private readonly start = byId('start', HTMLButtonElement);
  private readonly pause = byId('pause', HTMLButtonElement);
  private readonly stop = byId('stop', HTMLButtonElement);
  private readonly profile = byId('profile', HTMLButtonElement);
  private phase: RunPhase = 'idle';
  private ready = false;

  constructor(private readonly handlers: ControlHandlers) {
    for (const name of MODEL_NAMES) {
      const s = seedModel(name);
      this.model.append(new Option(`${name} (${s.build().paramCount.toLocaleString('en-US')} parameters)`, name));
    }
    this.model.addEventListener('change', () => {
      const s = seedModel(this.model.value);
      this.applyDefaults(s);
      handlers.onModelChange(s);
    });
    byId('defaults').addEventListener('click', () => this.applyDefaults(seedModel(this.model.value)));
    byId('settings').addEventListener('submit', (e) => e.preventDefault());
    this.start.addEventListener('click', () => handlers.onStart());
    this.pause.addEventListener('click', () => (this.phase === 'paused' ? handlers.onResume() : handlers.onPause()));
    this.stop.addEventListener('click', () => handlers.onStop());
    this.profile.addEventListener('click', () => handlers.onProfile());
    // The report's seed (every seed model's); unlike the other defaults, a model change keeps it.
    this.seed.value = String(this.selected.fit.seed);
    this.applyDefaults(this.selected);
  }

  get selected(): SeedModel {
    return seedModel(this.model.value);
  }

  /** Shows `name` (e.g. after loading its weights) with its defaults. */
  selectModel(name: ModelName): void {
    if (this.model.value === name) return;
    this.model.value = name;
    this.applyDefaults(seedModel(name));
    this.handlers.onModelChange(seedModel(name));
  }

  /** The report's epochs, batch size, learning rate, optimiser and early stopping for `seed`. */
  applyDefaults(seed: SeedModel): void {
    const d = seed.fit;
    this.epochs.value = String(d.epochs);
    this.batchSize.value = String(d.batchSize);
    this.lr.value = String(d.lr);
    this.optimizer.value = d.optimizer;
    this.patience.value = d.patience === null ? '' : String(d.patience);
  }

  /** Subset sizes to start from: everything on a real GPU, a quick run on a software one. */
  suggestSubset(software: boolean, trainCount = 60_000, testCount = 10_000): void {
    this.trainLimit.max = String(trainCount);
    this.testLimit.max = String(testCount);
    this.trainLimit.value = String(software ? Math.min(5_000, trainCount) : trainCount);
    this.testLimit.value = String(software ? Math.min(2_000, testCount) : testCount);
    byId('subset-note').textContent = software
      ? 'This adapter computes on the CPU, so training is slow: these subsets keep a run to minutes. ' +
        `The report trained on all ${count(trainCount)} images and tested on ${count(testCount)}.`
      : `The report trained on all ${count(trainCount)} images and tested on ${count(testCount)}; smaller subsets make a quick run.`;
  }

  /** The settings as typed, checked; a UsageError names the first bad field. */
  read(): DemoSettings {
    const int = (input: HTMLInputElement, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
      const v = Number(input.value);
      if (input.value.trim() === '' || !Number.isInteger(v) || v < min || v > max) {
        input.focus();
        throw new UsageError(`${what} must be a whole number from ${count(min)} to ${count(max)}, not '${input.value}'.`);
      }
      return v;
    };
    const lr = Number(this.lr.value);
    if (!(lr > 0 && lr < 10)) {
      this.lr.focus();
      throw new UsageError(`The learning rate must be a positive number below 10, not '${this.lr.value}'.`);
    }
    const seed = this.selected;
    return {
      model: seed.name,
      fit: {
        epochs: int(this.epochs, 'Epochs', 1, 1000),
        batchSize: int(this.batchSize, 'The batch size', 1, 8192),
        lr,
        optimizer: this.optimizer.value as OptimizerKind,
        seed: int(this.seed, 'The seed', 0, 2 ** 32 - 1),
        patience: this.patience.value.trim() === '' ? null : int(this.patience, 'Early stopping', 1, 1000),
      },
      data: {
        preprocessing: seed.data.preprocessing,
        validationSplit: Number(this.validation.value),
        trainLimit: int(this.trainLimit, 'Training images', 1, Number(this.trainLimit.max) || 60_000),
        testLimit: int(this.testLimit, 'Test images', 1, Number(this.testLimit.max) || 10_000),
      },
    };
  }

  /** Enables Start and Profile once a device and data are there. */
  setReady(ready: boolean): void {
    this.ready = ready;
    this.render();
  }

  setPhase(phase: RunPhase): void {
    this.phase = phase;
    this.render();
  }

  private render(): void {
    const busy = this.phase !== 'idle';
    this.start.disabled = !this.ready || busy;
    this.pause.disabled = !(this.phase === 'running' || this.phase === 'paused');
    this.pause.textContent = this.phase === 'paused' ? 'Resume' : this.phase === 'pausing' ? 'Pausing…' : 'Pause';
    this.stop.disabled = !(this.phase === 'running' || this.phase === 'paused' || this.phase === 'pausing');
    this.stop.textContent = this.phase === 'stopping' ? 'Stopping…' : 'Stop';
    // Never beside a run, even a paused one: the two would time each other on the same GPU. (The
    // profile has a model of its own: the steps it times update its weights, never a run's.)
    this.profile.disabled = !this.ready || busy;
    this.profile.textContent = this.phase === 'profiling' ? 'Profiling…' : 'Profile a step';
    this.profile.title = !this.ready
      ? 'Profiling needs a WebGPU device and the data.'
      : busy && this.phase !== 'profiling'
        ? 'A run is using the GPU: stop it (or let it end) to profile a step, so the two do not time each other.'
        : 'GPU time of every kernel of one training step of this model with these settings (as `wgml profile`).';
    // Settings are fixed while a run uses them.
    for (const el of [this.model, this.epochs, this.batchSize, this.lr, this.optimizer, this.seed, this.patience, this.trainLimit, this.testLimit, this.validation]) {
      el.disabled = busy;
    }
    document.body.dataset.phase = this.phase;
  }
}
