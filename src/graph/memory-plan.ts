/**
 * The static memory plan: every transient tensor of a program (activations, their gradients,
 * scratch) is assigned, once, to one of a few GPU buffers ("slots"); tensors whose lifetimes do
 * not overlap share a slot.
 *
 * Why whole buffers rather than offsets into one arena: WebGPU tracks read-only vs writable storage
 * usage per buffer, not per byte range, so a dispatch may not read one range of a buffer while
 * writing another. With slots, the tensors one op reads and writes are all alive at that op, hence
 * in different slots, hence in different buffers.
 *
 * A lifetime is the closed interval of op indices between a tensor's first and last use. Tensors
 * are taken in order of first use (linear scan); each goes into the free slot that fits it most
 * tightly, else the largest free slot (grown), else a new slot.
 */

export interface Interval {
  readonly id: number;
  readonly bytes: number;
  readonly first: number;
  readonly last: number;
}

/** Which slot (GPU buffer) each transient tensor of a program gets, and what that saves. */
export interface MemoryPlan {
  /** The slot of each tensor, by id. */
  readonly slotOf: ReadonlyMap<number, number>;
  /** Bytes of each slot: the largest tensor it ever holds, rounded up to 16. */
  readonly slotBytes: readonly number[];
  /** What the plan allocates: the sum of the slots. */
  readonly plannedBytes: number;
  /** What one buffer per tensor would allocate. */
  readonly naiveBytes: number;
}

const round = (n: number) => Math.ceil(Math.max(n, 4) / 16) * 16;

export function planMemory(intervals: readonly Interval[]): MemoryPlan {
  const order = [...intervals].sort((a, b) => a.first - b.first || b.bytes - a.bytes || a.id - b.id);
  const slotBytes: number[] = [];
  const busyUntil: number[] = []; // last op index of the slot's current tenant
  const slotOf = new Map<number, number>();

  for (const iv of order) {
    const size = round(iv.bytes);
    const free = slotBytes.map((_, s) => s).filter((s) => busyUntil[s]! < iv.first);
    const fitting = free.filter((s) => slotBytes[s]! >= size).sort((a, b) => slotBytes[a]! - slotBytes[b]!);
    let slot = fitting[0];
    if (slot === undefined && free.length > 0) {
      slot = free.sort((a, b) => slotBytes[b]! - slotBytes[a]!)[0]!;
      slotBytes[slot] = size;
    }
    if (slot === undefined) {
      slot = slotBytes.length;
      slotBytes.push(size);
      busyUntil.push(-1);
    }
    busyUntil[slot] = iv.last;
    slotOf.set(iv.id, slot);
  }
  return {
    slotOf,
    slotBytes,
    plannedBytes: slotBytes.reduce((a, b) => a + b, 0),
    naiveBytes: intervals.reduce((s, iv) => s + round(iv.bytes), 0),
  };
}
