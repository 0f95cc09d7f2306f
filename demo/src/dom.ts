/** Small DOM helpers shared by the demo's modules. */

/** The element with `id`, checked to be of `type`; a missing element is a bug in index.html. */
export function byId<T extends HTMLElement = HTMLElement>(id: string, type?: new () => T): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no element #${id}`);
  if (type && !(el instanceof type)) throw new Error(`#${id} is a <${el.tagName.toLowerCase()}>, not a ${type.name}`);
  return el as T;
}

/** A new element with attributes and children (strings become text nodes, never HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  el.append(...children);
  return el;
}

/**
 * Puts an SVG document made by src/report (our own markup, escaped there) into `container`. The
 * page's own HTML parser reads it in place: quicker than parsing a separate XML document and
 * importing its nodes, which held the page's thread for tens of milliseconds per figure.
 */
export function showSvg(container: Element, svg: string): void {
  container.innerHTML = svg.replace(/^<\?xml[^>]*>\s*/, '');
}

/** Resolves in a later task: work after it runs apart from the work before, so neither holds the page long. */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Offers `bytes` as a file download. */
export function download(bytes: Uint8Array<ArrayBuffer> | string, name: string, type: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** What an error says, split into the problem and the advice (wgml errors carry a `hint`). */
export function describeError(e: unknown): { message: string; hint?: string } {
  if (e instanceof Error) {
    const hint = (e as { hint?: unknown }).hint;
    if (typeof hint === 'string' && hint) {
      // WgmlError appends the hint to the message after a newline; show it once, separately, after a full stop.
      const message = e.message.split('\n')[0]!;
      return { message: /[.!?]$/.test(message) ? message : `${message}.`, hint };
    }
    return { message: e.message };
  }
  return { message: String(e) };
}

/** A number with thousands separators. */
export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A fraction as a percentage with one decimal. */
export const percent = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');

/** "1 class", "10 classes". */
export const classCount = (n: number): string => `${n} ${n === 1 ? 'class' : 'classes'}`;

/** Seconds as "42 s", "3 min 05 s" or "1 h 02 min". */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * File pickers drawn as buttons (a label around a hidden file input) reachable and usable from the
 * keyboard: focusable, and Enter or Space opens the file dialog as a click would.
 */
export function keyboardFilePickers(root: ParentNode = document): void {
  for (const label of root.querySelectorAll<HTMLLabelElement>('label.button')) {
    const input = label.querySelector<HTMLInputElement>('input[type="file"]');
    if (!input) continue;
    label.tabIndex = 0;
    label.setAttribute('role', 'button');
    label.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      e.preventDefault();
      if (!input.disabled) input.click();
    });
  }
}
