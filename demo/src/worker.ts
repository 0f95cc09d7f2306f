/**
 * The demo's training worker: wgml's serveWorker answers the page's RemoteGpu (demo/src/gpu.ts),
 * so datasets, models, training, evaluation, prediction and profiling run here, off the page's thread.
 */
import { serveWorker } from '../../src/index';

serveWorker();
