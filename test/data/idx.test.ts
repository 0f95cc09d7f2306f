import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/errors';
import { parseIdxImages, parseIdxLabels } from '../../src/data/idx';
import { gz, idx, idxImages, idxLabels } from './fixtures';

/** Resolves to the DataError the promise rejects with (fails if it resolves or throws anything else). */
async function dataError(p: Promise<unknown>): Promise<DataError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  return e as DataError;
}

describe('parseIdxImages / parseIdxLabels', () => {
  it('parses raw and gzipped files alike', async () => {
    const raw = idxImages(2, 3, 4);
    for (const bytes of [raw, gz(raw)]) {
      const r = await parseIdxImages(bytes, 'x');
      expect([r.count, r.rows, r.cols]).toEqual([2, 3, 4]);
      expect(Array.from(r.images.subarray(0, 3))).toEqual([0, 1, 2]);
      expect(r.images[12]).toBe(31); // image 1, pixel 0
      expect(r.images.length).toBe(24);
    }
    const l = await parseIdxLabels(gz(idxLabels([3, 1, 4])), 'y');
    expect(l.count).toBe(3);
    expect(Array.from(l.labels)).toEqual([3, 1, 4]);
  });

  it('never aliases the caller’s raw buffer', async () => {
    const raw = idxLabels([1, 2]);
    const l = await parseIdxLabels(raw, 'y');
    raw[8] = 7;
    expect(l.labels[0]).toBe(1);
  });

  it('accepts zero images', async () => {
    expect((await parseIdxImages(idxImages(0), 'x')).count).toBe(0);
  });

  it.each([
    ['too short', new Uint8Array([0, 0]), /f\.idx: too short .*2 bytes/],
    ['truncated header', idxImages(1).subarray(0, 10), /f\.idx: truncated IDX header \(10 of 16 bytes\)/],
    ['truncated payload', idxImages(2).subarray(0, 16 + 784 + 5), /f\.idx: truncated: header says 2x28x28 = 1568 bytes of images, but only 789 present/],
    ['extra bytes', new Uint8Array([...idxImages(1), 0, 0]), /f\.idx: 2 unexpected bytes after/],
    ['wrong magic', Uint8Array.from([0x12, 0x34, 8, 3, ...idxImages(1).subarray(4)]), /f\.idx: not an IDX file: expected magic 0x00000803, found bytes 12 34 08 03/],
    ['an HTML page', new TextEncoder().encode('<!DOCTYPE html><html>404</html>'), /not an IDX file.*"<!DOCTYPE html><"/],
    ['wrong data type', idx(0x0d, [1, 1, 1], new Uint8Array(4)), /f\.idx: IDX data type is float32, expected uint8 images/],
    ['unknown data type', idx(0x42, [1, 1, 1], new Uint8Array(1)), /unknown type 0x42/],
    ['labels as images', idxLabels([1]), /f\.idx: IDX file has 1 dimension\(s\), expected 3 for images/],
    ['zero-size images', idx(0x08, [1, 0, 28], new Uint8Array(0)), /images of size 0x28/],
  ])('rejects %s with a DataError naming the file', async (_, bytes, message) => {
    const e = await dataError(parseIdxImages(bytes, 'f.idx'));
    expect(e.message).toMatch(message);
    expect(e.hint).toMatch(/fresh copy/);
  });

  it('rejects images given as labels', async () => {
    expect((await dataError(parseIdxLabels(idxImages(1), 'l.idx'))).message).toMatch(/3 dimension\(s\), expected 1 for labels/);
  });

  it('rejects corrupt gzip: a flipped bit in the deflate data, truncation, trailing garbage', async () => {
    const good = gz(idxImages(4));
    const flipped = Uint8Array.from(good);
    flipped[20] = flipped[20]! ^ 0x04; // past the 10-byte gzip header, inside the deflate stream
    const cases = [flipped, good.subarray(0, good.length - 9), new Uint8Array([...good, 1, 2, 3])];
    for (const bytes of cases) {
      const e = await dataError(parseIdxImages(bytes, 'g.gz'));
      expect(e.message).toMatch(/^g\.gz: corrupt or truncated gzip data/);
    }
  });
});

describe('IDX parser properties: a DataError or a valid parse, never anything else', () => {
  /** Run both parsers; each must either parse consistently or reject with a DataError. */
  async function check(bytes: Uint8Array): Promise<void> {
    for (const parse of [parseIdxImages, parseIdxLabels]) {
      try {
        const r = await parse(bytes, 'p');
        if ('images' in r) expect(r.images.length).toBe(r.count * r.rows * r.cols);
        else expect(r.labels.length).toBe(r.count);
      } catch (e) {
        if (!(e instanceof DataError)) throw e;
      }
    }
  }
  const validRaw = fc.oneof(
    fc.tuple(fc.nat(3), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })).map(([n, r, c]) => idxImages(n, r, c)),
    fc.array(fc.nat(255), { maxLength: 20 }).map(idxLabels),
  );
  const valid = fc.tuple(validRaw, fc.boolean()).map(([b, zip]) => (zip ? gz(b) : b));

  it('random bytes (some with IDX or gzip magic)', async () => {
    const prefix = fc.constantFrom([], [0, 0, 8, 3], [0, 0, 8, 1], [0x1f, 0x8b], [0x1f, 0x8b, 8, 0]);
    await fc.assert(
      fc.asyncProperty(prefix, fc.uint8Array({ maxLength: 64 }), (p, rest) => check(Uint8Array.from([...p, ...rest]))),
      { numRuns: 300 },
    );
  });

  it('truncated valid files', async () => {
    await fc.assert(
      fc.asyncProperty(valid, fc.nat(), async (b, k) => {
        const cut = b.subarray(0, k % b.length); // strictly shorter: always an error
        await check(cut);
        await dataError(parseIdxImages(cut, 'p').then(() => parseIdxLabels(cut, 'p')));
      }),
      { numRuns: 200 },
    );
  });

  it('bit-flipped valid files', async () => {
    await fc.assert(
      fc.asyncProperty(valid, fc.nat(), fc.nat(7), fc.nat(3), async (b, at, bit, extra) => {
        const c = Uint8Array.from(b);
        for (let i = 0; i <= extra; i++) c[(at + i * 7919) % c.length]! ^= 1 << bit;
        await check(c);
      }),
      { numRuns: 300 },
    );
  });
});
