import { cpus, loadavg } from 'node:os';
import type { Command } from 'commander';
import { Option } from 'commander';
import type * as JaxjsCompare from '../../bench/jaxjs/compare';
import type { PeerBenchResult } from '../../bench/peers/result';
import type * as TfjsCompare from '../../bench/tfjs/compare';
import {
  benchJson, benchPredict, benchTraining, ceilingLines, describeGpu, measureCeiling, MODEL_NAMES, startupLine, textTable, trainingTable, UsageError,
  type BenchJsonLine, type Ceiling, type FashionMnist, type Precision, type PredictBenchResult, type TrainBenchResult,
} from '../index';
import { listOf, oneOf, positiveInt, positiveNumber } from './args';
import { loadData, resolveModel, withGpu } from './context';
import { dataOption, precisionOption, seedOption } from './options';
import { noTuneOption, setUpTuning, tuneOption, tuningSummary, type TuneFlags } from './tune';

interface BenchFlags extends TuneFlags {
  model?: string;
  seconds: number;
  repeats: number;
  steps?: number;
  json?: boolean;
  compare?: Peer[];
  tfjsBackends: ('webgpu' | 'wasm' | 'cpu')[];
  jaxjsDevices: ('webgpu' | 'wasm')[];
  tfjsWasmConvGrad?: boolean;
  ceiling: boolean;
  ceilingSizes: number[];
  data?: string;
  seed?: number;
  precision?: Precision;
  predictBatch: number;
}

/** The runtimes `--compare` can train the seed models with, beside wgml. */
const PEERS = ['tfjs', 'jaxjs'] as const;
type Peer = (typeof PEERS)[number];

