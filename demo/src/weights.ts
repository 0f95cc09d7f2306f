/**
 * Downloading the trained weights as safetensors (model.save(): the file `wgml train` writes, which
 * `wgml evaluate` and PyTorch read) and loading such a file back (loadModel).
 */
import { DataError, FASHION_MNIST_CLASSES, historyToCsv, loadModel, type EpochRecord } from '../../src/index';
import { byId, describeError, download } from './dom';
import { IMAGE_SIDE } from './drawing-pad';
import type { TrainedModel } from './training';

export class WeightsPanel {
  private readonly status = byId('weights-status');
  private readonly downloadButton = byId('download-weights', HTMLButtonElement);
  private readonly historyButton = byId('download-history', HTMLButtonElement);
  private current: TrainedModel | null = null;
  private history: EpochRecord[] = [];

  constructor(onLoaded: (trained: TrainedModel) => void) {
    this.downloadButton.addEventListener('click', () => this.download());
    this.historyButton.addEventListener('click', () => {
      const name = this.current?.name ?? 'run';
      download(historyToCsv(this.history), `${name}-history.csv`, 'text/csv');
    });
    const input = byId('weights-file', HTMLInputElement);
    input.addEventListener('change', async () => {
      const file = input.files?.[0];
      input.value = '';
      if (!file) return;
      try {
        const weights = new Uint8Array(await file.arrayBuffer());
        // Read here to check the file; the drawing pad and the evaluation compile it on the GPU.
        const model = loadModel(weights, file.name);
        if (model.inputSize !== IMAGE_SIDE * IMAGE_SIDE || model.classes !== FASHION_MNIST_CLASSES.length) {
          throw new DataError(`${file.name} holds ${model.name}, which takes ${model.inputSize} values and predicts ${model.classes} classes: not a Fashion-MNIST model (${IMAGE_SIDE}x${IMAGE_SIDE} images, ${FASHION_MNIST_CLASSES.length} classes).`);
        }
        const trained: TrainedModel = { weights, name: model.name, origin: file.name };
        this.set(trained, `Loaded ${file.name}: ${model.name}, ${model.paramCount.toLocaleString('en-US')} parameters.`);
        this.status.dataset.state = 'loaded';
        onLoaded(trained);
      } catch (e) {
        const { message, hint } = describeError(e);
        this.status.textContent = hint ? `${message} ${hint}` : message;
        this.status.dataset.state = 'error';
      }
    });
  }

  /** The model to offer for download (the latest epoch's, or loaded weights). */
  set(trained: TrainedModel | null, text?: string): void {
    this.current = trained;
    this.downloadButton.disabled = !trained;
    this.status.dataset.state = trained ? 'ready' : '';
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
