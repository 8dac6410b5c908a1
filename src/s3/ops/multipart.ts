import { randomBytes } from 'node:crypto';
import { checkSsePartKey, sseRecordFor } from '../../access/sse-c.ts';
import type { MultipartUploadRecord } from '../../meta/types.ts';
import type { Handler, RequestContext } from '../../server/context.ts';
import { readObjectRange } from '../../server/object-io.ts';
import { MAX_COPY_SOURCE_SIZE, copySourceTooLarge, loadCopySource } from '../copy-source.ts';
import { S3Error } from '../errors.ts';
import { intParam, maxParam } from '../list-params.ts';
import { assembleObject, parseCompleteRequest } from '../multipart-complete.ts';
import { MAX_PART_SIZE, partNumberOf, sseHeaders, storePart, uploadOf } from '../multipart-parts.ts';
import { metadataFromHeaders } from '../object-headers.ts';
import { ownerXml } from '../owner-xml.ts';
import { declaredSize, payloadOf, readSmallBody } from '../request-body.ts';
import { xmlDocument } from '../xml.ts';
import { newObjectAcl, sseKeyFor } from './put-object.ts';

/** 10000 parts with their ETags and checksums */
const MAX_COMPLETE_BODY = 8 * 1024 * 1024;
const COMPLETE_ATTEMPTS = 3;

/** Upload ids sort by creation time (hex milliseconds first), the order S3 lists one key's uploads in. */
function newUploadId(): string {
  return Date.now().toString(16).padStart(12, '0') + randomBytes(24).toString('base64url');
}

export const createMultipartUpload: Handler = async (ctx) => {
  const metadata = metadataFromHeaders(ctx.req.headers);
  const { acl, ownerAccountId } = newObjectAcl(ctx);
  const sse = sseKeyFor(ctx);
  const upload: MultipartUploadRecord = {
    uploadId: newUploadId(), bucket: ctx.bucket!.name, key: ctx.address.key!, initiated: Date.now(),
    ownerAccountId, metadata, acl, ...(sse ? { sse: sseRecordFor(sse) } : {}),
  };
  ctx.services.meta.createUpload(upload);
  return {
    headers: sseHeaders(upload.sse),
    body: xmlDocument('InitiateMultipartUploadResult', { Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId }),
  };
};

export const uploadPart: Handler = async (ctx) => {
  const partNumber = partNumberOf(ctx);
  const upload = uploadOf(ctx);
  const size = declaredSize(ctx);
  if (size === undefined) throw new S3Error('MissingContentLength');
  if (size > MAX_PART_SIZE) {
    throw new S3Error('EntityTooLarge', undefined, { ProposedSize: String(size), MaxSizeAllowed: String(MAX_PART_SIZE) });
  }
  const sse = sseKeyFor(ctx);
  checkSsePartKey(upload.sse, sse);
  const payload = payloadOf(ctx);
  const part = await storePart(ctx, upload, partNumber, payload.body, size, sse);
  const checksum = payload.checksum();
  return {
    headers: {
      etag: part.etag,
      ...(checksum ? { [`x-amz-checksum-${checksum.algorithm.toLowerCase()}`]: checksum.value } : {}),
      ...sseHeaders(upload.sse),
    },
  };
};

/** x-amz-copy-source-range: exactly `bytes=first-last`, inside the source. */
function copyRange(ctx: RequestContext, size: number): { start: number; end: number } {
  const raw = ctx.req.headers['x-amz-copy-source-range'];
  if (raw === undefined) return { start: 0, end: size };
  const value = Array.isArray(raw) ? raw[0]! : raw;
  const m = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (!m) {
    throw new S3Error('InvalidArgument',
      'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy',
      { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: value });
  }
  const start = Number(m[1]);
  const last = Number(m[2]);
  if (start > last || last >= size) {
    throw new S3Error('InvalidArgument', `Range specified is not valid for source object of size: ${size}`,
      { ArgumentName: 'x-amz-copy-source-range', ArgumentValue: value });
  }
  return { start, end: last + 1 };
}

