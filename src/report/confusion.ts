/**
 * The confusion matrix (report figures 5, 7, 10) as a terminal table and as an SVG heat map.
 * Input: row-major [C, C] counts, row = true class, column = predicted class.
 */
import { scaleLinear } from 'd3-scale';
import { interpolateBlues } from 'd3-scale-chromatic';
import { attrs, esc, INK, n, svgDocument, text } from './svg';

/** Side C of a C x C matrix, checked against the class names. */
function side(matrix: Uint32Array, classes: readonly string[] | undefined): number {
  const c = classes ? classes.length : Math.round(Math.sqrt(matrix.length));
  if (c * c !== matrix.length) {
    throw new RangeError(`confusion matrix has ${matrix.length} entries, expected ${c} x ${c} = ${c * c}`);
  }
  return c;
}

function rowTotals(matrix: Uint32Array, c: number): number[] {
  return Array.from({ length: c }, (_, i) => matrix.subarray(i * c, (i + 1) * c).reduce((a, b) => a + b, 0));
}

/** Correct / row total for each true class (recall); NaN for a class with no examples. */
export function perClassAccuracy(matrix: Uint32Array): number[] {
  const c = side(matrix, undefined);
  return rowTotals(matrix, c).map((total, i) => (total === 0 ? NaN : matrix[i * c + i]! / total));
}

/** Trace / total; NaN for an empty matrix. */
export function overallAccuracy(matrix: Uint32Array): number {
  const c = side(matrix, undefined);
  let correct = 0;
  let total = 0;
  for (let i = 0; i < c * c; i++) {
    total += matrix[i]!;
    if (i % (c + 1) === 0) correct += matrix[i]!;
  }
  return total === 0 ? NaN : correct / total;
}

/**
 * A header-sized class name: the part before a slash ("T-shirt/top" -> "T-shirt"), else the last
 * word of a long phrase ("Ankle boot" -> "Boot"), else cut with a dot ("Pullover" -> "Pullov.").
 */
export function shortClassName(name: string, max = 7): string {
  let s = name.split('/')[0]!.trim();
  if (s.length > max && s.includes(' ')) {
    const last = s.split(/\s+/).at(-1)!;
    s = last.charAt(0).toUpperCase() + last.slice(1);
  }
  return s.length > max ? s.slice(0, max - 1) + '.' : s;
}

/**
 * JSON with the matrix as one line per true class (readable, unlike JSON.stringify's one number per
 * line), the class names, per-class accuracy and overall accuracy; NaN (an empty class) as null.
 */
export function confusionToJson(matrix: Uint32Array, classes: readonly string[]): string {
  const c = side(matrix, classes);
  const rows = Array.from({ length: c }, (_, i) => `    ${JSON.stringify(Array.from(matrix.subarray(i * c, (i + 1) * c)))}`);
  return [
    '{',
    `  "classes": ${JSON.stringify(classes)},`,
    `  "matrix": [\n${rows.join(',\n')}\n  ],`,
    `  "perClassAccuracy": ${JSON.stringify(perClassAccuracy(matrix))},`,
    `  "accuracy": ${JSON.stringify(overallAccuracy(matrix))}`,
    '}',
    '',
  ].join('\n');
}

const percent = (x: number) => (Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);

/**
 * Aligned plain-text table for terminals: full class names down the side, short ones across the top,
 * right-aligned counts, then each row's total and accuracy, and a last row of column totals with
 * the overall accuracy. Every line has the same width.
 */
export function confusionTable(matrix: Uint32Array, classes: readonly string[]): string {
  const c = side(matrix, classes);
  const totals = rowTotals(matrix, c);
  const colTotals = Array.from({ length: c }, (_, j) => totals.reduce((s, _t, i) => s + matrix[i * c + j]!, 0));
  const acc = perClassAccuracy(matrix);

  const corner = 'true \\ pred';
  const header = [corner, ...classes.map((k) => shortClassName(k)), 'total', 'acc'];
  const body = classes.map((k, i) => [
    k, ...Array.from(matrix.subarray(i * c, (i + 1) * c), String), String(totals[i]), percent(acc[i]!),
  ]);
  const footer = ['total', ...colTotals.map(String), String(totals.reduce((a, b) => a + b, 0)), percent(overallAccuracy(matrix))];

  const rows = [header, ...body, footer];
  const widths = header.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  // First column left-aligned (names), the rest right-aligned (numbers line up by digit).
  const fmt = (r: string[]) => r.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ');
  const rule = '-'.repeat(fmt(header).length);
  return [fmt(header), rule, ...body.map(fmt), rule, fmt(footer)].join('\n') + '\n';
}

/** Options of confusionSvg. */
export interface ConfusionSvgOptions {
  /** Default 'Confusion matrix'. */
  title?: string;
  /** Side of one cell in pixels; default 46. */
  cell?: number;
}

/** Relative luminance (sRGB, WCAG) of a `rgb(r, g, b)` or `#rrggbb` colour. */
function luminance(colour: string): number {
  const m = colour.match(/\d+/g);
  const rgb = colour.startsWith('#')
    ? [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16))
    : (m ?? ['0', '0', '0']).slice(0, 3).map(Number);
  const lin = rgb.map((v) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * lin[0]! + 0.7152 * lin[1]! + 0.0722 * lin[2]!;
}

