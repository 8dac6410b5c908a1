import { authorize, type AccessClass } from '../access/authorize.ts';
import { checkExpectedBucketOwner } from '../access/bucket-owner.ts';
import { whoPays } from '../access/request-payer.ts';
import { S3Error } from '../s3/errors.ts';
import { OPERATIONS } from '../s3/operations.ts';
import type { RequestContext } from './context.ts';

/** Operations whose object must exist before the handler runs (reads and ACLs of an object). */
const NEEDS_OBJECT = new Set<string>(['GetObject', 'HeadObject', 'GetObjectTorrent', 'GetObjectAcl', 'PutObjectAcl']);

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The one place that decides whether a request may proceed: loads the bucket (and the object for
 * object reads), checks x-amz-expected-bucket-owner, Requester Pays, and the operation's access class.
 */
export function checkAccess(ctx: RequestContext): void {
  const cls = OPERATIONS[ctx.op];
  if (cls === 'None') return;
  if (cls === 'ListAllMyBuckets' || cls === 'CreateBucket') {
    authorize(cls, ctx.caller, {});
    return;
  }
  const { meta } = ctx.services;
  const bucket = meta.getBucket(ctx.address.bucket!);
  if (!bucket) throw new S3Error('NoSuchBucket', undefined, { BucketName: ctx.address.bucket! });
  ctx.bucket = bucket;
  checkExpectedBucketOwner(header(ctx, 'x-amz-expected-bucket-owner'), bucket.ownerAccountId);
  const owner = meta.getAccount(bucket.ownerAccountId);
  const bucketOwnerCanonical = owner?.canonicalUserId ?? '';
  // A presigned URL (e.g. a Requester Pays torrent's web seed) carries it as a signed query parameter, as S3 accepts.
  const requestPayer = header(ctx, 'x-amz-request-payer') ?? ctx.query.get('x-amz-request-payer');
  const pays = whoPays(bucket.requestPayer, ctx.caller, bucket.ownerAccountId, requestPayer);
  ctx.charged = pays.charged;

  if (NEEDS_OBJECT.has(ctx.op)) {
    const object = meta.getObject(bucket.name, ctx.address.key!);
    if (!object) {
      // Like S3: only a caller who may list the bucket learns that the key does not exist.
      try {
        authorize('BucketRead', ctx.caller, { bucketAcl: bucket.acl, bucketOwnerCanonical });
      } catch {
        throw new S3Error('AccessDenied');
      }
      throw new S3Error('NoSuchKey', undefined, { Key: ctx.address.key! });
    }
    ctx.object = object;
    authorize(cls as AccessClass, ctx.caller, { bucketAcl: bucket.acl, bucketOwnerCanonical, objectAcl: object.acl });
    return;
  }
  authorize(cls as AccessClass, ctx.caller, { bucketAcl: bucket.acl, bucketOwnerCanonical });
}
