/**
 * wgml/node: what only Node can do (files on disk), on top of the public entry `wgml`.
 */
export {
  loadFashionMnistFromDisk,
  locateFashionMnist,
  downloadFashionMnist,
  dirReader,
  DATA_ENV,
  DEFAULT_DATA_DIR,
  SYSTEM_DATA_DIR,
  type LocateOptions,
  type Located,
  type DataOrigin,
  type DownloadOptions,
} from './data/locate-node';
export { loadDatasetFromDisk } from './data/load-dataset-node';
export { writeFileAtomic, type AtomicWriteOptions } from './data/write-atomic-node';
export { writeRunArtifacts, type RunArtifacts } from './report/write-node';
export { nodeTuneStore, defaultCacheDir, CACHE_DIR_ENV } from './tune/store-node';
