/**
 * The model picker and the run's settings: defaults from the chosen model (the report's for a seed
 * model, a model file's `train` block), read back and checked when a run starts, and the Start /
 * Pause / Stop / Profile buttons' states, including why Start is off when the data does not fit
 * the model.
 */
import { UsageError, type DataSettings, type FitSettings, type OptimizerKind, type Sequential } from '../../src/index';
import { byId, count } from './dom';
import { sameArchitecture, SEED_MODELS, type DemoModel } from './models';

/** A run's settings: the model, how to train it (fit's) and on which examples (createDataset's, all set). */
export interface DemoSettings {
  model: DemoModel;
  fit: FitSettings;
  data: Required<DataSettings>;
}

/** The run's phase, as the buttons show it; 'profiling': one step is being profiled, no run. */
export type RunPhase = 'idle' | 'starting' | 'running' | 'pausing' | 'paused' | 'stopping' | 'profiling';

export interface ControlHandlers {
  onModelChange(model: DemoModel): void;
  /** A setting the fits-the-data check reads changed (batch size, subsets, validation). */
  onSettingsChange(): void;
  onStart(): void;
  onPause(): void;
  onResume(): void;
  onStop(): void;
  onProfile(): void;
}

/** The settings the fits-the-data check needs, read leniently while a person types (undefined: not a valid number yet). */
export interface DraftSettings {
  batchSize?: number;
  data: DataSettings;
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
  private readonly fitNote = byId('fit-note');
  private readonly models = new Map<string, DemoModel>();
  private phase: RunPhase = 'idle';
  private ready = false;
  /** Why the data does not fit the chosen model (or the batch size), or null. */
  private misfit: { message: string; hint?: string } | null = null;
  /** Handlers are called only once the constructor is done (the page's wiring refers to this object). */
  private constructed = false;

  constructor(private readonly handlers: ControlHandlers) {
    for (const m of SEED_MODELS) this.addOption(m, `${m.name} (${m.model.paramCount.toLocaleString('en-US')} parameters)`);
    this.model.addEventListener('change', () => this.changed());
    byId('defaults').addEventListener('click', () => this.applyDefaults(this.selected));
    byId('settings').addEventListener('submit', (e) => e.preventDefault());
    for (const el of [this.batchSize, this.trainLimit, this.testLimit, this.validation]) el.addEventListener('input', () => this.settingsChanged());
    this.start.addEventListener('click', () => handlers.onStart());
    this.pause.addEventListener('click', () => (this.phase === 'paused' ? handlers.onResume() : handlers.onPause()));
    this.stop.addEventListener('click', () => handlers.onStop());
    this.profile.addEventListener('click', () => handlers.onProfile());
    // The report's seed (every seed model's); unlike the other defaults, a seed model change keeps it.
    this.seed.value = String(this.selected.fit.seed);
    this.applyDefaults(this.selected);
    this.constructed = true;
  }

  /** True while a run or a profile is going (or starting, or paused). */
  get busy(): boolean {
    return this.phase !== 'idle';
  }

  /** The picker's entry with `model`'s architecture (name, input and layers), if any. */
  find(model: Sequential): DemoModel | undefined {
    return [...this.models.values()].find((m) => sameArchitecture(m.model, model));
  }

  get selected(): DemoModel {
    return this.models.get(this.model.value)!;
  }

  /**
   * Offers `model` in the picker (a model file, or loaded weights' architecture) and selects it.
   * A model from a file of the same name replaces the earlier one.
   */
  addModel(model: DemoModel): void {
    for (const [id, m] of this.models) {
      if (m.origin === model.origin && m.origin !== 'seed') {
        this.models.delete(id);
        this.model.querySelector(`option[value="${CSS.escape(id)}"]`)?.remove();
      }
    }
    this.addOption(model, `${model.name} (${model.origin}, ${model.model.paramCount.toLocaleString('en-US')} parameters)`);
    this.selectModel(model.id, true);
  }

  /** Shows the model `id` (e.g. after loading its weights) with its defaults. */
  selectModel(id: string, force = false): void {
    if (this.model.value === id && !force) return;
    this.model.value = id;
    this.changed();
  }

  /** The model's epochs, batch size, learning rate, optimiser and early stopping (and a file's seed and validation split). */
  applyDefaults(model: DemoModel): void {
    const d = model.fit;
    this.epochs.value = String(d.epochs);
    this.batchSize.value = String(d.batchSize);
    this.lr.value = String(d.lr);
    this.optimizer.value = d.optimizer;
    this.patience.value = d.patience === null ? '' : String(d.patience);
    if (model.definition.train?.seed !== undefined) this.seed.value = String(model.definition.train.seed);
    if (model.validationSplit !== undefined) {
      const value = String(model.validationSplit);
      if (![...this.validation.options].some((o) => o.value === value)) {
        this.validation.append(new Option(`last ${+(model.validationSplit * 100).toFixed(1)}% of the training images`, value));
      }
      this.validation.value = value;
    }
    this.settingsChanged();
  }

