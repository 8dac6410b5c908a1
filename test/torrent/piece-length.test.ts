import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MULTIPART_PIECE_LENGTH, pieceLengthFor } from '../../src/torrent/piece-length.ts';
import { KiB, MiB } from './support.ts';

test('pieceLengthFor: table', () => {
  const cases: Array<[number, number]> = [
    [0, 256 * KiB],
    [1, 256 * KiB],
    [512 * MiB, 256 * KiB],          // exactly 2048 pieces of 256 KiB
    [512 * MiB + 1, 512 * KiB],
    [1024 * MiB, 512 * KiB],
    [5_000_000_000, 4 * MiB],        // ~1193 pieces
    [5 * 1024 * MiB, 4 * MiB],       // 1280 pieces
    [6 * 1024 * MiB, 4 * MiB],
    [8 * 1024 * MiB + 1, 8 * MiB],
    [32 * 1024 * MiB, 16 * MiB],
    [2 ** 45, 16 * MiB],             // capped
  ];
  for (const [size, expected] of cases) assert.equal(pieceLengthFor(size), expected, `size ${size}`);
});

test('pieceLengthFor: power of two, bounded, ≤ 2048 pieces below the cap', () => {
  for (let e = 0; e < 46; e++) {
    for (const size of [2 ** e - 1, 2 ** e, 2 ** e + 1, Math.floor(2 ** e * 1.3)]) {
      if (size < 0) continue;
      const p = pieceLengthFor(size);
      assert.equal(2 ** Math.log2(p), p);
      assert.ok(p >= 256 * KiB && p <= 16 * MiB);
      if (p < 16 * MiB) assert.ok(Math.ceil(size / p) <= 2048, `size ${size}: ${Math.ceil(size / p)} pieces`);
      if (p > 256 * KiB) assert.ok(Math.ceil(size / (p / 2)) > 2048, `size ${size}: ${p} is larger than needed`);
    }
  }
});

test('pieceLengthFor: rejects bad sizes', () => {
  for (const bad of [-1, 1.5, Number.NaN, 2 ** 60]) assert.throws(() => pieceLengthFor(bad), RangeError);
});

test('MULTIPART_PIECE_LENGTH is 4 MiB', () => {
  assert.equal(MULTIPART_PIECE_LENGTH, 4 * MiB);
});
