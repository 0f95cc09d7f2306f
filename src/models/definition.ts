/**
 * The JSON model format: a model's architecture (and, optionally, its training defaults) as a
 * portable file, the same one weights and checkpoints carry so that loading them needs nothing else.
 *
 *   { "name": "lenet", "input": [32, 32, 3],
 *     "layers": [ { "type": "conv2d", "filters": 16, "kernelSize": 5, "activation": "relu" }, ...,
 *                 { "type": "dense", "units": 10, "activation": "softmax" } ],
 *     "train": { "optimizer": "adam", "lr": 0.001, "batchSize": 64, "epochs": 10, "preprocessing": "scale01" } }
 *
 * Optional fields take Keras' defaults (padding 'valid', stride 1, activation 'linear', pool stride
 * = pool size, names `conv2d_1`, `dense_2`, ...). Validation is a zod schema; its issues become one
 * UsageError naming the field path (`layers[2].filters`) and the fix.
 */
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { z } from 'zod';
import { UsageError } from '../errors';
import { Conv2d } from '../layers/conv2d';
import { Dense } from '../layers/dense';
import { Dropout } from '../layers/dropout';
import { Flatten } from '../layers/flatten';
import type { Layer } from '../layers/layer';
import { MaxPool2d } from '../layers/maxpool2d';
import { OPTIMIZERS } from '../optim/optimizer';
import { PREPROCESSINGS } from '../data/preprocess';

const whole = z.number().int().min(1);
const pair = z.union([whole, z.tuple([whole, whole])]);
const name = z.string().min(1).max(128).optional();
const hiddenActivation = z.enum(['linear', 'relu', 'sigmoid']);
const activation = z.enum(['linear', 'relu', 'sigmoid', 'softmax']);

const layerSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('dense'), name, units: whole, activation: activation.optional() }),
  z.strictObject({
    type: z.literal('conv2d'),
    name,
    filters: whole,
    kernelSize: pair,
    stride: whole.optional(),
    padding: z.enum(['valid', 'same']).optional(),
    activation: hiddenActivation.optional(),
  }),
  z.strictObject({ type: z.literal('maxpool2d'), name, poolSize: pair.optional(), stride: pair.optional() }),
  z.strictObject({ type: z.literal('dropout'), name, rate: z.number().min(0).lt(1) }),
  z.strictObject({ type: z.literal('flatten'), name }),
]);

/** Training defaults a model file may carry; command-line flags and fit() options override them. */
const trainSchema = z.strictObject({
  optimizer: z.enum(OPTIMIZERS).optional(),
  lr: z.number().positive().finite().optional(),
  batchSize: whole.optional(),
  epochs: whole.optional(),
  preprocessing: z.enum(PREPROCESSINGS).optional(),
  patience: whole.nullable().optional(),
  validationSplit: z.number().min(0).lt(1).optional(),
  seed: z.number().int().min(0).max(0xffffffff).optional(),
});

const modelSchema = z.strictObject({
  name: z.string().min(1).max(128).optional(),
  input: z.array(whole).min(1).max(3),
  layers: z.array(layerSchema).min(1),
  train: trainSchema.optional(),
});

/** One layer of a model definition. */
export type LayerDefinition = z.infer<typeof layerSchema>;
/** Training defaults of a model definition. */
export type TrainDefaults = z.infer<typeof trainSchema>;
/** A model definition: what a JSON model file holds. */
export type ModelDefinition = z.infer<typeof modelSchema>;

const FORMAT_HINT = 'See the model file format in the README ("Model files").';

/**
 * Checks `value` (already parsed JSON) against the model format; `source` names it in messages
 * (a file path, "the model definition"). Throws a UsageError naming the first wrong field.
 */
