import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES } from '../../src/data/fashion-mnist';
import { confusionSvg, confusionTable, confusionToJson, overallAccuracy, perClassAccuracy, shortClassName } from '../../src/report/confusion';
import { REPORT_CONFUSION } from './fixtures';
import { parseSvg, select } from './xml';

describe('per-class accuracy', () => {
  it('is the diagonal over the row total', () => {
    const acc = perClassAccuracy(REPORT_CONFUSION);
    expect(acc).toHaveLength(10);
    expect(acc[6]).toBeCloseTo(0.514, 12); // shirts, 51% right in the report
    expect(acc[2]).toBeCloseTo(0.693, 12);
    expect(overallAccuracy(REPORT_CONFUSION)).toBeCloseTo(0.8464, 12);
  });

  it('is NaN for a class with no examples, and a non-square matrix is an error', () => {
    expect(perClassAccuracy(new Uint32Array([3, 1, 0, 0]))).toEqual([0.75, NaN]);
    expect(() => perClassAccuracy(new Uint32Array(5))).toThrow(RangeError);
    expect(() => confusionTable(new Uint32Array(9), FASHION_MNIST_CLASSES)).toThrow(/100/);
  });
});

describe('confusion table', () => {
  const table = confusionTable(REPORT_CONFUSION, FASHION_MNIST_CLASSES);
  const lines = table.trimEnd().split('\n');

  it('aligns: every line has the same width, counts right-aligned under their header', () => {
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines).toHaveLength(14); // header, rule, 10 classes, rule, totals
    const header = lines[0]!;
    const shirt = lines.find((l) => l.startsWith('Shirt '))!;
    // The right edge of "514" lines up with the right edge of the "Shirt" header.
    expect(shirt.indexOf(' 514 ') + 4).toBe(header.indexOf(' Shirt ') + 6);
  });

  it('has short headers, row totals, per-class accuracy and an overall row', () => {
    expect(lines[0]).toMatch(/T-shirt\s+Trouser\s+Pullov\.\s+Dress\s+Coat\s+Sandal\s+Shirt\s+Sneaker\s+Bag\s+Boot\s+total\s+acc$/);
    expect(lines.find((l) => l.startsWith('Shirt '))).toMatch(/ 1000  51\.4%$/);
    expect(lines.at(-1)).toMatch(/^total\s+1106\s+988 .* 10000  84\.6%$/);
  });

  it('abbreviates class names', () => {
    expect(['T-shirt/top', 'Ankle boot', 'Pullover', 'Bag'].map((s) => shortClassName(s))).toEqual(['T-shirt', 'Boot', 'Pullov.', 'Bag']);
  });
});

describe('confusion heat map', () => {
  const els = parseSvg(confusionSvg(REPORT_CONFUSION, FASHION_MNIST_CLASSES, { title: 'one-hidden' }));

  it('has one cell and one count per matrix entry', () => {
    expect(select(els, 'rect', 'cell')).toHaveLength(100);
    const counts = select(els, 'text', 'count');
    expect(counts.map((t) => Number(t.text))).toEqual(Array.from(REPORT_CONFUSION));
  });

  it('switches the count colour for contrast: white on the dark diagonal, dark on pale cells', () => {
    const counts = select(els, 'text', 'count');
    expect(counts[0]!.attrs.fill).toBe('#ffffff'); // 851 of 1000
    expect(counts[1]!.attrs.fill).not.toBe('#ffffff'); // 2 of 1000
  });

  it('labels the axes and every class on both', () => {
    const texts = select(els, 'text').map((t) => t.text);
    expect(texts).toEqual(expect.arrayContaining(['true', 'predicted', 'one-hidden']));
    for (const k of FASHION_MNIST_CLASSES) expect(texts.filter((t) => t === k)).toHaveLength(2);
  });
});

describe('confusion JSON', () => {
  it('parses back to the matrix rows, classes and accuracies, one line per row', () => {
    const json = confusionToJson(REPORT_CONFUSION, FASHION_MNIST_CLASSES);
    const back = JSON.parse(json);
    expect(back.matrix).toHaveLength(10);
    expect(back.matrix.flat()).toEqual(Array.from(REPORT_CONFUSION));
    expect(back.classes).toEqual(FASHION_MNIST_CLASSES);
    expect(back.perClassAccuracy).toEqual(perClassAccuracy(REPORT_CONFUSION));
    expect(back.accuracy).toBeCloseTo(0.8464, 12);
    expect(json.split('\n').filter((l) => l.trim().startsWith('[851,'))).toHaveLength(1);
    expect(JSON.parse(confusionToJson(new Uint32Array([1, 0, 0, 0]), ['a', 'b'])).perClassAccuracy).toEqual([1, null]);
  });
});
