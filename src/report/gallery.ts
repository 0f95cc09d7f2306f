/**
 * Misclassified test images (report figure 8): an SVG grid with "true -> predicted" captions, and a
 * plain PNG grid, in colour for 3-channel images. Each image is embedded as a small PNG data URI
 * (~0.9 kB for a grey 28x28 at 4x), where drawing it with 784 rects would be ~40 kB. The PNG is already scaled up (nearest neighbour):
 * librsvg, Inkscape and PDF converters ignore `image-rendering` and would blur a 28x28 image, and
 * scaling costs under 2x in size because deflate folds the repeated pixels and rows.
 */
import { encode } from 'fast-png';
import { attrs, esc, INK, svgDocument, text } from './svg';
import type { Misclassified } from './types';

/** Options of misclassifiedGridSvg. */
export interface GalleryOptions {
  /** Images per row; default 10 (fewer if there are fewer examples). */
  columns?: number;
  /** Default 'Misclassified examples'. */
  title?: string;
  /** Screen pixels per image pixel; default 4 (112 px tiles for 28x28 images). */
  scale?: number;
}

const WRONG = '#c0392b';

/** An example's picture: height, width, and 1 (grey) or 3 (RGB) channels of bytes. */
interface Picture {
  readonly h: number;
  readonly w: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/**
 * How to draw an example: [h, w, 3] in colour, [h, w, 1] or [h, w] in grey, other channel counts
 * by their first channel, and a flat example as a square when its size is one (else one row).
 */
function picture(e: Misclassified, i: number): Picture {
  const shape = e.shape;
  let [h, w, c] = shape.length === 3 ? shape : shape.length === 2 ? [shape[0]!, shape[1]!, 1] : [0, 0, 1];
  if (shape.length === 1) {
    const side = Math.round(Math.sqrt(shape[0]!));
    [h, w] = side * side === shape[0] ? [side, side] : [1, shape[0]!];
  }
  if (e.image.length !== h! * w! * c!) {
    throw new RangeError(`misclassified example ${i}: image has ${e.image.length} bytes, its shape [${shape.join(', ')}] needs ${h! * w! * c!}`);
  }
  if (c === 3 || c === 1) return { h: h!, w: w!, channels: c, data: e.image };
  const data = new Uint8Array(h! * w!);
  for (let p = 0; p < data.length; p++) data[p] = e.image[p * c!]!;
  return { h: h!, w: w!, channels: 1, data };
}

const className = (classes: readonly string[], k: number) => classes[k] ?? `class ${k}`;

function png(data: Uint8Array, width: number, height: number, channels: 1 | 3): Uint8Array {
  return encode({ width, height, data, channels, depth: 8 });
}

/** Nearest-neighbour enlargement to `channels` (grey is repeated into RGB), so each pixel is a crisp block. */
function enlarge(p: Picture, scale: number, channels: 1 | 3): Uint8Array {
  const W = p.w * scale;
  const out = new Uint8Array(p.h * scale * W * channels);
  for (let y = 0; y < p.h * scale; y++) {
    for (let x = 0; x < W; x++) {
      const src = Math.floor(y / scale) * p.w + Math.floor(x / scale);
      for (let k = 0; k < channels; k++) out[(y * W + x) * channels + k] = p.data[src * p.channels + (p.channels === 3 ? k : 0)]!;
    }
  }
  return out;
}

/** Base64 with btoa (Node 16+ and browsers alike) over a binary string, built in chunks. */
function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/**
 * A grid of the examples, each image with its true class above and "-> predicted (confidence)" in
 * red below it. Images keep the dataset's look: light garment on a black background.
 */
export function misclassifiedGridSvg(examples: readonly Misclassified[], classes: readonly string[], options: GalleryOptions = {}): string {
  const pictures = examples.map(picture);
  const scale = Math.max(1, Math.round(options.scale ?? 4));
  const columns = Math.max(1, Math.min(options.columns ?? 10, examples.length || 1));
  const rows = Math.ceil(examples.length / columns);
  const img = Math.max(1, ...pictures.map((p) => Math.max(p.h, p.w))) * scale;
  const tileW = Math.max(img, 116) + 16; // captions such as "→ T-shirt/top 97%" need ~110 px
  const tileH = img + 44;
  const top = 66;
  // At least wide enough for the explanatory line; a narrow grid is centred.
  const width = Math.max(columns * tileW + 16, 480);
  const left = (width - columns * tileW) / 2;
  const height = top + Math.max(1, rows) * tileH + 8;
  const title = options.title ?? 'Misclassified examples';

  const body: string[] = [];
  body.push(text(width / 2, 26, title, { 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 600 }));
  // Says once which caption is which, instead of prefixing every caption with "true:"/"pred:".
  const withConfidence = examples.some((e) => e.confidence !== undefined);
  const legend = `above each image: true class; below, in red: predicted class${withConfidence ? ' and its probability' : ''}`;
  body.push(text(width / 2, 46, legend, {
    'text-anchor': 'middle', 'font-size': 11, fill: '#737373',
  }));
  if (examples.length === 0) body.push(text(width / 2, top + tileH / 2, 'no misclassified examples', { 'text-anchor': 'middle' }));
  examples.forEach((e, i) => {
    const x = left + (i % columns) * tileW + (tileW - img) / 2;
    const y = top + Math.floor(i / columns) * tileH;
    const cx = x + img / 2;
    const truth = className(classes, e.trueLabel);
    const pred = className(classes, e.predicted);
    const conf = e.confidence === undefined || !Number.isFinite(e.confidence) ? '' : ` ${Math.round(e.confidence * 100)}%`;
    body.push(`<g class="example"${attrs({ 'data-true': e.trueLabel, 'data-predicted': e.predicted })}>`);
    body.push(`<title>${esc(`true ${truth}, predicted ${pred}${conf}`)}</title>`);
    body.push(text(cx, y + 12, truth, { 'text-anchor': 'middle', 'font-size': 12, fill: INK }));
    // The pixelated hint keeps blocks crisp when a browser zooms the SVG past the embedded size.
    const p = pictures[i]!;
    const [pw, ph] = [p.w * scale, p.h * scale];
    body.push(`<image${attrs({
      x: x + (img - pw) / 2, y: y + 18 + (img - ph) / 2, width: pw, height: ph, href: `data:image/png;base64,${base64(png(enlarge(p, scale, p.channels), pw, ph, p.channels))}`,
      style: 'image-rendering:optimizeSpeed;image-rendering:pixelated',
    })}/>`);
    body.push(text(cx, y + 18 + img + 15, `→ ${pred}${conf}`, { 'text-anchor': 'middle', 'font-size': 12, fill: WRONG }));
    body.push('</g>');
  });
  return svgDocument(width, height, body, title);
}

/** Options of imagesToPng. */
export interface PngGridOptions {
  /** Pixels per image pixel; default 2. */
  scale?: number;
  /** Gap between images in output pixels; default 2, filled white to separate black backgrounds. */
  gap?: number;
}

/** The images alone as one PNG grid (RGB when any is in colour, else grey), `columns` wide, row-major in example order. */
export function imagesToPng(examples: readonly Misclassified[], columns: number, options: PngGridOptions = {}): Uint8Array {
  const pictures = examples.map(picture);
  const channels = pictures.some((p) => p.channels === 3) ? 3 : 1;
  const scale = Math.max(1, Math.floor(options.scale ?? 2));
  const gap = Math.max(0, Math.floor(options.gap ?? 2));
  const cols = Math.max(1, Math.min(Math.floor(columns), examples.length || 1));
  const rows = Math.max(1, Math.ceil(examples.length / cols));
  const tileH = Math.max(1, ...pictures.map((p) => p.h)) * scale;
  const tileW = Math.max(1, ...pictures.map((p) => p.w)) * scale;
  const width = cols * tileW + (cols + 1) * gap;
  const height = rows * tileH + (rows + 1) * gap;
  const out = new Uint8Array(width * height * channels).fill(255);
  pictures.forEach((p, k) => {
    const ox = gap + (k % cols) * (tileW + gap);
    const oy = gap + Math.floor(k / cols) * (tileH + gap);
    const big = enlarge(p, scale, channels);
    const row = p.w * scale * channels;
    for (let y = 0; y < p.h * scale; y++) out.set(big.subarray(y * row, (y + 1) * row), ((oy + y) * width + ox) * channels);
  });
  return png(out, width, height, channels);
}
