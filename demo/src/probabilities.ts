/** The ten class probabilities as labelled bars, the most likely class highlighted. */
import { FASHION_MNIST_CLASSES } from '../../src/index';
import { byId, h, percent } from './dom';

export class ProbabilityBars {
  private readonly list = byId('probabilities', HTMLOListElement);
  private readonly status = byId('prediction-status');

  constructor() {
    this.list.replaceChildren(...FASHION_MNIST_CLASSES.map((name) => this.row(name, NaN, false)));
  }

  show(probabilities: Float32Array, caption: string): void {
    let best = 0;
    probabilities.forEach((p, i) => (best = p > probabilities[best]! ? i : best));
    this.list.replaceChildren(...FASHION_MNIST_CLASSES.map((name, i) => this.row(name, probabilities[i]!, i === best)));
    const sum = probabilities.reduce((a, b) => a + b, 0);
    this.list.dataset.state = 'ready';
    this.list.dataset.sum = String(sum);
    this.status.textContent = `${FASHION_MNIST_CLASSES[best]}, ${percent(probabilities[best]!)} sure (${caption}).`;
  }

  message(text: string): void {
    this.status.textContent = text;
  }

  private row(name: string, p: number, best: boolean): HTMLLIElement {
    const bar = h('span', { class: 'bar' });
    bar.style.width = `${Number.isFinite(p) ? 100 * p : 0}%`;
    return h('li', { class: best ? 'best' : undefined, 'data-class': name, 'data-probability': Number.isFinite(p) ? String(p) : undefined },
      h('span', { class: 'name' }, name),
      h('span', { class: 'track' }, bar),
      h('span', { class: 'num' }, Number.isFinite(p) ? percent(p) : ''));
  }
}
