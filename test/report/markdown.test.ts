import { describe, expect, it } from 'vitest';
import { markdownTable } from '../../src/report/markdown';

describe('markdownTable', () => {
  it('pads columns, right-aligns numeric ones and escapes pipes', () => {
    const md = markdownTable(['model', 'params', 'accuracy', 'notes'], [
      ['one-hidden', '101,770', '84.0%', 'SGD'],
      ['cnn', 423338, 0.9199, 'Adam | dropout'],
    ]);
    const lines = md.trimEnd().split('\n');
    expect(lines).toEqual([
      '| model      |  params | accuracy | notes           |',
      '| ---------- | ------: | -------: | --------------- |',
      '| one-hidden | 101,770 |    84.0% | SGD             |',
      '| cnn        |  423338 |   0.9199 | Adam \\| dropout |',
    ]);
  });

  it('honours explicit alignment, pads short rows, rejects long ones', () => {
    const md = markdownTable(['a', 'b'], [['x']], ['center', 'left']);
    expect(md).toBe('|  a  | b   |\n| :-: | --- |\n|  x  |     |\n');
    expect(() => markdownTable(['a'], [['x', 'y']])).toThrow(RangeError);
  });
});
