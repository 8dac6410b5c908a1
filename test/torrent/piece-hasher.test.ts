import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PieceHasher } from '../../src/torrent/piece-hasher.ts';
import { KiB, data, randomChunks, refV1Pieces, refV2 } from './support.ts';

const PIECE_LENGTHS = [16 * KiB, 32 * KiB, 256 * KiB];

function sizesFor(p: number): number[] {
  return [0, 1, 16 * KiB - 1, 16 * KiB, 16 * KiB + 1, p - 1, p, p + 1, 2 * p, Math.floor(3.5 * p), 5 * p + 7];
}

function hashAll(buf: Buffer, pieceLength: number, v2: boolean, seed: number) {
  const h = new PieceHasher(pieceLength, { v2 });
  for (const chunk of randomChunks(buf, seed)) h.update(chunk);
  return h.digest();
}

for (const pieceLength of PIECE_LENGTHS) {
  test(`PieceHasher v1 and v2 equal the reference, pieceLength ${pieceLength}`, () => {
    let seed = pieceLength;
    for (const size of sizesFor(pieceLength)) {
      const buf = data(size);
      const v1 = refV1Pieces(buf, pieceLength);
      const v2 = refV2(buf, pieceLength);
      assert.equal(v1.length, 20 * Math.ceil(size / pieceLength));
      for (let round = 0; round < 3; round++) {
        seed++;
        const what = `size ${size}, seed ${seed}`;
        const a = hashAll(buf, pieceLength, false, seed);
        assert.equal(a.pieceLength, pieceLength);
        assert.deepEqual(a.pieces, v1, what);
        assert.equal(a.piecesRoot, undefined, what);
        assert.equal(a.pieceLayer, undefined, what);
        const b = hashAll(buf, pieceLength, true, seed);
        assert.deepEqual(b.pieces, v1, what);
        assert.deepEqual(b.pieceLayer, v2.pieceLayer, what);
        assert.deepEqual(b.piecesRoot, v2.piecesRoot, what);
      }
    }
  });
}

test('PieceHasher: one big chunk and byte-by-byte give the same result', () => {
  const buf = data(3 * 16 * KiB + 5);
  const whole = new PieceHasher(32 * KiB, { v2: true });
  whole.update(buf);
  const bytewise = new PieceHasher(32 * KiB, { v2: true });
  for (let i = 0; i < buf.length; i++) bytewise.update(buf.subarray(i, i + 1));
  assert.deepEqual(bytewise.digest(), whole.digest());
});

test('PieceHasher: a single short piece has its root over its own leaves, not the padded piece hash', () => {
  const buf = data(3 * 16 * KiB);
  const d = hashAll(buf, 256 * KiB, true, 1);
  assert.notDeepEqual(d.piecesRoot, d.pieceLayer);
  assert.deepEqual(d.piecesRoot, refV2(buf, 256 * KiB).piecesRoot);
});

test('PieceHasher: does not keep references to the caller\'s chunks', () => {
  const buf = data(40 * KiB);
  const expected = hashAll(Buffer.from(buf), 32 * KiB, true, 7);
  const h = new PieceHasher(32 * KiB, { v2: true });
  for (const chunk of randomChunks(buf, 7)) {
    const copy = Buffer.from(chunk);
    h.update(copy);
    copy.fill(0xaa); // a stream may reuse its buffers
  }
  assert.deepEqual(h.digest(), expected);
});

test('PieceHasher: rejects bad piece lengths, a second digest() and update() after digest()', () => {
  for (const bad of [0, 1000, 8 * KiB, 3 * 16 * KiB, -16 * KiB]) {
    assert.throws(() => new PieceHasher(bad, { v2: false }), RangeError, String(bad));
  }
  const h = new PieceHasher(16 * KiB, { v2: true });
  h.update(data(10));
  h.digest();
  assert.throws(() => h.digest());
  assert.throws(() => h.update(data(1)));
});
