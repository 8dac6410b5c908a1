import { accessControlPolicyXml, aclForPutAclRequest } from '../../access/acl.ts';
import type { Acl } from '../../meta/types.ts';
import type { Handler, RequestContext } from '../../server/context.ts';
import { S3Error } from '../errors.ts';
import { readSmallBody } from '../request-body.ts';

const ACL_BODY_LIMIT = 64 * 1024;

function displayName(ctx: RequestContext): (canonicalId: string) => string {
  return (id) => ctx.services.meta.getAccountByCanonicalId(id)?.name ?? '';
}

const knownCanonical = (ctx: RequestContext) => (id: string) => ctx.services.meta.getAccountByCanonicalId(id) !== undefined;

function ownerCanonical(ctx: RequestContext, accountId: string): string {
  return ctx.services.meta.getAccount(accountId)?.canonicalUserId ?? '';
}

async function newAcl(ctx: RequestContext, owner: string, bucketOwner?: string): Promise<Acl> {
  const body = await readSmallBody(ctx, ACL_BODY_LIMIT);
  return aclForPutAclRequest(ctx.req.headers, body, owner, knownCanonical(ctx), bucketOwner);
}

export const getBucketAcl: Handler = async (ctx) => ({ body: accessControlPolicyXml(ctx.bucket!.acl, displayName(ctx)) });

export const putBucketAcl: Handler = async (ctx) => {
  const bucket = ctx.bucket!;
  const acl = await newAcl(ctx, ownerCanonical(ctx, bucket.ownerAccountId));
  ctx.services.meta.updateBucket(bucket.name, { acl });
  return {};
};

export const getObjectAcl: Handler = async (ctx) => ({ body: accessControlPolicyXml(ctx.object!.acl, displayName(ctx)) });

export const putObjectAcl: Handler = async (ctx) => {
  const o = ctx.object!;
  const acl = await newAcl(ctx, ownerCanonical(ctx, o.ownerAccountId), ownerCanonical(ctx, ctx.bucket!.ownerAccountId));
  // A concurrent overwrite made a new version: that one keeps the ACL it was written with.
  if (!ctx.services.meta.updateObjectAcl(o.bucket, o.key, o.versionId, acl)) throw new S3Error('NoSuchKey', undefined, { Key: o.key });
  return {};
};
