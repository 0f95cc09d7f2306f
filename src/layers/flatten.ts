import type { Layer, Shape } from './layer';

/** [h, w, c] -> [h*w*c]. NHWC is already row-major in that order, so this is a free reinterpretation. */
export class Flatten implements Layer {
  readonly type = 'flatten' as const;
  readonly kind = 'Flatten';
  readonly activation = 'linear' as const;
  readonly aliasesInput = true;
  name: string;

  /** `name` defaults to `flatten_<n>`, numbered by the model. */
  constructor(options: { name?: string } = {}) {
    this.name = options.name ?? '';
  }

  toJSON() {
    return { type: this.type, name: this.name };
  }

  outputShape(input: Shape): Shape {
    return [input.reduce((a, b) => a * b, 1)];
  }

  paramSpecs() {
    return [];
  }

  forward(): void {}

  backward(): void {}
}
