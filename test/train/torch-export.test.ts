/**
 * The PyTorch export (src/train/torch-export.ts), checked without PyTorch (not installable here):
 * the exported file is decoded, its Python module source is parsed, and a float64 reimplementation
 * of PyTorch's semantics, written here from PyTorch's documentation (NCHW activations, OIHW conv
 * weights, `padding='same'|int|tuple`, nn.ZeroPad2d((left, right, top, bottom)), MaxPool2d in floor
 * mode, Linear as x @ W.T + b, Flatten in (C, H, W) order, Dropout as the identity in eval mode),
 * runs it on raw NCHW inputs with the file's pre-processing. Its logits must match the NHWC float64
 * oracle of test/oracle run on wgml's own weights, and, for one model, wgml's predict on the GPU.
 * Deliberately wrong conversions (reshape instead of transpose, NHWC flatten order, a reshaped conv
 * kernel) must fail the same comparison, so the test cannot pass vacuously.
 */
import { describe, expect, it } from 'vitest';
import type { PixelAffine } from '../../src/data/preprocess';
import { decodeSafetensors, type NamedTensor } from '../../src/io/safetensors';
import { conv2dGeometry } from '../../src/kernels/conv2d';
import { Conv2d } from '../../src/layers/conv2d';
import { Dense } from '../../src/layers/dense';
import { Dropout } from '../../src/layers/dropout';
import { Flatten } from '../../src/layers/flatten';
import { MaxPool2d } from '../../src/layers/maxpool2d';
import { seedModel } from '../../src/models/seed-models';
import { Sequential } from '../../src/models/sequential';
import { loadModel } from '../../src/models/load';
import { encodeTorchExport, toTorch, TORCH_FORMAT, type TorchExport } from '../../src/train/torch-export';
import { encodeWeights } from '../../src/train/weights';
import { conv2dForwardRef, maxPoolForwardRef } from '../oracle/conv';
import { denseForwardRef } from '../oracle/dense';
import { softmaxRef } from '../oracle/loss';
import { useGpu } from '../support/gpu';

// ---------------------------------------------------------------------------------------------
// Fixed-seed inputs

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0; // mulberry32
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Glorot-uniform kernels and small non-zero biases, so every tensor and every bias matters. */
function randomParams(model: Sequential, next: () => number): Float32Array {
  const params = new Float32Array(model.params.totalElements);
  for (const e of model.params.entries) {
    const init = e.spec.init;
    const limit = init.kind === 'glorot-uniform' ? Math.sqrt(6 / (init.fanIn + init.fanOut)) : 0.2;
    for (let i = 0; i < e.count; i++) params[e.offset + i] = (2 * next() - 1) * limit;
  }
  return params;
}

/** Raw uint8 pixels, NHWC (wgml's layout). */
const randomImages = (count: number, size: number, next: () => number) => Uint8Array.from({ length: count * size }, () => Math.floor(next() * 256));

/** A per-value pre-processing that differs pixel by pixel and channel by channel, so an input in the wrong order shows. */
function perPixelAffine(size: number, next: () => number): PixelAffine {
  return { scale: Float32Array.from({ length: size }, () => 0.002 + 0.01 * next()), shift: Float32Array.from({ length: size }, () => 2 * next() - 1) };
}

// ---------------------------------------------------------------------------------------------
// wgml's side: the NHWC float64 oracle on wgml's own parameters (dropout is the identity at inference)

