import { Command, CommanderError } from 'commander';
import { DataError, GpuError, InterruptedError, ShapeError, UsageError, WgmlError } from '../index';
import { registerBench } from './bench';
import { registerDownload } from './download';
import { registerEvaluate } from './evaluate';
import { registerExport } from './export';
import { registerProfile } from './profile';
import { registerReproduce } from './reproduce';
import { registerSelfcheck } from './selfcheck';
import { registerSummary } from './summary';
import { registerSweep } from './sweep';
import { registerTrain } from './train';

/**
 * wgml's command line. Exit codes: 0 success; 2 bad usage or bad input (arguments, data files,
 * weights); 1 a failure at run time (no GPU, a diverged model, a GPU error); 130 interrupted by
 * Ctrl-C (or SIGTERM) after saving a checkpoint.
 */
const program = new Command('wgml')
  .description('Train and evaluate the Fashion-MNIST models of the seed report on WebGPU.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();
for (const register of [registerTrain, registerEvaluate, registerSummary, registerReproduce, registerSweep, registerSelfcheck, registerBench, registerProfile, registerDownload, registerExport]) register(program);

/** Runs the command `argv` names; sets process.exitCode. */
export async function runCommandLine(argv: readonly string[]): Promise<void> {
  try {
    await program.parseAsync([...argv]);
  } catch (e) {
    process.exitCode = exitCode(e);
    if (!(e instanceof CommanderError)) process.stderr.write(`error: ${e instanceof WgmlError ? e.message : (e as Error).stack ?? String(e)}\n`);
  }
}

function exitCode(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // help and version exit 0
  if (e instanceof UsageError || e instanceof DataError || e instanceof ShapeError) return 2;
  if (e instanceof GpuError) return 1;
  if (e instanceof InterruptedError) return 130;
  return 1;
}
