/**
 * Live training curves: loss and accuracy per epoch for the training and validation data, plus
 * the running training loss within the epoch.
 *
 * Drawn with uPlot (https://github.com/leeoniya/uPlot, MIT): ~50 kB with no dependencies, it draws
 * to a canvas and a setData() redraw costs a few milliseconds, so the running loss can be
 * updated a few times a second without holding the page's thread; it is typed,
 * actively maintained and has handled live, streaming time series for years. Chart.js would also
 * do, at about four times the size and with an animation system this page would switch off anyway.
 * (src/report's SVG curves are for finished runs; the page uses those for nothing live.)
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { EpochRecord } from '../../src/index';

/** matplotlib's tab:blue and tab:orange, as in the report's figures and src/report's SVGs. */
const TRAIN = '#1f77b4';
const VALIDATION = '#ff7f0e';
const RUNNING = 'rgba(31, 119, 180, 0.45)';

/** One chart's rows: x (fractional epoch) and one column per series, null where a series has no point. */
class Table {
  readonly x: number[] = [];
  readonly columns: (number | null)[][];

  constructor(series: number) {
    this.columns = Array.from({ length: series }, () => []);
    this.clear();
  }

  /** Sets series `s` at `x`; x never decreases, so a point goes in the last row or a new one. */
  put(x: number, s: number, y: number): void {
    if (x > this.x.at(-1)!) {
      this.x.push(x);
      for (const c of this.columns) c.push(null);
    }
    this.columns[s]![this.x.length - 1] = Number.isFinite(y) ? y : null;
  }

  /** Drops the rows after `x`. */
  truncate(x: number): void {
    const keep = this.x.findIndex((v) => v > x);
    if (keep < 0) return;
    this.x.length = keep;
    for (const c of this.columns) c.length = keep;
  }

  /** Back to one empty row at epoch 0: uPlot keeps the x range it is given only with two x values or more. */
  clear(): void {
    this.x.length = 0;
    for (const c of this.columns) c.length = 0;
    this.x.push(0);
    for (const c of this.columns) c.push(null);
  }

  get data(): uPlot.AlignedData {
    return [this.x, ...this.columns] as uPlot.AlignedData;
  }
}

function chart(target: HTMLElement, title: string, yLabel: string, series: uPlot.Series[], range: uPlot.Scale['range'], epochs: () => number): uPlot {
  const opts: uPlot.Options = {
    title,
    width: Math.max(280, target.clientWidth),
    height: 260,
    // The whole run's epochs from the start, so the curves grow into a fixed frame.
    scales: { x: { time: false, range: (_u, _min, max) => [0, Math.max(1, epochs(), Math.ceil(max ?? 0))] }, y: { range } },
    axes: [
      { label: 'epoch', incrs: [1, 2, 5, 10, 20, 50, 100], values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) },
      { label: yLabel, size: 56 },
    ],
    series: [{ label: 'epoch', value: (_u, v) => (v == null ? '-' : Number.isInteger(v) ? String(v) : v.toFixed(2)) }, ...series],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
  const u = new uPlot(opts, [[], ...series.map(() => [])] as uPlot.AlignedData, target);
  new ResizeObserver(() => u.setSize({ width: Math.max(280, target.clientWidth), height: 260 })).observe(target);
  return u;
}

/** The running loss is redrawn at most this often. */
const RUNNING_REDRAW_MS = 250;

const fixed = (digits: number) => (_u: uPlot, v: number | null) => (v == null ? '-' : v.toFixed(digits));

/** The two charts, fed by the training loop. */
export class Curves {
  private readonly loss = new Table(3);
  private readonly accuracy = new Table(2);
  private readonly lossChart: uPlot;
  private readonly accuracyChart: uPlot;
  private epochs = 0;
  private planned = 1;
  /** A running-loss redraw waiting: first a timeout, then an animation frame. */
  private pending: { kind: 'timeout' | 'frame'; id: number } | null = null;
  private lastRunningDraw = -Infinity;

