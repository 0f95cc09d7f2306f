/**
 * Markdown helpers for REPORT.md. Columns are padded so the raw file reads as a table too.
 */

/** A markdownTable column's alignment. */
export type Align = 'left' | 'right' | 'center';

/** Numbers, percentages and thousands-separated counts: what a reader compares by digit. */
const NUMERIC = /^[-+−]?[\d,]*\.?\d+(e[-+]?\d+)?\s?%?$/i;

/** A pipe in a cell would split it; a newline would end the row. */
function cellText(v: string | number): string {
  return String(v).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/**
 * A GitHub-flavoured Markdown table. `align` per column defaults to right for columns whose cells
 * are all numeric, left otherwise. Short rows are padded with empty cells; a row longer than the
 * headers is an error (its extra cells would vanish).
 */
export function markdownTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[], align?: readonly Align[]): string {
  const head = headers.map(cellText);
  const long = rows.findIndex((r) => r.length > head.length);
  if (long >= 0) throw new RangeError(`markdown table row ${long} has ${rows[long]!.length} cells for ${head.length} headers`);
  const body = rows.map((r) => head.map((_, c) => (r[c] === undefined ? '' : cellText(r[c]!))));
  const aligns = head.map((_, c): Align => align?.[c] ?? (body.length > 0 && body.every((r) => r[c] === '' || NUMERIC.test(r[c]!)) ? 'right' : 'left'));
  // At least 3 wide, so the separator row can hold ':-:'.
  const widths = head.map((h, c) => Math.max(3, h.length, ...body.map((r) => r[c]!.length)));
  const pad = (s: string, c: number) => {
    const w = widths[c]!;
    if (aligns[c] === 'right') return s.padStart(w);
    if (aligns[c] === 'center') return s.padStart(Math.floor((w + s.length) / 2)).padEnd(w);
    return s.padEnd(w);
  };
  const line = (cells: string[]) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = aligns.map((a, c) => {
    const w = widths[c]!;
    if (a === 'right') return '-'.repeat(w - 1) + ':';
    if (a === 'center') return ':' + '-'.repeat(w - 2) + ':';
    return '-'.repeat(w);
  });
  return [line(head), `| ${rule.join(' | ')} |`, ...body.map(line)].join('\n') + '\n';
}
