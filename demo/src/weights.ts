/**
 * Downloading the trained weights as safetensors (model.save(): the file `wgml train` writes, which
 * `wgml evaluate` and PyTorch read) and loading such a file back (loadModel, which rebuilds any
 * architecture from the file). Whether loaded weights fit the page's data is the page's check
 * (model.checkFits), made by whoever receives them.
 */
import { historyToCsv, loadModel, type EpochRecord, type Sequential } from '../../src/index';
import { byId, describeError, download } from './dom';
import type { TrainedModel } from './training';

/** A weights file that was read: its bytes, the model they rebuild (not compiled), and the file's name. */
export interface LoadedWeights {
  weights: Uint8Array;
  model: Sequential;
  file: string;
}

export class WeightsPanel {
  private readonly status = byId('weights-status');
  private readonly downloadButton = byId('download-weights', HTMLButtonElement);
  private readonly historyButton = byId('download-history', HTMLButtonElement);
  private current: TrainedModel | null = null;
  private history: EpochRecord[] = [];

  constructor(private readonly onLoaded: (loaded: LoadedWeights) => void) {
    this.downloadButton.addEventListener('click', () => this.download());
    this.historyButton.addEventListener('click', () => {
      const name = this.current?.name ?? 'run';
      download(historyToCsv(this.history), `${name}-history.csv`, 'text/csv');
    });
    const input = byId('weights-file', HTMLInputElement);
    input.addEventListener('change', () => {
      const file = input.files?.[0];
      input.value = '';
      if (file) void this.load(file);
    });
  }

  /** Reads a weights file (chosen, or dropped on the page) and hands the model on. */
  async load(file: File): Promise<void> {
    try {
      const weights = new Uint8Array(await file.arrayBuffer());
      // Read here to check the file; the drawing pad and the evaluation compile it on the GPU.
      const model = loadModel(weights, file.name);
      this.onLoaded({ weights, model, file: file.name });
    } catch (e) {
      this.error(e);
    }
  }

  /** Shows `e` (a typed error's message and hint) as the panel's status. */
  error(e: unknown): void {
    const { message, hint } = describeError(e);
    this.status.textContent = hint ? `${message} ${hint}` : message;
    this.status.dataset.state = 'error';
  }

  /** The model to offer for download (the latest epoch's, or loaded weights); `state` for the status line. */
  set(trained: TrainedModel | null, text?: string, state?: string): void {
    this.current = trained;
    this.downloadButton.disabled = !trained;
    this.status.dataset.state = state ?? (trained ? 'ready' : '');
    this.status.textContent = text ?? (trained ? `Ready: ${trained.name} after ${trained.origin}.` : '');
  }

  setHistory(history: EpochRecord[]): void {
    this.history = history;
    this.historyButton.disabled = history.length === 0;
  }

  private download(): void {
    const t = this.current;
    if (!t) return;
    download(t.weights as Uint8Array<ArrayBuffer>, `${t.name}.safetensors`, 'application/octet-stream');
    this.status.textContent = `Saved ${t.name}.safetensors (${(t.weights.byteLength / 2 ** 20).toFixed(2)} MiB, ${t.origin}).`;
  }
}
