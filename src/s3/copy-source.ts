import { authorize } from '../access/authorize.ts';
import { checkExpectedBucketOwner } from '../access/bucket-owner.ts';
import { whoPays } from '../access/request-payer.ts';
import { SSE_C_COPY_SOURCE_PREFIX, checkSseCustomerKey, type SseCustomerKey } from '../access/sse-c.ts';
import type { BucketRecord, ObjectRecord } from '../meta/types.ts';
import type { RequestContext } from '../server/context.ts';
import { S3Error } from './errors.ts';
import { checkConditions } from './ops/get-object.ts';
import { sseKeyFor } from './ops/put-object.ts';

/** S3's limit on what one CopyObject or UploadPartCopy may read. */
export const MAX_COPY_SOURCE_SIZE = 5 * 1024 ** 3;

export function copySourceTooLarge(): S3Error {
  return new S3Error('InvalidRequest',
    `The specified copy source is larger than the maximum allowable size for a copy source: ${MAX_COPY_SOURCE_SIZE}`);
}

export interface CopySource {
  bucket: BucketRecord;
  object: ObjectRecord;
  /** the source's SSE-C key (x-amz-copy-source-server-side-encryption-customer-*), checked */
  sse?: SseCustomerKey;
}

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** `x-amz-copy-source`: `[/]bucket/key[?versionId=…]`, percent-encoded. */
export function parseCopySource(raw: string): { bucket: string; key: string } {
  const invalid = () => new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
    { ArgumentName: 'x-amz-copy-source', ArgumentValue: raw });
  const q = raw.indexOf('?');
  const path = (q === -1 ? raw : raw.slice(0, q)).replace(/^\//, '');
  if (q !== -1) {
    const m = /^versionId=(.*)$/.exec(raw.slice(q + 1));
    if (!m) throw invalid();
    // Objects are not versioned: 'null' is the only version there is.
    if (m[1] !== 'null') throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'x-amz-copy-source', ArgumentValue: raw });
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw invalid();
  }
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) throw invalid();
  const key = decoded.slice(slash + 1);
  if (Buffer.byteLength(key, 'utf8') > 1024) throw new S3Error('KeyTooLongError');
  if (!key.isWellFormed()) throw invalid();
  return { bucket: decoded.slice(0, slash), key };
}

/**
 * The source of CopyObject / UploadPartCopy, with every check S3 makes on it: the bucket exists and is
 * the expected owner's, Requester Pays, the object exists (told only to callers who may list the source
 * bucket), the caller may read it, its SSE-C key, and the x-amz-copy-source-if-* conditions.
 */
export function loadCopySource(ctx: RequestContext): CopySource {
  const { meta } = ctx.services;
  const src = parseCopySource(header(ctx, 'x-amz-copy-source') ?? '');
  const bucket = meta.getBucket(src.bucket);
  if (!bucket) throw new S3Error('NoSuchBucket', undefined, { BucketName: src.bucket });
  checkExpectedBucketOwner(header(ctx, 'x-amz-source-expected-bucket-owner'), bucket.ownerAccountId);
  if (whoPays(bucket.requestPayer, ctx.caller, bucket.ownerAccountId, header(ctx, 'x-amz-request-payer')).charged) ctx.charged = true;
  const bucketOwnerCanonical = meta.getAccount(bucket.ownerAccountId)?.canonicalUserId ?? '';
  const object = meta.getObject(bucket.name, src.key);
  if (!object) {
    try {
      authorize('BucketRead', ctx.caller, { bucketAcl: bucket.acl, bucketOwnerCanonical });
    } catch {
      throw new S3Error('AccessDenied');
    }
    throw new S3Error('NoSuchKey', undefined, { Key: src.key });
  }
  authorize('ObjectRead', ctx.caller, { bucketAcl: bucket.acl, bucketOwnerCanonical, objectAcl: object.acl });
  const sse = sseKeyFor(ctx, SSE_C_COPY_SOURCE_PREFIX);
  checkSseCustomerKey(object.sse, sse);
  checkConditions(ctx, object, 'x-amz-copy-source-');
  return { bucket, object, ...(sse ? { sse } : {}) };
}
