import type { Gpu } from '../gpu/device';
import { eightLaneSubgroups } from '../gpu/device';
import { storageBuffer, writeBuffer } from '../gpu/buffers';
import { kernel, type Binding, type KernelCall, type KernelSpec } from '../gpu/kernel';
import { chooseVariant } from '../tune/tuner';
import { ACTIVATION_CODE, unusedBinding, type Activation } from './activation';
import { TILES, tileConstants, tileGrid, type TileConfig } from './tile';

export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  /** A is stored [k, m] (its transpose) instead of [m, k]. */
  transA?: boolean;
  /** B is stored [n, k] instead of [k, n]. */
  transB?: boolean;
}

export type MatmulEpilogue =
  | { kind: 'none' }
  /** c = act(a·b + bias): a dense layer's forward pass. */
  | { kind: 'bias-act'; bias?: Binding; act: Activation }
  /** c = (a·b) ⊙ act'(y): the gradient through the activation that produced y. */
  | { kind: 'gate'; y: Binding; act: Activation };

/**
 * An operand stored as packed f16 pairs (four values per vec2<u32>), `offset` elements into `half`
 * (a multiple of 4): a tensor of the f16 copy of a model's weights in mixed precision (kernels/half.ts).
 */
export interface HalfOperand {
  readonly half: GPUBuffer;
  readonly offset: number;
}

/** An f32 buffer (or range of one), or packed halves. */
export type MatmulOperand = Binding | HalfOperand;

export interface MatmulBindings {
  a: MatmulOperand;
  b: MatmulOperand;
  c: Binding;
}

function isHalf(o: MatmulOperand): o is HalfOperand {
  return 'half' in o;
}

/**
 * How main_vec4 reads an operand (the VEC_* codes of shaders/matmul.wgsl): vec4s of 4 consecutive
 * k, or of 4 consecutive rows/columns. 'none': no vec4 path, so the plan runs the scalar entry.
 */
type VecMode = 'k' | 'outer' | 'none';
const VEC_CODE = { k: 1, outer: 2 } as const;

/** How matmul() runs one shape; see shaders/matmul.wgsl for the meaning of each field. */
export interface MatmulPlan {
  /** main_tiled: shaders/matmul_tiled.wgsl's workgroup-memory tiles (`tile`). */
  entry: 'main' | 'main_vec4' | 'main_tiled';
  /** Run main_vec4 as shaders/matmul_subgroups.wgsl's main_sg where the device has 8-lane subgroups (TU % 8 == 0). */
  subgroups: boolean;
  /** Compute Cᵀ = Bᵀ·Aᵀ (u = n, v = m) so that the 4-wide column blocks run along m. */
  swap: boolean;
  /** Output rows (along u) per invocation. */
  tu: number;
  /** Lanes per workgroup (along v). */
  wg: number;
  uVec: VecMode;
  vVec: VecMode;
  /** The workgroup tile of main_tiled, else null. */
  tile: TileConfig | null;
  workgroups: [number, number, number];
  /** One line for logs and the benchmark. */
  name: string;
}

/**
 * Plan choices, tuned on lavapipe (bench/NOTES.md): without subgroups, 8 rows per invocation is the
 * sweet spot for large shapes (12 and 16 spill and take 2-3x longer to compile); 4 wastes less on
 * short u axes. The subgroup path prefers SG_TU.
 */
const TU_CHOICES = [4, 8] as const;
const MAX_WG = 64;
/** MAX_TU of shaders/matmul.wgsl. */
const MAX_TU = 16;
/** Relative cost per float loaded, per lane: vec4 loads share the per-lane overhead of a scalar load. */
const LOAD_COST = { vec4: 1, scalar: 1.8 };
/** Relative cost of one multiply-add per lane next to a vec4-loaded float. */
const MAC_COST = 0.1;
/** Workgroups run on a small pool of CPU threads (one per core on lavapipe); count whole rounds. */
const PARALLEL_SLOTS = 2;

function vecMode(alongK: boolean, k: number, outer: number): VecMode {
  if (alongK) return k % 4 === 0 ? 'k' : 'none';
  return outer % 4 === 0 ? 'outer' : 'none';
}

