/**
 * WGSL sources, read from `shaders/*.wgsl` by Vite's glob import: the browser build, Vitest and the
 * Node CLI (run through vite-node) all see the same files, with no second copy to keep in sync.
 *
 * A shader may start with `//! requires: a, b` to have shared WGSL modules (e.g. `activation`)
 * prepended; that is the only composition we do. A caller may swap a required module for another
 * with the same interface (matmul's f32 operands for packed halves, say).
 */
const files = import.meta.glob<string>('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true });

const byName = new Map(
  Object.entries(files).map(([path, source]) => [path.replace(/^.*\/(.+)\.wgsl$/, '$1'), source]),
);

export function shaderNames(): string[] {
  return [...byName.keys()].sort();
}

/**
 * The full source of shader `name`, with its required modules prepended once each, dependencies
 * first; `swaps` maps a required module's name to the module to include in its place.
 */
export function shaderSource(name: string, swaps: Readonly<Record<string, string>> = {}): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  const visit = (required: string, from: string) => {
    const n = swaps[required] ?? required;
    if (seen.has(n)) return;
    seen.add(n);
    const src = byName.get(n);
    if (src === undefined) throw new Error(`Unknown shader '${n}' (required by ${from}); have: ${shaderNames().join(', ')}`);
    const requires = /^\/\/! requires:(.*)$/m.exec(src)?.[1];
    for (const dep of requires?.split(',').map((s) => s.trim()).filter(Boolean) ?? []) visit(dep, n);
    parts.push(src);
  };
  visit(name, 'caller');
  return parts.join('\n');
}
