/** IEEE binary16 on the CPU, for checking the f16 copies of mixed precision against the kernels. */

/** The value of half-precision bits `h`. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** The half nearest to `x` (ties to even), as bits; saturating at ±65504 like shaders/half_pack.wgsl. */
export function floatToHalf(x: number): number {
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.min(Math.abs(x), 65504);
  if (a < 2 ** -14) return sign | roundEven(a / 2 ** -24); // subnormal (a result of 1024 is the smallest normal, as it should be)
  const e = Math.floor(Math.log2(a));
  const exponent = a >= 2 ** (e + 1) ? e + 1 : a < 2 ** e ? e - 1 : e; // log2's rounding at powers of two
  const m = roundEven((a / 2 ** exponent - 1) * 1024);
  return m === 1024 ? sign | ((exponent + 16) << 10) : sign | ((exponent + 15) << 10) | m;
}

function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Half bits for each value of `values`, and the values they stand for. */
export function toHalves(values: ArrayLike<number>): { bits: Uint16Array<ArrayBuffer>; values: Float64Array } {
  const bits = Uint16Array.from({ length: values.length }, (_, i) => floatToHalf(values[i]!));
  return { bits, values: Float64Array.from(bits, halfToFloat) };
}
