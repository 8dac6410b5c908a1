import type { PartPieceHashes, PieceHashes } from '../meta/types.ts';
import { HASH_SIZE, rootFromPieceLayer } from './merkle.ts';
import { assertPieceLength } from './piece-grid-hasher.ts';
import { PieceHasher } from './piece-hasher.ts';

const SHA1_SIZE = 20;

export interface PartForCombine {
  size: number;
  hashes: PartPieceHashes;
  /** reads bytes [start, end) of this part (plaintext) */
  read(start: number, end: number): Promise<Buffer>;
}

/** Piece hashes of the object made of these parts in order. Reuses a part's hashes when its real offset
 *  equals its predictedOffset (and pieceLength matches); reads back only the pieces that straddle part
 *  boundaries (at most pieceLength bytes per boundary) and the object's short last piece; re-hashes a
 *  part only when its prediction was wrong. Returns also how many bytes it had to read. */
export async function combinePartHashes(
  parts: PartForCombine[],
  pieceLength: number,
  opts: { v2: boolean },
): Promise<{ hashes: PieceHashes; bytesRead: number }> {
  assertPieceLength(pieceLength);
  const offsets: number[] = [];
  let total = 0;
  for (const part of parts) {
    if (!Number.isSafeInteger(part.size) || part.size < 0) throw new RangeError(`invalid part size: ${part.size}`);
    offsets.push(total);
    total += part.size;
  }
  const pieceCount = Math.ceil(total / pieceLength);
  const pieces = Buffer.alloc(pieceCount * SHA1_SIZE);
  const layer = Buffer.alloc(opts.v2 ? pieceCount * HASH_SIZE : 0);
  const known = new Uint8Array(pieceCount);

  parts.forEach((part, i) => {
    const reusable = reusableRange(part, offsets[i]!, pieceLength, opts.v2);
    if (!reusable) return;
    const { first, count } = reusable;
    pieces.set(part.hashes.pieces, first * SHA1_SIZE);
    if (opts.v2) layer.set(part.hashes.pieceLayer!, first * HASH_SIZE);
    known.fill(1, first, first + count);
  });

  let bytesRead = 0;
  let onlyPieceRoot: Buffer | undefined;
  let partIndex = 0;
  for (let k = 0; k < pieceCount; k++) {
    if (known[k]) continue;
    const start = k * pieceLength;
    const end = Math.min(total, start + pieceLength);
    const hasher = new PieceHasher(pieceLength, opts);
    while (offsets[partIndex]! + parts[partIndex]!.size <= start) partIndex++;
    for (let j = partIndex; j < parts.length && offsets[j]! < end; j++) {
      const part = parts[j]!;
      const from = Math.max(start, offsets[j]!) - offsets[j]!;
      const to = Math.min(end, offsets[j]! + part.size) - offsets[j]!;
      if (to <= from) continue;
      const bytes = await part.read(from, to);
      if (bytes.length !== to - from) {
        throw new Error(`part ${j}: read(${from}, ${to}) returned ${bytes.length} bytes`);
      }
      bytesRead += bytes.length;
      hasher.update(bytes);
    }
    const piece = hasher.digest();
    piece.pieces.copy(pieces, k * SHA1_SIZE);
    if (opts.v2) {
      piece.pieceLayer!.copy(layer, k * HASH_SIZE);
      onlyPieceRoot = piece.piecesRoot;
    }
  }

  const hashes: PieceHashes = { pieceLength, pieces };
  if (opts.v2) {
    hashes.pieceLayer = layer;
    if (pieceCount === 1) hashes.piecesRoot = onlyPieceRoot ?? rootFromPieceLayer(layer, pieceLength);
    else if (pieceCount > 1) hashes.piecesRoot = rootFromPieceLayer(layer, pieceLength);
  }
  return { hashes, bytesRead };
}

/** the whole pieces of `part` whose hashes can be copied, or undefined if its prediction does not hold */
function reusableRange(
  part: PartForCombine,
  realOffset: number,
  pieceLength: number,
  v2: boolean,
): { first: number; count: number } | undefined {
  const h = part.hashes;
  if (h.pieceLength !== pieceLength || h.predictedOffset !== realOffset) return undefined;
  const first = Math.ceil(realOffset / pieceLength);
  const count = Math.max(0, Math.floor((realOffset + part.size) / pieceLength) - first);
  if (h.pieces.length !== count * SHA1_SIZE) return undefined;
  if (v2 && h.pieceLayer?.length !== count * HASH_SIZE) return undefined;
  return { first, count };
}
