import { FASHION_MNIST_CLASSES, type FashionMnist } from '../../src/data/fashion-mnist';

/** Small random Fashion-MNIST-shaped data: benchmarks' plumbing needs shapes, not real images. */
export function syntheticData(trainCount: number, testCount: number): FashionMnist {
  let s = 7;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const split = (count: number) => {
    const labels = Uint8Array.from({ length: count }, () => Math.floor(next() * 10));
    const images = Uint8Array.from({ length: count * 784 }, () => Math.floor(next() * 256));
    return { images, labels };
  };
  return { train: split(trainCount), test: split(testCount), shape: [28, 28, 1], classes: FASHION_MNIST_CLASSES, source: 'synthetic' };
}
