/**
 * Kernel tuning in the demo. The library does not tune unless asked; the demo asks, so that on a
 * real GPU each matmul and convolution shape runs the variant measured fastest on that adapter.
 * The choices persist in the browser (IndexedDB in the training worker, which has no
 * localStorage), so only the first visit pays for the timing, and the tuner's 10 s per device
 * bounds that. `WGML_TUNE=off npm run dev` (or `npm run build`) builds a page that does not tune
 * (vite.config.ts writes the mode into the code as __WGML_TUNE__: a worker cannot read the page's URL).
 * The line under the adapter says what the tuner did.
 */
import { configureTuning, type RemoteTuning, type TuneMode } from '../../src/index';
import { byId } from './dom';
import type { Gpu } from './gpu';

declare const __WGML_TUNE__: TuneMode;

/**
 * Sets the tuner's mode in this thread, with the default store (localStorage on the page,
 * IndexedDB in a worker). The worker calls it before it serves, and the page before it trains on
 * its own thread (RemoteGpu.inProcess), since the tuner's settings are per thread.
 */
export function configureDemoTuning(): void {
  configureTuning({ mode: __WGML_TUNE__ });
}

/**
 * What the tuning line says, and its counts, or null when there is nothing to say: tuning off, or no
 * shape worth tuning yet (no model built, or only products too small to time).
 */
function tuningSummary(t: RemoteTuning): { text: string; shapes: number; cached: number } | null {
  if (t.mode === 'off') return null;
  const shapes = t.choices.filter((c) => c.source === 'tuned' || c.source === 'cache' || c.source === 'over budget');
  if (!shapes.length) return null;
  const cached = shapes.filter((c) => c.source === 'cache').length;
  const later = shapes.filter((c) => c.source === 'over budget').length;
  const text = `Kernels tuned for this GPU: ${shapes.length} shape${shapes.length === 1 ? '' : 's'} (${cached} from cache), ${(t.ms / 1000).toFixed(1)} s`
    + (later ? `; ${later} to finish on a later visit` : '')
    + (t.store ? '' : '; not kept: this browser refuses storage');
  return { text, shapes: shapes.length, cached };
}

/**
 * Updates the tuning line from `gpu`'s worker, after a model was built there (its kernels choose
 * their variants as they are built). Never fails: the line is a detail, and a lost device is
 * reported elsewhere.
 */
export function showTuning(gpu: Gpu): void {
  gpu.tuning().then((t) => {
    const summary = tuningSummary(t);
    const line = byId('tuning');
    line.hidden = !summary;
    line.textContent = summary?.text ?? '';
    line.dataset.shapes = String(summary?.shapes ?? 0);
    line.dataset.cached = String(summary?.cached ?? 0);
  }, () => {});
}
