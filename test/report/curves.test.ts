import { describe, expect, it } from 'vitest';
import { accuracyCurvesSvg, lossCurvesSvg } from '../../src/report/curves';
import { makeHistory } from './fixtures';
import { parseSvg, select, type XmlElement } from './xml';

const texts = (els: XmlElement[]) => select(els, 'text').map((t) => t.text);
const points = (els: XmlElement[]) => select(els, 'circle', 'point').length + select(els, 'rect', 'point').length;

describe('loss and accuracy curves', () => {
  it('draw one marker per finite value, a legend, a title and axis labels', () => {
    const h = makeHistory(10);
    for (const render of [lossCurvesSvg, accuracyCurvesSvg]) {
      const els = parseSvg(render(h, { title: 'cnn <test> & "more"' }));
      expect(els[0]!.attrs.width).toBe('640');
      expect(els[0]!.attrs.height).toBe('400');
      expect(points(els)).toBe(20);
      expect(select(els, 'path')).toHaveLength(2);
      const t = texts(els);
      expect(t).toContain('cnn <test> & "more"');
      expect(t).toEqual(expect.arrayContaining(['Training', 'Validation', 'Epoch']));
      // Integer epoch ticks only.
      const xTicks = t.filter((s) => /^\d+$/.test(s)).map(Number);
      expect(xTicks).toEqual(expect.arrayContaining([2, 4, 6, 8, 10]));
    }
  });

  it('shows accuracy in percent', () => {
    const t = texts(parseSvg(accuracyCurvesSvg(makeHistory(5))));
    expect(t).toContain('Accuracy (%)');
    const yTicks = t.filter((s) => /^\d+(\.\d+)?$/.test(s)).map(Number);
    expect(Math.max(...yTicks)).toBeGreaterThan(50);
    expect(Math.max(...yTicks)).toBeLessThanOrEqual(100);
  });

  it('handles a single epoch', () => {
    const els = parseSvg(lossCurvesSvg(makeHistory(1)));
    expect(points(els)).toBe(2);
    expect(texts(els)).toContain('1');
    expect(els.some((e) => Object.values(e.attrs).some((v) => v.includes('NaN')))).toBe(false);
  });

  it('skips NaN values, breaking the line there, and survives all-NaN or empty histories', () => {
    const h = makeHistory(6);
    h[2]!.valLoss = NaN;
    h[5]!.loss = NaN;
    const els = parseSvg(lossCurvesSvg(h));
    expect(points(els)).toBe(10);
    const valPath = select(els, 'path')[1]!.attrs.d!;
    expect(valPath.match(/M/g)).toHaveLength(2); // two segments around the gap
    for (const svg of [
      lossCurvesSvg(h.map((r) => ({ ...r, loss: NaN, valLoss: NaN }))),
      accuracyCurvesSvg([]),
    ]) {
      const all = parseSvg(svg);
      expect(points(all)).toBe(0);
      expect(svg).not.toContain('NaN');
    }
  });

  it('thins markers for long runs but keeps every point', () => {
    const els = parseSvg(lossCurvesSvg(makeHistory(200)));
    expect(points(els)).toBe(400);
    expect(Number(select(els, 'circle', 'point')[0]!.attrs.r)).toBeLessThan(3);
  });
});
