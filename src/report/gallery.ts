/**
 * Misclassified test images (report figure 8): an SVG grid with "true -> predicted" captions, and a
 * plain PNG grid. Each image is embedded as a small grey PNG data URI (~0.9 kB at 4x), where
 * drawing it with 784 rects would be ~40 kB. The PNG is already scaled up (nearest neighbour):
 * librsvg, Inkscape and PDF converters ignore `image-rendering` and would blur a 28x28 image, and
 * scaling costs under 2x in size because deflate folds the repeated pixels and rows.
 */
import { encode } from 'fast-png';
import { attrs, esc, INK, svgDocument, text } from './svg';
import { IMAGE_SIDE, type Misclassified } from './types';

export interface GalleryOptions {
  /** Images per row; default 10 (fewer if there are fewer examples). */
  columns?: number;
  title?: string;
  /** Screen pixels per image pixel; default 4 (112 px tiles). */
  scale?: number;
}

const WRONG = '#c0392b';

function checkImage(e: Misclassified, i: number): void {
  if (e.image.length !== IMAGE_SIDE * IMAGE_SIDE) {
    throw new RangeError(`misclassified example ${i}: image has ${e.image.length} bytes, expected ${IMAGE_SIDE * IMAGE_SIDE}`);
  }
}

const className = (classes: readonly string[], k: number) => classes[k] ?? `class ${k}`;

/** Grey 8-bit PNG of a width x height byte image. */
function greyPng(data: Uint8Array, width: number, height: number): Uint8Array {
  return encode({ width, height, data, channels: 1, depth: 8 });
}

/** Nearest-neighbour enlargement of a square grey image, so each source pixel is a crisp block. */
function enlarge(image: Uint8Array, scale: number): Uint8Array {
  if (scale === 1) return image;
  const side = IMAGE_SIDE * scale;
  const out = new Uint8Array(side * side);
  for (let y = 0; y < side; y++) {
    const src = Math.floor(y / scale) * IMAGE_SIDE;
    for (let x = 0; x < side; x++) out[y * side + x] = image[src + Math.floor(x / scale)]!;
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
  examples.forEach(checkImage);
  const scale = Math.max(1, Math.round(options.scale ?? 4));
  const columns = Math.max(1, Math.min(options.columns ?? 10, examples.length || 1));
  const rows = Math.ceil(examples.length / columns);
  const img = IMAGE_SIDE * scale;
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
    body.push(`<image${attrs({
      x, y: y + 18, width: img, height: img, href: `data:image/png;base64,${base64(greyPng(enlarge(e.image, scale), img, img))}`,
      style: 'image-rendering:optimizeSpeed;image-rendering:pixelated',
    })}/>`);
    body.push(text(cx, y + 18 + img + 15, `→ ${pred}${conf}`, { 'text-anchor': 'middle', 'font-size': 12, fill: WRONG }));
    body.push('</g>');
  });
  return svgDocument(width, height, body, title);
}

export interface PngGridOptions {
  /** Pixels per image pixel; default 2. */
  scale?: number;
  /** Gap between images in output pixels; default 2, filled white to separate black backgrounds. */
  gap?: number;
}

/** The images alone as one grey PNG grid, `columns` wide, row-major in example order. */
export function imagesToPng(examples: readonly Misclassified[], columns: number, options: PngGridOptions = {}): Uint8Array {
  examples.forEach(checkImage);
  const scale = Math.max(1, Math.floor(options.scale ?? 2));
  const gap = Math.max(0, Math.floor(options.gap ?? 2));
  const cols = Math.max(1, Math.min(Math.floor(columns), examples.length || 1));
  const rows = Math.max(1, Math.ceil(examples.length / cols));
  const tile = IMAGE_SIDE * scale;
  const width = cols * tile + (cols + 1) * gap;
  const height = rows * tile + (rows + 1) * gap;
  const out = new Uint8Array(width * height).fill(255);
  examples.forEach((e, k) => {
    const ox = gap + (k % cols) * (tile + gap);
    const oy = gap + Math.floor(k / cols) * (tile + gap);
    const big = enlarge(e.image, scale);
    for (let y = 0; y < tile; y++) out.set(big.subarray(y * tile, (y + 1) * tile), (oy + y) * width + ox);
  });
  return greyPng(out, width, height);
}
