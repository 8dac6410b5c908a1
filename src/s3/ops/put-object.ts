import { randomUUID } from 'node:crypto';
import { aclFromHeaders } from '../../access/acl.ts';
import { parseSseCustomerHeaders, sseRecordFor, type SseCustomerKey } from '../../access/sse-c.ts';
import type { Acl, ObjectRecord, TorrentFormat } from '../../meta/types.ts';
import type { Handler, RequestContext } from '../../server/context.ts';
import { writeBlob } from '../../server/object-io.ts';
import { pieceLengthFor } from '../../torrent/piece-length.ts';
import { S3Error } from '../errors.ts';
import { etagOf, metadataFromHeaders, nowSeconds } from '../object-headers.ts';
import { declaredSize, payloadOf } from '../request-body.ts';

export const MAX_PUT_SIZE = 5 * 1024 ** 3;

export function torrentFormatFor(ctx: RequestContext): TorrentFormat {
  return ctx.bucket?.torrentFormat ?? ctx.services.config.torrentFormat;
}

/**
 * SSE-C key of the request, refused over plain HTTP unless the server allows it for local testing.
 * `mode` 'read' (GetObject, HeadObject) keeps a key of the wrong length for the 403 of a wrong key.
 */
export function sseKeyFor(ctx: RequestContext, prefix?: string, mode: 'write' | 'read' = 'write'): SseCustomerKey | undefined {
  const key = parseSseCustomerHeaders(ctx.req.headers, prefix, mode);
  if (key && !ctx.services.config.tls && !ctx.services.config.insecureSseC) {
    throw new S3Error('InvalidRequest', 'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.');
  }
  return key;
}

/** ACL of a new object: from x-amz-acl / x-amz-grant-* headers, owned by the writer. */
export function newObjectAcl(ctx: RequestContext): { acl: Acl; ownerAccountId: string } {
  const { meta } = ctx.services;
  const bucket = ctx.bucket!;
  const ownerAccountId = ctx.caller?.accountId ?? bucket.ownerAccountId;
  const ownerCanonical = ctx.caller?.canonicalUserId ?? meta.getAccount(bucket.ownerAccountId)!.canonicalUserId;
  const bucketOwnerCanonical = meta.getAccount(bucket.ownerAccountId)!.canonicalUserId;
  const acl = aclFromHeaders(ctx.req.headers, ownerCanonical, bucketOwnerCanonical, (id) => meta.getAccountByCanonicalId(id) !== undefined);
  return { acl, ownerAccountId };
}

/** Commit a new object version, publish its blobs, and let go of what it replaced. */
export function commitObject(ctx: RequestContext, rec: ObjectRecord, publish: () => void): void {
  const garbage = ctx.services.meta.putObject(rec);
  publish();
  ctx.services.collectGarbage(garbage);
}

export function responseHeadersFor(rec: ObjectRecord): Record<string, string> {
  const h: Record<string, string> = { etag: rec.etag };
  for (const [alg, v] of Object.entries(rec.checksums ?? {})) h[`x-amz-checksum-${alg.toLowerCase()}`] = v;
  if (rec.sse) {
    h['x-amz-server-side-encryption-customer-algorithm'] = rec.sse.algorithm;
    h['x-amz-server-side-encryption-customer-key-md5'] = rec.sse.keyMd5;
  }
  return h;
}

export const putObject: Handler = async (ctx) => {
  const size = declaredSize(ctx);
  if (size === undefined) throw new S3Error('MissingContentLength');
  if (size > MAX_PUT_SIZE) throw new S3Error('EntityTooLarge', undefined, { ProposedSize: String(size), MaxSizeAllowed: String(MAX_PUT_SIZE) });
  const metadata = metadataFromHeaders(ctx.req.headers);
  const { acl, ownerAccountId } = newObjectAcl(ctx);
  const sse = sseKeyFor(ctx);
  const payload = payloadOf(ctx);
  const written = await writeBlob(ctx.services.blobs, payload.body,
    { pieceLength: ctx.services.config.pieceHashing ? pieceLengthFor(size) : 0, v2: torrentFormatFor(ctx) === 'hybrid' },
    { maxSize: MAX_PUT_SIZE, expectedSize: size, ...(sse ? { sse } : {}) });
  const checksum = payload.checksum();
  const rec: ObjectRecord = {
    bucket: ctx.bucket!.name, key: ctx.address.key!, versionId: randomUUID(), size: written.size, etag: etagOf(written.md5),
    lastModified: nowSeconds(), metadata, ownerAccountId, acl, segments: [written.segment], hashes: written.pieceHashes!,
    ...(sse ? { sse: sseRecordFor(sse) } : {}),
    ...(checksum ? { checksums: { [checksum.algorithm]: checksum.value } } : {}),
  };
  try {
    commitObject(ctx, rec, () => written.writer.publish());
  } catch (e) {
    written.writer.discard();
    throw e;
  }
  return { headers: responseHeadersFor(rec) };
};
