/**
 * Setup for the kernel tests in Chromium (the `browser` project in vitest.config.ts): the one Node
 * global those shared test files use that a browser lacks. test/kernels/init.test.ts compares two
 * readbacks byte for byte with `Buffer.from(arrayBuffer).equals(...)`; this stands in for exactly
 * that and fails loudly for anything else, so a new Node-only use shows up as a clear error.
 *
 * It is a class (a Uint8Array), not a plain object, because Vitest's and chai's error formatting
 * test `value instanceof Buffer` whenever a global Buffer exists.
 */
class BrowserBuffer extends Uint8Array {
  equals(other: Uint8Array): boolean {
    return other.length === this.length && this.every((v, i) => v === other[i]);
  }
}

function from(source: unknown): BrowserBuffer {
  if (!(source instanceof ArrayBuffer)) {
    throw new TypeError('test/browser/kernel-setup.ts: the browser stand-in for Buffer only supports Buffer.from(arrayBuffer)');
  }
  return new BrowserBuffer(source);
}

if (typeof (globalThis as { Buffer?: unknown }).Buffer === 'undefined') {
  // `from` replaces Uint8Array.from's (a different signature, so it is set here, not declared).
  Object.defineProperty(BrowserBuffer, 'from', { value: from });
  Object.defineProperty(globalThis, 'Buffer', { value: BrowserBuffer, configurable: true, writable: true });
}
