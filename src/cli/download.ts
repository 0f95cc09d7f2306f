import type { Command } from 'commander';
import { FASHION_MNIST_URL } from '../index';
import { DEFAULT_DATA_DIR, downloadFashionMnist } from '../node';
import { log } from './context';

/**
 * `wgml download`: fetch the four official Fashion-MNIST files where the other commands look for
 * them. All four are validated before any is written (downloadFashionMnist), so an interrupted or
 * corrupt download leaves nothing half-written.
 */
export function registerDownload(program: Command): void {
  program
    .command('download')
    .description(`fetch the official Fashion-MNIST files (60k train, 10k test) into ./${DEFAULT_DATA_DIR}`)
    .option('--dir <dir>', 'where to put them', DEFAULT_DATA_DIR)
    .option('--url <base>', 'where to fetch them from (a mirror holding the four .gz files)', FASHION_MNIST_URL)
    .action(async (flags: { dir: string; url: string }) => {
      log(`downloading Fashion-MNIST from ${flags.url}`);
      const written = await downloadFashionMnist(flags.dir, {
        baseUrl: flags.url,
        onFile: (name, bytes) => log(`  ${name}: ${(bytes / 2 ** 20).toFixed(1)} MiB`),
      });
      log(`checked and written: ${written.join(', ')}`);
    });
}
