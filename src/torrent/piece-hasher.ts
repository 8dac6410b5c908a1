import type { PieceHashes } from '../meta/types.ts';
import { rootFromPieceLayer } from './merkle.ts';
import { PieceGridHasher } from './piece-grid-hasher.ts';

/**
 * Incremental hashing of a whole object as it streams in. update() may receive any chunk sizes.
 * digest() gives `pieces` (concatenated SHA-1s) and, with v2, `pieceLayer` (one 32-byte hash per piece,
 * also for a single-piece object) and `piecesRoot` (absent for a 0-byte object, whose layer is empty).
 */
export class PieceHasher {
  private readonly grid: PieceGridHasher;
  private done = false;

  constructor(pieceLength: number, opts: { v2: boolean }) {
    this.grid = new PieceGridHasher(pieceLength, opts.v2);
  }

  update(chunk: Buffer): void {
    this.grid.update(chunk);
  }

  /** call once at the end */
  digest(): PieceHashes {
    if (this.done) throw new Error('digest() called twice');
    this.done = true;
    const { pieceLength } = this.grid;
    const short = this.grid.finishShortPiece();
    const pieces = this.grid.piecesSha1();
    if (!this.grid.v2) return { pieceLength, pieces };
    const pieceLayer = this.grid.pieceLayer();
    if (this.grid.pieceCount === 0) return { pieceLength, pieces, pieceLayer };
    const piecesRoot = this.grid.pieceCount === 1 && short?.ownRoot
      ? short.ownRoot
      : rootFromPieceLayer(pieceLayer, pieceLength);
    return { pieceLength, pieces, piecesRoot, pieceLayer };
  }
}