function nhwcLogits(model: Sequential, params: Float32Array, affine: PixelAffine, images: Uint8Array, n: number): Float64Array {
  const size = model.inputSize;
  let a: ArrayLike<number> = Float64Array.from(images, (v, i) => v * affine.scale[i % size]! + affine.shift[i % size]!);
  const tensor = (layer: number, name: string) => {
    const e = model.params.entries.find((p) => p.layer === layer && p.spec.name === name)!;
    return params.subarray(e.offset, e.offset + e.count);
  };
  model.layers.forEach((layer, i) => {
    const [inShape, outShape] = [model.shapes[i]!, model.shapes[i + 1]!];
    if (layer instanceof Dense) {
      a = denseForwardRef(a, tensor(i, 'kernel'), tensor(i, 'bias'), n, layer.units, inShape[0]!, layer.activation === 'softmax' ? 'linear' : layer.activation);
    } else if (layer instanceof Conv2d) {
      const [h, w, cin] = inShape as [number, number, number];
      const g = conv2dGeometry({ h, w, cin, kh: layer.kh, kw: layer.kw, cout: layer.filters, stride: layer.stride, padding: layer.padding });
      a = conv2dForwardRef(a, tensor(i, 'kernel'), tensor(i, 'bias'), { n, h, w, cin, kh: g.kh, kw: g.kw, cout: g.cout, stride: g.stride, padTop: g.padTop, padLeft: g.padLeft, oh: g.oh, ow: g.ow }, layer.activation);
    } else if (layer instanceof MaxPool2d) {
      const [h, w, c] = inShape as [number, number, number];
      a = maxPoolForwardRef(a, { n, h, w, c, ph: layer.pool[0], pw: layer.pool[1], sh: layer.stride[0], sw: layer.stride[1], oh: outShape[0]!, ow: outShape[1]! }).y;
    } else if (!(layer instanceof Dropout) && !(layer instanceof Flatten)) {
      throw new Error(`no oracle for ${layer.kind}`);
    }
  });
  return Float64Array.from(a);
}

// ---------------------------------------------------------------------------------------------
// PyTorch's side: the module source parsed, then run with PyTorch's semantics in float64

type PyValue = number | string | PyValue[];
interface PyCall {
  type: string;
  args: PyValue[];
  kwargs: Record<string, PyValue>;
}

/** The modules of the exported `nn.Sequential(...)` source, one `nn.X(...),  # comment` a line. */
function parseSequential(code: string): PyCall[] {
  const lines = code.split('\n');
  expect(lines[0]).toBe('nn.Sequential(');
  expect(lines.at(-1)).toBe(')');
  return lines.slice(1, -1).map((line) => {
    const m = /^ {4}nn\.(\w+)\((.*)\),\s+#.*$/.exec(line);
    if (!m) throw new Error(`not a module line: ${line}`);
    const call: PyCall = { type: m[1]!, args: [], kwargs: {} };
    for (const part of splitTopLevel(m[2]!)) {
      const kw = /^(\w+)=(.*)$/.exec(part);
      if (kw) call.kwargs[kw[1]!] = pyLiteral(kw[2]!);
      else call.args.push(pyLiteral(part));
    }
    return call;
  });
}

function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur.trim());
  return parts;
}

function pyLiteral(s: string): PyValue {
  if (s.startsWith('(')) return splitTopLevel(s.slice(1, -1)).map(pyLiteral);
  if (/^'[^']*'$/.test(s)) return s.slice(1, -1);
  if (!/^-?\d+(\.\d+)?(e[-+]?\d+)?$/.test(s)) throw new Error(`not a Python literal this test knows: ${s}`);
  return Number(s);
}

/** PyTorch's `_pair`: an int or a 2-tuple. */
const pair = (v: PyValue | undefined, dflt: number): [number, number] => {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return v as [number, number];
  throw new Error(`not an int or a pair: ${JSON.stringify(v)}`);
};

interface T4 {
  data: Float64Array;
  shape: number[];
}