/** The free choices of a plan; everything else follows from them and the shape. */
export interface MatmulPlanChoice {
  swap: boolean;
  tu: number;
  /** Lanes per workgroup; by default enough 8-lane groups to cover v, at most 64. */
  wg?: number;
  /** false: never the subgroup entry point (tests of main_vec4 itself). Default true. */
  subgroups?: boolean;
  /** Run shaders/matmul_tiled.wgsl with this workgroup tile instead (swap, tu, wg and subgroups are then ignored). */
  tile?: TileConfig;
}

/** The full plan for `shape` and `choice`: entry point, load modes and grid. */
export function matmulPlanFor(shape: MatmulShape, choice: MatmulPlanChoice): MatmulPlan {
  const { m, n, k } = shape;
  if (choice.tile) {
    const t = choice.tile;
    const name = `main_tiled ${t.y * t.rows}x${4 * t.x} k${t.depth} wg${t.x * t.y}`;
    return { entry: 'main_tiled', subgroups: false, swap: false, tu: t.rows, wg: t.x * t.y, uVec: 'none', vVec: 'none', tile: t, workgroups: tileGrid(m, n, t), name };
  }
  const { swap, tu } = choice;
  if (tu % 4 !== 0 || tu < 4 || tu > MAX_TU) throw new Error(`matmul: rows per invocation must be 4, 8, 12 or 16, got ${tu}`);
  const [uDim, vDim] = swap ? [n, m] : [m, n];
  const uVec = vecMode(swap ? !!shape.transB : !shape.transA, k, uDim);
  const vVec = vecMode(swap ? !shape.transA : !!shape.transB, k, vDim);
  // main_vec4 binds both operands as array<vec4f>, so their element counts must be whole vec4s.
  // Scalar loads in its four-k steps unroll into very long code (seconds of LLVM compile per
  // pipeline), so it also needs a vec4 path for both operands.
  const vec4 = (m * k) % 4 === 0 && (k * n) % 4 === 0 && uVec !== 'none' && vVec !== 'none';
  const entry = vec4 ? 'main_vec4' : 'main';
  const lanes = Math.ceil(vDim / 4);
  const wg = choice.wg ?? Math.min(MAX_WG, Math.ceil(lanes / 8) * 8);
  const workgroups: [number, number, number] = [Math.ceil(lanes / wg), Math.ceil(uDim / tu), 1];
  const [u, v]: [VecMode, VecMode] = vec4 ? [uVec, vVec] : ['none', 'none'];
  const name = `${entry} ${swap ? 'swap ' : ''}${tu}x4 wg${wg}${vec4 ? ` u:${u} v:${v}` : ''}`;
  const subgroups = (choice.subgroups ?? true) && vec4 && tu % 8 === 0;
  return { entry, subgroups, swap, tu, wg, uVec: u, vVec: v, tile: null, workgroups, name };
}

/**
 * Rows per invocation on the subgroup path: U is shared across the subgroup there, so V's loads
 * dominate and 16 rows halve them per multiply-add; the accumulators spill, which costs less
 * (16 beat 8 on every model shape but the smallest in a quiet run, bench/NOTES.md "matmul").
 */
const SG_TU = 16;

/**
 * The plan matmul() runs for `shape`: the orientation and block with the fewest estimated lane
 * loads (the cost model of bench/NOTES.md), counted in whole rounds of workgroups; with
 * `subgroups` (the device runs main_sg), 16-row blocks where they still give every core two
 * workgroups.
 */
export function matmulPlan(shape: MatmulShape, options: { subgroups?: boolean } = {}): MatmulPlan {
  const best = leastLoads(shape);
  if (options.subgroups && best.subgroups) {
    const wide = matmulPlanFor(shape, { swap: best.swap, tu: SG_TU });
    if (wide.workgroups[0] * wide.workgroups[1] >= 2 * PARALLEL_SLOTS) return wide;
  }
  return best;
}

function leastLoads(shape: MatmulShape): MatmulPlan {
  let best: MatmulPlan | undefined;
  let bestCost = Infinity;
  for (const swap of [false, true]) {
    for (const tu of TU_CHOICES) {
      const plan = matmulPlanFor(shape, { swap, tu });
      const loadCost = LOAD_COST[plan.entry === 'main_vec4' ? 'vec4' : 'scalar'];
      const rounds = Math.ceil((plan.workgroups[0] * plan.workgroups[1]) / PARALLEL_SLOTS);
      const cost = rounds * plan.wg * shape.k * ((tu + 4) * loadCost + 4 * tu * MAC_COST);
      if (cost < bestCost) [best, bestCost] = [plan, cost];
    }
  }
  return best!;
}

