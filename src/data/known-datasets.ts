/**
 * What we know about the public datasets the readers meet: file names, class names, and how to
 * recognise Fashion-MNIST among the MNIST-style IDX datasets (MNIST, KMNIST and Fashion-MNIST share
 * the file names, sizes and class count, so only the content tells them apart).
 */

/** Fashion-MNIST's class names by label, from the dataset's README. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/** The four IDX file names of the MNIST layout, without `.gz` (the readers accept both forms). */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** CIFAR-10's class names by label (also in the archive's batches.meta.txt). */
export const CIFAR10_CLASSES: readonly string[] = [
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
];

/** CIFAR-100's fine class names by label (also in the archive's fine_label_names.txt): alphabetical. */
export const CIFAR100_CLASSES: readonly string[] = [
  'apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle', 'bicycle', 'bottle',
  'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle',
  'chair', 'chimpanzee', 'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur',
  'dolphin', 'elephant', 'flatfish', 'forest', 'fox', 'girl', 'hamster', 'house', 'kangaroo', 'keyboard',
  'lamp', 'lawn_mower', 'leopard', 'lion', 'lizard', 'lobster', 'man', 'maple_tree', 'motorcycle', 'mountain',
  'mouse', 'mushroom', 'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear', 'pickup_truck', 'pine_tree',
  'plain', 'plate', 'poppy', 'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket',
  'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk', 'skyscraper', 'snail', 'snake', 'spider',
  'squirrel', 'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank', 'telephone', 'television', 'tiger', 'tractor',
  'train', 'trout', 'tulip', 'turtle', 'wardrobe', 'whale', 'willow_tree', 'wolf', 'woman', 'worm',
];

/** The binary ("for C programs") CIFAR files. */
export const CIFAR10_FILES = {
  train: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  test: 'test_batch.bin',
  classes: 'batches.meta.txt',
} as const;
export const CIFAR100_FILES = { train: 'train.bin', test: 'test.bin', classes: 'fine_label_names.txt' } as const;

/** The optional file of class names, one per line, that any reader takes from beside the data. */
export const CLASSES_FILE = 'classes.txt';

/** The first ten training and test labels of the official Fashion-MNIST files (60,000 and 10,000 28x28 images). */
const FASHION_TRAIN_START = [9, 0, 0, 3, 0, 2, 7, 2, 5, 5];
const FASHION_TEST_START = [9, 2, 1, 1, 6, 1, 4, 6, 5, 7];

/**
 * True for the official Fashion-MNIST split: 60,000 + 10,000 28x28x1 images whose labels start as the
 * official files' do (MNIST's start 5, 0, 4, 1, ...). Plain MNIST and KMNIST get numbered classes.
 */
export function looksLikeFashionMnist(
  shape: readonly number[],
  trainLabels: ArrayLike<number>,
  testLabels: ArrayLike<number>,
): boolean {
  const starts = (labels: ArrayLike<number>, start: number[]) => start.every((l, i) => labels[i] === l);
  return (
    shape.join('x') === '28x28x1' &&
    trainLabels.length === 60_000 &&
    testLabels.length === 10_000 &&
    starts(trainLabels, FASHION_TRAIN_START) &&
    starts(testLabels, FASHION_TEST_START)
  );
}
