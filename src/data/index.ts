/**
 * The data layer's browser-and-Node API. Node-only helpers (finding files on disk, downloading,
 * atomic writes) are imported from `./locate-node` and `./write-atomic-node` directly, so browser
 * bundles never pull in `node:` modules.
 */
export { parseIdx, parseIdxImages, parseIdxLabels, type IdxImages, type IdxLabels } from './idx';
export { gunzip, isGzip } from './gzip';
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_FILES,
  FASHION_MNIST_URL,
  GET_FASHION_MNIST_HINT,
  loadFashionMnist,
  type FashionMnist,
  type ReadFile,
} from './fashion-mnist';
export { fileListReader, urlReader, type NamedBlob } from './readers';
export {
  applyAffine,
  applyStandardScaler,
  fitStandardScaler,
  scale01,
  scale01Affine,
  standardScalerAffine,
  type PixelAffine,
  type StandardScaler,
} from './preprocess';
export { fmix32, mulberry32, permutation, streamSeed, uniformBelow } from './shuffle';
