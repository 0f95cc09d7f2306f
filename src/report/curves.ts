/**
 * Training-versus-validation curves per epoch (the report's figures 4, 6 and 9) as standalone SVG.
 * d3-scale and d3-shape compute the geometry (nice domains, ticks, paths); the markup is written as
 * a string, so this runs without a DOM, in Node and in the browser alike.
 */
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import { line } from 'd3-shape';
import { attrs, INK, n, svgDocument, text } from './svg';
import type { EpochRecord } from './types';

/** Options of lossCurvesSvg and accuracyCurvesSvg. */
export interface CurveOptions {
  /** Default 'Loss' or 'Accuracy'. */
  title?: string;
  /** Pixel size of the whole figure; default 640 x 400. */
  width?: number;
  height?: number;
}

/** matplotlib's first two default colours (tab:blue, tab:orange), familiar from the report. */
const TRAIN_COLOUR = '#1f77b4';
const VAL_COLOUR = '#ff7f0e';
const AXIS_COLOUR = '#4d4d4d';
const GRID_COLOUR = '#e6e6e6';

/** Train and validation loss per epoch. */
export function lossCurvesSvg(history: readonly EpochRecord[], options: CurveOptions = {}): string {
  return curvesSvg(history, options, {
    yLabel: 'Loss',
    train: (r) => r.loss,
    val: (r) => r.valLoss,
    // Cross-entropy is never negative: do not let padding push the axis below 0.
    clamp: [0, Infinity],
    defaultTitle: 'Loss',
  });
}

/** Train and validation accuracy per epoch, in percent. */
export function accuracyCurvesSvg(history: readonly EpochRecord[], options: CurveOptions = {}): string {
  return curvesSvg(history, options, {
    yLabel: 'Accuracy (%)',
    train: (r) => r.accuracy * 100,
    val: (r) => r.valAccuracy * 100,
    clamp: [0, 100],
    defaultTitle: 'Accuracy',
  });
}

interface Metric {
  yLabel: string;
  train: (r: EpochRecord) => number;
  val: (r: EpochRecord) => number;
  /** Limits the padded y domain may not cross (data outside them still widens the domain). */
  clamp: [number, number];
  defaultTitle: string;
}

type Point = [x: number, y: number];

interface Series {
  label: string;
  colour: string;
  marker: 'circle' | 'square';
  points: Point[];
}

const finite = (p: Point) => Number.isFinite(p[0]) && Number.isFinite(p[1]);

function curvesSvg(history: readonly EpochRecord[], options: CurveOptions, metric: Metric): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const title = options.title ?? metric.defaultTitle;
  const m = { top: 44, right: 24, bottom: 52, left: 68 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;

  const series: Series[] = [
    { label: 'Training', colour: TRAIN_COLOUR, marker: 'circle', points: history.map((r) => [r.epoch, metric.train(r)]) },
    { label: 'Validation', colour: VAL_COLOUR, marker: 'square', points: history.map((r) => [r.epoch, metric.val(r)]) },
  ];
  const shown = series.map((s) => s.points.filter(finite));
  const all = shown.flat();

  const x = scaleLinear().domain(xDomain(all.map((p) => p[0]))).range([0, pw]);
  const y = scaleLinear().domain(yDomain(all.map((p) => p[1]), metric.clamp)).range([ph, 0]).nice(6);

  // Integer epochs only: a tick at epoch 2.5 would suggest a measurement that does not exist.
  const [e0, e1] = extent(all.map((p) => p[0])) ?? [1, 1];
  const xTicks = x.ticks(Math.max(2, Math.floor(pw / 60))).filter((t) => Number.isInteger(t) && t >= e0 && t <= e1);
  if (xTicks.length === 0 && all.length > 0) xTicks.push(e0);
  const yTicks = y.ticks(6);
  const yFormat = y.tickFormat(6);

  // Markers shrink when epochs are dense, so 200 epochs do not turn into a smear of dots.
  const spacing = e1 > e0 ? pw / Math.max(1, (e1 - e0)) : pw;
  const r = Math.max(1.2, Math.min(3.5, spacing * 0.3));

  const body: string[] = [];
  body.push(text(m.left + pw / 2, 26, title, { 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 600 }));
  body.push(`<g transform="translate(${n(m.left)},${n(m.top)})">`);

  // Light horizontal grid behind the data, as in seaborn's whitegrid style.
  body.push(`<g stroke="${GRID_COLOUR}" stroke-width="1">`);
  for (const t of yTicks) body.push(`<line${attrs({ x1: 0, x2: pw, y1: y(t), y2: y(t) })}/>`);
  body.push('</g>');

  body.push(...axes(x, y, xTicks, yTicks, yFormat, pw, ph));
  body.push(text(pw / 2, ph + 42, 'Epoch', { 'text-anchor': 'middle', 'font-size': 13 }));
  body.push(text(0, 0, metric.yLabel, {
    transform: `translate(${n(-50)},${n(ph / 2)}) rotate(-90)`, 'text-anchor': 'middle', 'font-size': 13,
  }));

  // Data. No clip path needed (the domains contain every finite point), and none wanted: ids would
  // clash when several figures are inlined into one HTML page.
  const path = line<Point>().defined(finite).x((p) => x(p[0])).y((p) => y(p[1])).digits(2);
  series.forEach((s, i) => {
    body.push(`<g class="series"${attrs({ 'data-label': s.label })}>`);
    body.push(`<path${attrs({ d: path(s.points) ?? '', fill: 'none', stroke: s.colour, 'stroke-width': 2, 'stroke-linejoin': 'round' })}/>`);
    for (const p of shown[i]!) body.push(marker(s, x(p[0]), y(p[1]), r));
    body.push('</g>');
  });

  body.push(...legend(series, shown, x, y, pw, ph));
  body.push('</g>');
  return svgDocument(width, height, body, title);
}

