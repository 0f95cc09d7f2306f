/**
 * Per-epoch history as CSV (for spreadsheets and pandas) and JSON (for programs and the demo).
 */
import { DataError } from '../errors';
import { EPOCH_FIELDS, type EpochRecord } from './types';

/**
 * CSV column names, in EPOCH_FIELDS order. snake_case like Keras' CSVLogger (`val_loss`), which is
 * what people loading the file with pandas expect.
 */
const CSV_COLUMNS = ['epoch', 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'seconds', 'images_per_second'] as const;

/**
 * Header plus one row per epoch. Numbers are written with `String(x)`, the shortest text that
 * parses back to the same double, so the file round-trips exactly; NaN (a metric not measured) is
 * written as `NaN`, which pandas and `Number()` both read back.
 */
export function historyToCsv(history: readonly EpochRecord[]): string {
  const rows = history.map((r) => EPOCH_FIELDS.map((f) => String(r[f])).join(','));
  return [CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}

/** The inverse of historyToCsv; an empty cell reads as NaN (pandas writes NaN that way). */
export function historyFromCsv(csv: string, source = 'history.csv'): EpochRecord[] {
  const lines = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines.shift()?.split(',').map((h) => h.trim());
  if (!header || CSV_COLUMNS.some((c, i) => header[i] !== c)) {
    throw new DataError(`${source}: header is not "${CSV_COLUMNS.join(',')}"`);
  }
  return lines.map((line, i) => {
    const cells = line.split(',');
    if (cells.length !== CSV_COLUMNS.length) {
      throw new DataError(`${source}: line ${i + 2} has ${cells.length} cells, expected ${CSV_COLUMNS.length}`);
    }
    const record = {} as EpochRecord;
    EPOCH_FIELDS.forEach((f, c) => {
      const cell = cells[c]!.trim();
      const value = cell === '' ? NaN : Number(cell);
      if (Number.isNaN(value) && cell !== '' && cell !== 'NaN') {
        throw new DataError(`${source}: line ${i + 2}: "${cell}" is not a number`);
      }
      record[f] = value;
    });
    return record;
  });
}

/**
 * A JSON array, one epoch per line (readable, and diffs line by line). JSON has no NaN: a metric
 * not measured becomes null.
 */
export function historyToJson(history: readonly EpochRecord[]): string {
  if (history.length === 0) return '[]\n';
  const rows = history.map((r) => '  ' + JSON.stringify(Object.fromEntries(EPOCH_FIELDS.map((f) => [f, r[f]]))));
  return `[\n${rows.join(',\n')}\n]\n`;
}
