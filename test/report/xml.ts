/**
 * A minimal XML well-formedness checker for the SVG tests (Node has no DOMParser, and a real parser
 * would be a heavy dependency for this). A character scanner, not regexes: it checks the tag
 * nesting, quoted and unique attributes, and that every `&` starts a known entity. It returns the
 * elements it saw, so tests can count points, cells and texts.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  /** Character data directly inside the element, entities decoded. */
  text: string;
  parent: XmlElement | undefined;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, at: number): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '<') throw new Error(`raw '<' in text or attribute near offset ${at + i}`);
    if (ch !== '&') {
      out += ch;
      continue;
    }
    const end = raw.indexOf(';', i);
    if (end < 0) throw new Error(`unterminated entity near offset ${at + i}`);
    const name = raw.slice(i + 1, end);
    if (name.startsWith('#x')) out += String.fromCodePoint(parseInt(name.slice(2), 16));
    else if (name.startsWith('#')) out += String.fromCodePoint(parseInt(name.slice(1), 10));
    else if (name in ENTITIES) out += ENTITIES[name];
    else throw new Error(`unknown entity &${name}; near offset ${at + i}`);
    i = end;
  }
  return out;
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\n' || c === '\t' || c === '\r';
const isNameChar = (c: string | undefined) =>
  c !== undefined && !isSpace(c) && c !== '=' && c !== '>' && c !== '/' && c !== '<' && c !== '"' && c !== "'";

/** Parse `xml`; throws on the first well-formedness error. Returns every element, document order. */
export function parseXml(xml: string): XmlElement[] {
  const elements: XmlElement[] = [];
  const stack: XmlElement[] = [];
  let roots = 0;
  let i = 0;
  const expect = (s: string) => {
    if (!xml.startsWith(s, i)) throw new Error(`expected "${s}" at offset ${i}`);
    i += s.length;
  };
  while (i < xml.length) {
    if (xml[i] !== '<') {
      const next = xml.indexOf('<', i);
      const end = next < 0 ? xml.length : next;
      const chunk = decode(xml.slice(i, end), i);
      if (stack.length === 0 && chunk.trim() !== '') throw new Error(`text outside the root element at offset ${i}`);
      const top = stack.at(-1);
      if (top) top.text += chunk;
      i = end;
      continue;
    }
    if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i);
      if (end < 0) throw new Error('unterminated processing instruction');
      i = end + 2;
      continue;
    }
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i);
      if (end < 0) throw new Error('unterminated comment');
      i = end + 3;
      continue;
    }
    if (xml.startsWith('</', i)) {
      i += 2;
      let name = '';
      while (isNameChar(xml[i])) name += xml[i++];
      while (isSpace(xml[i])) i++;
      expect('>');
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}> at offset ${i}`);
      continue;
    }
    i++;
    let name = '';
    while (isNameChar(xml[i])) name += xml[i++];
    if (name === '') throw new Error(`empty tag name at offset ${i}`);
    const el: XmlElement = { name, attrs: {}, text: '', parent: stack.at(-1) };
    for (;;) {
      const hadSpace = isSpace(xml[i]);
      while (isSpace(xml[i])) i++;
      if (xml.startsWith('/>', i)) {
        i += 2;
        break;
      }
      if (xml[i] === '>') {
        i++;
        stack.push(el);
        break;
      }
      if (!hadSpace) throw new Error(`missing space before attribute in <${name}> at offset ${i}`);
      let key = '';
      while (isNameChar(xml[i])) key += xml[i++];
      if (key === '') throw new Error(`bad attribute in <${name}> at offset ${i}`);
      expect('=');
      const quote = xml[i];
      if (quote !== '"' && quote !== "'") throw new Error(`unquoted attribute ${key} in <${name}> at offset ${i}`);
      const end = xml.indexOf(quote, i + 1);
      if (end < 0) throw new Error(`unterminated attribute ${key}`);
      if (key in el.attrs) throw new Error(`duplicate attribute ${key} in <${name}>`);
      el.attrs[key] = decode(xml.slice(i + 1, end), i + 1);
      i = end + 1;
    }
    if (!el.parent && ++roots > 1) throw new Error(`second root element <${name}>`);
    elements.push(el);
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.map((e) => e.name).join('> <')}>`);
  if (roots !== 1) throw new Error('no root element');
  return elements;
}

/** Elements named `name`, optionally with `class` containing `cls`. */
export function select(elements: XmlElement[], name: string, cls?: string): XmlElement[] {
  return elements.filter((e) => e.name === name && (cls === undefined || (e.attrs.class ?? '').split(' ').includes(cls)));
}

/** Common checks for a standalone SVG document; returns its elements. */
export function parseSvg(svg: string): XmlElement[] {
  const els = parseXml(svg);
  const root = els[0]!;
  if (root.name !== 'svg' || root.attrs.xmlns !== 'http://www.w3.org/2000/svg') throw new Error('root is not an SVG element');
  if (!root.attrs['font-family']) throw new Error('no font-family on the root');
  for (const e of els) {
    for (const [k, v] of Object.entries(e.attrs)) {
      if (k === 'xmlns') continue;
      // Standalone: nothing fetched from elsewhere. Data URIs and in-document #ids only.
      if (/^(https?:|\/\/)/.test(v) || (k.endsWith('href') && !v.startsWith('data:') && !v.startsWith('#'))) {
        throw new Error(`external reference ${k}="${v.slice(0, 60)}" in <${e.name}>`);
      }
    }
  }
  return els;
}
