import { createHash, type Hash } from 'node:crypto';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createSseCipher, newSseIv, type SseCustomerKey } from '../access/sse-c.ts';
import type { PartPieceHashes, PieceHashes, Segment } from '../meta/types.ts';
import { S3Error } from '../s3/errors.ts';
import type { BlobStore, BlobWriter } from '../storage/blob-store.ts';
import { PartHasher } from '../torrent/part-hasher.ts';
import { PieceHasher } from '../torrent/piece-hasher.ts';

export interface HashPlan {
  /** 0: no piece hashing (benchmark reference only) */
  pieceLength: number;
  v2: boolean;
  /** set for multipart parts: hash on the grid the part has if it starts here */
  predictedOffset?: number;
}

export interface WrittenBlob {
  writer: BlobWriter;
  segment: Segment;
  size: number;
  md5: Buffer;
  pieceHashes?: PieceHashes;
  partHashes?: PartPieceHashes;
}

/**
 * Everything a write computes from the plaintext in one pass: size, MD5 (the ETag) and piece
 * hashes. Piece hashing here is what lets GetObjectTorrent answer without reading the object.
 */
class WriteDigest extends Transform {
  size = 0;
  readonly md5: Hash = createHash('md5');
  readonly #pieces?: PieceHasher;
  readonly #part?: PartHasher;
  readonly #maxSize: number;

  constructor(plan: HashPlan, maxSize: number) {
    super({ highWaterMark: 1 << 20 });
    this.#maxSize = maxSize;
    if (plan.pieceLength === 0) return;
    if (plan.predictedOffset !== undefined) this.#part = new PartHasher(plan.pieceLength, plan.predictedOffset, { v2: plan.v2 });
    else this.#pieces = new PieceHasher(plan.pieceLength, { v2: plan.v2 });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.#maxSize) {
      cb(new S3Error('EntityTooLarge'));
      return;
    }
    this.md5.update(chunk);
    this.#pieces?.update(chunk);
    this.#part?.update(chunk);
    cb(null, chunk);
  }

  result(): { pieceHashes?: PieceHashes; partHashes?: PartPieceHashes } {
    if (this.#pieces) return { pieceHashes: this.#pieces.digest() };
    if (this.#part) return { partHashes: this.#part.digest() };
    return { pieceHashes: { pieceLength: 0, pieces: Buffer.alloc(0) } };
  }
}

/**
 * Stream a request body into a new blob. The blob is sealed (durable) but not published: the caller
 * commits metadata, then calls `writer.publish()`; on any failure the blob is discarded.
 */
export async function writeBlob(
  blobs: BlobStore, body: Readable, plan: HashPlan,
  opts: { maxSize: number; expectedSize?: number; sse?: SseCustomerKey },
): Promise<WrittenBlob> {
  const writer = await blobs.create();
  const digest = new WriteDigest(plan, opts.maxSize);
  const iv = opts.sse ? newSseIv() : undefined;
  try {
    if (opts.sse && iv) await pipeline(body, digest, createSseCipher(opts.sse, iv), writer.stream);
    else await pipeline(body, digest, writer.stream);
    if (opts.expectedSize !== undefined && digest.size !== opts.expectedSize) throw new S3Error('IncompleteBody');
    await writer.seal();
  } catch (e) {
    writer.discard();
    throw e;
  }
  const segment: Segment = { blobId: writer.blobId, length: digest.size };
  if (iv) segment.iv = iv.toString('base64');
  return { writer, segment, size: digest.size, md5: digest.md5.digest(), ...digest.result() };
}

/**
 * The bytes [start, end) of an object made of segments, as one stream with backpressure. Blobs are
 * pinned until the stream ends, so an overwrite or delete cannot remove them mid-read.
 */
export function readObjectRange(
  blobs: BlobStore, segments: Segment[], start: number, end: number, sse?: SseCustomerKey,
): Readable {
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  const release = blobs.pin(segments.map((s) => s.blobId));
  let finished = false;
  const finish = () => { if (!finished) { finished = true; release(); } };
  out.on('close', finish);
  out.on('end', finish);
  (async () => {
    let segStart = 0;
    for (const seg of segments) {
      const segEnd = segStart + seg.length;
      if (segEnd > start && segStart < end) {
        const from = Math.max(start, segStart) - segStart;
        const to = Math.min(end, segEnd) - segStart;
        const src = blobs.read(seg.blobId, from, to);
        if (sse && seg.iv) await pipeline(src, createSseCipher(sse, Buffer.from(seg.iv, 'base64'), from), out, { end: false });
        else await pipeline(src, out, { end: false });
      }
      segStart = segEnd;
      if (segStart >= end || out.destroyed) break;
    }
    out.end();
  })().catch((e: unknown) => out.destroy(e as Error));
  return out;
}

/** Read a byte range fully (small ranges: pieces straddling part boundaries, seeder blocks). */
export async function readObjectBytes(blobs: BlobStore, segments: Segment[], start: number, end: number, sse?: SseCustomerKey): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of readObjectRange(blobs, segments, start, end, sse)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
