import type { Gpu } from '../gpu/device';

/** One recorded fence: wait for it with SubmitFence.wait before recording the one after next. */
export interface FenceTicket {
  readonly slot: number;
  readonly recordedAt: number;
}

/** Fewest ms a wait must block before it counts as having found the GPU still busy. */
const BLOCKED_MS = 1;

/**
 * Waits for a submitted group of training steps without keeping the thread busy, and reads a small
 * buffer as of the group's end (the metric accumulators: a progress read for free).
 *
 * Why: Dawn's Node binding polls its events from a setImmediate loop for as long as any of its
 * promises is pending, so a thread that awaits `onSubmittedWorkDone()` spins a core at 100 % until
 * the GPU is done. On a CPU adapter (lavapipe) that core is one the kernels run on: in a profile of
 * one-hidden's training, the polling and the garbage it makes took a third of the process's CPU.
 * Here the promise is only made when the GPU should be about done: `record` copies the source
 * into one of two staging buffers at the end of a group; `wait` sleeps on a timer for the time such
 * a group took so far (from its recording to its completion), then maps its staging buffer (mapAsync
 * resolves once the submit that last wrote it is done). The estimate learns from each wait: when
 * the wait still blocked, it takes the observed time if the blocked wait before observed about as
 * much (at most twice), else it at most doubles, so that one slow group (one that compiled shaders,
 * say) does not make later waits oversleep while long groups (a CNN's) are learned in two waits; it
 * shrinks by a tenth when the GPU was already done. With two groups in flight, a sleep a little too
 * long costs nothing: the GPU works on the next group meanwhile.
 */
export class SubmitFence {
  private readonly staging: GPUBuffer[];
  private next = 0;
  /** Estimated ms from a ticket's recording to the GPU finishing it. */
  private latencyMs = 0;
  /** What the last wait that blocked observed, ms (0 before any: the first observation is not trusted alone). */
  private observedMs = 0;

  constructor(
    private readonly gpu: Gpu,
    private readonly source: GPUBuffer,
    private readonly bytes: number,
  ) {
    this.staging = [0, 1].map((i) =>
      gpu.device.createBuffer({ label: `submit fence ${i}`, size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
    );
  }

  /**
   * Copies the source into the next staging buffer in `encoder`; submit the encoder right after.
   * Staging buffers alternate: wait for a ticket before recording the one after it.
   */
  record(encoder: GPUCommandEncoder): FenceTicket {
    const slot = this.next;
    this.next = (this.next + 1) % this.staging.length;
    encoder.copyBufferToBuffer(this.source, 0, this.staging[slot]!, 0, this.bytes);
    return { slot, recordedAt: performance.now() };
  }

  /** Resolves once the submit that recorded `ticket` is done, with the source's words as of then. */
  async wait(ticket: FenceTicket): Promise<Uint32Array> {
    const sleep = this.latencyMs - (performance.now() - ticket.recordedAt);
    if (sleep >= 1) await new Promise((resolve) => setTimeout(resolve, sleep));
    const buffer = this.staging[ticket.slot]!;
    const asked = performance.now();
    await buffer.mapAsync(GPUMapMode.READ);
    const words = new Uint32Array(buffer.getMappedRange().slice(0));
    buffer.unmap();
    const done = performance.now();
    if (done - asked >= BLOCKED_MS) {
      const observed = done - ticket.recordedAt;
      this.latencyMs = observed <= 2 * this.observedMs ? observed : Math.min(observed, 2 * this.latencyMs + 1);
      this.observedMs = observed;
    } else {
      this.latencyMs *= 0.9;
    }
    return words;
  }

  release(): void {
    for (const b of this.staging) b.destroy();
  }
}