  constructor(private readonly lossTarget: HTMLElement, private readonly accuracyTarget: HTMLElement) {
    const epochPoints = { show: true, size: 7 };
    this.lossChart = chart(lossTarget, 'Loss', 'cross-entropy', [
      { label: 'training', stroke: TRAIN, width: 2, points: epochPoints, spanGaps: true, value: fixed(4) },
      { label: 'validation', stroke: VALIDATION, width: 2, points: { ...epochPoints, fill: VALIDATION }, spanGaps: true, value: fixed(4) },
      { label: 'running (this epoch)', stroke: RUNNING, width: 1, points: { show: false }, spanGaps: false, value: fixed(4) },
    ], (_u, min, max) => [0, Math.max(0.5, (max ?? min ?? 1) * 1.08)], () => this.planned);
    this.accuracyChart = chart(accuracyTarget, 'Accuracy', 'accuracy (%)', [
      { label: 'training', stroke: TRAIN, width: 2, points: epochPoints, spanGaps: true, value: fixed(2) },
      { label: 'validation', stroke: VALIDATION, width: 2, points: { ...epochPoints, fill: VALIDATION }, spanGaps: true, value: fixed(2) },
    ], (_u, min, max) => [Math.max(0, Math.floor(((min ?? 0) - 2) / 5) * 5), Math.min(100, Math.ceil(((max ?? 100) + 1) / 5) * 5)], () => this.planned);
  }

  /** Empty charts for a run of `epochs` epochs. */
  reset(epochs: number): void {
    this.planned = epochs;
    this.loss.clear();
    this.accuracy.clear();
    this.epochs = 0;
    this.redraw();
  }

  /**
   * Back to the end of epoch `epoch` (a run resumed from there): the running loss of the epoch
   * that was cut short goes, as the curves' x must never decrease.
   */
  rewind(epoch: number): void {
    this.loss.truncate(epoch);
    this.accuracy.truncate(epoch);
    this.epochs = Math.min(this.epochs, epoch);
    this.redraw();
  }

  /**
   * Running loss at fraction `done` of epoch `epoch` (1-based). Redraws the loss chart alone (the
   * accuracy chart has not changed), in a frame, at most a few times a second: more is not visibly
   * smoother, and each redraw is main-thread work.
   */
  running(epoch: number, done: number, loss: number): void {
    this.loss.put(epoch - 1 + done, 2, loss);
    if (this.pending) return;
    const wait = Math.max(0, this.lastRunningDraw + RUNNING_REDRAW_MS - performance.now());
    this.pending = {
      kind: 'timeout',
      id: window.setTimeout(() => {
        this.pending = {
          kind: 'frame',
          id: requestAnimationFrame(() => {
            this.pending = null;
            this.lastRunningDraw = performance.now();
            this.lossChart.setData(this.loss.data);
          }),
        };
      }, wait),
    };
  }

  /** One finished epoch: its training and validation points. */
  epoch(r: EpochRecord): void {
    this.loss.put(r.epoch, 0, r.loss);
    this.loss.put(r.epoch, 1, r.valLoss);
    this.accuracy.put(r.epoch, 0, r.accuracy * 100);
    this.accuracy.put(r.epoch, 1, r.valAccuracy * 100);
    this.epochs = r.epoch;
    this.redraw();
  }

  private redraw(): void {
    if (this.pending?.kind === 'timeout') clearTimeout(this.pending.id);
    if (this.pending?.kind === 'frame') cancelAnimationFrame(this.pending.id);
    this.pending = null;
    this.lossChart.setData(this.loss.data);
    this.accuracyChart.setData(this.accuracy.data);
    // For tests and curious readers: how many epochs the curves show.
    this.lossTarget.dataset.epochs = this.accuracyTarget.dataset.epochs = String(this.epochs);
  }
}