/** Runs the parsed module list on an NCHW (or [N, features]) batch, after checking the state dict as load_state_dict(strict=True) would. */
function torchForward(calls: PyCall[], stateDict: ReadonlyMap<string, NamedTensor>, input: T4): T4 {
  const expected = new Map<string, number[]>();
  calls.forEach((c, i) => {
    if (c.type === 'Conv2d') {
      const [kh, kw] = pair(c.kwargs.kernel_size ?? c.args[2], 0);
      expected.set(`${i}.weight`, [c.args[1] as number, c.args[0] as number, kh, kw]).set(`${i}.bias`, [c.args[1] as number]);
    } else if (c.type === 'Linear') {
      expected.set(`${i}.weight`, [c.args[1] as number, c.args[0] as number]).set(`${i}.bias`, [c.args[1] as number]);
    }
  });
  expect([...stateDict.keys()].sort(), 'the state dict keys (strict=True)').toEqual([...expected.keys()].sort());
  for (const [name, shape] of expected) expect(stateDict.get(name)!.shape, name).toEqual(shape);

  let x = input;
  calls.forEach((c, i) => {
    const weight = stateDict.get(`${i}.weight`)?.data;
    const bias = stateDict.get(`${i}.bias`)?.data;
    const [n] = x.shape as [number];
    switch (c.type) {
      case 'Conv2d': {
        const [cin, cout] = [c.args[0] as number, c.args[1] as number];
        const [kh, kw] = pair(c.kwargs.kernel_size, 0);
        const [sh, sw] = pair(c.kwargs.stride, 1);
        const [, C, H, W] = x.shape as [number, number, number, number];
        expect(C).toBe(cin);
        let [pt, pb, pl, pr] = [0, 0, 0, 0];
        if (c.kwargs.padding === 'same') {
          // torch: "padding='same' is not supported for strided convolutions"; the extra of an odd total goes last.
          if (sh !== 1 || sw !== 1) throw new Error("padding='same' with stride > 1");
          [pt, pb, pl, pr] = [Math.floor((kh - 1) / 2), Math.ceil((kh - 1) / 2), Math.floor((kw - 1) / 2), Math.ceil((kw - 1) / 2)];
        } else if (c.kwargs.padding !== undefined && c.kwargs.padding !== 'valid') {
          const [ph, pw] = pair(c.kwargs.padding, 0);
          [pt, pb, pl, pr] = [ph, ph, pw, pw];
        }
        const OH = Math.floor((H + pt + pb - kh) / sh) + 1;
        const OW = Math.floor((W + pl + pr - kw) / sw) + 1;
        const y = new Float64Array(n * cout * OH * OW);
        for (let b = 0; b < n; b++) for (let o = 0; o < cout; o++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
          let s = bias![o]!;
          for (let ci = 0; ci < cin; ci++) for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
            const [iy, ix] = [oy * sh + ky - pt, ox * sw + kx - pl];
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            s += x.data[((b * C + ci) * H + iy) * W + ix]! * weight![((o * cin + ci) * kh + ky) * kw + kx]!;
          }
          y[((b * cout + o) * OH + oy) * OW + ox] = s;
        }
        x = { data: y, shape: [n, cout, OH, OW] };
        break;
      }
      case 'ZeroPad2d': {
        const [l, r, t, bt] = c.args[0] as number[];
        const [, C, H, W] = x.shape as [number, number, number, number];
        const [PH, PW] = [H + t! + bt!, W + l! + r!];
        const y = new Float64Array(n * C * PH * PW);
        for (let b = 0; b < n; b++) for (let ch = 0; ch < C; ch++) for (let iy = 0; iy < H; iy++) for (let ix = 0; ix < W; ix++) {
          y[((b * C + ch) * PH + iy + t!) * PW + ix + l!] = x.data[((b * C + ch) * H + iy) * W + ix]!;
        }
        x = { data: y, shape: [n, C, PH, PW] };
        break;
      }
      case 'MaxPool2d': {
        const [kh, kw] = pair(c.kwargs.kernel_size ?? c.args[0], 0);
        const [sh, sw] = c.kwargs.stride === undefined ? [kh, kw] : pair(c.kwargs.stride, 0);
        const [, C, H, W] = x.shape as [number, number, number, number];
        const [OH, OW] = [Math.floor((H - kh) / sh) + 1, Math.floor((W - kw) / sw) + 1]; // ceil_mode=False
        const y = new Float64Array(n * C * OH * OW).fill(-Infinity);
        for (let b = 0; b < n; b++) for (let ch = 0; ch < C; ch++) for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
          const o = ((b * C + ch) * OH + oy) * OW + ox;
          for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) y[o] = Math.max(y[o]!, x.data[((b * C + ch) * H + oy * sh + ky) * W + ox * sw + kx]!);
        }
        x = { data: y, shape: [n, C, OH, OW] };
        break;
      }
      case 'Flatten': // start_dim=1: the row-major NCHW values, read as [N, C*H*W]
        x = { data: x.data, shape: [n, x.shape.slice(1).reduce((a, b) => a * b, 1)] };
        break;
      case 'Linear': {
        const [inF, outF] = [c.args[0] as number, c.args[1] as number];
        expect(x.shape).toEqual([n, inF]);
        const y = new Float64Array(n * outF);
        for (let b = 0; b < n; b++) for (let o = 0; o < outF; o++) {
          let s = bias![o]!;
          for (let j = 0; j < inF; j++) s += x.data[b * inF + j]! * weight![o * inF + j]!; // x @ W.T
          y[b * outF + o] = s;
        }
        x = { data: y, shape: [n, outF] };
        break;
      }
      case 'ReLU':
        x = { data: x.data.map((v) => Math.max(v, 0)), shape: x.shape };
        break;
      case 'Sigmoid':
        x = { data: x.data.map((v) => 1 / (1 + Math.exp(-v))), shape: x.shape };
        break;
      case 'Dropout': // model.eval()
        expect(typeof c.kwargs.p).toBe('number');
        break;
      default:
        throw new Error(`no PyTorch reference for nn.${c.type}`);
    }
  });
  return x;
}

