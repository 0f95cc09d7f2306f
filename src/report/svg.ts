/**
 * Small helpers shared by the SVG figures: escaping, compact numbers, and the document wrapper that
 * fixes the look (font, white background) so every figure is standalone and consistent.
 */

/** Fonts present on most systems, DejaVu first because matplotlib's figures use it. */
export const FONT_FAMILY = "'DejaVu Sans', 'Helvetica Neue', Helvetica, Arial, sans-serif";

/** Text colour for labels and axes: near-black reads softer than pure black, as in seaborn. */
export const INK = '#262626';

/** Escape text for element content and double-quoted attribute values. */
export function esc(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/** A coordinate with at most 2 decimals: sub-pixel precision beyond that only bloats the file. */
export function n(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** Attributes from a record, skipping undefined values; values are escaped. */
export function attrs(a: Record<string, string | number | undefined>): string {
  let s = '';
  for (const [k, v] of Object.entries(a)) {
    if (v === undefined) continue;
    s += ` ${k}="${typeof v === 'number' ? n(v) : esc(v)}"`;
  }
  return s;
}

/** `<text>` element; `content` is escaped here. */
export function text(x: number, y: number, content: string, a: Record<string, string | number | undefined> = {}): string {
  return `<text${attrs({ x, y, ...a })}>${esc(content)}</text>`;
}

/**
 * A complete SVG document: XML declaration, namespace, viewBox (so it scales in a browser), a white
 * background (transparent figures vanish on dark viewers) and the font set once at the root.
 */
export function svgDocument(width: number, height: number, body: string[], title?: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg"${attrs({ width, height, viewBox: `0 0 ${n(width)} ${n(height)}` })}` +
      `${attrs({ 'font-family': FONT_FAMILY, 'font-size': 12, fill: INK })}>`,
    ...(title ? [`<title>${esc(title)}</title>`] : []),
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
