import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_CLASSES } from '../../src/data/fashion-mnist';
import { imagesToPng, misclassifiedGridSvg } from '../../src/report/gallery';
import { makeMisclassified } from './fixtures';
import { parseSvg, select } from './xml';

function pngFromDataUri(uri: string) {
  expect(uri.startsWith('data:image/png;base64,')).toBe(true);
  return decode(Uint8Array.from(atob(uri.slice('data:image/png;base64,'.length)), (c) => c.charCodeAt(0)));
}

describe('misclassified gallery (SVG)', () => {
  const examples = makeMisclassified(23);
  const svg = misclassifiedGridSvg(examples, FASHION_MNIST_CLASSES, { columns: 10 });
  const els = parseSvg(svg);

  it('has one pixelated image per example, each the example scaled up exactly', () => {
    const images = select(els, 'image');
    expect(images).toHaveLength(23);
    expect(images[0]!.attrs.style).toContain('pixelated');
    const png = pngFromDataUri(images[5]!.attrs.href!);
    expect([png.width, png.height, png.channels]).toEqual([112, 112, 1]);
    // Pixel (row 3, col 7) of the source is the 4x4 block at (12..15, 28..31).
    expect(png.data[13 * 112 + 30]).toBe(examples[5]!.image[3 * 28 + 7]);
  });

  it('captions each with the true class and "→ predicted confidence"', () => {
    const groups = select(els, 'g', 'example');
    expect(groups).toHaveLength(23);
    const texts = select(els, 'text').map((t) => t.text);
    expect(texts).toContain('T-shirt/top'); // example 0: true 0, predicted 3
    expect(texts).toContain('→ Dress 50%');
  });

  it('lays out rows of `columns` and stays small', () => {
    const xs = new Set(select(els, 'image').map((i) => i.attrs.x));
    const ys = new Set(select(els, 'image').map((i) => i.attrs.y));
    expect([xs.size, ys.size]).toEqual([10, 3]);
    expect(svg.length / 23).toBeLessThan(3000);
  });

  it('renders an empty list and rejects a wrong-sized image', () => {
    expect(select(parseSvg(misclassifiedGridSvg([], FASHION_MNIST_CLASSES)), 'image')).toHaveLength(0);
    expect(() => misclassifiedGridSvg([{ image: new Uint8Array(10), shape: [28, 28, 1], trueLabel: 0, predicted: 1 }], FASHION_MNIST_CLASSES)).toThrow(/784/);
  });

  it('draws 3-channel images in colour, at their own size', () => {
    // A 4x6 image: red left half, blue right half.
    const image = Uint8Array.from({ length: 4 * 6 * 3 }, (_, i) => ((i % 18) < 9 ? [200, 10, 20] : [5, 30, 220])[i % 3]!);
    const svg = misclassifiedGridSvg([{ image, shape: [4, 6, 3], trueLabel: 0, predicted: 1 }], ['cat', 'dog'], { scale: 2 });
    const [img] = select(parseSvg(svg), 'image');
    expect([img!.attrs.width, img!.attrs.height]).toEqual(['12', '8']);
    const png = pngFromDataUri(img!.attrs.href!);
    expect([png.width, png.height, png.channels]).toEqual([12, 8, 3]);
    expect([...png.data.subarray(0, 3)]).toEqual([200, 10, 20]); // top left: red
    expect([...png.data.subarray((12 - 1) * 3, 12 * 3)]).toEqual([5, 30, 220]); // top right: blue
    const grid = decode(imagesToPng([{ image, shape: [4, 6, 3], trueLabel: 0, predicted: 1 }], 1, { scale: 1, gap: 0 }));
    expect([grid.width, grid.height, grid.channels]).toEqual([6, 4, 3]);
  });
});

describe('imagesToPng', () => {
  it('tiles the images with white gaps', () => {
    const examples = makeMisclassified(7);
    const png = decode(imagesToPng(examples, 3, { scale: 1, gap: 2 }));
    expect([png.width, png.height]).toEqual([3 * 28 + 4 * 2, 3 * 28 + 4 * 2]);
    expect(png.data[0]).toBe(255);
    // Example 4 sits in row 1, column 1; its pixel (5, 9):
    const x = 2 + 30 + 9;
    const y = 2 + 30 + 5;
    expect(png.data[y * png.width + x]).toBe(examples[4]!.image[5 * 28 + 9]);
  });
});
