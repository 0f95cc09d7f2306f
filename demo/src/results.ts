/**
 * The test set's results after each epoch (or for loaded weights): the confusion matrix as a
 * heat map with counts, accuracy per class, and a gallery of misclassified images. The figures
 * are wgml's report SVGs (confusionSvg, misclassifiedGridSvg), the same the command line writes
 * into a run's folder. Any dataset: the class names and count are the dataset's, the confusion
 * matrix's cells shrink for many classes, and the gallery draws colour images in colour, each
 * image enlarged to about the size of a Fashion-MNIST one. The figures are drawn in a worker
 * (figures-worker.ts) and inserted one per task, so that showing an epoch's results never holds the
 * page's thread for long.
 */
import { misclassified, perClassAccuracy, type Dataset, type Evaluation } from '../../src/index';
import { byId, count, h, nextTask, percent, showSvg } from './dom';
import type { FiguresReply, FiguresRequest } from './figures-worker';

/**
 * Above this many classes the confusion matrix is a picture (one coloured block per cell, no
 * counts): an SVG of 10,000 labelled cells (CIFAR-100) takes the page's thread for most of a second
 * to lay out and paint, and its counts are unreadable anyway.
 */
const CONFUSION_SVG_MAX_CLASSES = 30;

/** Gallery size: four rows of ten. */
const GALLERY_LIMIT = 40;

/**
 * Confusion matrix cells: 40 px for ten classes, larger for fewer (so the grid stays as wide as its
 * title), smaller for more (the SVG also scales down to the panel).
 */
const cellSize = (classes: number): number => (classes <= 10 ? Math.max(40, Math.round(240 / classes)) : Math.max(12, Math.round(400 / classes)));

/** Gallery enlargement: tiles of about 84 px (28x28 at 3x), at most 6x for tiny images. */
function galleryScale(shape: readonly number[]): number {
  const side = shape.length === 3 ? Math.max(shape[0]!, shape[1]!) : Math.ceil(Math.sqrt(shape[0] ?? 1));
  return Math.max(1, Math.min(6, Math.round(84 / side)));
}

/** The figures worker, started on first use; replies by request id. */
class Figures {
  private worker: Worker | null = null;
  private next = 1;
  private readonly waiting = new Map<number, (reply: FiguresReply) => void>();

  draw(request: Omit<FiguresRequest, 'id'>): Promise<FiguresReply> {
    if (!this.worker) {
      this.worker = new Worker(new URL('./figures-worker.ts', import.meta.url), { type: 'module', name: 'wgml figures' });
      this.worker.addEventListener('message', (e: MessageEvent<FiguresReply>) => {
        this.waiting.get(e.data.id)?.(e.data);
        this.waiting.delete(e.data.id);
      });
    }
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.worker!.postMessage({ ...request, id } satisfies FiguresRequest);
    });
  }
}

export class ResultsPanel {
  private readonly figures = new Figures();
  /** Counts show() calls: figures that arrive after a newer show() are dropped. */
  private shown = 0;
  private readonly summary = byId('test-summary');
  private readonly caption = byId('results-epoch');
  private readonly confusion = byId('confusion');
  private readonly perClass = byId('per-class', HTMLTableElement);
  private readonly gallery = byId('gallery');

  clear(): void {
    this.shown++;
    this.summary.textContent = 'Train a model (or load weights) to see how it does on the test set.';
    this.caption.textContent = '';
    this.confusion.replaceChildren();
    this.perClass.tBodies[0]!.replaceChildren();
    this.gallery.replaceChildren();
    delete this.summary.dataset.accuracy;
    delete this.gallery.dataset.count;
    delete this.perClass.dataset.classes;
  }

  /** A many-class confusion matrix, as the worker drew it: rows true classes, columns predicted, in label order. */
  private showHeatMap(bitmap: ImageBitmap, classes: number): void {
    const canvas = h('canvas', { class: 'heat-map', width: bitmap.width, height: bitmap.height, 'aria-label': `confusion matrix of ${classes} classes` });
    canvas.getContext('bitmaprenderer')!.transferFromImageBitmap(bitmap);
    this.confusion.replaceChildren(
      h('p', { class: 'hint' }, `Test confusion matrix of ${classes} classes: rows are the true classes, columns the predicted ones, both in label order; darker is a larger share of the row. (Counts are shown up to ${CONFUSION_SVG_MAX_CLASSES} classes; the per-class table has each class's accuracy.)`),
      canvas,
    );
  }

  /** Everything from one evaluation of `data`'s test set; `what` says which model ("cnn, epoch 3"). Resolves once all is drawn. */
  async show(test: Evaluation, data: Dataset, what: string, reportedAccuracy?: number): Promise<void> {
    const shown = ++this.shown;
    const classes = data.classes;
    this.caption.textContent = `(${what})`;
    const reported = reportedAccuracy === undefined ? '' : `; the report's ${percent(reportedAccuracy)} came from the full training set`;
    this.summary.textContent = `Test accuracy ${percent(test.accuracy)} on ${count(test.rows)} images, loss ${test.meanLoss.toFixed(4)}${reported}.`;
    this.summary.dataset.accuracy = String(test.accuracy);

    const acc = perClassAccuracy(test.confusion);
    const known = acc.filter(Number.isFinite);
    // Marked only when some class does better: when all score alike, none is "the worst".
    const worst = Math.min(...known) < Math.max(...known) ? Math.min(...known) : NaN;
    const rows = classes.map((name, i) => {
      const a = acc[i]!;
      const bar = h('span', { class: 'bar' });
      bar.style.width = `${Number.isFinite(a) ? 100 * a : 0}%`;
      return h('tr', { class: a === worst ? 'worst' : undefined },
        h('th', { scope: 'row' }, name),
        h('td', { class: 'num' }, percent(a)),
        h('td', { class: 'bar-cell' }, bar));
    });
    this.perClass.tBodies[0]!.replaceChildren(...rows);
    this.perClass.dataset.classes = String(classes.length);

    // The evaluated split: the test set (every dataset the page loads has one). Each image is
    // copied out of the split, so that only it (not the whole split's buffer) goes to the worker.
    const split = data.test ?? data.validation;
    const wrong = misclassified(test, split, data.shape, classes.length, GALLERY_LIMIT).map((m) => ({ ...m, image: m.image.slice() }));
    const figures = await this.figures.draw({
      confusion: test.confusion,
      classes,
      confusionOptions: { title: 'Test confusion matrix', cell: cellSize(classes.length) },
      maxSvgClasses: CONFUSION_SVG_MAX_CLASSES,
      wrong,
      galleryOptions: { title: `The first ${wrong.length} misclassified test images`, scale: galleryScale(data.shape) },
    });
    if (shown !== this.shown) return;
    if (typeof figures.confusion === 'string') showSvg(this.confusion, figures.confusion);
    else this.showHeatMap(figures.confusion, classes.length);
    await nextTask();
    if (shown !== this.shown) return;
    this.gallery.dataset.count = String(wrong.length);
    if (figures.gallery === null) {
      const text = test.correct === test.rows
        ? `No misclassified images: all ${count(test.rows)} test images are classified correctly.`
        : 'This evaluation has no class probabilities, so the misclassified images cannot be shown.';
      this.gallery.replaceChildren(h('p', { class: 'status', 'data-state': test.correct === test.rows ? 'done' : '' }, text));
      return;
    }
    showSvg(this.gallery, figures.gallery);
  }
}
