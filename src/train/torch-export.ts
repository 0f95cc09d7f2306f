import { UsageError } from '../errors';
import type { PixelAffine } from '../data/preprocess';
import { encodeSafetensors, type NamedTensor } from '../io/safetensors';
import { conv2dGeometry } from '../kernels/conv2d';
import { Conv2d } from '../layers/conv2d';
import { Dense } from '../layers/dense';
import { Dropout } from '../layers/dropout';
import { Flatten } from '../layers/flatten';
import { MaxPool2d } from '../layers/maxpool2d';
import type { Sequential } from '../models/sequential';

/**
 * A wgml model for PyTorch users (docs/weights.md): the parameters under the state-dict names and
 * in the layouts of the equivalent `torch.nn.Sequential`, and that module's Python source.
 *
 * What changes on the way: a Dense kernel [in, out] becomes a Linear weight [out, in] (a transpose,
 * not a reshape); a Conv2d kernel [kh, kw, cin, cout] (HWIO) becomes OIHW; PyTorch runs NCHW, so
 * the first Linear after a Flatten of an image has its input rows re-ordered from wgml's (y, x,
 * channel) flatten order to PyTorch's (channel, y, x). Each layer with a non-linear activation
 * becomes two modules (e.g. Conv2d, ReLU); Dropout, MaxPool2d and Flatten are modules too, so the
 * indices (`0.weight`, `3.bias`, …) are PyTorch's own. Keras' 'same' padding that is not the same
 * on both sides (stride > 1, or an even kernel) becomes an `nn.ZeroPad2d((left, right, top,
 * bottom))` module before the convolution. The final softmax is left out: the module returns
 * logits (`torch.softmax(logits, dim=1)` gives wgml's probabilities). The pre-processing is not
 * part of the state dict (load_state_dict(strict=True) would refuse it): it is in `preprocess`.
 */
export const TORCH_FORMAT = 'wgml-torch/1';

/** What every module has: its place in the nn.Sequential, where it comes from, its Python. */
export interface TorchModuleBase {
  /** Its index in the nn.Sequential: the prefix of its state-dict keys (`3.weight`). */
  readonly index: number;
  /** The wgml layer it comes from (an activation or a padding module names its layer too). */
  readonly layer: string;
  /** Its Python constructor call, e.g. `nn.Linear(784, 10)`. */
  readonly code: string;
}

/** One module of the equivalent `nn.Sequential`, in order, with PyTorch's constructor arguments. */
export type TorchModule = TorchModuleBase & (
  | { readonly type: 'Conv2d'; readonly inChannels: number; readonly outChannels: number; readonly kernelSize: readonly [number, number]; readonly stride: number; readonly padding: 'same' | readonly [number, number] }
  /** `padding` is (left, right, top, bottom), as nn.ZeroPad2d takes it. */
  | { readonly type: 'ZeroPad2d'; readonly padding: readonly [number, number, number, number] }
  | { readonly type: 'MaxPool2d'; readonly kernelSize: readonly [number, number]; readonly stride: readonly [number, number] }
  | { readonly type: 'Dropout'; readonly p: number }
  | { readonly type: 'Flatten' }
  | { readonly type: 'Linear'; readonly inFeatures: number; readonly outFeatures: number }
  | { readonly type: 'ReLU' }
  | { readonly type: 'Sigmoid' }
);

/** The pre-processing for PyTorch's input layout: x' = x * scale + shift on raw values. */
export interface TorchPreprocess {
  /** One example's shape in PyTorch's layout: [channels, height, width], or the model's input shape when it is not an image. */
  readonly shape: readonly number[];
  /** One number when every input value has the same map (e.g. x / 255), else one per value, in `shape`'s (C, H, W) order. */
  readonly scale: number | readonly number[];
  readonly shift: number | readonly number[];
  /** 'x / 255', 'x' or 'x * scale + shift'. */
  readonly formula: string;
}

/**
 * What toTorch returns: the model as the equivalent `torch.nn.Sequential` (its modules and Python
 * source), its state dict, and the input it expects. encodeTorchExport writes it as a safetensors
 * file; torchScript writes a Python script that loads that file.
 */
