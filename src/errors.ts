/**
 * The project's typed errors. Each says what is wrong (`message`) and what to do about it (`hint`),
 * so a command-line tool or the demo can show both and pick an exit code by kind.
 */
export class WgmlError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(hint ? `${message}\n  ${hint}` : message);
    this.name = new.target.name;
  }
}

/** Bad input from a person: arguments, flags, a model definition. Exit code 2. */
export class UsageError extends WgmlError {}

/** A data or checkpoint file that is missing, unreadable or malformed. Exit code 2. */
export class DataError extends WgmlError {}

/** Layer shapes that do not fit together. Exit code 2. */
export class ShapeError extends WgmlError {}

/** No WebGPU, a lost device, a GPU validation or out-of-memory error. Exit code 1. */
export class GpuError extends WgmlError {}

/** The training loss became NaN or infinite: the learning rate is too high for the model. Exit code 1. */
export class DivergedError extends WgmlError {}

/** The run was stopped by a signal (Ctrl-C); its checkpoint says where. Exit code 130. */
export class InterruptedError extends WgmlError {}
