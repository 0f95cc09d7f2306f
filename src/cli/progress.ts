import cliProgress from 'cli-progress';
import type { StepProgress } from '../train/trainer';

/**
 * A per-epoch progress bar (images/s, ETA, running loss) on a terminal; on a pipe or CI log, nothing
 * until the epoch's summary line, so logs stay readable.
 */
export class EpochProgress {
  private bar: cliProgress.SingleBar | null = null;
  private started = 0;

  constructor(private readonly epochs: number) {}

  start(epoch: number, images: number): void {
    this.started = performance.now();
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

  update(p: StepProgress): void {
    const seconds = (performance.now() - this.started) / 1000;
    this.bar?.update(p.images, {
      rate: seconds > 0 ? Math.round(p.images / seconds).toLocaleString('en-US') : '-',
      loss: p.runningLoss === undefined ? '-' : p.runningLoss.toFixed(4),
    });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
