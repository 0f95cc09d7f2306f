/**
 * Downloading the trained weights as safetensors (src/train/weights.ts: the file `wgml train`
 * writes, which `wgml evaluate` and PyTorch read) and loading such a file back.
 */
import { decodeWeights, encodeWeights } from '../../src/train/weights';
import { historyToCsv } from '../../src/report/history';
import type { EpochRecord } from '../../src/report/types';
import { byId, describeError, download } from './dom';
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
      const name = this.current?.model.name ?? 'run';
      download(historyToCsv(this.history), `${name}-history.csv`, 'text/csv');
    });
    const input = byId('weights-file', HTMLInputElement);
    input.addEventListener('change', async () => {
      const file = input.files?.[0];
      input.value = '';
      if (!file) return;
      try {
        const loaded = decodeWeights(new Uint8Array(await file.arrayBuffer()), file.name);
        const trained: TrainedModel = {
          seed: loaded.seed,
          model: loaded.model,
          params: loaded.params,
          affine: loaded.affine,
          origin: file.name,
          metadata: { ...loaded.metadata },
        };
        this.set(trained, `Loaded ${file.name}: ${loaded.model.name}, ${loaded.model.params.paramCount.toLocaleString('en-US')} parameters.`);
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
    this.status.textContent = text ?? (trained ? `Ready: ${trained.model.name} after ${trained.origin}.` : '');
  }

  setHistory(history: EpochRecord[]): void {
    this.history = history;
    this.historyButton.disabled = history.length === 0;
  }

  private download(): void {
    const t = this.current;
    if (!t) return;
    const bytes = encodeWeights(t.model, t.params, t.affine, t.metadata);
    download(bytes as Uint8Array<ArrayBuffer>, `${t.model.name}.safetensors`, 'application/octet-stream');
    this.status.textContent = `Saved ${t.model.name}.safetensors (${(bytes.byteLength / 2 ** 20).toFixed(2)} MiB, ${t.origin}).`;
  }
}
