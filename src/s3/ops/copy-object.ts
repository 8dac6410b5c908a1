import { randomUUID } from 'node:crypto';
import { sseRecordFor } from '../../access/sse-c.ts';
import type { ObjectMetadata, ObjectRecord } from '../../meta/types.ts';
import type { Handler, RequestContext } from '../../server/context.ts';
import { readObjectRange, writeBlob } from '../../server/object-io.ts';
import { pieceLengthFor } from '../../torrent/piece-length.ts';
import { MAX_COPY_SOURCE_SIZE, copySourceTooLarge, loadCopySource, type CopySource } from '../copy-source.ts';
import { S3Error } from '../errors.ts';
import { etagOf, metadataFromHeaders, nowSeconds } from '../object-headers.ts';
import { xmlDocument } from '../xml.ts';
import { commitObject, newObjectAcl, responseHeadersFor, sseKeyFor, torrentFormatFor } from './put-object.ts';

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** x-amz-metadata-directive: COPY (default) keeps the source's metadata, REPLACE takes the request's. */
function metadataFor(ctx: RequestContext, src: CopySource): { metadata: ObjectMetadata; replaced: boolean } {
  const directive = header(ctx, 'x-amz-metadata-directive') ?? 'COPY';
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw new S3Error('InvalidArgument', 'Unknown metadata directive.', { ArgumentName: 'x-amz-metadata-directive', ArgumentValue: directive });
  }
  if (directive === 'REPLACE') return { metadata: metadataFromHeaders(ctx.req.headers), replaced: true };
  return { metadata: src.object.metadata, replaced: false };
}

/** What S3 counts as a change when an object is copied onto itself (metadata counts only with REPLACE). */
const SELF_COPY_CHANGES = ['x-amz-storage-class', 'x-amz-website-redirect-location', 'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-customer-algorithm'];

function checkNotUnchangedSelfCopy(ctx: RequestContext, src: CopySource, replaced: boolean): void {
  if (src.bucket.name !== ctx.bucket!.name || src.object.key !== ctx.address.key || replaced) return;
  if (SELF_COPY_CHANGES.some((h) => ctx.req.headers[h] !== undefined)) return;
  throw new S3Error('InvalidRequest', 'This copy request is illegal because it is trying to copy an object to itself without changing the object\'s metadata, storage class, website redirect location or encryption attributes.');
}

export const copyObject: Handler = async (ctx) => {
  const src = loadCopySource(ctx);
  const o = src.object;
  if (o.size > MAX_COPY_SOURCE_SIZE) throw copySourceTooLarge();
  const { metadata, replaced } = metadataFor(ctx, src);
  checkNotUnchangedSelfCopy(ctx, src, replaced);
  const { acl, ownerAccountId } = newObjectAcl(ctx);
  const sse = sseKeyFor(ctx);
  const { blobs, config } = ctx.services;
  // Bytes are always rewritten (a blob belongs to one object version); a multipart source becomes one
  // segment with an MD5 ETag, as S3 does for copies up to 5 GiB.
  const written = await writeBlob(blobs, readObjectRange(blobs, o.segments, 0, o.size, src.sse),
    { pieceLength: config.pieceHashing ? pieceLengthFor(o.size) : 0, v2: torrentFormatFor(ctx) === 'hybrid' },
    { maxSize: o.size, expectedSize: o.size, ...(sse ? { sse } : {}) });
  const rec: ObjectRecord = {
    bucket: ctx.bucket!.name, key: ctx.address.key!, versionId: randomUUID(), size: written.size, etag: etagOf(written.md5),
    lastModified: nowSeconds(), metadata, ownerAccountId, acl, segments: [written.segment], hashes: written.pieceHashes!,
    ...(sse ? { sse: sseRecordFor(sse) } : {}),
    // Same bytes: a whole-object checksum still holds; a multipart source's composite one does not.
    ...(o.checksums && !o.partsCount ? { checksums: o.checksums } : {}),
  };
  try {
    commitObject(ctx, rec, () => written.writer.publish());
  } catch (e) {
    written.writer.discard();
    throw e;
  }
  const headers = Object.fromEntries(Object.entries(responseHeadersFor(rec)).filter(([h]) => h.startsWith('x-amz-server-side-encryption')));
  const checksums = Object.fromEntries(Object.entries(rec.checksums ?? {}).map(([alg, v]) => [`Checksum${alg}`, v]));
  return {
    headers,
    body: xmlDocument('CopyObjectResult', { ETag: rec.etag, LastModified: new Date(rec.lastModified).toISOString(), ...checksums }),
  };
};
