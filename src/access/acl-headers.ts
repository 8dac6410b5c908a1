import type { IncomingHttpHeaders } from 'node:http';
import type { Acl, Grant, Permission } from '../meta/types.ts';
import { S3Error } from '../s3/errors.ts';
import { ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY, cannedAcl } from './acl-canned.ts';
import { canonicalIdAccepted } from './canonical-id.ts';
import { header } from './headers.ts';
import { parseAccessControlPolicy } from './acl-xml.ts';

/** In the order S3 lists the resulting grants. */
export const GRANT_HEADERS: readonly (readonly [string, Permission])[] = [
  ['x-amz-grant-read', 'READ'],
  ['x-amz-grant-write', 'WRITE'],
  ['x-amz-grant-read-acp', 'READ_ACP'],
  ['x-amz-grant-write-acp', 'WRITE_ACP'],
  ['x-amz-grant-full-control', 'FULL_CONTROL'],
];

/** Splits a grantee list on commas outside double quotes; undefined when a quote is left open. */
function splitGrantees(value: string): string[] | undefined {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const c of value) {
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (quoted) return undefined;
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function formatError(headerName: string, value: string): S3Error {
  return new S3Error('InvalidArgument', 'Argument format not recognized', { ArgumentName: headerName, ArgumentValue: value });
}

function parseGrantHeader(
  headerName: string, permission: Permission, value: string, resolveCanonical?: (id: string) => boolean,
): Grant[] {
  const grantees = splitGrantees(value);
  if (grantees === undefined) throw formatError(headerName, value);
  return grantees.map((g): Grant => {
    const m = /^([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^"\s]+))$/.exec(g);
    if (!m) throw formatError(headerName, g);
    const type = (m[1] ?? '').toLowerCase();
    const v = m[2] ?? m[3] ?? '';
    switch (type) {
      case 'id':
        if (!canonicalIdAccepted(v, resolveCanonical)) {
          throw new S3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'id', ArgumentValue: v });
        }
        return { grantee: { type: 'CanonicalUser', id: v }, permission };
      case 'uri':
        if (v === ALL_USERS || v === AUTHENTICATED_USERS) return { grantee: { type: 'Group', uri: v }, permission };
        if (v === LOG_DELIVERY) throw new S3Error('NotImplemented', 'Grants to the LogDelivery group are not implemented', { Header: headerName });
        throw new S3Error('InvalidArgument', 'Invalid group uri', { ArgumentName: 'uri', ArgumentValue: v });
      case 'emailaddress':
        // No account here has an email address, so no email grantee can resolve.
        throw new S3Error('UnresolvableGrantByEmailAddress', undefined, { EmailAddress: v });
      default:
        throw formatError(headerName, g);
    }
  });
}

function grantHeadersPresent(headers: IncomingHttpHeaders): boolean {
  return GRANT_HEADERS.some(([name]) => (header(headers, name) ?? '').trim() !== '');
}

/**
 * The ACL that x-amz-acl or the x-amz-grant-* headers ask for; 'private' when neither is present.
 * Grant headers give exactly the grants listed: the owner gets no implicit grant (it keeps READ_ACP and
 * WRITE_ACP through authorize()). Without `resolveCanonical`, any 64-hex id is accepted.
 */
export function aclFromHeaders(
  headers: IncomingHttpHeaders, owner: string, bucketOwner?: string, resolveCanonical?: (id: string) => boolean,
): Acl {
  const canned = header(headers, 'x-amz-acl');
  const hasGrants = grantHeadersPresent(headers);
  if (canned !== undefined && hasGrants) {
    throw new S3Error('InvalidRequest', 'Specifying both Canned ACLs and Header Grants is not allowed');
  }
  if (canned !== undefined) return cannedAcl(canned, owner, bucketOwner);
  if (!hasGrants) return cannedAcl('private', owner, bucketOwner);
  const grants: Grant[] = [];
  for (const [name, permission] of GRANT_HEADERS) {
    const value = header(headers, name);
    if (value !== undefined && value.trim() !== '') grants.push(...parseGrantHeader(name, permission, value, resolveCanonical));
  }
  return { owner, grants };
}

/** Whether the request carries x-amz-acl or a non-empty x-amz-grant-* header. */
export function hasAclHeaders(headers: IncomingHttpHeaders): boolean {
  return header(headers, 'x-amz-acl') !== undefined || grantHeadersPresent(headers);
}

/**
 * The new ACL of a PutBucketAcl / PutObjectAcl request, which takes either a body or headers:
 * both → 400 UnexpectedContent, neither → 400 MissingSecurityHeader (x-amz-acl), as S3 answers.
 * `owner` is the resource's owner; `bucketOwner` is given for objects.
 */
export function aclForPutAclRequest(
  headers: IncomingHttpHeaders, body: string, owner: string,
  resolveCanonical: (id: string) => boolean, bucketOwner?: string,
): Acl {
  const hasBody = body.trim() !== '';
  const hasHeaders = hasAclHeaders(headers);
  if (hasBody && hasHeaders) throw new S3Error('UnexpectedContent');
  if (hasBody) return parseAccessControlPolicy(body, owner, resolveCanonical);
  if (hasHeaders) return aclFromHeaders(headers, owner, bucketOwner, resolveCanonical);
  throw new S3Error('MissingSecurityHeader', undefined, { MissingHeaderName: 'x-amz-acl' });
}