function marker(s: Series, cx: number, cy: number, r: number): string {
  const paint = { fill: s.colour, stroke: '#ffffff', 'stroke-width': 0.75 };
  if (s.marker === 'circle') return `<circle class="point"${attrs({ cx, cy, r, ...paint })}/>`;
  const side = r * 1.75; // a square of equal visual weight to the circle
  return `<rect class="point"${attrs({ x: cx - side / 2, y: cy - side / 2, width: side, height: side, ...paint })}/>`;
}

function axes(
  x: ScaleLinear<number, number>, y: ScaleLinear<number, number>,
  xTicks: number[], yTicks: number[], yFormat: (v: number) => string, pw: number, ph: number,
): string[] {
  const out: string[] = [];
  out.push(`<g${attrs({ stroke: AXIS_COLOUR, 'stroke-width': 1, fill: 'none' })}>`);
  out.push(`<line${attrs({ x1: 0, x2: pw, y1: ph + 0.5, y2: ph + 0.5 })}/>`);
  out.push(`<line${attrs({ x1: -0.5, x2: -0.5, y1: 0, y2: ph })}/>`);
  for (const t of xTicks) out.push(`<line${attrs({ x1: x(t), x2: x(t), y1: ph, y2: ph + 5 })}/>`);
  for (const t of yTicks) out.push(`<line${attrs({ x1: -5, x2: 0, y1: y(t), y2: y(t) })}/>`);
  out.push('</g>');
  out.push(`<g${attrs({ 'font-size': 11, fill: INK })}>`);
  for (const t of xTicks) out.push(text(x(t), ph + 19, String(t), { 'text-anchor': 'middle' }));
  for (const t of yTicks) out.push(text(-9, y(t) + 4, yFormat(t), { 'text-anchor': 'end' }));
  out.push('</g>');
  return out;
}

/**
 * Legend in the plot corner with the fewest data points under it (matplotlib's loc="best", simply):
 * loss curves fall, so it usually lands top right; accuracy curves rise, so bottom right.
 */
function legend(
  series: Series[], shown: Point[][], x: ScaleLinear<number, number>, y: ScaleLinear<number, number>,
  pw: number, ph: number,
): string[] {
  const rowH = 18;
  const w = 112;
  const h = series.length * rowH + 10;
  const inset = 10;
  const corners: Point[] = [[pw - w - inset, inset], [pw - w - inset, ph - h - inset], [inset, inset], [inset, ph - h - inset]];
  const pixels = shown.flat().map((p): Point => [x(p[0]), y(p[1])]);
  // Sample along segments too, so a line crossing the box counts, not only its markers.
  const samples = shown.flatMap((pts) => pts.slice(1).flatMap((p, i) => {
    const q = pts[i]!;
    return [0.25, 0.5, 0.75].map((f): Point => [x(q[0] + (p[0] - q[0]) * f), y(q[1] + (p[1] - q[1]) * f)]);
  }));
  const cost = ([cx, cy]: Point) => [...pixels, ...samples].filter(([px, py]) => px >= cx - 4 && px <= cx + w + 4 && py >= cy - 4 && py <= cy + h + 4).length;
  let best = corners[0]!;
  for (const c of corners) if (cost(c) < cost(best)) best = c;

  const out = [`<g class="legend" transform="translate(${n(best[0])},${n(best[1])})">`];
  out.push(`<rect${attrs({ width: w, height: h, rx: 3, fill: '#ffffff', 'fill-opacity': 0.85, stroke: '#cccccc' })}/>`);
  series.forEach((s, i) => {
    const cy = 5 + rowH * i + rowH / 2;
    out.push(`<line${attrs({ x1: 10, x2: 34, y1: cy, y2: cy, stroke: s.colour, 'stroke-width': 2 })}/>`);
    out.push(marker(s, 22, cy, 3.5).replace(' class="point"', ''));
    out.push(text(42, cy + 4, s.label, { 'font-size': 12 }));
  });
  out.push('</g>');
  return out;
}

function extent(values: number[]): [number, number] | undefined {
  if (values.length === 0) return undefined;
  return [Math.min(...values), Math.max(...values)];
}

/** Epoch domain with a small margin so the end markers sit clear of the axes; one epoch gets ±1. */
function xDomain(epochs: number[]): [number, number] {
  const e = extent(epochs);
  if (!e) return [0, 1];
  const [lo, hi] = e;
  if (lo === hi) return [lo - 1, hi + 1];
  const pad = (hi - lo) * 0.03;
  return [lo - pad, hi + pad];
}

/** Value domain padded by 5% (matplotlib's margin), kept within `clamp` unless the data is not. */
function yDomain(values: number[], clamp: [number, number]): [number, number] {
  const e = extent(values);
  if (!e) return [0, 1];
  const [lo, hi] = e;
  const pad = lo === hi ? Math.abs(lo) * 0.1 || 0.5 : (hi - lo) * 0.05;
  return [Math.min(lo, Math.max(clamp[0], lo - pad)), Math.max(hi, Math.min(clamp[1], hi + pad))];
}
