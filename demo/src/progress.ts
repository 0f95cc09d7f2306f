/**
 * The progress bar: the whole run's share done, this epoch's images per second, the time left,
 * and the running loss fit() reports every few steps.
 */
import type { BatchProgress } from '../../src/index';
import { byId, count, duration } from './dom';

export class ProgressBar {
  private readonly bar = byId('progress');
  private readonly fill = byId('progress-fill');
  private readonly label = byId('progress-label');
  private readonly stats = byId('progress-stats');
  private epochs = 1;
  private epoch = 0;
  private epochStarted = 0;
  /** The epoch's first progress report: rates are measured from there, as the first report comes
   * before the GPU has finished anything (fit waits for the group of steps before the last). */
  private first: { time: number; images: number } | null = null;
  /** Seconds per finished epoch, training plus evaluation: the basis of the run's ETA. */
  private epochSeconds: number[] = [];

  start(epochs: number): void {
    this.epochs = epochs;
    this.epochSeconds = [];
    this.set(0, 'Starting…', '');
  }

  epochStart(epoch: number): void {
    this.epoch = epoch;
    this.epochStarted = performance.now();
    this.first = null;
    this.set((epoch - 1) / this.epochs, `Epoch ${epoch}/${this.epochs}`, 'compiling and starting…');
  }

  step(p: BatchProgress): void {
    const now = performance.now();
    const loss = p.loss === undefined ? '' : ` · loss ${p.loss.toFixed(4)}`;
    const where = `Epoch ${this.epoch}/${this.epochs} · step ${count(p.step)}/${count(p.steps)}`;
    const fraction = (this.epoch - 1 + p.step / p.steps) / this.epochs;
    if (!this.first || p.images <= this.first.images) {
      this.first ??= { time: now, images: p.images };
      this.set(fraction, where, `measuring speed…${loss}`);
      return;
    }
    const rate = (p.images - this.first.images) / Math.max((now - this.first.time) / 1000, 1e-3);
    const imagesPerEpoch = p.steps * (p.images / p.step);
    const epochLeft = (imagesPerEpoch - p.images) / rate;
    // Later epochs take as long as the finished ones did (their evaluation included), or as this one goes.
    const perEpoch = this.epochSeconds.length ? this.mean() : imagesPerEpoch / rate;
    const runLeft = epochLeft + (this.epochs - this.epoch) * perEpoch;
    this.set(fraction, where, `${count(rate)} images/s · ETA ${duration(runLeft)}${loss}`);
    this.bar.dataset.imagesPerSecond = String(Math.round(rate));
  }

  evaluating(what: string): void {
    this.label.textContent = `Epoch ${this.epoch}/${this.epochs} · evaluating ${what}…`;
  }

  epochEnd(): void {
    this.epochSeconds.push((performance.now() - this.epochStarted) / 1000);
  }

  done(text: string): void {
    this.set(this.epoch / this.epochs, text, '');
  }

  private mean(): number {
    return this.epochSeconds.reduce((a, b) => a + b, 0) / this.epochSeconds.length;
  }

  private set(fraction: number, label: string, stats: string): void {
    const pct = Math.max(0, Math.min(100, 100 * fraction));
    this.fill.style.width = `${pct}%`;
    this.bar.setAttribute('aria-valuenow', pct.toFixed(0));
    this.label.textContent = label;
    this.stats.textContent = stats;
  }
}