/**
 * C[m,n] = epilogue(op(A)·op(B)); see shaders/matmul.wgsl. Runs the variant the tuner picks for this
 * shape on this adapter (src/tune/tuner.ts); with tuning off, the cost model's plan (matmulPlan).
 */
export async function matmul(gpu: Gpu, shape: MatmulShape, io: MatmulBindings, epilogue: MatmulEpilogue = { kind: 'none' }, label = 'matmul'): Promise<KernelCall> {
  const variant = await chooseVariant(gpu, matmulTuneRequest(gpu, shape, epilogue, { a: isHalf(io.a), b: isHalf(io.b) }));
  return matmulWithPlan(gpu, shape, io, epilogue, label, matmulVariantChoice(shape, variant));
}

/**
 * The variants matmul() can run, by id: `sg16`, `sg8` (main_sg, 16 or 8 rows), `vec4-8`, `vec4-4`
 * (main_vec4), `scalar-8`, `scalar-4` (main), in the cost model's orientation; `tile32`, `tile64`
 * (main_tiled with TILES' workgroup tiles).
 */
export function matmulVariantChoice(shape: MatmulShape, variant: string): MatmulPlanChoice {
  const tile = TILES[variant];
  if (tile) return { swap: false, tu: tile.rows, tile };
  const match = /^(sg|vec4|scalar)-?(\d+)$/.exec(variant);
  if (!match) throw new Error(`matmul: unknown variant '${variant}'`);
  return { swap: leastLoads(shape).swap, tu: Number(match[2]), subgroups: match[1] === 'sg' };
}

/** The id of the plan the cost model picks (matmulPlan) on this device. */
export function matmulDefaultVariant(gpu: Gpu, shape: MatmulShape): string {
  const subgroups = eightLaneSubgroups(gpu);
  const plan = matmulPlan(shape, { subgroups });
  if (plan.entry === 'main') return `scalar-${plan.tu}`;
  return subgroups && plan.subgroups ? `sg${plan.tu}` : `vec4-${plan.tu}`;
}

/**
 * The tuner's question for one matmul: family, shape, fallback, candidates, and scratch operands to
 * time them on. Half operands make another family: their loads cost differently.
 */
function matmulTuneRequest(gpu: Gpu, shape: MatmulShape, epilogue: MatmulEpilogue, halves: { a: boolean; b: boolean }) {
  const { m, n, k } = shape;
  const fallback = matmulDefaultVariant(gpu, shape);
  const vec4 = matmulPlanFor(shape, { swap: leastLoads(shape).swap, tu: 8 }).entry === 'main_vec4';
  const register = vec4 ? ['vec4-8', ...(eightLaneSubgroups(gpu) ? ['sg8', 'sg16'] : [])] : [];
  const candidates = [...new Set([fallback, ...register, ...Object.keys(TILES)])];
  return {
    family: `matmul${shape.transA ? ' transA' : ''}${shape.transB ? ' transB' : ''}${halves.a ? ' f16A' : ''}${halves.b ? ' f16B' : ''}`,
    shape: `${m}x${k}x${n}`,
    flops: 2 * m * n * k,
    fallback,
    candidates,
    prepare: async () => {
      const filled = (count: number) => {
        const b = storageBuffer(gpu, 'tune scratch', Math.max(4, count * 4));
        writeBuffer(gpu, b, new Float32Array(count).map((_, i) => Math.sin(i)));
        return b;
      };
      // Halves of 0.5 + i/2048 for i < 1024: finite, like any weights.
      const halved = (count: number) => {
        const b = storageBuffer(gpu, 'tune scratch', Math.ceil(count / 4) * 8);
        writeBuffer(gpu, b, new Uint16Array(Math.ceil(count / 4) * 4).map((_, i) => 0x3800 + (i % 1024)));
        return b;
      };
      const [a, b, c, extra] = [halves.a ? halved(m * k) : filled(m * k), halves.b ? halved(k * n) : filled(k * n), filled(m * n), filled(m * n)];
      const operand = (buffer: GPUBuffer, half: boolean): MatmulOperand => (half ? { half: buffer, offset: 0 } : buffer);
      // The same epilogue kind as the real call, so the chosen pipeline is the one it will use.
      const scratchEpilogue: MatmulEpilogue =
        epilogue.kind === 'gate' ? { ...epilogue, y: extra } : epilogue.kind === 'bias-act' && epilogue.bias ? { ...epilogue, bias: extra } : epilogue;
      const io = { a: operand(a, halves.a), b: operand(b, halves.b), c };
      return {
        build: (variant: string) => matmulWithPlan(gpu, shape, io, scratchEpilogue, 'tune matmul', matmulVariantChoice(shape, variant)),
        release: () => [a, b, c, extra].forEach((buf) => buf.destroy()),
      };
    },
  };
}

