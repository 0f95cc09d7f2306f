/** The CPU twin of shaders/random.wgsl's pcg4d, in exact 32-bit integer arithmetic. */
export function pcg4d(x: number, y: number, z: number, w: number): [number, number, number, number] {
  let [a, b, c, d] = [x, y, z, w].map((v) => (Math.imul(v >>> 0, 1664525) + 1013904223) >>> 0) as [number, number, number, number];
  const round = () => {
    a = (a + Math.imul(b, d)) >>> 0;
    b = (b + Math.imul(c, a)) >>> 0;
    c = (c + Math.imul(a, b)) >>> 0;
    d = (d + Math.imul(b, c)) >>> 0;
  };
  round();
  a = (a ^ (a >>> 16)) >>> 0;
  b = (b ^ (b >>> 16)) >>> 0;
  c = (c ^ (c >>> 16)) >>> 0;
  d = (d ^ (d >>> 16)) >>> 0;
  round();
  return [a, b, c, d];
}

export function unitFloat(bits: number): number {
  return (bits >>> 8) / 16777216;
}
