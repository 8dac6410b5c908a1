import type { Acl, CannedAcl, Grant } from '../meta/types.ts';
import { S3Error } from '../s3/errors.ts';

export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
export const LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery';

export const CANNED_ACLS: readonly CannedAcl[] = [
  'private', 'public-read', 'public-read-write', 'authenticated-read', 'bucket-owner-read', 'bucket-owner-full-control',
];

/** Canned ACLs S3 accepts that need grantees seedbucket cannot represent (EC2, the LogDelivery group). */
const UNSUPPORTED_CANNED = new Set(['aws-exec-read', 'log-delivery-write']);

export function isCannedAcl(name: string): name is CannedAcl {
  return (CANNED_ACLS as readonly string[]).includes(name);
}

export function ownerGrant(id: string, permission: Grant['permission']): Grant {
  return { grantee: { type: 'CanonicalUser', id }, permission };
}

/**
 * The ACL a canned ACL name stands for. `bucketOwner` is the bucket owner's canonical id when the ACL is
 * for an object; without it (a bucket) the bucket-owner-* names are ignored, as S3 ignores them on buckets.
 */
export function cannedAcl(name: string, owner: string, bucketOwner?: string): Acl {
  if (UNSUPPORTED_CANNED.has(name)) {
    throw new S3Error('NotImplemented', undefined, { Header: 'x-amz-acl', ArgumentValue: name });
  }
  if (!isCannedAcl(name)) {
    // S3 answers an unknown canned ACL with no message at all, only the argument.
    throw new S3Error('InvalidArgument', '', { ArgumentName: 'x-amz-acl', ArgumentValue: name });
  }
  const grants: Grant[] = [ownerGrant(owner, 'FULL_CONTROL')];
  const otherBucketOwner = bucketOwner !== undefined && bucketOwner !== owner ? bucketOwner : undefined;
  switch (name) {
    case 'private':
      break;
    case 'public-read':
      grants.push({ grantee: { type: 'Group', uri: ALL_USERS }, permission: 'READ' });
      break;
    case 'public-read-write':
      grants.push({ grantee: { type: 'Group', uri: ALL_USERS }, permission: 'READ' });
      grants.push({ grantee: { type: 'Group', uri: ALL_USERS }, permission: 'WRITE' });
      break;
    case 'authenticated-read':
      grants.push({ grantee: { type: 'Group', uri: AUTHENTICATED_USERS }, permission: 'READ' });
      break;
    case 'bucket-owner-read':
      if (otherBucketOwner) grants.push(ownerGrant(otherBucketOwner, 'READ'));
      break;
    case 'bucket-owner-full-control':
      if (otherBucketOwner) grants.push(ownerGrant(otherBucketOwner, 'FULL_CONTROL'));
      break;
  }
  return { owner, grants };
}
