import cliProgress from 'cli-progress';
import type { BatchProgress } from '../index';

/**
 * A per-epoch progress bar (images/s, ETA, running loss) on a terminal; on a pipe or CI log, nothing
 * until the epoch's summary line, so logs stay readable.
 */
export class EpochProgress {
  private bar: cliProgress.SingleBar | null = null;

  constructor(private readonly epochs: number) {}

  start(epoch: number, images: number): void {
    if (!process.stdout.isTTY) return;
    this.bar = new cliProgress.SingleBar(
      {
        format: `epoch ${epoch}/${this.epochs} {bar} {percentage}% | {value}/{total} | {rate} img/s | ETA {eta_formatted} | loss {loss}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(images, 0, { rate: '-', loss: '-' });
  }

  update(p: BatchProgress): void {
    this.bar?.update(p.images, {
      rate: Math.round(p.imagesPerSecond).toLocaleString('en-US'),
      loss: p.loss === undefined ? '-' : p.loss.toFixed(4),
    });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
