import { describe, expect, it } from 'vitest';
import { EpochProgress } from '../../src/cli/progress';

/** Progress off a terminal: a plain line every ~10 s within an epoch, none with --quiet. */
describe('EpochProgress without a terminal', () => {
  const run = (quiet: boolean) => {
    let now = 0;
    const lines: string[] = [];
    const p = new EpochProgress(3, { tty: false, quiet, now: () => now, write: (l) => lines.push(l) });
    p.start(2, 6400);
    for (let step = 1; step <= 100; step++) {
      now += 1500; // 1.5 s per progress report: a line every 7 reports
      p.update({ epoch: 2, step, steps: 100, images: step * 64, loss: 2 / step, imagesPerSecond: 64 / 1.5 });
    }
    p.stop();
    return lines;
  };

  it('prints step, rate, running loss and ETA about every 10 s', () => {
    const lines = run(false);
    expect(lines.length).toBe(14); // 150 s of progress, one line per 10.5 s, none for the last step
    expect(lines[0]).toMatch(/^ {2}epoch 2\/3 {2}step 7\/100 \(7%\) {2}43 img\/s {2}loss 0\.2857 {2}ETA 2m20s$/);
    expect(lines.at(-1)).toMatch(/step 98\/100 \(98%\).*ETA 3s$/);
  });

  it('prints nothing with quiet', () => {
    expect(run(true)).toEqual([]);
  });
});