/**
 * Heat map with the count in every cell. Colour shows the share of the true class (row-normalised),
 * not the raw count, so errors stay visible when classes differ in size (a validation slice of the
 * training set is not balanced like the test set). Counts switch to white on dark cells.
 */
export function confusionSvg(matrix: Uint32Array, classes: readonly string[], options: ConfusionSvgOptions = {}): string {
  const c = side(matrix, classes);
  const cell = options.cell ?? 46;
  const title = options.title ?? 'Confusion matrix';
  const totals = rowTotals(matrix, c);
  const maxCount = Math.max(0, ...matrix);
  const longest = Math.max(0, ...classes.map((k) => k.length));

  // Room for the class names: ~6.5 px per character at 12 px, rotated 45 degrees along the bottom.
  const nameW = longest * 6.5;
  const m = { top: 48, left: nameW + 46, bottom: nameW * 0.71 + 44, right: 96 };
  const grid = c * cell;
  const width = m.left + grid + m.right;
  const height = m.top + grid + m.bottom;
  const countSize = Math.min(13, (cell * 0.85) / (Math.max(1, String(maxCount).length) * 0.62));

  const body: string[] = [];
  body.push(text(m.left + grid / 2, 28, title, { 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 600 }));
  body.push(`<g transform="translate(${n(m.left)},${n(m.top)})">`);

  for (let i = 0; i < c; i++) {
    for (let j = 0; j < c; j++) {
      const count = matrix[i * c + j]!;
      const share = totals[i]! === 0 ? 0 : count / totals[i]!;
      const fill = interpolateBlues(share);
      // Zeros in grey: the eye goes to the errors that happened, not to the empty cells.
      const ink = luminance(fill) < 0.4 ? '#ffffff' : count === 0 ? '#a6a6a6' : INK;
      const tip = `true ${classes[i]}, predicted ${classes[j]}: ${count} (${percent(share)} of ${classes[i]})`;
      body.push(`<rect class="cell"${attrs({ x: j * cell, y: i * cell, width: cell, height: cell, fill })}><title>${esc(tip)}</title></rect>`);
      body.push(text(j * cell + cell / 2, i * cell + cell / 2 + countSize * 0.36, String(count), {
        class: 'count', 'text-anchor': 'middle', 'font-size': countSize, fill: ink,
      }));
    }
  }
  // Thin white grid lines separate equal-coloured neighbours, as in seaborn's linewidths option.
  body.push(`<g stroke="#ffffff" stroke-width="1">`);
  for (let k = 1; k < c; k++) {
    body.push(`<line${attrs({ x1: k * cell, x2: k * cell, y1: 0, y2: grid })}/>`);
    body.push(`<line${attrs({ x1: 0, x2: grid, y1: k * cell, y2: k * cell })}/>`);
  }
  body.push('</g>');

  // Class names: down the left (true), along the bottom at 45 degrees (predicted).
  body.push(`<g font-size="12">`);
  classes.forEach((k, i) => body.push(text(-8, i * cell + cell / 2 + 4, k, { 'text-anchor': 'end' })));
  classes.forEach((k, j) => {
    const x = j * cell + cell / 2 + 4;
    const y = grid + 10;
    body.push(text(x, y, k, { 'text-anchor': 'end', transform: `rotate(-45 ${n(x)} ${n(y)})` }));
  });
  body.push('</g>');
  body.push(text(0, 0, 'true', {
    transform: `translate(${n(-nameW - 24)},${n(grid / 2)}) rotate(-90)`, 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 600,
  }));
  body.push(text(grid / 2, grid + nameW * 0.71 + 32, 'predicted', { 'text-anchor': 'middle', 'font-size': 13, 'font-weight': 600 }));

  body.push(...colourBar(grid + 20, grid));
  body.push('</g>');
  return svgDocument(width, height, body, title);
}

/** Vertical colour bar for the row share, 0% at the bottom, with ticks every 20%. */
function colourBar(x0: number, h: number): string[] {
  const w = 14;
  const y = scaleLinear().domain([0, 1]).range([h, 0]);
  const stops = Array.from({ length: 11 }, (_, i) => i / 10);
  const out: string[] = [];
  // The gradient is identical in every figure, so a shared id is harmless if several are inlined.
  out.push('<defs><linearGradient id="wgml-blues" x1="0" y1="1" x2="0" y2="0">');
  for (const s of stops) out.push(`<stop${attrs({ offset: s, 'stop-color': interpolateBlues(s) })}/>`);
  out.push('</linearGradient></defs>');
  out.push(`<rect${attrs({ x: x0, y: 0, width: w, height: h, fill: 'url(#wgml-blues)', stroke: '#bfbfbf', 'stroke-width': 0.5 })}/>`);
  out.push(`<g${attrs({ 'font-size': 11 })}>`);
  for (const t of y.ticks(5)) {
    out.push(`<line${attrs({ x1: x0 + w, x2: x0 + w + 4, y1: y(t), y2: y(t), stroke: '#4d4d4d' })}/>`);
    out.push(text(x0 + w + 7, y(t) + 4, `${Math.round(t * 100)}%`));
  }
  out.push('</g>');
  out.push(text(0, 0, 'share of true class', {
    transform: `translate(${n(x0 + w + 52)},${n(h / 2)}) rotate(90)`, 'text-anchor': 'middle', 'font-size': 12,
  }));
  return out;
}