/** The exported file as PyTorch would get it: decoded, its module source parsed, its pre-processing applied to raw NCHW values. */
function torchLogits(file: Uint8Array, images: Uint8Array, n: number, model: Sequential, stateDict?: Map<string, NamedTensor>): Float64Array {
  const decoded = decodeSafetensors(file, 'export', '');
  const input = JSON.parse(decoded.metadata.input!) as { layout: string; shape: number[] };
  const pre = JSON.parse(decoded.metadata.preprocess!) as { shape: number[]; scale: number | number[]; shift: number | number[] };
  expect(pre.shape).toEqual(input.shape);
  // Raw NHWC bytes -> NCHW, as x.permute(0, 3, 1, 2) does.
  const size = model.inputSize;
  const raw = new Float64Array(n * size);
  if (model.inputShape.length === 3) {
    const [h, w, c] = model.inputShape as [number, number, number];
    expect(input).toMatchObject({ layout: 'NCHW', shape: [c, h, w] });
    for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[b * size + (ch * h + y) * w + x] = images[b * size + (y * w + x) * c + ch]!;
  } else {
    raw.set(images);
  }
  const at = (v: number | number[], i: number) => (typeof v === 'number' ? v : v[i % size]!);
  const x = raw.map((v, i) => v * at(pre.scale, i) + at(pre.shift, i));
  return torchForward(parseSequential(decoded.metadata.torch_module!), stateDict ?? decoded.tensors, { data: x, shape: [n, ...input.shape] }).data;
}

/** max |a - b| / max(1, max |a|), and how many rows' argmax differ. */
function compare(a: Float64Array, b: Float64Array, classes: number): { err: number; argmaxDiffers: number } {
  expect(b.length).toBe(a.length);
  const scale = Math.max(1, ...Array.from(a, Math.abs));
  let err = 0;
  for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!) / scale);
  let argmaxDiffers = 0;
  for (let r = 0; r < a.length / classes; r++) {
    const row = (v: Float64Array) => Array.from(v.subarray(r * classes, (r + 1) * classes));
    const best = (v: number[]) => v.indexOf(Math.max(...v));
    if (best(row(a)) !== best(row(b))) argmaxDiffers++;
  }
  return { err, argmaxDiffers };
}

