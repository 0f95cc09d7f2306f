import cliProgress from 'cli-progress';
import type { BatchProgress } from '../index';

/** Seconds between plain progress lines when stdout is not a terminal. */
const LINE_EVERY_S = 10;

/**
 * An epoch's progress. On a terminal: a bar (images/s, ETA, running loss). Elsewhere (a pipe, a CI
 * log, nohup): a plain line every ~10 s (step, images/s, running loss, ETA), so a long unattended
 * run is never silent for minutes. `quiet` prints neither.
 */
export class EpochProgress {
  private bar: cliProgress.SingleBar | null = null;
  private epoch = 0;
  private lastLine = 0;

  constructor(
    private readonly epochs: number,
    private readonly options: { quiet?: boolean; tty?: boolean; write?: (line: string) => void; now?: () => number } = {},
  ) {}

  private get now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }

  start(epoch: number, images: number): void {
    this.epoch = epoch;
    this.lastLine = this.now;
    if (this.options.quiet || !(this.options.tty ?? process.stdout.isTTY)) return;
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
    const loss = p.loss === undefined ? '-' : p.loss.toFixed(4);
    if (this.bar) {
      this.bar.update(p.images, { rate: Math.round(p.imagesPerSecond).toLocaleString('en-US'), loss });
      return;
    }
    if (this.options.quiet || this.now - this.lastLine < LINE_EVERY_S * 1000 || p.step >= p.steps) return;
    this.lastLine = this.now;
    const eta = p.imagesPerSecond > 0 ? Math.round(((p.steps - p.step) * (p.images / p.step)) / p.imagesPerSecond) : NaN;
    const write = this.options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
    write(
      `  epoch ${this.epoch}/${this.epochs}  step ${p.step}/${p.steps} (${Math.floor((100 * p.step) / p.steps)}%)  ` +
        `${Math.round(p.imagesPerSecond).toLocaleString('en-US')} img/s  loss ${loss}  ETA ${Number.isFinite(eta) ? formatSeconds(eta) : '-'}`,
    );
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

function formatSeconds(s: number): string {
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}
