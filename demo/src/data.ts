/**
 * Getting Fashion-MNIST into the page: fetched from the server that serves the demo (the dev and
 * preview servers serve it at data/fashion-mnist/, see vite.config.ts), or the four IDX files a
 * person picks or drops. Either way wgml's loadFashionMnist decompresses (.gz, DecompressionStream)
 * and checks them; a run makes its dataset from these arrays with its own settings.
 */
import { fileListReader, loadFashionMnist, urlReader, type FashionMnist } from '../../src/index';
import { byId, count, describeError } from './dom';

/** Relative to the page, so a built site in any folder looks next to itself. */
export const DATA_URL = 'data/fashion-mnist/';

export class DataPanel {
  private readonly status = byId('data-status');
  private readonly buttons = [byId('load-server', HTMLButtonElement), byId('data-files', HTMLInputElement)];
  private loading = false;

  constructor(private readonly onLoaded: (data: FashionMnist) => void) {
    byId('load-server').addEventListener('click', () => void this.fromServer());
    const input = byId('data-files', HTMLInputElement);
    input.addEventListener('change', () => {
      if (input.files?.length) void this.fromFiles([...input.files]);
      input.value = '';
    });
    const zone = byId('drop-zone');
    // Dropping anywhere on the panel works; the zone lights up while something is dragged over it.
    const panel = byId('data-panel');
    panel.addEventListener('dragover', (e) => {
      e.preventDefault();
      zone.classList.add('over');
    });
    panel.addEventListener('dragleave', () => zone.classList.remove('over'));
    panel.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length) void this.fromFiles(files);
    });
  }

  fromServer(): Promise<void> {
    const base = new URL(DATA_URL, document.baseURI).href;
    return this.load(() => loadFashionMnist(urlReader(base), base));
  }

  fromFiles(files: File[]): Promise<void> {
    return this.load(() => loadFashionMnist(fileListReader(files), `the ${files.length} chosen file${files.length === 1 ? '' : 's'}`));
  }

  private async load(read: () => Promise<FashionMnist>): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    for (const b of this.buttons) b.disabled = true;
    this.show('loading', 'Loading and decompressing…');
    const started = performance.now();
    try {
      const data = await read();
      const seconds = (performance.now() - started) / 1000;
      this.show('loaded', `Loaded ${count(data.train.labels.length)} training and ${count(data.test.labels.length)} test images (${data.shape[0]}x${data.shape[1]}) from ${data.source} in ${seconds.toFixed(1)} s.`);
      this.onLoaded(data);
    } catch (e) {
      const { message, hint } = describeError(e);
      this.show('error', hint ? `${message} ${hint} Or choose the files yourself.` : message);
      console.error(e);
    } finally {
      this.loading = false;
      for (const b of this.buttons) b.disabled = false;
    }
  }

  private show(state: string, text: string): void {
    this.status.dataset.state = state;
    this.status.textContent = text;
  }
}