export function validateDefinition(value: unknown, source = 'the model definition'): ModelDefinition {
  const result = modelSchema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = issues[0]!;
  // A misspelt field ('filter') also leaves a required one ('filters') missing: name the misspelling.
  const missing = first.code === 'invalid_type' && valueAt(value, first.path) === undefined ? String(first.path.at(-1)) : null;
  const misspelt = missing === null ? undefined : issues.find((i): i is z.core.$ZodIssueUnrecognizedKeys =>
    i.code === 'unrecognized_keys' && formatPath(i.path) === formatPath(first.path.slice(0, -1)) && i.keys.some((k) => similar(k, missing)));
  const path = formatPath((misspelt ?? first).path);
  const text = misspelt ? `${describeIssue(misspelt, value)}; did you mean '${missing}'?` : describeIssue(first, value);
  throw new UsageError(`${source}: ${path ? `${path}: ` : ''}${text}`, FORMAT_HINT);
}

/** Parses and validates a model file's text; a syntax error names its line and column. */
export function parseDefinition(text: string, source = 'the model definition'): ModelDefinition {
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (first) {
    const before = text.slice(0, first.offset).split('\n');
    const line = before.length;
    const column = before.at(-1)!.length + 1;
    const what = printParseErrorCode(first.error).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
    throw new UsageError(`${source}: invalid JSON at line ${line}, column ${column}: ${what}.`, 'Fix the JSON syntax: model files are plain JSON, with no comments and no trailing commas (a validator or editor shows the spot).');
  }
  return validateDefinition(value, source);
}

/** The layer objects a definition describes, in order. */
export function layersOf(def: ModelDefinition): Layer[] {
  return def.layers.map((l): Layer => {
    switch (l.type) {
      case 'dense':
        return new Dense(l);
      case 'conv2d':
        return new Conv2d(l);
      case 'maxpool2d':
        return new MaxPool2d(l);
      case 'dropout':
        return new Dropout(l);
      case 'flatten':
        return new Flatten(l);
    }
  });
}

/** Names a person may have meant as one another: the same but for case, one inside the other, or at most two edits apart. */
function similar(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x.includes(y) || y.includes(x)) return true;
  // Levenshtein distance, one row at a time.
  let row = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    row = next;
  }
  return row[y.length]! <= 2;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

const LAYER_TYPES = layerSchema.options.map((o) => o.shape.type.value);

function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}${allowedHere(issue.path, root)}`;
    case 'invalid_union': {
      if (issue.path.at(-1) === 'type' || (issue as { discriminator?: string }).discriminator === 'type') return `unknown layer type; use one of ${LAYER_TYPES.join(', ')}`;
      // The size fields take n or [height, width].
      const value = valueAt(root, issue.path);
      return value === undefined ? 'is required (a whole number n, or [height, width])' : `expected a whole number n or [height, width], got ${JSON.stringify(value)}`;
    }
    case 'invalid_value':
      return `got ${JSON.stringify(valueAt(root, issue.path))}; use one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_type':
      return valueAt(root, issue.path) === undefined ? `is required (${issue.expected})` : `expected ${issue.expected}, got ${JSON.stringify(valueAt(root, issue.path))}`;
    case 'too_small':
    case 'too_big':
      if (issue.origin === 'string') return issue.code === 'too_small' ? 'must not be empty' : `must be at most ${String(issue.maximum)} characters`;
      return `${issue.message.replace(/^Too (small|big): expected (number|array) to (have|be) /, 'must be ').replace('>=', 'at least ').replace('<=', 'at most ').replace('>', 'above ').replace('<', 'below ').replace(/ 1 items$/, ' 1 item')} (got ${JSON.stringify(valueAt(root, issue.path))})`;
    default:
      return `${issue.message} (got ${JSON.stringify(valueAt(root, issue.path))})`;
  }
}

/** ", allowed: units, activation, name" for the object at `path`, when it is a known layer type. */
function allowedHere(path: readonly PropertyKey[], root: unknown): string {
  const here = valueAt(root, path) as { type?: unknown } | undefined;
  const option = layerSchema.options.find((o) => o.shape.type.value === here?.type);
  const keys = option ? Object.keys(option.shape) : path.length === 0 ? Object.keys(modelSchema.shape) : path.at(-1) === 'train' ? Object.keys(trainSchema.shape) : [];
  return keys.length ? ` (allowed: ${keys.join(', ')})` : '';
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}
