/**
 * The demo's training worker: wgml's serveWorker answers the page's RemoteGpu (demo/src/gpu.ts),
 * so datasets, models, training, evaluation, prediction and profiling run here, off the page's thread.
 * Kernel tuning is set up first (demo/src/tuning.ts): the tuner's settings belong to this thread.
 */
import { serveWorker } from '../../src/index';
import { configureDemoTuning } from './tuning';

configureDemoTuning();
serveWorker();
