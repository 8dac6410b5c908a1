/** BEP 52 merkle helpers: SHA-256 over 16 KiB leaf blocks, zero-padded subtrees. */
import { hash } from 'node:crypto';
import { nextPowerOfTwo } from './piece-length.ts';

export const BLOCK_SIZE = 16 * 1024;
export const HASH_SIZE = 32;

export function sha256(data: Buffer): Buffer {
  return hash('sha256', data, 'buffer');
}

/** zeroHashes[i] = root of a subtree of 2^i all-zero leaf hashes (zeroHashes[0] = 32 zero bytes) */
const zeroHashes: Buffer[] = [Buffer.alloc(HASH_SIZE)];

export function zeroSubtreeHash(level: number): Buffer {
  while (zeroHashes.length <= level) {
    const below = zeroHashes[zeroHashes.length - 1]!;
    zeroHashes.push(sha256(Buffer.concat([below, below])));
  }
  return zeroHashes[level]!;
}

/** log2 of a power of two */
export function log2(powerOfTwo: number): number {
  return Math.round(Math.log2(powerOfTwo));
}

/**
 * Root of the `count` hashes at the start of `buf`, `count` a power of two.
 * Reduces in place (buf is overwritten): node i of the next layer is written at 32·i, which is never
 * ahead of the 64 bytes at 64·i it is computed from.
 */
export function reduceInPlace(buf: Buffer, count: number): Buffer {
  for (let n = count; n > 1; n /= 2) {
    for (let i = 0; i < n / 2; i++) {
      sha256(buf.subarray(i * 2 * HASH_SIZE, (i + 1) * 2 * HASH_SIZE)).copy(buf, i * HASH_SIZE);
    }
  }
  return Buffer.from(buf.subarray(0, HASH_SIZE));
}

/** Extend a subtree root at `fromLevel` to `toLevel`, as the leftmost node beside all-zero subtrees. */
export function foldWithZeros(root: Buffer, fromLevel: number, toLevel: number): Buffer {
  let node = root;
  for (let level = fromLevel; level < toLevel; level++) {
    node = sha256(Buffer.concat([node, zeroSubtreeHash(level)]));
  }
  return node;
}

/**
 * `pieces root` of a file from its piece layer (32 bytes per piece, the last piece already padded to full width).
 * For a file of a single piece the root is that piece's hash only if the piece is full; callers with a
 * short single piece must use the root over its own leaves instead (see PieceGridHasher).
 */
export function rootFromPieceLayer(layer: Buffer, pieceLength: number): Buffer {
  const count = layer.length / HASH_SIZE;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`bad piece layer length ${layer.length}`);
  if (count === 1) return Buffer.from(layer);
  const width = nextPowerOfTwo(count);
  const buf = Buffer.allocUnsafe(width * HASH_SIZE);
  layer.copy(buf, 0);
  const pad = zeroSubtreeHash(log2(pieceLength / BLOCK_SIZE));
  for (let i = count; i < width; i++) pad.copy(buf, i * HASH_SIZE);
  return reduceInPlace(buf, width);
}
