/**
 * Node-only: write a file so that readers see either the old file or the whole new one, never a
 * partial one, even after a crash or power loss: temp file in the same directory, fsync, rename,
 * fsync the directory.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Options of writeFileAtomic. */
export interface AtomicWriteOptions {
  /** Runs after the temp file is complete and synced, before the rename: a fault-injection point for crash tests. */
  beforeRename?: () => void;
}

/**
 * Writes `bytes` to `path` so that a reader (or a crash) sees the old file or the new one, never
 * half of either: a temp file beside it, synced, then renamed over it.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    options.beforeRename?.();
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  // Make the rename itself durable; not every platform can open a directory, and that is fine.
  const d = await open(dir, 'r').catch(() => undefined);
  if (d) {
    await d.sync().catch(() => {});
    await d.close();
  }
}
