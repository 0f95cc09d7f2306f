/**
 * `wgml export --layout torch`: weights from a model trained here (a tiny fit on synthetic data)
 * become a PyTorch state-dict file with the module code in its metadata, written atomically; bad
 * input exits 2 with a message before anything is written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDataset } from '../../src/data/dataset';
import { decodeSafetensors } from '../../src/io/safetensors';
import { Conv2d } from '../../src/layers/conv2d';
import { Dense } from '../../src/layers/dense';
import { Flatten } from '../../src/layers/flatten';
import { loadModel } from '../../src/models/load';
import { Sequential } from '../../src/models/sequential';
import { toTorch, TORCH_FORMAT } from '../../src/train/torch-export';
import { useGpu } from '../support/gpu';

function cli(...args: string[]) {
  const r = spawnSync('npx', ['vite-node', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, WGML_DATA: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('wgml export', { timeout: 600_000 }, () => {
  const gpu = useGpu();
  const dir = mkdtempSync(join(tmpdir(), 'wgml-export-'));
  const weights = join(dir, 'weights.safetensors');
  let saved: Uint8Array;

  beforeAll(async () => {
    // [6, 6, 2] images: a stride-2 'same' conv (ZeroPad2d in PyTorch), a Flatten of an image, per-pixel standardisation.
    const model = new Sequential({ name: 'tiny', input: [6, 6, 2], layers: [
      new Conv2d({ filters: 3, kernelSize: 3, stride: 2, padding: 'same', activation: 'relu' }), new Flatten(), new Dense({ units: 3, activation: 'softmax' })] });
    let s = 7;
    const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
    const images = Uint8Array.from({ length: 96 * 72 }, () => Math.floor(next() * 256));
    const labels = Uint32Array.from({ length: 96 }, (_, i) => i % 3);
    const data = createDataset({ train: { images, labels }, shape: [6, 6, 2], classes: 3 }, { preprocessing: 'standardize', validationSplit: 0.25 });
    await model.compile(gpu(), { seed: 3 });
    try {
      await model.fit(data, { epochs: 1, batchSize: 16 });
      saved = await model.save({ seed: '3' });
    } finally {
      model.release();
    }
    writeFileSync(weights, saved);
  });

  it('writes the PyTorch state dict and prints the module code and the load line', async () => {
    const out = join(dir, 'tiny-torch.safetensors');
    const r = cli('export', '--weights', dir, '--layout', 'torch', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`model.load_state_dict(safetensors.torch.load_file(${JSON.stringify(out)}), strict=True)`);
    expect(r.out).toMatch(/^model = nn\.Sequential\($/m);
    expect(r.out).toMatch(/^ {4}nn\.ZeroPad2d\(\(0, 1, 0, 1\)\), +# 0: conv2d_1's 'same' padding$/m);
    expect(r.out).toMatch(/^ {4}nn\.Conv2d\(2, 3, kernel_size=3, stride=2\), +# 1: conv2d_1$/m);
    expect(r.out).toMatch(/^ {4}nn\.Linear\(27, 3\), +# 4: dense_1: logits/m);
    expect(r.out).toContain('input: NCHW float32 [N, 2, 6, 6], pre-processed (x * scale + shift); output: logits');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const file = decodeSafetensors(new Uint8Array(readFileSync(out)), out, '');
    expect([...file.tensors.values()].map((t) => [t.name, t.shape])).toEqual([
      ['1.weight', [3, 2, 3, 3]], ['1.bias', [3]], ['4.weight', [3, 27]], ['4.bias', [3]]]);
    const model = loadModel(saved, 'saved');
    const expected = toTorch(model, await model.getWeights(), model.preprocessing);
    for (const t of expected.stateDict) expect(Array.from(file.tensors.get(t.name)!.data), t.name).toEqual(Array.from(t.data));
    expect(file.metadata).toMatchObject({ format: TORCH_FORMAT, model: 'tiny', output: 'logits', source: 'weights.safetensors' });
    expect(JSON.parse(file.metadata.architecture!)).toEqual(model.toJSON());
    expect(JSON.parse(file.metadata.input!)).toEqual({ layout: 'NCHW', shape: [2, 6, 6], dtype: 'float32', preprocessed: true });
    expect(file.metadata.torch_module).toMatch(/^nn\.Sequential\(\n {4}nn\.ZeroPad2d/);
    // The standardisation, per value, in (C, H, W) order: channel 1, y 2, x 5 is wgml's NHWC value (2 * 6 + 5) * 2 + 1.
    const pre = JSON.parse(file.metadata.preprocess!) as { shape: number[]; scale: number[]; shift: number[]; formula: string };
    expect(pre.shape).toEqual([2, 6, 6]);
    expect(pre.scale).toHaveLength(72);
    expect(pre.scale[(1 * 6 + 2) * 6 + 5]).toBe(model.preprocessing!.scale[(2 * 6 + 5) * 2 + 1]);
    expect(pre.shift[(1 * 6 + 2) * 6 + 5]).toBe(model.preprocessing!.shift[(2 * 6 + 5) * 2 + 1]);
  });

  it('the file holds the trained weights, converted: Conv2d OIHW, Linear [out, in] in NCHW flatten order', async () => {
    const out = join(dir, 'file-arg.safetensors');
    const r = cli('export', '--weights', weights, '--layout', 'torch', '--out', out);
    expect(r.code, r.err).toBe(0);
    const model = loadModel(saved, 'saved');
    const params = await model.getWeights();
    const tensor = (layer: string, name: string) => {
      const e = model.params.entries.find((p) => p.layerName === layer && p.spec.name === name)!;
      return params.subarray(e.offset, e.offset + e.count);
    };
    const file = decodeSafetensors(new Uint8Array(readFileSync(out)), out, '').tensors;
    const conv = tensor('conv2d_1', 'kernel'); // [3, 3, 2, 3] HWIO
    const dense = tensor('dense_1', 'kernel'); // [27, 3], rows in (y, x, channel) order of a 3x3x3 image
    // OIHW [o=2, i=1, ky=0, kx=2] = HWIO [0, 2, 1, 2]
    expect(file.get('1.weight')!.data[((2 * 2 + 1) * 3 + 0) * 3 + 2]).toBe(conv[((0 * 3 + 2) * 2 + 1) * 3 + 2]);
    // Linear [o=1, j=(c=2, y=1, x=0)] = Dense [(y=1, x=0, c=2), 1]
    expect(file.get('4.weight')!.data[1 * 27 + (2 * 3 + 1) * 3 + 0]).toBe(dense[((1 * 3 + 0) * 3 + 2) * 3 + 1]);
    expect(Array.from(file.get('4.bias')!.data)).toEqual(Array.from(tensor('dense_1', 'bias')));
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(readFileSync(join(dir, 'tiny-torch.safetensors'))))).toBe(true);
  });

  it('prints its help', () => {
    const r = cli('export', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: wgml export');
    expect(r.out).toContain('--layout <name>');
  });

  it.each([
    [['--weights', '/nonexistent/run', '--layout', 'torch'], 'out.safetensors', /No weights at '\/nonexistent\/run'/],
    [['--weights', 'GARBAGE', '--layout', 'torch'], 'out.safetensors', /is not a valid safetensors file/],
    [['--weights', 'WEIGHTS', '--layout', 'keras'], 'out.safetensors', /--layout must be one of torch, got 'keras'/],
    [['--weights', 'WEIGHTS', '--layout', 'torch'], 'no-such-folder/out.safetensors', /Cannot write '.*no-such-folder\/out.safetensors': the folder .* does not exist/],
    [['--weights', 'WEIGHTS', '--layout', 'torch'], '/proc/wgml-export.safetensors', /Cannot write '\/proc\/wgml-export.safetensors'/],
    [['--weights', 'WEIGHTS', '--layout', 'torch'], 'weights.safetensors', /it is the weights file being converted/],
    [['--weights', 'WEIGHTS', '--layout', 'torch'], '.', /Cannot write .*: it is a folder/],
    [['--weights', 'WEIGHTS'], 'out.safetensors', /required option '--layout <name>' not specified/],
  ])('%j --out %s exits 2 with a clear message and writes nothing', (args, out, message) => {
    const garbage = join(dir, 'garbage.safetensors');
    writeFileSync(garbage, 'not a safetensors file');
    const before = readdirSync(dir).sort();
    const outPath = out.startsWith('/') ? out : join(dir, out);
    const r = cli('export', ...args.map((a) => (a === 'GARBAGE' ? garbage : a === 'WEIGHTS' ? weights : a)), '--out', outPath);
    expect(r.code, r.out).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/at .*\.ts:\d+/);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(Buffer.from(readFileSync(weights)).equals(Buffer.from(saved))).toBe(true);
    if (out === 'out.safetensors') expect(existsSync(outPath)).toBe(false);
  });
});
