/**
 * Hashes a byte stream that starts on a piece boundary into whole pieces: SHA-1 per piece (v1) and,
 * for v2, the merkle root of each piece's 16 KiB SHA-256 leaves. Shared by PieceHasher and PartHasher.
 */
import { createHash, type Hash } from 'node:crypto';
import { BLOCK_SIZE, HASH_SIZE, foldWithZeros, log2, reduceInPlace, sha256 } from './merkle.ts';
import { isPowerOfTwo, nextPowerOfTwo } from './piece-length.ts';

export function assertPieceLength(pieceLength: number): void {
  if (!isPowerOfTwo(pieceLength) || pieceLength < BLOCK_SIZE) {
    throw new RangeError(`piece length must be a power of two ≥ ${BLOCK_SIZE}, got ${pieceLength}`);
  }
}

export class PieceGridHasher {
  readonly pieceLength: number;
  readonly v2: boolean;
  private sha1: Hash = createHash('sha1');
  private inPiece = 0;
  private closed = false;
  private readonly sha1s: Buffer[] = [];
  private readonly layer: Buffer[] = [];
  private readonly leavesPerPiece: number;
  /** leaf hashes of the current piece; reduced in place when the piece ends */
  private readonly leaves: Buffer;
  private leafCount = 0;
  /** the start of a 16 KiB leaf whose bytes arrived split across chunks */
  private readonly carry: Buffer;
  private carryLen = 0;

  constructor(pieceLength: number, v2: boolean) {
    assertPieceLength(pieceLength);
    this.pieceLength = pieceLength;
    this.v2 = v2;
    this.leavesPerPiece = pieceLength / BLOCK_SIZE;
    this.leaves = Buffer.alloc(v2 ? this.leavesPerPiece * HASH_SIZE : 0);
    this.carry = Buffer.alloc(v2 ? BLOCK_SIZE : 0);
  }

  get pieceCount(): number {
    return this.sha1s.length;
  }

  update(chunk: Buffer): void {
    if (this.closed) throw new Error('update() after the last piece was finished');
    let pos = 0;
    while (pos < chunk.length) {
      const take = Math.min(chunk.length - pos, this.pieceLength - this.inPiece);
      const slice = chunk.subarray(pos, pos + take);
      this.sha1.update(slice);
      if (this.v2) this.addLeafBytes(slice);
      this.inPiece += take;
      pos += take;
      if (this.inPiece === this.pieceLength) this.endPiece();
    }
  }

  /**
   * Hashes the bytes since the last boundary as a final short piece (its v2 leaves zero-padded to the
   * full piece width) and closes the hasher. `ownRoot` is the merkle root over that piece's leaves padded
   * only to the next power of two: BEP 52's `pieces root` when it is the file's only piece.
   * Returns undefined if there were no such bytes.
   */
  finishShortPiece(): { ownRoot?: Buffer } | undefined {
    this.closed = true;
    if (this.inPiece === 0) return undefined;
    this.sha1s.push(this.sha1.digest());
    this.inPiece = 0;
    if (!this.v2) return {};
    if (this.carryLen > 0) {
      this.pushLeaf(this.carry.subarray(0, this.carryLen));
      this.carryLen = 0;
    }
    const width = nextPowerOfTwo(this.leafCount);
    this.leaves.fill(0, this.leafCount * HASH_SIZE, width * HASH_SIZE);
    const ownRoot = reduceInPlace(this.leaves, width);
    this.layer.push(foldWithZeros(ownRoot, log2(width), log2(this.leavesPerPiece)));
    return { ownRoot };
  }

  /** concatenated SHA-1s of the pieces finished so far */
  piecesSha1(): Buffer {
    return Buffer.concat(this.sha1s);
  }

  /** concatenated v2 piece hashes of the pieces finished so far (empty for v1) */
  pieceLayer(): Buffer {
    return Buffer.concat(this.layer);
  }

  private endPiece(): void {
    this.sha1s.push(this.sha1.digest());
    this.sha1 = createHash('sha1');
    this.inPiece = 0;
    if (this.v2) {
      this.layer.push(reduceInPlace(this.leaves, this.leavesPerPiece));
      this.leafCount = 0;
    }
  }

  private addLeafBytes(data: Buffer): void {
    let pos = 0;
    if (this.carryLen > 0) {
      pos = Math.min(BLOCK_SIZE - this.carryLen, data.length);
      data.copy(this.carry, this.carryLen, 0, pos);
      this.carryLen += pos;
      if (this.carryLen < BLOCK_SIZE) return;
      this.pushLeaf(this.carry);
      this.carryLen = 0;
    }
    for (; data.length - pos >= BLOCK_SIZE; pos += BLOCK_SIZE) {
      this.pushLeaf(data.subarray(pos, pos + BLOCK_SIZE));
    }
    if (pos < data.length) {
      data.copy(this.carry, 0, pos);
      this.carryLen = data.length - pos;
    }
  }

  private pushLeaf(block: Buffer): void {
    sha256(block).copy(this.leaves, this.leafCount * HASH_SIZE);
    this.leafCount++;
  }
}
