import { createHash, randomUUID } from 'node:crypto';
import { checkSsePartKey } from '../access/sse-c.ts';
import type { MultipartUploadRecord, ObjectRecord, PartRecord, PieceHashes } from '../meta/types.ts';
import type { RequestContext } from '../server/context.ts';
import { readObjectBytes } from '../server/object-io.ts';
import { combinePartHashes } from '../torrent/combine-parts.ts';
import { MULTIPART_PIECE_LENGTH } from '../torrent/piece-length.ts';
import { S3Error } from './errors.ts';
import { MAX_OBJECT_SIZE, MAX_PART_NUMBER, MIN_PART_SIZE } from './multipart-parts.ts';
import { nowSeconds } from './object-headers.ts';
import { sseKeyFor, torrentFormatFor } from './ops/put-object.ts';
import { parseXmlBody } from './xml.ts';

export interface ListedPart { partNumber: number; etag: string }

/** An ETag as clients send it back: quotes optional. */
const bareEtag = (etag: string): string => etag.trim().replace(/^"(.*)"$/, '$1').toLowerCase();

/** The CompleteMultipartUpload document: at least one Part, each with a PartNumber and an ETag. */
export function parseCompleteRequest(body: string): ListedPart[] {
  const doc = parseXmlBody(body, 'CompleteMultipartUpload');
  const parts = doc.Part;
  if (!Array.isArray(parts) || parts.length === 0 || parts.length > MAX_PART_NUMBER) throw new S3Error('MalformedXML');
  return parts.map((p: unknown) => {
    const rec = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
    const n = typeof rec.PartNumber === 'string' ? rec.PartNumber.trim() : '';
    if (!/^\d{1,9}$/.test(n) || typeof rec.ETag !== 'string') throw new S3Error('MalformedXML');
    return { partNumber: Number(n), etag: rec.ETag };
  });
}

/** The stored parts the request lists, checked as S3 checks them: order, existence and ETag, minimum size. */
function chosenParts(ctx: RequestContext, upload: MultipartUploadRecord, listed: ListedPart[]): PartRecord[] {
  let previous = 0;
  for (const l of listed) {
    if (l.partNumber <= previous) throw new S3Error('InvalidPartOrder', undefined, { UploadId: upload.uploadId });
    previous = l.partNumber;
  }
  const stored = new Map(ctx.services.meta.listParts(upload.uploadId, 0, MAX_PART_NUMBER).map((p) => [p.partNumber, p]));
  const parts = listed.map((l) => {
    const part = stored.get(l.partNumber);
    if (!part || bareEtag(part.etag) !== bareEtag(l.etag)) {
      throw new S3Error('InvalidPart', undefined, { UploadId: upload.uploadId, PartNumber: String(l.partNumber), ETag: l.etag });
    }
    return part;
  });
  parts.slice(0, -1).forEach((p) => {
    if (p.size < MIN_PART_SIZE) {
      throw new S3Error('EntityTooSmall', undefined, {
        ProposedSize: String(p.size), MinSizeAllowed: String(MIN_PART_SIZE), PartNumber: String(p.partNumber), ETag: p.etag,
      });
    }
  });
  return parts;
}

/** S3's multipart ETag: MD5 of the parts' binary MD5s, then the part count. */
export function multipartEtag(parts: PartRecord[]): string {
  const md5 = createHash('md5');
  for (const p of parts) md5.update(Buffer.from(bareEtag(p.etag), 'hex'));
  return `"${md5.digest('hex')}-${parts.length}"`;
}

const NO_HASHES: PieceHashes = { pieceLength: 0, pieces: Buffer.alloc(0) };

/**
 * Piece hashes of the whole object from the parts' own hashes, reading back only the pieces that straddle
 * part boundaries (and parts whose predicted offset was wrong). Those reads need the plaintext: an SSE-C
 * upload is completed without its key (S3 does not ask for it), so unless the client sends it anyway the
 * object gets no piece hashes; GetObjectTorrent refuses SSE-C objects regardless.
 */
async function pieceHashesOf(ctx: RequestContext, upload: MultipartUploadRecord, parts: PartRecord[]): Promise<PieceHashes> {
  const { blobs, config } = ctx.services;
  if (!config.pieceHashing) return NO_HASHES;
  const key = sseKeyFor(ctx);
  if (key) checkSsePartKey(upload.sse, key);
  if (upload.sse && !key) return NO_HASHES;
  const release = blobs.pin(parts.map((p) => p.segment.blobId));
  try {
    const { hashes } = await combinePartHashes(parts.map((p) => ({
      size: p.size,
      hashes: p.partHashes,
      read: (start: number, end: number) => readObjectBytes(blobs, [p.segment], start, end, key),
    })), MULTIPART_PIECE_LENGTH, { v2: torrentFormatFor(ctx) === 'hybrid' });
    return hashes;
  } finally {
    release();
  }
}

/** The object record the completed upload becomes: the listed parts' blobs in order, no bytes copied. */
export async function assembleObject(ctx: RequestContext, upload: MultipartUploadRecord, listed: ListedPart[]): Promise<ObjectRecord> {
  const parts = chosenParts(ctx, upload, listed);
  const size = parts.reduce((n, p) => n + p.size, 0);
  if (size > MAX_OBJECT_SIZE) {
    throw new S3Error('EntityTooLarge', undefined, { ProposedSize: String(size), MaxSizeAllowed: String(MAX_OBJECT_SIZE) });
  }
  return {
    bucket: upload.bucket, key: upload.key, versionId: randomUUID(), size, etag: multipartEtag(parts), lastModified: nowSeconds(),
    metadata: upload.metadata, ownerAccountId: upload.ownerAccountId, acl: upload.acl,
    segments: parts.map((p) => p.segment), partsCount: parts.length,
    hashes: await pieceHashesOf(ctx, upload, parts),
    ...(upload.sse ? { sse: upload.sse } : {}),
  };
}
