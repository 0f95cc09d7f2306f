/**
 * Getting a dataset into the page: Fashion-MNIST fetched from where the site keeps it (the dev and
 * preview servers serve it, a built site holds a copy or names a URL: see vite.config.ts), or any dataset the
 * library reads, from files a person picks or drops: IDX files of any size and class count (MNIST,
 * EMNIST…), CIFAR-10/100 binary batches, or one NumPy .npz (x_train, y_train, x_test, y_test), with
 * a classes.txt (or batches.meta.txt) beside them for the class names. wgml's loadDataset picks
 * the reader by the file names and checks the data; a run makes its dataset from these arrays with
 * its own settings.
 */
import {
  FASHION_MNIST_CLASSES, FASHION_MNIST_URL, fileListReader, loadDataset, loadFashionMnist, urlReader,
  type FashionMnist, type LoadedDataset, type ReadFile,
} from '../../src/index';
import { byId, classCount, count, describeError } from './dom';
import { shapeText } from './models';

declare const __WGML_DATA__: { url: string; files: string[] } | null;

/**
 * Where this site's Fashion-MNIST is (vite.config.ts decides it when the page is built: served
 * next to the page, at a URL given with WGML_DATA_URL, or nowhere), and its four files' names.
 */
export const SERVED_DATA = __WGML_DATA__;

/** A loaded dataset: Fashion-MNIST from the server, or what loadDataset read from files. */
export type DemoData = FashionMnist | LoadedDataset;

/** True for Fashion-MNIST (by shape and class names), where the report's accuracies mean something. */
export function isFashionMnist(data: DemoData): boolean {
  return data.shape.join('x') === '28x28x1' && data.classes.length === FASHION_MNIST_CLASSES.length && data.classes.every((c, i) => c === FASHION_MNIST_CLASSES[i]);
}

/** "32x32x3, 10 classes (names from batches.meta.txt)". */
export function describeData(data: DemoData): string {
  const from = 'classesFrom' in data ? data.classesFrom : 'Fashion-MNIST';
  const names = from === 'labels' ? 'numbered, no class names given' : `names from ${from}`;
  return `${data.shape.join('x')}, ${classCount(data.classes.length)} (${names})`;
}

export class DataPanel {
  private readonly status = byId('data-status');
  private readonly buttons = [byId('load-server', HTMLButtonElement), byId('data-files', HTMLInputElement)];
  private loading = false;
  private blocked: string | null = null;
  /** The data loaded last: it stays in use when other files are refused. */
  private current: DemoData | null = null;

  /**
   * `onLoaded` gets each dataset loaded; `onChosen` the files chosen with the panel's button (the
   * page sorts them as it sorts dropped ones: a model file among them goes to the model picker).
   */
  constructor(private readonly onLoaded: (data: DemoData) => void, onChosen: (files: File[]) => void) {
    const server = byId('load-server', HTMLButtonElement);
    server.hidden = SERVED_DATA === null;
    server.addEventListener('click', () => void this.fromServer());
    const input = byId('data-files', HTMLInputElement);
    input.addEventListener('change', () => {
      const files = [...(input.files ?? [])];
      input.value = '';
      if (files.length) onChosen(files);
    });
  }

  /**
   * Fashion-MNIST from where this site keeps it. Only the files the site has are requested, so a
   * missing one is never a failed request in the console. Without any, says how to load data.
   */
  fromServer(): Promise<void> {
    if (!SERVED_DATA) {
      this.show('empty', 'This site holds no dataset: choose or drop the files of one (below), e.g. Fashion-MNIST\'s four IDX files from ' +
        `${FASHION_MNIST_URL} or github.com/zalandoresearch/fashion-mnist.`);
      return Promise.resolve();
    }
    const base = new URL(SERVED_DATA.url, document.baseURI).href;
    const served = new Set(SERVED_DATA.files);
    const fetchServed = urlReader(base);
    const reader: ReadFile = (name) => (served.has(name) ? fetchServed(name) : Promise.resolve(undefined));
    return this.load(() => loadFashionMnist(reader, base), ' Or choose the files yourself.');
  }

  /** A dataset from files a person chose or dropped; loadDataset decides the layout from their names. */
  fromFiles(files: File[], how: 'dropped files' | 'chosen files' = 'dropped files'): Promise<void> {
    return this.load(() => loadDataset(fileListReader(files), how, files.map((f) => f.name)), '');
  }

  /** While a run uses the data, no other is loaded (`why` says so); null: loading is allowed again. */
  block(why: string | null): void {
    this.blocked = why;
    for (const b of this.buttons) b.disabled = why !== null || this.loading;
  }

  private async load(read: () => Promise<DemoData>, afterHint: string): Promise<void> {
    if (this.loading) return;
    if (this.blocked) {
      this.show('error', this.blocked);
      return;
    }
    this.loading = true;
    for (const b of this.buttons) b.disabled = true;
    this.show('loading', 'Loading and decompressing…');
    const started = performance.now();
    try {
      const data = await read();
      const seconds = (performance.now() - started) / 1000;
      const format = 'format' in data ? `, ${data.format}` : '';
      this.show('loaded', `Loaded ${count(data.train.labels.length)} training and ${count(data.test.labels.length)} test images of ${describeData(data)} from ${data.source}${format} in ${seconds.toFixed(1)} s.`);
      this.status.dataset.shape = shapeText(data.shape);
      this.status.dataset.classes = String(data.classes.length);
      this.current = data;
      this.onLoaded(data);
    } catch (e) {
      const { message, hint } = describeError(e);
      const still = this.current ? ` The page still uses the ${describeData(this.current)} images from ${this.current.source}.` : '';
      this.show('error', `${hint ? `${message} ${hint}${afterHint}` : message}${still}`);
      console.warn(e);
    } finally {
      this.loading = false;
      for (const b of this.buttons) b.disabled = this.blocked !== null;
    }
  }

  private show(state: string, text: string): void {
    this.status.dataset.state = state;
    this.status.textContent = text;
    delete this.status.dataset.shape;
    delete this.status.dataset.classes;
  }
}

/**
 * Files dropped anywhere on the page (a browser would otherwise open them in place of the page):
 * `onFiles` gets them; the drop zones light up while files are dragged over the page.
 */
export function acceptDrops(onFiles: (files: File[]) => void): void {
  const zones = () => document.querySelectorAll('.drop-zone');
  let depth = 0;
  const light = (on: boolean) => zones().forEach((z) => z.classList.toggle('over', on));
  document.addEventListener('dragenter', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    depth++;
    light(true);
  });
  document.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) light(false);
  });
  document.addEventListener('dragover', (e) => {
    if (!e.dataTransfer?.types.includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  document.addEventListener('drop', (e) => {
    depth = 0;
    light(false);
    const files = [...(e.dataTransfer?.files ?? [])];
    if (files.length === 0) return;
    e.preventDefault();
    onFiles(files);
  });
}
