/**
 * The test set's results after each epoch (or for loaded weights): the confusion matrix as a
 * heat map with counts, accuracy per class, and a gallery of misclassified images. The figures
 * are wgml's report SVGs (confusionSvg, misclassifiedGridSvg), the same the command line writes
 * into a run's folder.
 */
import { confusionSvg, misclassified, misclassifiedGridSvg, perClassAccuracy, type Dataset, type Evaluation } from '../../src/index';
import { byId, count, h, percent, svgNode } from './dom';

/** Gallery size: four rows of ten. */
const GALLERY_LIMIT = 40;

export class ResultsPanel {
  private readonly summary = byId('test-summary');
  private readonly caption = byId('results-epoch');
  private readonly confusion = byId('confusion');
  private readonly perClass = byId('per-class', HTMLTableElement);
  private readonly gallery = byId('gallery');

  clear(): void {
    this.summary.textContent = 'Train a model (or load weights) to see how it does on the test set.';
    this.caption.textContent = '';
    this.confusion.replaceChildren();
    this.perClass.tBodies[0]!.replaceChildren();
    this.gallery.replaceChildren();
    delete this.summary.dataset.accuracy;
  }

  /** Everything from one evaluation of `data`'s test set; `what` says which model ("cnn, epoch 3"). */
  show(test: Evaluation, data: Dataset, what: string, reportedAccuracy?: number): void {
    const classes = data.classes;
    this.caption.textContent = `(${what})`;
    const reported = reportedAccuracy === undefined ? '' : `; the report's ${percent(reportedAccuracy)} came from the full training set`;
    this.summary.textContent = `Test accuracy ${percent(test.accuracy)} on ${count(test.rows)} images, loss ${test.meanLoss.toFixed(4)}${reported}.`;
    this.summary.dataset.accuracy = String(test.accuracy);

    this.confusion.replaceChildren(svgNode(confusionSvg(test.confusion, classes, { title: `Test confusion matrix (${what})`, cell: 40 })));

    const acc = perClassAccuracy(test.confusion);
    const worst = Math.min(...acc.filter(Number.isFinite));
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

    // Fashion-MNIST always has a test set.
    const wrong = misclassified(test, data.test!, data.shape, classes.length, GALLERY_LIMIT);
    this.gallery.replaceChildren(svgNode(misclassifiedGridSvg(wrong, classes, { title: `The first ${wrong.length} misclassified test images`, scale: 3 })));
    this.gallery.dataset.count = String(wrong.length);
  }
}
