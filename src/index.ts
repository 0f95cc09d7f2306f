/**
 * wgml: a WebGPU deep-learning runtime. This is the package's public entry (`import … from 'wgml'`);
 * it works in browsers, workers and Node. Node-only helpers (files on disk) are in `wgml/node`.
 *
 * ```js
 * import { requestGpu, Sequential, Conv2d, MaxPool2d, Flatten, Dense, createDataset } from 'wgml';
 * const gpu = await requestGpu();
 * const model = new Sequential({ input: [28, 28, 1], layers: [
 *   new Conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }), new MaxPool2d({ poolSize: 2 }),
 *   new Flatten(), new Dense({ units: 10, activation: 'softmax' }) ] });
 * const data = createDataset({ train: { images, labels }, test: { images: testImages, labels: testLabels }, shape: [28, 28, 1] },
 *   { preprocessing: 'scale01' });
 * await model.compile(gpu);
 * const history = await model.fit(data, { epochs: 5, batchSize: 64, optimizer: 'adam', lr: 1e-3 });
 * const { accuracy } = await model.evaluate(data);
 * const probabilities = await model.predict(testImages.subarray(0, 784));
 * const bytes = await model.save();     // later: loadModel(bytes)
 * model.release(); gpu.release();
 * ```
 */

// The GPU
export { requestGpu, describeGpu, type Gpu, type GpuOptions, type GpuFeature, type AdapterDescription } from './gpu/device';

// Errors: each says what is wrong and, in `hint`, what to do
export { WgmlError, UsageError, DataError, ShapeError, GpuError, DivergedError, InterruptedError } from './errors';

// Layers and models
export { Dense, type DenseOptions } from './layers/dense';
export { Conv2d, type Conv2dOptions } from './layers/conv2d';
export type { Conv2dPadding } from './kernels/conv2d';
export { MaxPool2d, type MaxPool2dOptions } from './layers/maxpool2d';
export { Dropout, type DropoutOptions } from './layers/dropout';
export { Flatten } from './layers/flatten';
export type { Layer, LayerType, Shape, ParamSpec, LayerContext, BackwardContext, FusedDropout, Gate, ParamBindings } from './layers/layer';
export type { Program, Op, Bind, TensorRef } from './graph/program';
export type { KernelCall } from './gpu/kernel';
export type { ParamLayout, ParamEntry } from './graph/params';
export type { Activation } from './kernels/activation';
export { Sequential, type SequentialConfig, type EvaluateOptions } from './models/sequential';
export type { Evaluation } from './models/runtime';
export { parseDefinition, validateDefinition, type ModelDefinition, type LayerDefinition, type TrainDefaults } from './models/definition';
export { loadModel, loadCheckpoint, type LoadedCheckpoint } from './models/load';
export { seedModel, MODEL_NAMES, type ModelName, type SeedModel } from './models/seed-models';

// Training in a Web Worker, with the same API shape: the worker script calls serveWorker(), the page uses RemoteGpu
export { RemoteGpu, RemoteModel, RemoteDataset } from './worker/remote';
export { serveWorker } from './worker/serve';
export type { Endpoint, RemoteGpuInfo, RemoteTuning } from './worker/protocol';