// ---------------------------------------------------------------------------------------------

interface Case {
  name: string;
  build: () => Sequential;
  /** The modules expected, in order: PyTorch's indices follow from it. */
  modules: string[];
  uniform?: boolean;
}

const CASES: Case[] = [
  {
    name: "the seed cnn ('same' at stride 1, dropout, pooling, NCHW flatten)",
    build: () => seedModel('cnn').build(),
    modules: ['Conv2d', 'ReLU', 'Dropout', 'MaxPool2d', 'Conv2d', 'ReLU', 'Dropout', 'MaxPool2d', 'Flatten', 'Linear', 'ReLU', 'Linear'],
    uniform: true,
  },
  {
    name: "stride 2 'same' (asymmetric: ZeroPad2d) and 'valid', a non-square kernel, dropout between Flatten and Linear",
    build: () => new Sequential({ input: [12, 10, 3], layers: [
      new Conv2d({ filters: 6, kernelSize: 3, stride: 2, padding: 'same', activation: 'relu' }),
      new Conv2d({ filters: 5, kernelSize: [2, 3], stride: 2, padding: 'valid', activation: 'sigmoid' }),
      new Flatten(), new Dropout({ rate: 0.3 }),
      new Dense({ units: 7, activation: 'sigmoid' }), new Dense({ units: 4, activation: 'softmax' })] }),
    modules: ['ZeroPad2d', 'Conv2d', 'ReLU', 'Conv2d', 'Sigmoid', 'Flatten', 'Dropout', 'Linear', 'Sigmoid', 'Linear'],
  },
  {
    name: "non-square kernels: an even width at stride 1 'same' (ZeroPad2d), an overlapping non-square pool, stride 2 'same' with symmetric padding",
    build: () => new Sequential({ input: [11, 8, 2], layers: [
      new Conv2d({ filters: 4, kernelSize: [3, 2], padding: 'same', activation: 'sigmoid' }),
      new MaxPool2d({ poolSize: [2, 3], stride: [2, 1] }),
      new Conv2d({ filters: 3, kernelSize: [1, 3], stride: 2, padding: 'same' }),
      new Conv2d({ filters: 5, kernelSize: 3, stride: 2, padding: 'same', activation: 'relu' }),
      new Flatten(), new Dense({ units: 6, activation: 'softmax' })] }),
    modules: ['ZeroPad2d', 'Conv2d', 'Sigmoid', 'MaxPool2d', 'ZeroPad2d', 'Conv2d', 'Conv2d', 'ReLU', 'Flatten', 'Linear'],
  },
  {
    name: 'an MLP on flat input (a linear hidden layer: no activation module)',
    build: () => new Sequential({ input: [20], layers: [
      new Dense({ units: 16, activation: 'relu' }), new Dropout({ rate: 0.5 }), new Dense({ units: 8, activation: 'sigmoid' }),
      new Dense({ units: 6 }), new Dense({ units: 3, activation: 'softmax' })] }),
    modules: ['Linear', 'ReLU', 'Dropout', 'Linear', 'Sigmoid', 'Linear', 'Linear'],
  },
  {
    name: 'an MLP with a Flatten of a 3-channel image',
    build: () => new Sequential({ input: [6, 5, 3], layers: [new Flatten(), new Dense({ units: 12, activation: 'relu' }), new Dense({ units: 4, activation: 'softmax' })] }),
    modules: ['Flatten', 'Linear', 'ReLU', 'Linear'],
  },
  {
    name: 'an MLP with a Flatten of a 2-D input (NHW)',
    build: () => new Sequential({ input: [4, 6], layers: [new Flatten(), new Dense({ units: 5, activation: 'softmax' })] }),
    modules: ['Flatten', 'Linear'],
  },
];

const N = 6;

