/** The SVG tests lean on this checker, so it must reject what a browser would. */
import { describe, expect, it } from 'vitest';
import { parseXml } from './xml';

describe('parseXml', () => {
  it('accepts well-formed XML and decodes entities', () => {
    const els = parseXml('<?xml version="1.0"?>\n<a x="1 &amp; 2"><b/><c>&lt;hi&gt; &#8594;</c><!-- note --></a>\n');
    expect(els.map((e) => e.name)).toEqual(['a', 'b', 'c']);
    expect(els[0]!.attrs.x).toBe('1 & 2');
    expect(els[2]!.text).toBe('<hi> →');
  });

  it.each([
    ['<a><b></a>', /closes/],
    ['<a>', /unclosed/],
    ['<a x=1/>', /unquoted/],
    ['<a x="1" x="2"/>', /duplicate/],
    ['<a>R&D</a>', /entity/],
    ['<a>1 < 2</a>', /./],
    ['<a/><b/>', /second root/],
    ['<a x="1"y="2"/>', /space/],
  ])('rejects %s', (xml, message) => {
    expect(() => parseXml(xml)).toThrow(message);
  });
});
