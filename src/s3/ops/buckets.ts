import { aclFromHeaders } from '../../access/acl.ts';
import type { Handler, RequestContext } from '../../server/context.ts';
import { S3Error } from '../errors.ts';
import { readSmallBody } from '../request-body.ts';
import { parseXmlBody, xmlDocument } from '../xml.ts';

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

/** S3's general-purpose bucket naming rules. Directory-bucket names (`--x-s3`) are refused: we have none. */
export function checkBucketName(name: string): void {
  const bad = (why: string) => new S3Error('InvalidBucketName', `The specified bucket is not valid: ${why}.`, { BucketName: name });
  if (name.length < 3 || name.length > 63) throw bad('names must be 3 to 63 characters long');
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) throw bad('use lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit');
  if (name.includes('..')) throw bad('no two adjacent dots');
  if (IPV4.test(name)) throw bad('names must not look like an IP address');
  if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) throw bad('reserved prefix');
  if (name.endsWith('--x-s3')) throw bad('directory buckets are not supported by seedbucket');
  if (RESERVED_SUFFIXES.some((s) => name.endsWith(s))) throw bad('reserved suffix');
}

export const listBuckets: Handler = async (ctx) => {
  const caller = ctx.caller!;
  const account = ctx.services.meta.getAccount(caller.accountId)!;
  const buckets = ctx.services.meta.listBuckets(caller.accountId);
  return {
    body: xmlDocument('ListAllMyBucketsResult', {
      Owner: { ID: account.canonicalUserId, DisplayName: account.name },
      Buckets: { Bucket: buckets.map((b) => ({ Name: b.name, CreationDate: new Date(b.createdAt).toISOString() })) },
    }),
  };
};

export const createBucket: Handler = async (ctx) => {
  const name = ctx.address.bucket!;
  checkBucketName(name);
  const { meta, config } = ctx.services;
  const body = await readSmallBody(ctx, 64 * 1024);
  if (body.trim() !== '') {
    const cfg = parseXmlBody(body, 'CreateBucketConfiguration');
    const loc = cfg.LocationConstraint;
    if (loc !== undefined && loc !== '' && loc !== config.region) {
      throw new S3Error('IllegalLocationConstraintException',
        `The ${String(loc)} location constraint is incompatible for the region specific endpoint this request was sent to.`);
    }
  }
  const caller = ctx.caller!;
  const existing = meta.getBucket(name);
  if (existing) {
    throw new S3Error(existing.ownerAccountId === caller.accountId ? 'BucketAlreadyOwnedByYou' : 'BucketAlreadyExists', undefined, { BucketName: name });
  }
  const acl = aclFromHeaders(ctx.req.headers, caller.canonicalUserId, undefined, (id) => meta.getAccountByCanonicalId(id) !== undefined);
  const created = meta.createBucket({
    name, ownerAccountId: caller.accountId, createdAt: Date.now(), region: config.region, acl,
    requestPayer: 'BucketOwner', cors: null, torrentFormat: null,
  });
  if (!created) throw new S3Error('BucketAlreadyExists', undefined, { BucketName: name });
  return { headers: { location: ctx.address.virtualHost ? '/' : `/${name}` } };
};

export const headBucket: Handler = async (ctx) => ({
  headers: { 'x-amz-bucket-region': ctx.bucket!.region },
});

export const deleteBucket: Handler = async (ctx) => {
  if (!ctx.services.meta.deleteBucket(ctx.bucket!.name)) {
    throw new S3Error('BucketNotEmpty', undefined, { BucketName: ctx.bucket!.name });
  }
  return { status: 204 };
};

export const getBucketLocation: Handler = async (ctx) => {
  const region = ctx.bucket!.region;
  // S3 answers an empty LocationConstraint for us-east-1.
  return { body: xmlDocument('LocationConstraint', {}).replace('</LocationConstraint>', `${region === 'us-east-1' ? '' : region}</LocationConstraint>`) };
};

export function headerValue(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * CreateSession is how SDKs open a directory bucket (`<name>--<zone>--x-s3`) before any other call.
 * seedbucket has no directory buckets: such names get InvalidBucketName, which the SDK then reports.
 */
export const createSession: Handler = async (ctx) => {
  checkBucketName(ctx.address.bucket!);
  throw new S3Error('NotImplemented', 'CreateSession is only for directory buckets, which seedbucket does not have.');
};