  /** Subset sizes to start from: everything on a real GPU, a quick run on a software one. */
  suggestSubset(software: boolean, trainCount = 60_000, testCount = 10_000, reported = true): void {
    for (const [input, n] of [[this.trainLimit, trainCount], [this.testLimit, testCount]] as const) {
      input.max = String(n);
      input.min = '1';
      input.step = n >= 1_000 ? '100' : '1';
      input.value = String(software ? Math.min(input === this.trainLimit ? 5_000 : 2_000, n) : n);
    }
    const all = reported ? `The report trained on all ${count(trainCount)} images and tested on ${count(testCount)}` : `The data has ${count(trainCount)} training and ${count(testCount)} test images`;
    byId('subset-note').textContent = software
      ? `This adapter computes on the CPU, so training is slow: these subsets keep a run to minutes. ${all}.`
      : `${all}; smaller subsets make a quick run.`;
    this.settingsChanged();
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
    const model = this.selected;
    return {
      model,
      fit: {
        // The limits are the inputs' own (index.html), so the message and the spinner agree.
        epochs: int(this.epochs, 'Epochs', 1, Number(this.epochs.max)),
        batchSize: int(this.batchSize, 'The batch size', 1, Number(this.batchSize.max)),
        lr,
        optimizer: this.optimizer.value as OptimizerKind,
        seed: int(this.seed, 'The seed', 0, 2 ** 32 - 1),
        patience: this.patience.value.trim() === '' ? null : int(this.patience, 'Early stopping', 1, 1000),
      },
      data: {
        preprocessing: model.preprocessing,
        validationSplit: Number(this.validation.value),
        trainLimit: int(this.trainLimit, 'Training images', 1, Number(this.trainLimit.max) || 60_000),
        testLimit: int(this.testLimit, 'Test images', 1, Number(this.testLimit.max) || 10_000),
      },
    };
  }

  /** What the fits-the-data check needs, as typed so far: fields that are not whole numbers yet are left out. */
  draft(): DraftSettings {
    const whole = (input: HTMLInputElement): number | undefined => {
      const v = Number(input.value);
      return input.value.trim() !== '' && Number.isInteger(v) && v >= 1 ? v : undefined;
    };
    const trainLimit = whole(this.trainLimit);
    const testLimit = whole(this.testLimit);
    const batchSize = whole(this.batchSize);
    return {
      ...(batchSize !== undefined ? { batchSize } : {}),
      data: {
        preprocessing: 'none',
        validationSplit: Number(this.validation.value),
        ...(trainLimit !== undefined ? { trainLimit } : {}),
        ...(testLimit !== undefined ? { testLimit } : {}),
      },
    };
  }

  /** Enables Start and Profile once a device and data are there. */
  setReady(ready: boolean): void {
    this.ready = ready;
    this.render();
  }

  /** Why the data does not fit the chosen model (null: it does): Start and Profile stay off, saying why. */
  setMisfit(misfit: { message: string; hint?: string } | null): void {
    this.misfit = misfit;
    this.fitNote.textContent = misfit ? (misfit.hint ? `${misfit.message} ${misfit.hint}` : misfit.message) : '';
    this.fitNote.hidden = !misfit;
    this.render();
  }

  setPhase(phase: RunPhase): void {
    this.phase = phase;
    this.render();
  }

  private addOption(model: DemoModel, label: string): void {
    this.models.set(model.id, model);
    this.model.append(new Option(label, model.id));
  }

  private changed(): void {
    const m = this.selected;
    this.applyDefaults(m);
    if (this.constructed) this.handlers.onModelChange(m);
  }

  private settingsChanged(): void {
    if (this.constructed) this.handlers.onSettingsChange();
  }

  private render(): void {
    const busy = this.phase !== 'idle';
    const misfit = this.misfit ? `Does not fit the data: ${this.misfit.message}${this.misfit.hint ? ` ${this.misfit.hint}` : ''}` : null;
    this.start.disabled = !this.ready || busy || misfit !== null;
    this.start.title = !this.ready
      ? 'Training needs a WebGPU device and the data.'
      : misfit ?? (busy ? 'A run is going.' : `Train ${this.selected.name} with these settings.`);
    this.pause.disabled = !(this.phase === 'running' || this.phase === 'paused');
    this.pause.textContent = this.phase === 'paused' ? 'Resume' : this.phase === 'pausing' ? 'Pausing…' : 'Pause';
    this.stop.disabled = !(this.phase === 'running' || this.phase === 'paused' || this.phase === 'pausing');
    this.stop.textContent = this.phase === 'stopping' ? 'Stopping…' : 'Stop';
    // Never beside a run, even a paused one: the two would time each other on the same GPU. (The
    // profile has a model of its own: the steps it times update its weights, never a run's.)
    this.profile.disabled = !this.ready || busy || misfit !== null;
    this.profile.textContent = this.phase === 'profiling' ? 'Profiling…' : 'Profile a step';
    this.profile.title = !this.ready
      ? 'Profiling needs a WebGPU device and the data.'
      : busy && this.phase !== 'profiling'
        ? 'A run is using the GPU: stop it (or let it end) to profile a step, so the two do not time each other.'
        : misfit ?? 'GPU time of every kernel of one training step of this model with these settings (as `wgml profile`).';
    // Settings are fixed while a run uses them.
    for (const el of [this.model, this.epochs, this.batchSize, this.lr, this.optimizer, this.seed, this.patience, this.trainLimit, this.testLimit, this.validation]) {
      el.disabled = busy;
    }
    document.body.dataset.phase = this.phase;
  }
}
