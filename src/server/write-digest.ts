import { createHash, type Hash } from 'node:crypto';
import type { PartPieceHashes, PieceHashes } from '../meta/types.ts';
import { PartHasher } from '../torrent/part-hasher.ts';
import { PieceHasher } from '../torrent/piece-hasher.ts';

export interface HashPlan {
  /** 0: no piece hashing (benchmark reference only) */
  pieceLength: number;
  v2: boolean;
  /** set for multipart parts: hash on the grid the part has if it starts here */
  predictedOffset?: number;
}

export interface DigestResult {
  md5: Buffer;
  pieceHashes?: PieceHashes;
  partHashes?: PartPieceHashes;
}

/** Which of a write's digests one WriteDigest computes (a write may split them across threads). */
export type DigestParts = 'all' | 'pieces';

/** What a write computes from the plaintext in one pass: MD5 (the ETag) and piece hashes. */
export class WriteDigest {
  readonly #md5?: Hash;
  readonly #pieces?: PieceHasher;
  readonly #part?: PartHasher;

  constructor(plan: HashPlan, parts: DigestParts = 'all') {
    if (parts === 'all') this.#md5 = createHash('md5');
    if (plan.pieceLength === 0) return;
    if (plan.predictedOffset !== undefined) this.#part = new PartHasher(plan.pieceLength, plan.predictedOffset, { v2: plan.v2 });
    else this.#pieces = new PieceHasher(plan.pieceLength, { v2: plan.v2 });
  }

  update(chunk: Buffer): void {
    this.#md5?.update(chunk);
    this.#pieces?.update(chunk);
    this.#part?.update(chunk);
  }

  /** With parts 'pieces', `md5` is empty. */
  digest(): DigestResult {
    const md5 = this.#md5?.digest() ?? Buffer.alloc(0);
    if (this.#pieces) return { md5, pieceHashes: this.#pieces.digest() };
    if (this.#part) return { md5, partHashes: this.#part.digest() };
    return { md5, pieceHashes: { pieceLength: 0, pieces: Buffer.alloc(0) } };
  }
}
