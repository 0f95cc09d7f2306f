/**
 * Node-only edge of loadDataset: a dataset on disk, given as a folder (IDX or CIFAR files, or one
 * .npz) or as an .npz file.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { DataError } from '../errors';
import type { LoadedDataset } from './files';
import { DATASET_LAYOUTS, detectLayouts, loadDataset } from './load-dataset';
import { dirReader } from './locate-node';
import { loadNpz } from './npz';

/** Folders the official archives unpack into; looked in when the folder given holds no dataset itself. */
const ARCHIVE_FOLDERS = ['cifar-10-batches-bin', 'cifar-100-binary'];

/**
 * Load the dataset at `path` (relative to the working directory): a folder holding an IDX dataset,
 * CIFAR-10/100 binary files (or the folder the CIFAR archive unpacked into) or a single .npz; or an
 * .npz file. A classes.txt beside the data names the classes. See loadDataset for the layouts; every
 * problem is a DataError naming the file and the fix.
 */
export async function loadDatasetFromDisk(path: string): Promise<LoadedDataset> {
  const full = resolve(path);
  const s = await stat(full).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw new DataError(`Cannot read ${full}: ${e.message}`, 'Check that it is readable.');
  });
  if (s === undefined) throw new DataError(`${full} does not exist`, `Pass a folder holding a dataset, or an .npz file. ${DATASET_LAYOUTS}`);
  if (s.isFile()) {
    if (!/\.npz$/i.test(full)) {
      throw new DataError(
        `${full} is a file, not a dataset folder or an .npz archive`,
        `Pass the folder that holds it (${dirname(full)}) or an .npz file. ${DATASET_LAYOUTS}`,
      );
    }
    const dir = dirname(full);
    return loadNpz(dirReader(dir), dir, basename(full));
  }
  if (!s.isDirectory()) throw new DataError(`${full} is neither a file nor a folder`, `Pass a folder holding a dataset, or an .npz file.`);
  let dir = full;
  let listing = await list(dir);
  if (detectLayouts(listing).length === 0) {
    for (const sub of ARCHIVE_FOLDERS) {
      if (!listing.includes(sub)) continue;
      const inner = join(dir, sub);
      if (!(await stat(inner).catch(() => undefined))?.isDirectory()) continue;
      dir = inner;
      listing = await list(dir);
      break;
    }
  }
  return loadDataset(dirReader(dir), dir, listing);
}

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (e) {
    throw new DataError(`Cannot list ${dir}: ${e instanceof Error ? e.message : String(e)}`, 'Check that the folder is readable.');
  }
}
