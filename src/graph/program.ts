import type { KernelCall } from '../gpu/kernel';

/** A transient tensor: it lives in one of the program's buffers ("slots"), the one the memory plan assigns. */
export interface TensorRef {
  readonly id: number;
  readonly name: string;
  readonly bytes: number;
}

/** Resolves a transient tensor to its slot. Valid only while building kernels. */
export type Bind = (t: TensorRef) => GPUBufferBinding;

/**
 * One step of a program: the tensors it touches (which is all the memory planner needs to know)
 * and how to build its kernels once their bindings are known.
 */
export interface Op {
  readonly label: string;
  readonly reads: readonly TensorRef[];
  readonly writes: readonly TensorRef[];
  /** Builds the op's kernels once the memory plan is known: `bind` gives each tensor's buffer range. */
  build(bind: Bind): Promise<KernelCall[]>;
}

/** Collects tensors and ops in execution order: the symbolic form of a forward or training step. */
export class Program {
  readonly tensors: TensorRef[] = [];
  readonly ops: Op[] = [];

  /** Declares a transient tensor of `bytes` bytes; it gets memory only if some op reads or writes it. */
  tensor(name: string, bytes: number): TensorRef {
    const t = { id: this.tensors.length, name, bytes };
    this.tensors.push(t);
    return t;
  }

  /** Appends an op: ops run in the order they are added. */
  op(op: Op): void {
    this.ops.push(op);
  }

  /** Each tensor's lifetime: the first and last op that reads or writes it. */
  lifetimes(): { id: number; bytes: number; first: number; last: number }[] {
    const first = new Map<number, number>();
    const last = new Map<number, number>();
    this.ops.forEach((op, i) => {
      for (const t of [...op.reads, ...op.writes]) {
        if (!first.has(t.id)) first.set(t.id, i);
        last.set(t.id, i);
      }
    });
    return this.tensors
      .filter((t) => first.has(t.id))
      .map((t) => ({ id: t.id, bytes: t.bytes, first: first.get(t.id)!, last: last.get(t.id)! }));
  }
}
