import { describe, expect, it } from 'vitest';
import { historyFromCsv, historyToCsv, historyToJson } from '../../src/report/history';
import type { EpochRecord as HistoryRecord } from '../../src/report/types';
import { makeHistory } from './fixtures';

describe('history CSV', () => {
  it('has a header and one row per epoch', () => {
    const lines = historyToCsv(makeHistory(3)).trimEnd().split('\n');
    expect(lines[0]).toBe('epoch,loss,accuracy,val_loss,val_accuracy,seconds,images_per_second');
    expect(lines).toHaveLength(4);
    expect(lines[1]!.startsWith('1,')).toBe(true);
  });

  it('round-trips every double exactly, NaN included', () => {
    const awkward: HistoryRecord[] = [
      { epoch: 1, loss: 0.1 + 0.2, accuracy: 1 / 3, valLoss: 1e-7, valAccuracy: NaN, seconds: 123456.789012345, imagesPerSecond: 5e21 },
      { epoch: 2, loss: Number.MIN_VALUE, accuracy: 0.9199, valLoss: 2.220446049250313e-16, valAccuracy: 0.8828, seconds: 0, imagesPerSecond: Infinity },
      ...makeHistory(4).map((r) => ({ ...r, epoch: r.epoch + 2 })),
    ];
    expect(historyFromCsv(historyToCsv(awkward))).toEqual(awkward);
  });

  it('reads an empty cell as NaN and rejects a wrong header or a non-number', () => {
    const csv = 'epoch,loss,accuracy,val_loss,val_accuracy,seconds,images_per_second\n1,0.5,0.8,,,2,3\n';
    expect(historyFromCsv(csv)[0]!.valLoss).toBeNaN();
    expect(() => historyFromCsv('epoch,loss\n1,2\n')).toThrow(/header/);
    expect(() => historyFromCsv(csv.replace('0.5', 'abc'))).toThrow(/not a number/);
    expect(() => historyFromCsv(csv.replace(',2,3', ',2'))).toThrow(/cells/);
  });
});

describe('history JSON', () => {
  it('is an array of records, one per line, NaN as null', () => {
    const h = makeHistory(2);
    h[1]!.valLoss = NaN;
    const json = historyToJson(h);
    expect(json.trimEnd().split('\n')).toHaveLength(4);
    const back = JSON.parse(json) as Record<string, number | null>[];
    expect(back[0]).toEqual(h[0]);
    expect(back[1]!.valLoss).toBeNull();
    expect(historyToJson([])).toBe('[]\n');
  });
});
