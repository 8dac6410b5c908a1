import type { PartPieceHashes } from '../meta/types.ts';
import { PieceGridHasher } from './piece-grid-hasher.ts';

/** Bytes at the start of a part that begins at `offset` before the first piece boundary of the object's grid. */
export function headBeforeGrid(pieceLength: number, offset: number): number {
  return (pieceLength - (offset % pieceLength)) % pieceLength;
}

/** Hashes one multipart part on the piece grid it would have if it started at predictedOffset:
 *  skips the head bytes before the first grid boundary, hashes whole pieces, skips the tail. */
export class PartHasher {
  private readonly grid: PieceGridHasher;
  private readonly predictedOffset: number;
  private headToSkip: number;
  private done = false;

  constructor(pieceLength: number, predictedOffset: number, opts: { v2: boolean }) {
    if (!Number.isSafeInteger(predictedOffset) || predictedOffset < 0) {
      throw new RangeError(`invalid predicted offset: ${predictedOffset}`);
    }
    this.grid = new PieceGridHasher(pieceLength, opts.v2);
    this.predictedOffset = predictedOffset;
    this.headToSkip = headBeforeGrid(pieceLength, predictedOffset);
  }

  update(chunk: Buffer): void {
    if (this.headToSkip > 0) {
      if (chunk.length <= this.headToSkip) {
        this.headToSkip -= chunk.length;
        return;
      }
      chunk = chunk.subarray(this.headToSkip);
      this.headToSkip = 0;
    }
    this.grid.update(chunk);
  }

  digest(): PartPieceHashes {
    if (this.done) throw new Error('digest() called twice');
    this.done = true;
    // the bytes after the last whole piece (the tail) are dropped: not finishShortPiece()
    const result: PartPieceHashes = {
      pieceLength: this.grid.pieceLength,
      predictedOffset: this.predictedOffset,
      pieces: this.grid.piecesSha1(),
    };
    if (this.grid.v2) result.pieceLayer = this.grid.pieceLayer();
    return result;
  }
}