/** matmul() with the given orientation and block instead of the chosen ones: for tests of each code path, and tuning. */
export function matmulWithPlan(
  gpu: Gpu, shape: MatmulShape, io: MatmulBindings, epilogue: MatmulEpilogue, label: string, choice: MatmulPlanChoice,
): Promise<KernelCall> {
  return kernel(gpu, matmulSpec(gpu, shape, io, epilogue, label, matmulPlanFor(shape, choice)));
}

/** The kernel spec (entry point, override constants, bindings, grid) of one planned matmul. */
export function matmulSpec(gpu: Gpu, shape: MatmulShape, io: MatmulBindings, epilogue: MatmulEpilogue, label: string, plan: MatmulPlan): KernelSpec {
  const { m, n, k } = shape;
  const extra = epilogue.kind === 'gate' ? epilogue.y : epilogue.kind === 'bias-act' && epilogue.bias ? epilogue.bias : unusedBinding(gpu);
  const shared = plan.subgroups && eightLaneSubgroups(gpu);
  const tiled = plan.tile !== null;
  const [u, v] = plan.swap ? [io.b, io.a] : [io.a, io.b];
  for (const o of [u, v]) {
    if (isHalf(o) && (o.offset % 4 !== 0 || o.offset < 0)) throw new Error(`matmul: a half operand's offset must be a multiple of 4 elements, got ${o.offset}`);
  }
  const halfBytes = (o: MatmulOperand) => (isHalf(o) ? 2 : 4);
  return {
    label: `${label} ${m}x${k}·${k}x${n}${isHalf(io.a) ? ' f16A' : ''}${isHalf(io.b) ? ' f16B' : ''}`,
    shader: tiled ? 'matmul_tiled' : shared ? 'matmul_subgroups' : 'matmul',
    modules: { ...(isHalf(u) ? { matmul_u: 'matmul_u_half' } : {}), ...(isHalf(v) ? { matmul_v: 'matmul_v_half' } : {}) },
    entry: shared ? 'main_sg' : plan.entry,
    constants: {
      M: m,
      N: n,
      K: k,
      TRANS_A: Number(!!shape.transA),
      TRANS_B: Number(!!shape.transB),
      HAS_BIAS: Number(epilogue.kind === 'bias-act' && !!epilogue.bias),
      ACT: epilogue.kind === 'none' ? 0 : ACTIVATION_CODE[epilogue.act],
      GATE: Number(epilogue.kind === 'gate'),
      SWAP: Number(plan.swap),
      ...(plan.tile ? tileConstants(plan.tile) : { WG: plan.wg }),
      TU: plan.tu,
      ...(plan.entry === 'main_vec4' ? { U_VEC: VEC_CODE[plan.uVec as 'k' | 'outer'], V_VEC: VEC_CODE[plan.vVec as 'k' | 'outer'] } : {}),
      ...(isHalf(u) ? { U_HALF_AT: u.offset / 4 } : {}),
      ...(isHalf(v) ? { V_HALF_AT: v.offset / 4 } : {}),
    },
    bindings: [isHalf(u) ? u.half : u, isHalf(v) ? v.half : v, io.c, extra],
    workgroups: plan.workgroups,
    flops: 2 * m * n * k,
    bytes: halfBytes(io.a) * m * k + halfBytes(io.b) * k * n + 4 * m * n,
  };
}
