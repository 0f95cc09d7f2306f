import { stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { encodeTorchExport, toTorch, torchScript, UsageError } from '../index';
import { writeFileAtomic } from '../node';
import { loadWeights } from './context';

const LAYOUTS = ['torch'] as const;

interface ExportFlags {
  weights: string;
  layout: string;
  out: string;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description("convert trained weights for another framework: --layout torch writes PyTorch's state dict for the equivalent nn.Sequential and prints its code (no GPU needed; docs/weights.md)")
    .requiredOption('-w, --weights <path>', 'a weights.safetensors file, or the results folder of `train`')
    .requiredOption('--layout <name>', `the target framework: ${LAYOUTS.join(', ')}`)
    .requiredOption('-o, --out <file>', 'the safetensors file to write (replaced atomically)')
    .action(async (flags: ExportFlags) => {
      // Every check comes before anything is written.
      if (!(LAYOUTS as readonly string[]).includes(flags.layout)) {
        throw new UsageError(`--layout must be one of ${LAYOUTS.join(', ')}, got '${flags.layout}'.`, 'Only PyTorch is supported for now: --layout torch.');
      }
      const { model, file } = await loadWeights(flags.weights);
      await checkWritable(flags.out, file);
      const exported = toTorch(model, await model.getWeights(), model.preprocessing);
      const bytes = encodeTorchExport(exported, { source: basename(file) });
      try {
        await writeFileAtomic(flags.out, bytes);
      } catch (e) {
        throw new UsageError(`Cannot write '${flags.out}': ${(e as Error).message}.`, 'Pass a writable file path with --out.');
      }
      const print = (line: string) => process.stdout.write(`${line}\n`);
      print(`${model.name} from ${file}: ${exported.stateDict.length} tensors for ${exported.modules.length} PyTorch modules written to ${flags.out}`);
      print(`input: ${exported.inputLayout} float32 [N, ${exported.inputShape.join(', ')}], pre-processed (${exported.preprocess?.formula ?? 'none'}); output: logits`);
      print('');
      print(torchScript(exported, flags.out).trimEnd());
    });
}

/** --out must be a file in a folder we can write to, and not the weights it converts. */
async function checkWritable(out: string, weights: string): Promise<void> {
  const fail = (why: string) => new UsageError(`Cannot write '${out}': ${why}.`, 'Pass a writable file path with --out.');
  if (resolve(out) === resolve(weights)) throw fail('it is the weights file being converted');
  const info = await stat(out).catch(() => null);
  if (info?.isDirectory()) throw fail('it is a folder');
  const dir = dirname(resolve(out));
  const dirInfo = await stat(dir).catch(() => null);
  if (!dirInfo?.isDirectory()) throw fail(`the folder '${dir}' does not exist`);
  // Permissions alone do not tell (root, read-only mounts, /proc): try it.
  const probe = join(dir, `.wgml-probe-${process.pid}`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
    await unlink(probe);
  } catch (e) {
    throw fail((e as Error).message);
  }
}
