/** The model's class probabilities as labelled bars (one per class, by the classes' names), the most likely class highlighted. */
import { FASHION_MNIST_CLASSES } from '../../src/index';
import { byId, h, percent } from './dom';

export class ProbabilityBars {
  private readonly list = byId('probabilities', HTMLOListElement);
  private readonly status = byId('prediction-status');

  constructor() {
    this.empty(FASHION_MNIST_CLASSES);
  }

  /** Empty bars for `classes` (before the first prediction, or when the model changes). */
  empty(classes: readonly string[]): void {
    this.list.replaceChildren(...classes.map((name) => this.row(name, NaN, false)));
    this.list.dataset.state = 'empty';
    delete this.list.dataset.sum;
  }

  /** `probabilities[i]` is class `classes[i]`'s. */
  show(probabilities: Float32Array, classes: readonly string[], caption: string): void {
    let best = 0;
    probabilities.forEach((p, i) => (best = p > probabilities[best]! ? i : best));
    const name = (i: number) => classes[i] ?? `class ${i}`;
    this.list.replaceChildren(...Array.from(probabilities, (p, i) => this.row(name(i), p, i === best)));
    const sum = probabilities.reduce((a, b) => a + b, 0);
    this.list.dataset.state = 'ready';
    this.list.dataset.sum = String(sum);
    this.status.textContent = `${name(best)}, ${percent(probabilities[best]!)} sure (${caption}).`;
  }

  message(text: string): void {
    this.status.textContent = text;
  }

  private row(name: string, p: number, best: boolean): HTMLLIElement {
    const bar = h('span', { class: 'bar' });
    bar.style.width = `${Number.isFinite(p) ? 100 * p : 0}%`;
    return h('li', { class: best ? 'best' : undefined, 'data-class': name, 'data-probability': Number.isFinite(p) ? String(p) : undefined },
      h('span', { class: 'name', title: name }, name),
      h('span', { class: 'track' }, bar),
      h('span', { class: 'num' }, Number.isFinite(p) ? percent(p) : ''));
  }
}
