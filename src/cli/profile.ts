import type { Command } from 'commander';
import { Option } from 'commander';
import {
  byLayer, byShader, createDataset, describeGpu, tuningChoices, groupProfile, medianProfile, profileTable, profileTrainingStep, PROFILE_REPEATS, PROFILE_WARMUP,
  PROFILE_WARMUP_STEPS, textTable, type Precision, type ProfileMethod,
} from '../index';
import { oneOf, positiveInt } from './args';
import { loadData, resolveModel, withGpu } from './context';
import { batchOption, dataOption, modelOption, precisionOption, seedOption } from './options';
import { noTuneOption, setUpTuning, tuneOption, tuningSummary, tuningTable, type TuneFlags } from './tune';

interface ProfileFlags extends TuneFlags {
  model: string;
  batchSize?: number;
  repeats: number;
  warmup: number;
  method: 'auto' | ProfileMethod;
  order?: boolean;
  median?: boolean;
  json?: boolean;
  data?: string;
  seed?: number;
  precision?: Precision;
}

/**
 * `wgml profile --model NAME`: GPU time of every dispatch of one training step (timestamp queries
 * when the adapter has them), averaged over several steps after a warm-up, slowest first, with each
 * kernel's share of the step and its GFLOP/s and GB/s; then the same grouped by kernel family.
 */
export function registerProfile(program: Command): void {
  program
    .command('profile')
    .description('per-kernel GPU time of one training step: a table sorted by time, with share, GFLOP/s and GB/s')
    .addOption(modelOption())
    .addOption(batchOption())
    .addOption(new Option('--repeats <n>', 'timed steps to average').default(PROFILE_REPEATS).argParser(positiveInt('--repeats')))
    .addOption(new Option('--warmup <n>', `untimed profiled steps first (after ${PROFILE_WARMUP_STEPS} real training steps)`).default(PROFILE_WARMUP).argParser(positiveInt('--warmup')))
    .addOption(new Option('--method <how>', "'timestamp' (timestamp queries), 'submit' (a submit per dispatch) or 'auto'").default('auto').argParser(oneOf('--method', ['auto', 'timestamp', 'submit'] as const)))
    .option('--order', 'list kernels in dispatch order instead of by time')
    .option('--median', "each kernel's median time over the steps instead of its mean (steadier on a busy machine)")
    .option('--json', 'print the profile as one JSON object')
    .addOption(dataOption())
    .addOption(seedOption())
    .addOption(precisionOption())
    .addOption(tuneOption())
    .addOption(noTuneOption())
    .action(async (flags: ProfileFlags) => {
      const tuning = setUpTuning(flags);
      const say = flags.json ? (line: string) => void process.stderr.write(`${line}\n`) : (line: string) => void process.stdout.write(`${line}\n`);
      const seed = await resolveModel(flags.model);
      const d = seed.fit;
      const batch = flags.batchSize ?? d.batchSize;
      const data = await loadData(flags.data, say);
      seed.build().checkFits(createDataset(data), batch);
      await withGpu(say, async (gpu) => {
        const { profile: measured, trainStepMs, dispatches } = await profileTrainingStep(
          gpu, seed.build(), data, { batchSize: batch, lr: d.lr, optimizer: d.optimizer, seed: flags.seed ?? d.seed, precision: flags.precision ?? d.precision, preprocessing: seed.preprocessing },
          { repeats: flags.repeats, warmup: flags.warmup, method: flags.method },
        );
        const profile = flags.median ? medianProfile(measured) : measured;
        const adapter = describeGpu(gpu);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ model: seed.name, batch, adapter, train_step_ms: trainStepMs, ...profile, tuning: { mode: tuning.mode, choices: tuningChoices(gpu) } })}\n`);
          return;
        }
        const table = profileTable(profile, flags.order ? profile.rows : undefined);
        say(`${seed.name}, batch ${batch}: ${dispatches} dispatches per step; ${profile.method === 'timestamp' ? 'timestamp queries' : 'one submit per dispatch'}, ${flags.median ? 'median' : 'mean'} of ${profile.repeats} steps after ${profile.warmup} warm-up`);
        say('');
        say(textTable(table.headers, table.rows));
        say('');
        for (const [title, key] of [['shader', byShader], ['layer', byLayer]] as const) {
          const g = profileTable(profile, groupProfile(profile, key));
          say(textTable([`by ${title}`, ...g.headers.slice(2)], g.rows.map((r) => r.slice(1))));
          say('');
        }
        say(`sum of kernels ${profile.kernelMs.toFixed(3)} ms (each in its own pass; first start to last end ${profile.spanMs.toFixed(3)} ms);`);
        say(`the same dispatches in one pass, as a training step records them, measured the same way: ${profile.stepMs.toFixed(3)} ms;`);
        say(`a pass with one no-op dispatch, measured the same way: ${profile.emptyPassMs.toFixed(3)} ms (the floor under every row);`);
        say(`a real training step before profiling (trainEpoch, wall clock): ${trainStepMs.toFixed(3)} ms (${Math.round((batch * 1000) / trainStepMs).toLocaleString('en-US')} images/s).`);
        if (profile.quantumNs > 0) {
          say(`timestamps are quantised to ${(profile.quantumNs / 1000).toFixed(1)} µs by Dawn (its timestamp_quantization toggle): short kernels are averages of coarse samples.`);
        }
        say('');
        say(tuningSummary(gpu, tuning));
        say(tuningTable(gpu));
      });
    });
}
