import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartHasher } from '../../src/torrent/part-hasher.ts';
import { combinePartHashes, type PartForCombine } from '../../src/torrent/combine-parts.ts';
import { MULTIPART_PIECE_LENGTH } from '../../src/torrent/piece-length.ts';
import { PieceHasher } from '../../src/torrent/piece-hasher.ts';
import { KiB, MiB, data, randomChunks, refV1Pieces, refV2, rng } from './support.ts';

const P = MULTIPART_PIECE_LENGTH;
const OBJECT = data(20 * MiB);

function whole(buf: Buffer, pieceLength: number, v2: boolean) {
  const h = new PieceHasher(pieceLength, { v2 });
  h.update(buf);
  return h.digest();
}
const EXPECTED = { v1: whole(OBJECT, P, false), v2: whole(OBJECT, P, true) };

function split(buf: Buffer, sizes: number[]): Buffer[] {
  const parts: Buffer[] = [];
  let pos = 0;
  for (const size of sizes) {
    parts.push(buf.subarray(pos, pos + size));
    pos += size;
  }
  assert.equal(pos, buf.length, 'part sizes must add up to the object');
  return parts;
}

/** hashes the parts in a shuffled order (as concurrent UploadPart requests would), each in random chunks */
function hashParts(
  parts: Buffer[],
  predictedOffset: (index: number) => number,
  pieceLength: number,
  v2: boolean,
  seed: number,
): PartForCombine[] {
  const rand = rng(seed);
  const order = parts.map((_, i) => i).sort(() => rand() - 0.5);
  const result: PartForCombine[] = new Array(parts.length);
  for (const i of order) {
    const bytes = parts[i]!;
    const h = new PartHasher(pieceLength, predictedOffset(i), { v2 });
    for (const chunk of randomChunks(bytes, seed + i, 256 * KiB)) h.update(chunk);
    result[i] = {
      size: bytes.length,
      hashes: h.digest(),
      read: async (start, end) => {
        assert.ok(0 <= start && start < end && end <= bytes.length, `read(${start}, ${end}) of ${bytes.length}`);
        return Buffer.from(bytes.subarray(start, end));
      },
    };
  }
  return result;
}

const equalSizes = (size: number) => (i: number) => i * size;
function realOffsets(parts: Buffer[]): (i: number) => number {
  const offsets = parts.map((_, i) => parts.slice(0, i).reduce((a, p) => a + p.length, 0));
  return (i) => offsets[i]!;
}

for (const v2 of [false, true]) {
  const expected = v2 ? EXPECTED.v2 : EXPECTED.v1;
  const tag = v2 ? 'hybrid' : 'v1';

  test(`combine (${tag}): 5 MiB parts, aligned predictions: equals whole-object hashing, reads ≤ one piece per boundary`, async () => {
    const parts = split(OBJECT, [5 * MiB, 5 * MiB, 5 * MiB, 5 * MiB]);
    const { hashes, bytesRead } = await combinePartHashes(hashParts(parts, equalSizes(5 * MiB), P, v2, 11), P, { v2 });
    assert.deepEqual(hashes, expected);
    // boundaries at 5, 10, 15 MiB each fall inside one 4 MiB piece
    assert.ok(bytesRead <= 3 * P, `bytesRead ${bytesRead}`);
    assert.equal(bytesRead, 3 * P);
  });

  test(`combine (${tag}): (5 MiB + 3) parts and a short last part, predictions hold`, async () => {
    const size = 5 * MiB + 3;
    const parts = split(OBJECT, [size, size, size, OBJECT.length - 3 * size]);
    const { hashes, bytesRead } = await combinePartHashes(hashParts(parts, equalSizes(size), P, v2, 12), P, { v2 });
    assert.deepEqual(hashes, expected);
    assert.ok(bytesRead <= 3 * P, `bytesRead ${bytesRead}`);
  });

  test(`combine (${tag}): parts hashed at wrong predicted offsets are re-read, result still right`, async () => {
    const parts = split(OBJECT, [5 * MiB + 3, 6 * MiB - 1, 3 * MiB, 6 * MiB - 2]);
    // part 0 is right (0); part 1 predicted as if part 0 were exactly 5 MiB; parts 2 and 3 way off
    const wrong = [0, 5 * MiB, 7, 12 * MiB];
    const { hashes, bytesRead } = await combinePartHashes(hashParts(parts, (i) => wrong[i]!, P, v2, 13), P, { v2 });
    assert.deepEqual(hashes, expected);
    // everything after part 0's first whole piece must have been read again
    assert.ok(bytesRead >= OBJECT.length - P, `bytesRead ${bytesRead}`);
    assert.ok(bytesRead <= OBJECT.length, `bytesRead ${bytesRead}`);
  });

  test(`combine (${tag}): parts hashed with another piece length are re-read`, async () => {
    const parts = split(OBJECT, [10 * MiB, 10 * MiB]);
    const hashed = hashParts(parts, equalSizes(10 * MiB), 2 * MiB, v2, 14);
    const { hashes, bytesRead } = await combinePartHashes(hashed, P, { v2 });
    assert.deepEqual(hashes, expected);
    assert.equal(bytesRead, OBJECT.length);
  });
}