export interface TorchExport {
  /** The model's name. */
  readonly name: string;
  readonly modules: readonly TorchModule[];
  /** `<index>.weight` and `<index>.bias` for every Conv2d and Linear module, in module order. */
  readonly stateDict: readonly NamedTensor[];
  /** Python: the `nn.Sequential(...)` expression (with `from torch import nn`), one module a line. */
  readonly code: string;
  /** One input example as the module takes it: float32 [C, H, W] for images (NCHW batches), else the model's input shape; pre-processed. */
  readonly inputShape: readonly number[];
  /** The input layout of a batch: 'NCHW' for images, 'NHW' or 'NC' otherwise. */
  readonly inputLayout: 'NCHW' | 'NHW' | 'NC';
  readonly preprocess: TorchPreprocess | null;
  /** The safetensors metadata of the exported file (format, model, architecture, input, preprocess, torch_module, output). */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Converts `params` (the model's parameter buffer, e.g. `await model.getWeights()`) and its
 * pre-processing (`model.preprocessing`) to PyTorch's names and layouts. Pure: no GPU needed.
 */
export function toTorch(model: Sequential, params: Float32Array, preprocessing: PixelAffine | null = null): TorchExport {
  if (params.length !== model.params.totalElements) {
    throw new UsageError(`toTorch: ${model.name} has a parameter buffer of ${model.params.totalElements} values, got ${params.length}.`, 'Pass await model.getWeights().');
  }
  if (preprocessing && (preprocessing.scale.length !== model.inputSize || preprocessing.shift.length !== model.inputSize)) {
    throw new UsageError(`toTorch: the pre-processing must have ${model.inputSize} scale and shift values (one per input value).`, 'Pass model.preprocessing.');
  }
  const tensor = (layer: number, name: string): Float32Array => {
    const e = model.params.entries.find((p) => p.layer === layer && p.spec.name === name)!;
    return params.subarray(e.offset, e.offset + e.count);
  };
  const modules: TorchModule[] = [];
  const stateDict: NamedTensor[] = [];
  const add = (m: DistributiveOmit<TorchModule, 'index'>): number => {
    modules.push({ ...m, index: modules.length } as TorchModule);
    return modules.length - 1;
  };
  const activation = (act: string, layer: string) => {
    if (act === 'relu') add({ type: 'ReLU', layer, code: 'nn.ReLU()' });
    else if (act === 'sigmoid') add({ type: 'Sigmoid', layer, code: 'nn.Sigmoid()' });
  };
  /** Set by a Flatten of an image: the flat vector is in PyTorch's (c, y, x) order, wgml's kernels expect (y, x, c). */
  let flattened: { h: number; w: number; c: number } | null = null;

  model.layers.forEach((layer, i) => {
    const input = model.shapes[i]!;
    if (layer instanceof Conv2d) {
      const [h, w, cin] = input as [number, number, number];
      const g = conv2dGeometry({ h, w, cin, kh: layer.kh, kw: layer.kw, cout: layer.filters, stride: layer.stride, padding: layer.padding });
      const symmetric = g.padTop === g.padBottom && g.padLeft === g.padRight;
      let padding: 'same' | [number, number] = [0, 0];
      if (!symmetric) {
        const pad = [g.padLeft, g.padRight, g.padTop, g.padBottom] as const;
        add({ type: 'ZeroPad2d', layer: layer.name, padding: pad, code: `nn.ZeroPad2d(${py(pad)})` });
      } else if (g.padTop > 0 || g.padLeft > 0) {
        padding = layer.stride === 1 ? 'same' : [g.padTop, g.padLeft];
      }
      const args = [`${cin}`, `${g.cout}`, `kernel_size=${py2(g.kh, g.kw)}`];
      if (g.stride !== 1) args.push(`stride=${g.stride}`);
      if (padding === 'same') args.push("padding='same'");
      else if (padding[0] > 0 || padding[1] > 0) args.push(`padding=${py2(padding[0], padding[1])}`);
      const at = add({ type: 'Conv2d', layer: layer.name, inChannels: cin, outChannels: g.cout, kernelSize: [g.kh, g.kw], stride: g.stride, padding, code: `nn.Conv2d(${args.join(', ')})` });
      // HWIO -> OIHW
      const k = tensor(i, 'kernel');
      const weight = new Float32Array(k.length);
      for (let ky = 0; ky < g.kh; ky++) for (let kx = 0; kx < g.kw; kx++) for (let ci = 0; ci < cin; ci++) for (let co = 0; co < g.cout; co++) {
        weight[((co * cin + ci) * g.kh + ky) * g.kw + kx] = k[((ky * g.kw + kx) * cin + ci) * g.cout + co]!;
      }
      stateDict.push({ name: `${at}.weight`, shape: [g.cout, cin, g.kh, g.kw], data: weight });
      stateDict.push({ name: `${at}.bias`, shape: [g.cout], data: tensor(i, 'bias').slice() });
      activation(layer.activation, layer.name);
    } else if (layer instanceof Dense) {
      const [inF, outF] = [input[0]!, layer.units];
      const at = add({ type: 'Linear', layer: layer.name, inFeatures: inF, outFeatures: outF, code: `nn.Linear(${inF}, ${outF})` });
      // [in, out] -> [out, in], PyTorch's input j read from wgml's input row row(j).
      const k = tensor(i, 'kernel');
      const row = flattened ? nchwToNhwc(flattened) : null;
      const weight = new Float32Array(k.length);
      for (let o = 0; o < outF; o++) for (let j = 0; j < inF; j++) weight[o * inF + j] = k[(row ? row[j]! : j) * outF + o]!;
      stateDict.push({ name: `${at}.weight`, shape: [outF, inF], data: weight });
      stateDict.push({ name: `${at}.bias`, shape: [outF], data: tensor(i, 'bias').slice() });
      flattened = null;
      if (layer.activation !== 'softmax') activation(layer.activation, layer.name);
    } else if (layer instanceof MaxPool2d) {
      add({ type: 'MaxPool2d', layer: layer.name, kernelSize: layer.pool, stride: layer.stride, code: `nn.MaxPool2d(kernel_size=${py2(...layer.pool)}, stride=${py2(...layer.stride)})` });
    } else if (layer instanceof Dropout) {
      add({ type: 'Dropout', layer: layer.name, p: layer.rate, code: `nn.Dropout(p=${pyFloat(layer.rate)})` });
    } else if (layer instanceof Flatten) {
      add({ type: 'Flatten', layer: layer.name, code: 'nn.Flatten()' });
      if (input.length === 3) flattened = { h: input[0]!, w: input[1]!, c: input[2]! };
    } else {
      throw new UsageError(`toTorch: no PyTorch equivalent for ${layer.kind} (${layer.name}).`);
    }
  });

  const image = model.inputShape.length === 3;
  const [h, w, c] = model.inputShape as [number, number, number];
  const inputShape = image ? [c, h, w] : [...model.inputShape];
  const inputLayout = image ? 'NCHW' : model.inputShape.length === 2 ? 'NHW' : 'NC';
  const preprocess = preprocessing ? torchPreprocess(preprocessing, inputShape, image ? nchwToNhwc({ h, w, c }) : null) : null;
  const code = sequentialCode(model, modules);
  const metadata: Record<string, string> = {
    format: TORCH_FORMAT,
    model: model.name,
    architecture: JSON.stringify(model.toJSON()),
    torch_module: code,
    input: JSON.stringify({ layout: inputLayout, shape: inputShape, dtype: 'float32', preprocessed: true }),
    output: 'logits',
    ...(preprocess ? { preprocess: JSON.stringify(preprocess) } : {}),
  };
  return { name: model.name, modules, stateDict, code, inputShape, inputLayout, preprocess, metadata };
}

/** The exported state dict as a safetensors file, with `metadata` (free keys, e.g. a seed) beside the export's own. */
export function encodeTorchExport(exported: TorchExport, metadata: Record<string, string> = {}): Uint8Array {
  return encodeSafetensors(exported.stateDict, { ...metadata, ...exported.metadata });
}

/**
 * A Python script that builds the module, loads `file` into it (strict) and applies the
 * pre-processing to a batch `x` of raw inputs in PyTorch's layout.
 */
export function torchScript(exported: TorchExport, file: string): string {
  const path = JSON.stringify(file);
  const p = exported.preprocess;
  const uniform = !p || (typeof p.scale === 'number' && typeof p.shift === 'number');
  const lines = [
    ...(uniform ? [] : ['import json']),
    'import torch',
    'import safetensors.torch',
    ...(uniform ? [] : ['from safetensors import safe_open']),
    'from torch import nn',
    '',
    `model = ${exported.code}`,
    `model.load_state_dict(safetensors.torch.load_file(${path}), strict=True)`,
    'model.eval()',
    '',
    `# x: raw inputs (e.g. pixels 0..255) as a float32 ${exported.inputLayout} tensor [N, ${exported.inputShape.join(', ')}]${exported.inputLayout === 'NCHW' ? ' (from NHWC arrays: x.permute(0, 3, 1, 2))' : ''}`,
  ];
  if (!p) {
    lines.push('# (this export has no pre-processing: x goes in as it is)');
  } else if (typeof p.scale === 'number' && typeof p.shift === 'number') {
    lines.push(`x = x * ${pyFloat(p.scale)} + ${pyFloat(p.shift)}  # the pre-processing: ${p.formula}`);
  } else {
    lines.push(
      `with safe_open(${path}, framework='pt') as f:  # the pre-processing, per value: x * scale + shift`,
      "    pre = json.loads(f.metadata()['preprocess'])",
      "x = x * torch.tensor(pre['scale']).reshape(pre['shape']) + torch.tensor(pre['shift']).reshape(pre['shape'])",
    );
  }
  lines.push('with torch.no_grad():', '    probabilities = torch.softmax(model(x), dim=1)  # the module returns logits');
  return `${lines.join('\n')}\n`;
}

function sequentialCode(model: Sequential, modules: readonly TorchModule[]): string {
  const last = modules.at(-1)!;
  const notes = modules.map((m) => {
    const from = m.type === 'ReLU' || m.type === 'Sigmoid' ? `${m.layer}'s activation` : m.type === 'ZeroPad2d' ? `${m.layer}'s 'same' padding` : m.layer;
    const extra = m === last ? `: logits (${model.layers.at(-1)!.name}'s softmax left out)` : m.type === 'Flatten' ? ' (PyTorch order: channel, y, x)' : '';
    return `# ${m.index}: ${from}${extra}`;
  });
  const width = Math.max(...modules.map((m) => m.code.length)) + 3;
  const body = modules.map((m, i) => `    ${`${m.code},`.padEnd(width)}${notes[i]}`);
  return ['nn.Sequential(', ...body, ')'].join('\n');
}

/** For each index j of PyTorch's (c, y, x) flatten, the index of the same value in wgml's (y, x, c) order. */
function nchwToNhwc({ h, w, c }: { h: number; w: number; c: number }): Uint32Array {
  const at = new Uint32Array(h * w * c);
  for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) at[(ch * h + y) * w + x] = (y * w + x) * c + ch;
  return at;
}

function torchPreprocess(affine: PixelAffine, shape: readonly number[], from: Uint32Array | null): TorchPreprocess {
  const reorder = (v: Float32Array) => (from ? Array.from(from, (i) => v[i]!) : Array.from(v));
  const uniform = (v: Float32Array) => v.every((x) => x === v[0]);
  if (uniform(affine.scale) && uniform(affine.shift)) {
    const [scale, shift] = [affine.scale[0]!, affine.shift[0]!];
    const formula = shift === 0 && scale === Math.fround(1 / 255) ? 'x / 255' : shift === 0 && scale === 1 ? 'x' : 'x * scale + shift';
    return { shape: [...shape], scale, shift, formula };
  }
  return { shape: [...shape], scale: reorder(affine.scale), shift: reorder(affine.shift), formula: 'x * scale + shift' };
}

/** A Python tuple. */
const py = (values: readonly number[]): string => `(${values.join(', ')})`;
/** One number when both are the same, else a pair: PyTorch's kernel_size / stride / padding. */
const py2 = (a: number, b: number): string => (a === b ? `${a}` : py([a, b]));
/** A Python float literal (JavaScript's shortest round-trip form is one). */
const pyFloat = (v: number): string => (Number.isInteger(v) ? v.toFixed(1) : String(v));

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
