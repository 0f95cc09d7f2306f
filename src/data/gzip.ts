/**
 * Gzip detection and decompression with the web-standard DecompressionStream, which Node 20 and
 * browsers both have: one code path, no zlib dependency.
 */
import { DataError } from '../errors';

/** Gzip members start with the magic bytes 1f 8b (RFC 1952). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompress gzip `bytes`; `file` names the source in errors. Truncated or corrupt data (bad
 * deflate stream, CRC mismatch, trailing garbage) becomes a DataError.
 */
export async function gunzip(bytes: Uint8Array, file: string): Promise<Uint8Array<ArrayBuffer>> {
  // Blob needs an ArrayBuffer-backed view (not a SharedArrayBuffer one); copy only in that rare case.
  const input = bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : bytes.slice();
  try {
    // pipeThrough marks the pipe's own promise as handled, so a corrupt stream rejects only here.
    const stream = new Blob([input]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    // Node names the zlib error; a browser's Response says only "Failed to fetch", which is no help here.
    const why = e instanceof Error && !/fetch/i.test(e.message) ? ` (${e.message})` : '';
    throw new DataError(
      `${file}: corrupt or truncated gzip data${why}`,
      'The file is damaged (often an interrupted download); replace it with a fresh copy.',
    );
  }
}
