import { ShapeError } from '../errors';
import { layoutParams, type ParamLayout } from '../graph/params';
import { formatShape, type Layer, type Shape } from '../layers/layer';

/** A stack of layers with shapes inferred once, at construction, so a misfit fails before any GPU work. */
export class Sequential {
  /** shapes[0] is the input; shapes[i + 1] is layer i's output. */
  readonly shapes: readonly Shape[];
  readonly params: ParamLayout;

  constructor(
    readonly name: string,
    readonly inputShape: Shape,
    readonly layers: readonly Layer[],
  ) {
    if (layers.length === 0) throw new ShapeError(`${name}: a model needs at least one layer.`);
    if (inputShape.length === 0 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new ShapeError(`${name}: the input shape ${formatShape(inputShape)} must be one or more positive whole numbers, e.g. [28, 28, 1] for an image.`);
    }
    const shapes: Shape[] = [inputShape];
    for (const layer of layers) {
      const out = layer.outputShape(shapes.at(-1)!);
      if (out.some((d) => !Number.isInteger(d) || d < 1)) {
        throw new ShapeError(`${layer.name}: output shape ${formatShape(out)} is empty; the input ${formatShape(shapes.at(-1)!)} is too small for it.`);
      }
      shapes.push(out);
    }
    this.shapes = shapes;
    this.params = layoutParams(layers, shapes);
    const last = layers.at(-1)!;
    if (last.activation !== 'softmax') {
      throw new ShapeError(`${name}: the last layer (${last.name}) must use softmax: the loss is softmax cross-entropy.`);
    }
    // The softmax is fused into the loss, so a hidden layer has no kernel that could apply it.
    const hidden = layers.slice(0, -1).find((l) => l.activation === 'softmax');
    if (hidden) throw new ShapeError(`${hidden.name}: softmax is only for the last layer (it is fused into the loss).`, "Use 'relu', 'sigmoid' or 'linear' for hidden layers.");
  }

  /** Values per example the model takes (the product of its input shape). */
  get inputSize(): number {
    return this.shapes[0]!.reduce((a, b) => a * b, 1);
  }

  get classes(): number {
    return this.shapes.at(-1)![0]!;
  }

  /** A Keras-style table: layer (type), output shape, parameter count, and the totals. */
  summary(): string {
    const rows = this.layers.map((layer, i) => {
      const count = this.params.entries.filter((e) => e.layer === i).reduce((s, e) => s + e.count, 0);
      return [`${layer.name} (${layer.kind})`, formatShape(this.shapes[i + 1]!), count.toLocaleString('en-US')];
    });
    const head = ['Layer (type)', 'Output Shape', 'Param #'];
    const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)) + 4);
    const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('').trimEnd();
    const rule = (ch: string) => ch.repeat(widths.reduce((a, b) => a + b, 0));
    const total = this.params.paramCount.toLocaleString('en-US');
    return [
      `Model: "${this.name}"`,
      rule('_'),
      line(head),
      rule('='),
      ...rows.flatMap((r, i) => [line(r), i < rows.length - 1 ? rule('_') : rule('=')]),
      `Total params: ${total}`,
      `Trainable params: ${total}`,
      'Non-trainable params: 0',
      rule('_'),
    ].join('\n');
  }
}
