// Bundles the package's declarations: dist/index.d.ts (`wgml`) and dist/node.d.ts (`wgml/node`).
// tsc (tsconfig.build.json) emits one .d.ts per source module into a temporary folder; rollup with
// rollup-plugin-dts joins them per entry. Types both entries use go into shared files under
// dist/types/, so `wgml` and `wgml/node` name one and the same declaration of each (a class with
// private members declared twice would be two incompatible types). Every file starts with a
// reference to @webgpu/types (a dependency), which declares GPUDevice and the other WebGPU globals.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist');
const emitted = mkdtempSync(join(tmpdir(), 'wgml-types-'));

try {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', emitted], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${run.status ?? run.signal})`);

  rmSync(join(out, 'types'), { recursive: true, force: true });
  const bundle = await rollup({
    input: { index: join(emitted, 'index.d.ts'), node: join(emitted, 'node.d.ts') },
    plugins: [dts({ respectExternal: false })],
    // Dependencies stay imports (their own types); only wgml's modules are bundled.
    external: (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'),
  });
  await bundle.write({
    dir: out,
    format: 'es',
    entryFileNames: '[name].d.ts',
    // A chunk of `x.d.ts` is named `x.d`: written as types/x-<hash>.d.ts, imported as types/x-<hash>.js.
    chunkFileNames: (chunk) => `types/${chunk.name.replace(/\.d$/, '')}-[hash].d.ts`,
    banner: '/// <reference types="@webgpu/types" />',
  });
  await bundle.close();

  // Nothing may lean on types a consumer need not have: Node's, or Vite's client types.
  const shared = existsSync(join(out, 'types')) ? readdirSync(join(out, 'types')).map((f) => `types/${f}`) : [];
  for (const file of [...readdirSync(out).filter((f) => f.endsWith('.d.ts')), ...shared]) {
    const text = readFileSync(join(out, file), 'utf8');
    const bad = /\/\/\/\s*<reference\s+types="(node|vite\/client)"|from\s+['"]node:|from\s+['"]vite/.exec(text);
    if (bad) throw new Error(`dist/${file} needs '${bad[0]}': a public signature uses Node's or Vite's types, which a consumer may not have.`);
  }
} finally {
  rmSync(emitted, { recursive: true, force: true });
}
