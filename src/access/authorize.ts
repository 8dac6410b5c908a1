import type { Acl, Grantee, Permission } from '../meta/types.ts';
import { S3Error } from '../s3/errors.ts';
import { ALL_USERS, AUTHENTICATED_USERS } from './acl-canned.ts';
import type { Caller } from './principal.ts';

/** The access class every S3 operation declares in the routing table. */
export type AccessClass =
  | 'ListAllMyBuckets'  // any authenticated caller
  | 'CreateBucket'      // any authenticated caller
  | 'BucketRead'        // bucket READ (ListObjects, ListMultipartUploads, HeadBucket, GetBucketLocation)
  | 'BucketWrite'       // bucket WRITE (PutObject, DeleteObject(s), multipart ops)
  | 'BucketReadAcp' | 'BucketWriteAcp'
  | 'BucketOwner'       // owner only (DeleteBucket, Put/GetBucketCors, Put/GetBucketRequestPayment, torrent format)
  | 'ObjectRead'        // object READ (GetObject, HeadObject, GetObjectTorrent)
  | 'ObjectReadAcp' | 'ObjectWriteAcp';

export interface AuthorizationContext {
  bucketAcl?: Acl;
  /** defaults to bucketAcl.owner */
  bucketOwnerCanonical?: string;
  objectAcl?: Acl;
}

function granteeCovers(grantee: Grantee, caller: Caller): boolean {
  if (grantee.type === 'CanonicalUser') return caller !== null && grantee.id === caller.canonicalUserId;
  if (grantee.uri === ALL_USERS) return true;
  if (grantee.uri === AUTHENTICATED_USERS) return caller !== null;
  return false;
}

/** Whether some grant of `acl` gives `caller` `permission` (FULL_CONTROL implies every permission). */
export function aclAllows(acl: Acl, caller: Caller, permission: Permission): boolean {
  return acl.grants.some((g) =>
    (g.permission === permission || g.permission === 'FULL_CONTROL') && granteeCovers(g.grantee, caller));
}

function need<T>(value: T | undefined, what: string): T {
  // A missing ACL is a wiring bug in the caller, not a client error: fail loudly rather than deny.
  if (value === undefined) throw new TypeError(`authorize: ${what} is required for this access class`);
  return value;
}

function isCaller(caller: Caller, canonicalId: string): boolean {
  return caller !== null && caller.canonicalUserId === canonicalId;
}

function permitted(cls: AccessClass, caller: Caller, ctx: AuthorizationContext): boolean {
  const bucketOwner = (): string => ctx.bucketOwnerCanonical ?? need(ctx.bucketAcl, 'bucketAcl').owner;
  switch (cls) {
    case 'ListAllMyBuckets':
    case 'CreateBucket':
      return caller !== null;
    case 'BucketOwner':
      return isCaller(caller, bucketOwner());
    case 'BucketRead':
      return aclAllows(need(ctx.bucketAcl, 'bucketAcl'), caller, 'READ');
    case 'BucketWrite':
      return aclAllows(need(ctx.bucketAcl, 'bucketAcl'), caller, 'WRITE');
    case 'BucketReadAcp':
      return isCaller(caller, bucketOwner()) || aclAllows(need(ctx.bucketAcl, 'bucketAcl'), caller, 'READ_ACP');
    case 'BucketWriteAcp':
      return isCaller(caller, bucketOwner()) || aclAllows(need(ctx.bucketAcl, 'bucketAcl'), caller, 'WRITE_ACP');
    case 'ObjectRead':
      return aclAllows(need(ctx.objectAcl, 'objectAcl'), caller, 'READ');
    case 'ObjectReadAcp': {
      const acl = need(ctx.objectAcl, 'objectAcl');
      return isCaller(caller, acl.owner) || aclAllows(acl, caller, 'READ_ACP');
    }
    case 'ObjectWriteAcp': {
      const acl = need(ctx.objectAcl, 'objectAcl');
      return isCaller(caller, acl.owner) || aclAllows(acl, caller, 'WRITE_ACP');
    }
  }
}

/**
 * The one authorization decision: returns when `caller` may perform an operation of class `cls`, else
 * throws 403 AccessDenied. Owners hold READ_ACP and WRITE_ACP on what they own whatever the ACL says;
 * every other right comes from a grant.
 */
export function authorize(cls: AccessClass, caller: Caller, ctx: AuthorizationContext): void {
  if (!permitted(cls, caller, ctx)) throw new S3Error('AccessDenied');
}

/** True when AllUsers has READ (or FULL_CONTROL) on the object: decides `private` torrents. */
export function isAnonymouslyReadable(objectAcl: Acl): boolean {
  return aclAllows(objectAcl, null, 'READ');
}
