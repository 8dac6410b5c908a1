/**
 * Piece length rule (v1 and v2 use the same grid so a hybrid torrent describes one piece layout):
 *
 *   pieceLengthFor(size) = max(256 KiB, min(16 MiB, nextPow2(ceil(size / 2048))))
 *
 * - a power of two, as BEP 52 requires (and at least 16 KiB, the v2 leaf size);
 * - at least 256 KiB: webtorrent and Transmission ask a web seed one Range request per piece,
 *   so small pieces multiply HTTP requests;
 * - at most 16 MiB, the largest size common clients accept;
 * - in between, about 2048 pieces at most, so a 5 GB object gets 4 MiB pieces (~1280 of them)
 *   and a .torrent of ~26 KB.
 */

export const MIN_PIECE_LENGTH = 256 * 1024;
export const MAX_PIECE_LENGTH = 16 * 1024 * 1024;
const TARGET_PIECES = 2048;

/** multipart objects: fixed, since the final size is unknown while parts stream in; every part but the last is ≥ 5 MiB */
export const MULTIPART_PIECE_LENGTH = 4 * 1024 * 1024;

export function pieceLengthFor(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid object size: ${size}`);
  const wanted = nextPowerOfTwo(Math.ceil(size / TARGET_PIECES));
  return Math.max(MIN_PIECE_LENGTH, Math.min(MAX_PIECE_LENGTH, wanted));
}

/** smallest power of two ≥ n (1 for n ≤ 1); exact beyond 2^32, unlike bit operators */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && nextPowerOfTwo(n) === n;
}