function setup(c: Case, seed: number) {
  const next = rng(seed);
  const model = c.build();
  const params = randomParams(model, next);
  const affine = c.uniform ? { scale: new Float32Array(model.inputSize).fill(1 / 255), shift: new Float32Array(model.inputSize) } : perPixelAffine(model.inputSize, next);
  const images = randomImages(N, model.inputSize, next);
  const exported = toTorch(model, params, affine);
  return { model, params, affine, images, exported, file: encodeTorchExport(exported, { seed: String(seed) }) };
}

describe('toTorch: PyTorch names, layouts and module code', () => {
  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s: PyTorch semantics on the export = the NHWC oracle on wgml weights', (_, c, i) => {
    const { model, params, affine, images, exported, file } = setup(c, 1000 + i);
    expect(exported.modules.map((m) => m.type)).toEqual(c.modules);
    expect(exported.modules.map((m) => m.index)).toEqual(c.modules.map((_m, j) => j));
    const decoded = decodeSafetensors(file, 'export', '');
    expect(decoded.metadata).toMatchObject({ format: TORCH_FORMAT, model: model.name, output: 'logits', seed: String(1000 + i) });
    expect(JSON.parse(decoded.metadata.architecture!)).toEqual(model.toJSON());
    expect(decoded.metadata.torch_module).toBe(exported.code);
    // Every parameter, each once, in PyTorch's names; no pre-processing tensor (strict loading would refuse it).
    expect([...decoded.tensors.values()].reduce((s, t) => s + t.data.length, 0)).toBe(model.paramCount);
    expect([...decoded.tensors.keys()].every((k) => /^\d+\.(weight|bias)$/.test(k))).toBe(true);

    const want = nhwcLogits(model, params, affine, images, N);
    const got = torchLogits(file, images, N, model);
    const { err, argmaxDiffers } = compare(want, got, model.classes);
    expect(err).toBeLessThan(1e-5);
    expect(argmaxDiffers).toBe(0);
  });

  it('the pre-processing: x / 255 is one number; a per-pixel one is reordered to (C, H, W)', () => {
    const cnn = setup(CASES[0]!, 1);
    expect(cnn.exported.preprocess).toEqual({ shape: [1, 28, 28], scale: Math.fround(1 / 255), shift: 0, formula: 'x / 255' });
    const image = setup(CASES[4]!, 2); // [6, 5, 3]
    const pre = image.exported.preprocess!;
    expect(pre.shape).toEqual([3, 6, 5]);
    // channel 2, y 4, x 1
    expect((pre.scale as number[])[(2 * 6 + 4) * 5 + 1]).toBe(image.affine.scale[(4 * 5 + 1) * 3 + 2]);
    expect((pre.shift as number[])[(2 * 6 + 4) * 5 + 1]).toBe(image.affine.shift[(4 * 5 + 1) * 3 + 2]);
  });

  it('prints the module source with PyTorch arguments and the index of each module', () => {
    const code = setup(CASES[1]!, 3).exported.code;
    expect(code).toContain("nn.ZeroPad2d((0, 1, 0, 1)),");
    expect(code).toContain('nn.Conv2d(3, 6, kernel_size=3, stride=2),');
    expect(code).toContain('nn.Conv2d(6, 5, kernel_size=(2, 3), stride=2),');
    expect(code).toMatch(/nn\.Linear\(7, 4\), +# 9: dense_2: logits \(dense_2's softmax left out\)/);
    const cnn = setup(CASES[0]!, 4).exported.code;
    expect(cnn).toContain("nn.Conv2d(1, 64, kernel_size=3, padding='same'),");
    expect(cnn).toContain('nn.MaxPool2d(kernel_size=2, stride=2),');
    expect(cnn).toContain('nn.Dropout(p=0.2),');
    const odd = setup(CASES[2]!, 5).exported.code;
    expect(odd).toContain('nn.ZeroPad2d((0, 1, 1, 1)),');
    expect(odd).toContain('nn.MaxPool2d(kernel_size=(2, 3), stride=(2, 1)),');
    expect(odd).toContain('nn.Conv2d(3, 5, kernel_size=3, stride=2, padding=1),');
  });

  describe('a wrong conversion fails the same comparison (the test is not vacuous)', () => {
    /** The state dict with one tensor replaced by what a mistaken conversion of wgml's tensor gives. */
    function wrong(c: Case, seed: number, tensorName: string, convert: (kernel: Float32Array, shape: readonly number[]) => Float32Array) {
      const { model, params, affine, images, exported, file } = setup(c, seed);
      const target = exported.modules.find((m) => `${m.index}.weight` === tensorName)!;
      const layer = model.layers.findIndex((l) => l.name === target.layer);
      const e = model.params.entries.find((p) => p.layer === layer && p.spec.name === 'kernel')!;
      const tensors = new Map(decodeSafetensors(file, 'export', '').tensors);
      const right = tensors.get(tensorName)!;
      tensors.set(tensorName, { ...right, data: convert(params.subarray(e.offset, e.offset + e.count), e.spec.shape) });
      return compare(nhwcLogits(model, params, affine, images, N), torchLogits(file, images, N, model, tensors), model.classes);
    }
    const transpose = (k: Float32Array, [rows, cols]: readonly number[]) => Float32Array.from({ length: k.length }, (_, i) => k[(i % rows!) * cols! + Math.floor(i / rows!)]!);

    it('a Dense kernel reshaped to [out, in] instead of transposed', () => {
      expect(wrong(CASES[3]!, 11, '0.weight', (k) => k.slice()).err).toBeGreaterThan(1e-2);
      expect(wrong(CASES[0]!, 12, '11.weight', (k) => k.slice()).err).toBeGreaterThan(1e-2);
    });

    it('the first Linear after Flatten transposed but left in NHWC (y, x, channel) order', () => {
      expect(wrong(CASES[0]!, 13, '9.weight', transpose).err).toBeGreaterThan(1e-2);
      expect(wrong(CASES[4]!, 14, '1.weight', transpose).err).toBeGreaterThan(1e-2);
      // ...while for a Linear on flat input, the plain transpose is the right conversion (sanity check of `wrong`).
      expect(wrong(CASES[3]!, 15, '0.weight', transpose).err).toBeLessThan(1e-5);
    });

    it('a Conv2d kernel reshaped from HWIO to OIHW instead of permuted', () => {
      expect(wrong(CASES[0]!, 16, '4.weight', (k) => k.slice()).err).toBeGreaterThan(1e-2);
      expect(wrong(CASES[1]!, 17, '1.weight', (k) => k.slice()).err).toBeGreaterThan(1e-2);
    });
  });

  it('refuses a parameter buffer or a pre-processing of the wrong size', () => {
    const model = CASES[4]!.build();
    expect(() => toTorch(model, new Float32Array(3))).toThrow(/parameter buffer/);
    expect(() => toTorch(model, new Float32Array(model.params.totalElements), { scale: new Float32Array(2), shift: new Float32Array(2) })).toThrow(/pre-processing/);
  });
});

describe("toTorch against wgml's own GPU predict", { timeout: 300_000 }, () => {
  const gpu = useGpu();

  it('stride 2 with ZeroPad2d: softmax of the PyTorch-semantics logits = model.predict', async () => {
    const { model, params, affine, images, file } = setup(CASES[1]!, 21);
    const loaded = loadModel(encodeWeights(model, params, affine), 'random weights');
    await loaded.compile(gpu());
    try {
      const probabilities = await loaded.predict(images);
      const want = softmaxRef(torchLogits(file, images, N, model), N, model.classes);
      // float32 on the GPU against float64: probabilities within 1e-5.
      for (let i = 0; i < want.length; i++) expect(Math.abs(probabilities[i]! - want[i]!), `probability ${i}`).toBeLessThan(1e-5);
    } finally {
      loaded.release();
    }
  });
});
