import type { Layer, Shape } from './layer';

/** [h, w, c] -> [h*w*c]. NHWC is already row-major in that order, so this is a free reinterpretation. */
export class Flatten implements Layer {
  readonly kind = 'Flatten';
  readonly activation = 'linear' as const;
  readonly aliasesInput = true;

  constructor(readonly name = 'flatten') {}

  outputShape(input: Shape): Shape {
    return [input.reduce((a, b) => a * b, 1)];
  }

  paramSpecs() {
    return [];
  }

  forward(): void {}

  backward(): void {}
}