export const uploadPartCopy: Handler = async (ctx) => {
  const partNumber = partNumberOf(ctx);
  const upload = uploadOf(ctx);
  const src = loadCopySource(ctx);
  const { start, end } = copyRange(ctx, src.object.size);
  if (end - start > MAX_COPY_SOURCE_SIZE) throw copySourceTooLarge();
  const sse = sseKeyFor(ctx);
  checkSsePartKey(upload.sse, sse);
  const body = readObjectRange(ctx.services.blobs, src.object.segments, start, end, src.sse);
  const part = await storePart(ctx, upload, partNumber, body, end - start, sse);
  return {
    headers: sseHeaders(upload.sse),
    body: xmlDocument('CopyPartResult', { ETag: part.etag, LastModified: new Date(part.lastModified).toISOString() }),
  };
};

function locationOf(ctx: RequestContext): string {
  const scheme = ctx.services.config.tls ? 'https' : 'http';
  const host = ctx.req.headers.host ?? `${ctx.services.config.host}:${ctx.services.config.port}`;
  const key = ctx.address.key!.split('/').map(encodeURIComponent).join('/');
  return ctx.address.virtualHost ? `${scheme}://${host}/${key}` : `${scheme}://${host}/${encodeURIComponent(ctx.bucket!.name)}/${key}`;
}

export const completeMultipartUpload: Handler = async (ctx) => {
  const upload = uploadOf(ctx);
  const listed = parseCompleteRequest(await readSmallBody(ctx, MAX_COMPLETE_BODY));
  const { meta } = ctx.services;
  const gone = () => new S3Error('NoSuchUpload', undefined, { UploadId: upload.uploadId });
  // The store refuses the commit when a part was re-uploaded or the upload aborted while we hashed: start over.
  for (let attempt = 1; ; attempt++) {
    let rec;
    try {
      rec = await assembleObject(ctx, upload, listed);
    } catch (e) {
      if (!meta.getUpload(upload.uploadId)) throw gone();
      throw e;
    }
    const garbage = meta.completeUpload(upload.uploadId, rec);
    if (garbage) {
      ctx.services.collectGarbage(garbage);
      return {
        headers: sseHeaders(upload.sse),
        body: xmlDocument('CompleteMultipartUploadResult', { Location: locationOf(ctx), Bucket: rec.bucket, Key: rec.key, ETag: rec.etag }),
      };
    }
    if (!meta.getUpload(upload.uploadId)) throw gone();
    if (attempt === COMPLETE_ATTEMPTS) throw new S3Error('InternalError');
  }
};

export const abortMultipartUpload: Handler = async (ctx) => {
  const upload = uploadOf(ctx);
  const garbage = ctx.services.meta.abortUpload(upload.uploadId);
  if (!garbage) throw new S3Error('NoSuchUpload', undefined, { UploadId: upload.uploadId });
  ctx.services.collectGarbage(garbage);
  return { status: 204 };
};

export const listParts: Handler = async (ctx) => {
  const upload = uploadOf(ctx);
  const marker = intParam(ctx, 'part-number-marker', 0);
  const max = maxParam(ctx, 'max-parts');
  const found = max === 0 ? [] : ctx.services.meta.listParts(upload.uploadId, marker, max + 1);
  const page = found.slice(0, max);
  const owner = ownerXml(ctx)(upload.ownerAccountId);
  return {
    body: xmlDocument('ListPartsResult', {
      Bucket: upload.bucket,
      Key: upload.key,
      UploadId: upload.uploadId,
      PartNumberMarker: marker,
      NextPartNumberMarker: page[page.length - 1]?.partNumber,
      MaxParts: max,
      IsTruncated: found.length > max,
      Part: page.map((p) => ({
        PartNumber: p.partNumber, LastModified: new Date(p.lastModified).toISOString(), ETag: p.etag, Size: p.size,
      })),
      Initiator: owner,
      Owner: owner,
      StorageClass: 'STANDARD',
    }),
  };
};