/**
 * `wgml bench`: the adapter's ceiling (matmul GFLOP/s, copy GB/s), then each model's steady-state
 * training throughput at the report's batch size; with `--compare tfjs,jaxjs` (or `all`), the same
 * models trained with TensorFlow.js and jax-js (webgpu on the same Dawn adapter, and wasm) in the same run.
 */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure training throughput (images/s, ms/step, GFLOP/s vs the adapter\'s matmul ceiling); optionally against TensorFlow.js and jax-js')
    .addOption(new Option('-m, --model <name|file>', `only this model: ${MODEL_NAMES.join(', ')} or a JSON model file (default: the three seed models)`))
    .addOption(new Option('--seconds <s>', 'timed seconds per model (and per compared runtime), over all repeats').default(10).argParser(positiveNumber('--seconds')))
    .addOption(new Option('--repeats <n>', 'timed repeats; the table shows their median and spread').default(5).argParser(positiveInt('--repeats')))
    .option('--steps <n>', 'steps per repeat (default: calibrated from --seconds)', positiveInt('--steps'))
    .option('--json', 'print one JSON object per line (model results) on stdout; progress goes to stderr')
    .addOption(new Option('--compare <list>', 'also train with TensorFlow.js (tfjs) and/or jax-js (jaxjs), or all: webgpu on the same adapter, and wasm; from a source checkout only').argParser(comparedPeers))
    .addOption(new Option('--tfjs-backends <list>', 'TF.js backends for --compare (cpu too: slow on the CNN)').default(['webgpu', 'wasm'], 'webgpu,wasm').argParser(listOf(oneOf('--tfjs-backends', ['webgpu', 'wasm', 'cpu'] as const))))
    .addOption(new Option('--jaxjs-devices <list>', 'jax-js devices for --compare').default(['webgpu', 'wasm'], 'webgpu,wasm').argParser(listOf(oneOf('--jaxjs-devices', ['webgpu', 'wasm'] as const))))
    .option('--tfjs-wasm-conv-grad', 'give tfjs-backend-wasm a Conv2DBackpropFilter (from its Conv3DBackpropFilterV2) so it can train the CNN')
    .option('--no-ceiling', 'skip the matmul and copy ceiling')
    .addOption(new Option('--ceiling-sizes <list>', 'square matmul sizes for the ceiling').default([512, 1024], '512,1024').argParser(listOf(positiveInt('--ceiling-sizes'))))
    .addOption(new Option('--predict-batch <n>', 'images per batch for the predict (inference) throughput').default(1000).argParser(positiveInt('--predict-batch')))
    .addOption(dataOption())
    .addOption(seedOption())
    .addOption(precisionOption())
    .addOption(tuneOption())
    .addOption(noTuneOption())
    .action(async (flags: BenchFlags) => {
      const tuning = setUpTuning(flags);
      const say = flags.json ? (line: string) => void process.stderr.write(`${line}\n`) : (line: string) => void process.stdout.write(`${line}\n`);
      const emit = (line: BenchJsonLine) => void process.stdout.write(`${JSON.stringify(line)}\n`);
      const peers = flags.compare ?? [];
      const tfjsCompare = peers.includes('tfjs') ? await loadCompare<typeof TfjsCompare>('tfjs') : null;
      const jaxjsCompare = peers.includes('jaxjs') ? await loadCompare<typeof JaxjsCompare>('jaxjs') : null;
      const comparing = `--compare ${peers.join(',')}`;
      const models = await Promise.all((flags.model ? [flags.model] : MODEL_NAMES).map(resolveModel));
      if (peers.length && models.some((m) => !(MODEL_NAMES as readonly string[]).includes(m.name))) throw new UsageError(`${comparing} measures the three seed models only.`, 'Leave out --model, or pass one of them.');
      const data = await loadData(flags.data, say);
      if (peers.length && !(data.shape.join('x') === '28x28x1' && data.train.images instanceof Uint8Array)) {
        throw new UsageError(`${comparing} measures the seed models on Fashion-MNIST (28x28x1 bytes).`, 'Leave out --data, or pass Fashion-MNIST.');
      }
      say(`machine: ${cpus().length} CPU cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);

      let ceiling: Ceiling | null = null;
      const results: TrainBenchResult[] = [];
      const predictions: PredictBenchResult[] = [];
      const theirs: PeerBenchResult[] = [];
      const load = () => Number(loadavg()[0]!.toFixed(2));
      try {
        await withGpu(say, async (gpu) => {
          const adapter = describeGpu(gpu);
          if (flags.ceiling) {
            ceiling = await measureCeiling(gpu, { sizes: flags.ceilingSizes });
            for (const line of ceilingLines(ceiling)) say(line);
          }
          // Model by model, each runtime in turn: a change in the machine's load hits all of them alike.
          for (const choice of models) {
            const name = choice.name;
            const spec = { name, build: choice.build, fit: { ...choice.fit, precision: flags.precision ?? choice.fit.precision }, preprocessing: choice.preprocessing };
            const seed = flags.seed ?? choice.fit.seed;
            const r = await benchTraining(gpu, data, spec, { seconds: flags.seconds, repeats: flags.repeats, steps: flags.steps, seed, log: say });
            results.push(r);
            say(`wgml ${name}: ${Math.round(r.imagesPerS.median).toLocaleString('en-US')} images/s, ${r.msPerStep.median.toFixed(2)} ms/step`);
            say(startupLine(r));
            say(tuningSummary(gpu, tuning));
            const p = await benchPredict(gpu, data, spec, { batch: flags.predictBatch, repeats: flags.repeats, seed });
            predictions.push(p);
            say(`wgml ${name} predict: ${Math.round(p.imagesPerS.median).toLocaleString('en-US')} images/s at batch ${p.batch}`);
            if (flags.json) emit({ ...benchJson(r, adapter, ceiling), predict_images_per_s: Number(p.imagesPerS.median.toFixed(1)), predict_batch: p.batch, load_average: load() });
            const common = { data: data as FashionMnist, models: [name as (typeof MODEL_NAMES)[number]], seconds: flags.seconds, repeats: flags.repeats, log: say };
            for (const peer of peers) {
              const measured = peer === 'tfjs'
                ? await tfjsCompare!.benchTfjs({ ...common, backends: flags.tfjsBackends, wasmConvGrad: !!flags.tfjsWasmConvGrad })
                : await jaxjsCompare!.benchJaxjs({ ...common, devices: flags.jaxjsDevices });
              theirs.push(...measured);
              if (flags.json) for (const t of measured) emit({ ...peerJson(t, r), load_average: load() });
            }
          }
        });
      } finally {
        tfjsCompare?.releaseTfjs();
        jaxjsCompare?.releaseJaxjs();
      }
      say(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
      if (flags.json) return;
      say('');
      if (ceiling) for (const line of ceilingLines(ceiling)) say(line);
      say(trainingTable(results, ceiling));
      say('');
      say(textTable(['model', 'predict batch', 'predict images/s'], predictions.map((p) => [p.model, String(p.batch), `${Math.round(p.imagesPerS.median).toLocaleString('en-US')} ±${((p.imagesPerS.spread * 100) / 2).toFixed(0)}%`])));
      say('images/s and ms/step: median ±half the range over the repeats; CPU ms/step: this process\'s CPU time (lavapipe runs in it);');
      say('epoch s: 60,000 images at the median rate (training only); GFLOP/s: the declared flops of a step\'s dispatches over the median');
      say('step time; of ceiling: that over the best matmul GFLOP/s above; GFLOP/CPU-s and its ceiling: the same per CPU-second of');
      say('this process (steadier when other work shares the cores); plan MiB: planned (one buffer per tensor).');
      if (peers.length) {
        const runtimes = peers.flatMap((p) => (p === 'tfjs' ? flags.tfjsBackends : flags.jaxjsDevices).map((b) => `${p}-${b}`));
        say('');
        say(comparisonTable(results, theirs, runtimes));
      }
    });
}

/** `--compare`'s list: tfjs, jaxjs, or all, comma-separated. */
function comparedPeers(raw: string): Peer[] {
  const items = raw.split(',').map((s) => s.trim());
  const peers = items.flatMap((item) => (item === 'all' ? [...PEERS] : [oneOf('--compare', [...PEERS, 'all'])(item) as Peer]));
  return PEERS.filter((p) => peers.includes(p));
}

function peerJson(t: PeerBenchResult, ours: TrainBenchResult | undefined): BenchJsonLine {
  const flops = ours?.flopsPerStep;
  const ms = t.msPerStep?.median ?? null;
  return {
    runtime: t.runtime,
    model: t.model,
    batch: t.batch,
    images_per_s: t.imagesPerS ? Number(t.imagesPerS.median.toFixed(1)) : null,
    ms_per_step: ms === null ? null : Number(ms.toFixed(4)),
    gflops: ms !== null && flops ? Number((flops / (ms * 1e6)).toFixed(3)) : null,
    adapter: t.adapter,
    version: t.version,
    cpu_ms_per_step: t.cpuMsPerStep !== undefined && Number.isFinite(t.cpuMsPerStep) ? Number(t.cpuMsPerStep.toFixed(4)) : null,
    steps: t.steps,
    repeats: t.repeats,
    ...(t.imagesPerS ? { images_per_s_min: Number(t.imagesPerS.min.toFixed(1)), images_per_s_max: Number(t.imagesPerS.max.toFixed(1)) } : {}),
    ...(t.skipped ? { skipped: t.skipped } : {}),
    ...(t.note ? { note: t.note } : {}),
  };
}

/**
 * wgml's images/s beside each compared runtime's (columns in `runtimes` order, e.g. 'tfjs-webgpu',
 * 'jaxjs-wasm') and wgml's ratio to each; then the same per CPU-second of this process.
 */
export function comparisonTable(ours: readonly TrainBenchResult[], theirs: readonly PeerBenchResult[], runtimes: readonly string[]): string {
  const cell = (t: PeerBenchResult | undefined) =>
    !t ? '-' : t.imagesPerS ? `${Math.round(t.imagesPerS.median).toLocaleString('en-US')}${t.note ? '*' : ''}` : t.skipped ?? '-';
  const ratio = (a: number, t: PeerBenchResult | undefined) => (t?.imagesPerS ? `${(a / t.imagesPerS.median).toFixed(2)}x` : '-');
  const find = (r: TrainBenchResult) => runtimes.map((rt) => theirs.find((t) => t.model === r.model && t.runtime === rt));
  const headers = ['model', 'batch', 'wgml images/s', ...runtimes.map((rt) => `${rt} images/s`), ...runtimes.map((rt) => `wgml / ${rt}`)];
  const rows = ours.map((r) => {
    const per = find(r);
    return [r.model, String(r.batch), Math.round(r.imagesPerS.median).toLocaleString('en-US'), ...per.map(cell), ...per.map((t) => ratio(r.imagesPerS.median, t))];
  });
  const notes = theirs.filter((t) => t.note).map((t) => `* ${t.runtime} ${t.model}: ${t.note}`);
  // The same per CPU-second of this process: steadier than the wall clock when other work shares the cores.
  const perCpu = (batch: number, cpuMs: number | undefined) => (cpuMs !== undefined && Number.isFinite(cpuMs) && cpuMs > 0 ? (batch * 1000) / cpuMs : Number.NaN);
  const fmt = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');
  const cpuRows = ours.map((r) => {
    const own = perCpu(r.batch, r.cpuMsPerStep.median);
    const per = find(r).map((t) => (t?.imagesPerS ? perCpu(t.batch, t.cpuMsPerStep) : Number.NaN));
    return [r.model, String(r.batch), fmt(own), ...per.map(fmt), ...per.map((v) => (Number.isFinite(v) && Number.isFinite(own) ? `${(own / v).toFixed(2)}x` : '-'))];
  });
  const cpuHeaders = ['model', 'batch', 'wgml img/CPU-s', ...runtimes.map((rt) => `${rt} img/CPU-s`), ...runtimes.map((rt) => `wgml / ${rt}`)];
  return [textTable(headers, rows), ...notes, '', 'per CPU-second of this process (lavapipe and wasm run in it):', textTable(cpuHeaders, cpuRows)].join('\n');
}

/**
 * A comparison (bench/tfjs/, bench/jaxjs/) needs the dev dependencies: it is imported only here, at
 * run time, from a source checkout (vite-node), never bundled into dist/wgml.js.
 */
async function loadCompare<T>(peer: Peer): Promise<T> {
  const here = import.meta.url;
  const what = peer === 'tfjs' ? 'TF.js' : 'jax-js';
  if (!here.endsWith('.ts')) {
    throw new UsageError(`--compare ${peer} runs from a source checkout, with the dev dependencies installed.`, `Run \`npm ci\`, then \`npm run bench -- --compare ${peer}\`.`);
  }
  const path = ['..', '..', 'bench', peer, 'compare.ts'].join('/');
  try {
    return (await import(/* @vite-ignore */ new URL(path, here).href)) as T;
  } catch (e) {
    const packages = peer === 'tfjs' ? '@tensorflow/tfjs and its webgpu and wasm backends' : '@jax-js/jax';
    throw new UsageError(`Loading the ${what} comparison failed: ${(e as Error).message}`, `Install the dev dependencies (\`npm ci\`); they include ${packages}.`);
  }
}