test('combine: tiny middle parts (a piece spanning many parts), odd sizes, empty parts, v1 and v2', async () => {
  const pieceLength = 32 * KiB;
  const buf = data(300 * KiB + 123);
  const sizes = [40 * KiB + 1, 1, 0, 7, 5 * KiB, 16 * KiB, 3, 64 * KiB, 0];
  sizes.push(buf.length - sizes.reduce((a, b) => a + b, 0));
  const parts = split(buf, sizes);
  for (const v2 of [false, true]) {
    for (const [name, predict] of [['right', realOffsets(parts)], ['wrong', (i: number) => i * 1000]] as const) {
      const { hashes } = await combinePartHashes(hashParts(parts, predict, pieceLength, v2, 21), pieceLength, { v2 });
      assert.deepEqual(hashes.pieces, refV1Pieces(buf, pieceLength), `${name} v2=${v2}`);
      if (v2) {
        const ref = refV2(buf, pieceLength);
        assert.deepEqual(hashes.pieceLayer, ref.pieceLayer, name);
        assert.deepEqual(hashes.piecesRoot, ref.piecesRoot, name);
      }
    }
  }
});

test('combine: objects of at most one piece (single-piece root) and of zero bytes', async () => {
  const pieceLength = 64 * KiB;
  for (const size of [0, 1, 16 * KiB + 1, 64 * KiB - 1, 64 * KiB]) {
    const buf = data(size);
    const half = Math.floor(size / 2);
    for (const sizes of [[size], [half, size - half]]) {
      const parts = split(buf, sizes);
      const { hashes } = await combinePartHashes(hashParts(parts, realOffsets(parts), pieceLength, true, 5), pieceLength, { v2: true });
      assert.deepEqual(hashes, whole(buf, pieceLength, true), `size ${size}, parts ${sizes}`);
    }
  }
  const none = await combinePartHashes([], pieceLength, { v2: true });
  assert.deepEqual(none.hashes, whole(Buffer.alloc(0), pieceLength, true));
  assert.equal(none.bytesRead, 0);
});

test('PartHasher: hashes exactly the whole pieces of the predicted grid', () => {
  const pieceLength = 16 * KiB;
  const buf = data(100 * KiB);
  const predicted = 5 * KiB; // first boundary 11 KiB into the part; pieces end at 16, 32, 48, 64, 80, 96 KiB of the object
  const h = new PartHasher(pieceLength, predicted, { v2: true });
  for (const chunk of randomChunks(buf, 3, 8 * KiB)) h.update(chunk);
  const d = h.digest();
  const grid = buf.subarray(11 * KiB, 11 * KiB + 5 * pieceLength);
  assert.equal(d.pieceLength, pieceLength);
  assert.equal(d.predictedOffset, predicted);
  assert.deepEqual(d.pieces, refV1Pieces(grid, pieceLength));
  assert.deepEqual(d.pieceLayer, refV2(grid, pieceLength).pieceLayer);

  const v1 = new PartHasher(pieceLength, 0, { v2: false });
  v1.update(buf.subarray(0, 10));
  const small = v1.digest();
  assert.equal(small.pieces.length, 0);
  assert.equal(small.pieceLayer, undefined);
  assert.throws(() => new PartHasher(pieceLength, -1, { v2: false }), RangeError);
});

test('combine: a part whose read() returns the wrong length is an error', async () => {
  const buf = data(40 * KiB);
  const parts = hashParts(split(buf, [20 * KiB, 20 * KiB]), (i) => i * 20 * KiB, 16 * KiB, false, 9);
  parts[1] = { ...parts[1]!, read: async (s, e) => Buffer.alloc(e - s - 1) };
  await assert.rejects(combinePartHashes(parts, 16 * KiB, { v2: false }), /returned/);
});