// Data
export { createDataset, heldOut, type Dataset, type DatasetArrays, type DatasetOptions, type DataSettings, type DataSplit, type ImagesAndLabels } from './data/dataset';
export { PREPROCESSINGS, type Preprocessing, type PixelAffine } from './data/preprocess';
export { loadFashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_FILES, FASHION_MNIST_URL, type FashionMnist, type ReadFile } from './data/fashion-mnist';
export { parseIdxImages, parseIdxLabels, type IdxImages, type IdxLabels } from './data/idx';
export { fileListReader, urlReader, type NamedBlob } from './data/readers';
// Datasets people bring: IDX (MNIST layout, any size), CIFAR-10/100 binary, NumPy .npz; loadDataset picks the reader by file names
export { loadDataset, detectLayouts, DATASET_LAYOUTS, type LoadedDataset, type LoadedSplit, type DatasetFormat, type DetectedLayout } from './data/load-dataset';
export { loadIdxDataset, type IdxDataset, type IdxDatasetOptions } from './data/idx-dataset';
export { loadCifar, parseCifar, type CifarVariant, type CifarBatch } from './data/cifar';
export { loadNpz, parseNpz, NPZ_KEYS } from './data/npz';
export { parseNpy, type NpyArray, type NpyDtype } from './data/npy';
export { CIFAR10_CLASSES, CIFAR100_CLASSES } from './data/known-datasets';

// Training
export { OPTIMIZERS, type OptimizerKind } from './optim/optimizer';
export { FIT_DEFAULTS, fitSettingsProblem, PRECISIONS, type FitSettings, type Precision } from './train/settings';
export type { FitOptions, FitCallbacks, BatchProgress, EpochLogs, EpochRecord, History } from './train/fit';
export type { Trainer, TrainerState, EpochProgress } from './train/trainer';
export type { CompiledProgram, Mode } from './graph/compile';
export type { MemoryPlan } from './graph/memory-plan';
export type { Checkpoint } from './train/checkpoint';
export { misclassified, imageBytes } from './train/misclassified';
// PyTorch users: the state dict and code of the equivalent nn.Sequential (docs/weights.md)
export { toTorch, encodeTorchExport, torchScript, TORCH_FORMAT, type TorchExport, type TorchModule, type TorchModuleBase, type TorchPreprocess } from './train/torch-export';
export type { NamedTensor } from './io/safetensors';

// Reports: pure functions from a run's numbers to text, SVG and PNG
export { confusionTable, confusionSvg, confusionToJson, perClassAccuracy, overallAccuracy, shortClassName } from './report/confusion';
export type { ConfusionSvgOptions } from './report/confusion';
export { lossCurvesSvg, accuracyCurvesSvg, type CurveOptions } from './report/curves';
export { misclassifiedGridSvg, imagesToPng, type GalleryOptions } from './report/gallery';
export type { PngGridOptions } from './report/gallery';
export { historyToCsv, historyFromCsv, historyToJson } from './report/history';
export { markdownTable } from './report/markdown';
export type { Align } from './report/markdown';
export type { Misclassified } from './report/types';

// Performance research: per-kernel profiles, throughput, the adapter's matmul ceiling
export { profileTrainingStep, PROFILE_REPEATS, PROFILE_WARMUP, PROFILE_WARMUP_STEPS, type StepProfile, type ProfileSettings } from './train/profile-step';
export { byLayer, byShader, byTime, groupProfile, medianProfile, profileTable, type Profile, type KernelTiming, type ProfileMethod } from './gpu/profiler';
export type { ProfileOptions } from './gpu/profiler';
export { benchTraining, type BenchModel, type TrainBenchOptions, type TrainBenchResult, type StartupTimes } from './bench/train-bench';
export { measureCeiling, type Ceiling } from './bench/ceiling';
export type { CeilingOptions, MatmulPoint } from './bench/ceiling';
export type { Summary } from './bench/stats';
export { trainingTable, ceilingLines, benchJson, startupLine, textTable, type BenchJsonLine } from './bench/format';
export { benchPredict, type PredictBenchResult } from './bench/predict-bench';
// Kernel tuning per adapter (src/tune): which variant of matmul and conv2d runs at each shape
export { configureTuning, tuningSettings, defaultTuneStore, tuneModeFromEnv, tuningChoices, tuningMs, TUNE_MODES, type TuneMode, type TuneSettings, type TuneStore, type TuneChoice, type TuneSource, type TuneCacheFile, type TuneRecord } from './tune/tuner';
export { indexedDbTuneStore } from './tune/store-indexeddb';
