import type { Readable } from 'node:stream';
import type { SseCustomerKey } from '../access/sse-c.ts';
import type { MultipartUploadRecord, PartRecord, SseCustomer } from '../meta/types.ts';
import type { RequestContext } from '../server/context.ts';
import { writeBlob } from '../server/object-io.ts';
import { MULTIPART_PIECE_LENGTH } from '../torrent/piece-length.ts';
import { S3Error } from './errors.ts';
import { etagOf, nowSeconds } from './object-headers.ts';
import { torrentFormatFor } from './ops/put-object.ts';

export const MIN_PART_SIZE = 5 * 1024 * 1024;
export const MAX_PART_SIZE = 5 * 1024 ** 3;
export const MAX_PART_NUMBER = 10000;
export const MAX_OBJECT_SIZE = 5 * 1024 ** 4;

/** The upload named by ?uploadId, which must be for this bucket and key. */
export function uploadOf(ctx: RequestContext): MultipartUploadRecord {
  const uploadId = ctx.query.get('uploadId') ?? '';
  const upload = ctx.services.meta.getUpload(uploadId);
  if (!upload || upload.bucket !== ctx.bucket!.name || upload.key !== ctx.address.key) {
    throw new S3Error('NoSuchUpload', undefined, { UploadId: uploadId });
  }
  return upload;
}

export function partNumberOf(ctx: RequestContext): number {
  const raw = ctx.query.get('partNumber') ?? '';
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : 0;
  if (n < 1 || n > MAX_PART_NUMBER) {
    throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive',
      { ArgumentName: 'partNumber', ArgumentValue: raw });
  }
  return n;
}

/** SSE-C response headers of an upload and its parts. */
export function sseHeaders(sse: SseCustomer | undefined): Record<string, string> {
  if (!sse) return {};
  return {
    'x-amz-server-side-encryption-customer-algorithm': sse.algorithm,
    'x-amz-server-side-encryption-customer-key-md5': sse.keyMd5,
  };
}

/**
 * Where part N will start in the object, assuming equal parts but the last, as every SDK uploads them:
 * (N-1) × the part size, taken as the largest of this part and the first few parts already stored (the
 * last part is the only smaller one). A wrong guess only costs re-hashing that part at completion.
 */
function predictedOffset(ctx: RequestContext, uploadId: string, partNumber: number, size: number): number {
  let partSize = size;
  for (const p of ctx.services.meta.listParts(uploadId, 0, 3)) {
    if (p.partNumber !== partNumber) partSize = Math.max(partSize, p.size);
  }
  return (partNumber - 1) * partSize;
}

/** Stream one part into a blob (hashed on its predicted piece grid), record it, and drop what it replaced. */
export async function storePart(
  ctx: RequestContext, upload: MultipartUploadRecord, partNumber: number, body: Readable, size: number, sse?: SseCustomerKey,
): Promise<PartRecord> {
  const { meta, blobs, config } = ctx.services;
  const offset = predictedOffset(ctx, upload.uploadId, partNumber, size);
  const written = await writeBlob(blobs, body,
    { pieceLength: config.pieceHashing ? MULTIPART_PIECE_LENGTH : 0, v2: torrentFormatFor(ctx) === 'hybrid', predictedOffset: offset },
    { maxSize: MAX_PART_SIZE, expectedSize: size, ...(sse ? { sse } : {}) });
  const part: PartRecord = {
    uploadId: upload.uploadId, partNumber, size: written.size, etag: etagOf(written.md5), lastModified: nowSeconds(),
    segment: written.segment,
    partHashes: written.partHashes ?? { pieceLength: 0, predictedOffset: offset, pieces: Buffer.alloc(0) },
  };
  let garbage: string[];
  try {
    garbage = meta.putPart(part);
  } catch (e) {
    written.writer.discard();
    throw e;
  }
  // putPart hands the new blob back when the upload was aborted or completed while the part streamed in.
  if (garbage.length === 1 && garbage[0] === written.segment.blobId) {
    written.writer.discard();
    throw new S3Error('NoSuchUpload', undefined, { UploadId: upload.uploadId });
  }
  written.writer.publish();
  ctx.services.collectGarbage(garbage);
  return part;
}
