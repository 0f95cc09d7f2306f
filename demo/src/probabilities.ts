/** The model's class probabilities as labelled bars (one per class by the classes' names, or the ten most likely of many), the most likely class highlighted. */
import { FASHION_MNIST_CLASSES } from '../../src/index';
import { byId, h, percent } from './dom';

/** Up to this many classes, a bar for each; beyond, the TOP_BARS most likely. */
const MAX_BARS = 12;
const TOP_BARS = 10;

export class ProbabilityBars {
  private readonly list = byId('probabilities', HTMLOListElement);
  private readonly status = byId('prediction-status');

  constructor() {
    this.empty(FASHION_MNIST_CLASSES);
  }

  /** Empty bars for `classes` (before the first prediction, or when the model changes). */
  empty(classes: readonly string[]): void {
    this.list.replaceChildren(...classes.slice(0, classes.length <= MAX_BARS ? MAX_BARS : TOP_BARS).map((name) => this.row(name, NaN, false)));
    this.list.dataset.state = 'empty';
    delete this.list.dataset.sum;
  }

  /** `probabilities[i]` is class `classes[i]`'s. */
  show(probabilities: Float32Array, classes: readonly string[], caption: string): void {
    let best = 0;
    probabilities.forEach((p, i) => (best = p > probabilities[best]! ? i : best));
    const name = (i: number) => classes[i] ?? `class ${i}`;
    // Every class for a few; for many (CIFAR-100), the most likely ones, most likely first.
    const all = Array.from(probabilities, (p, i) => ({ p, i }));
    const shown = all.length <= MAX_BARS ? all : all.sort((a, b) => b.p - a.p).slice(0, TOP_BARS);
    this.list.replaceChildren(...shown.map(({ p, i }) => this.row(name(i), p, i === best)));
    const sum = probabilities.reduce((a, b) => a + b, 0);
    this.list.dataset.state = 'ready';
    this.list.dataset.sum = String(sum);
    const of = shown.length < all.length ? `; the ${shown.length} most likely of ${all.length} classes shown` : '';
    this.status.textContent = `${name(best)}, ${percent(probabilities[best]!)} sure (${caption}${of}).`;
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
