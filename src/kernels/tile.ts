/**
 * The workgroup tile of shaders/tiled_gemm.wgsl (used by matmul_tiled.wgsl and conv2d_tiled.wgsl):
 * x * y lanes, each owning `rows` rows x 4 columns of C, the operands staged through workgroup
 * memory `depth` reduction steps at a time.
 */
export interface TileConfig {
  /** Lanes along the columns (TILE_X). */
  x: number;
  /** Lanes along the rows (TILE_Y). */
  y: number;
  /** Rows per lane (TILE_R), at most MAX_TILE_R = 16. */
  rows: number;
  /** Reduction steps per stage (TILE_K). */
  depth: number;
}

/**
 * The tiles the tuner tries: 32x32 outputs per 64-lane workgroup, and the 64x64 per 256 lanes a
 * desktop GPU likes. Named by their output tile and stage depth, as variant ids show them.
 */
export const TILES: Readonly<Record<string, TileConfig>> = {
  tile32: { x: 8, y: 8, rows: 4, depth: 8 },
  tile64: { x: 16, y: 16, rows: 4, depth: 16 },
};

/** The TILE_* overrides of a tile. */
export function tileConstants(t: TileConfig): Record<string, number> {
  if (t.rows < 1 || t.rows > 16) throw new Error(`tiled GEMM: rows per lane must be 1..16, got ${t.rows}`);
  return { TILE_X: t.x, TILE_Y: t.y, TILE_R: t.rows, TILE_K: t.depth };
}

/** Workgroups covering a rows x cols output with tile `t` (row tiles folded into z past 65,535). */
export function tileGrid(rows: number, cols: number, t: TileConfig): [number, number, number] {
  const rowTiles = Math.ceil(rows / (t.y * t.rows));
  const z = Math.ceil(rowTiles / 65535);
  return [Math.ceil(cols / (4 * t.x)), Math.ceil(rowTiles / z), z];
}
