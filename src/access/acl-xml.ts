import type { Acl, Grant, Grantee, Permission } from '../meta/types.ts';
import { S3Error } from '../s3/errors.ts';
import { ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY } from './acl-canned.ts';
import { canonicalIdAccepted } from './canonical-id.ts';
import { S3_XMLNS, XML_DECLARATION, escapeXml, onlyChild, parseXml } from './xml.ts';
import type { XmlElement } from './xml.ts';

const PERMISSIONS: readonly Permission[] = ['FULL_CONTROL', 'WRITE', 'WRITE_ACP', 'READ', 'READ_ACP'];
/** "An ACL can have up to 100 grants" (S3 user guide, ACL overview). */
export const MAX_GRANTS = 100;
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

const malformed = (): S3Error => new S3Error('MalformedACLError');

function invalidId(name: string, value: string): S3Error {
  return new S3Error('InvalidArgument', 'Invalid id', { ArgumentName: name, ArgumentValue: value });
}

/** The single child's text; malformed when the child is repeated; undefined when absent. */
function childText(el: XmlElement, name: string): string | undefined {
  const c = onlyChild(el, name);
  if (c === 'many') throw malformed();
  return c?.text;
}

function parseGrantee(el: XmlElement, resolveCanonical: (id: string) => boolean): Grantee {
  switch (el.attrs['type']) {
    case 'CanonicalUser': {
      const id = childText(el, 'ID') ?? '';
      if (!canonicalIdAccepted(id, resolveCanonical)) throw invalidId('CanonicalUser/ID', id);
      return { type: 'CanonicalUser', id };
    }
    case 'Group': {
      const uri = childText(el, 'URI') ?? '';
      if (uri === ALL_USERS || uri === AUTHENTICATED_USERS) return { type: 'Group', uri };
      if (uri === LOG_DELIVERY) throw new S3Error('NotImplemented', 'Grants to the LogDelivery group are not implemented');
      throw new S3Error('InvalidArgument', 'Invalid group uri', { ArgumentName: 'Group/URI', ArgumentValue: uri });
    }
    case 'AmazonCustomerByEmail':
      // No account here has an email address, so no email grantee can resolve.
      throw new S3Error('UnresolvableGrantByEmailAddress', undefined, { EmailAddress: childText(el, 'EmailAddress') ?? '' });
    default:
      throw malformed();
  }
}

function parseGrant(el: XmlElement, resolveCanonical: (id: string) => boolean): Grant {
  if (el.name !== 'Grant') throw malformed();
  const permission = childText(el, 'Permission');
  if (!PERMISSIONS.includes(permission as Permission)) throw malformed();
  const grantee = onlyChild(el, 'Grantee');
  if (grantee === undefined || grantee === 'many') throw malformed();
  return { grantee: parseGrantee(grantee, resolveCanonical), permission: permission as Permission };
}

/**
 * Reads the AccessControlPolicy body of PutBucketAcl / PutObjectAcl. Owner and AccessControlList are
 * required (an empty list revokes every grant). An Owner naming another account is 403 AccessDenied:
 * an ACL cannot give a resource away.
 */
export function parseAccessControlPolicy(xml: string, expectedOwner: string, resolveCanonical: (id: string) => boolean): Acl {
  const root = parseXml(xml);
  if (!root || root.name !== 'AccessControlPolicy') throw malformed();
  const owner = onlyChild(root, 'Owner');
  const list = onlyChild(root, 'AccessControlList');
  if (owner === undefined || owner === 'many' || list === undefined || list === 'many') throw malformed();
  const ownerId = childText(owner, 'ID') ?? '';
  if (!canonicalIdAccepted(ownerId, resolveCanonical)) throw invalidId('CanonicalUser/ID', ownerId);
  if (ownerId !== expectedOwner) throw new S3Error('AccessDenied');
  if (list.children.length > MAX_GRANTS) throw malformed();
  const grants = list.children.map((g) => parseGrant(g, resolveCanonical));
  return { owner: ownerId, grants };
}

function granteeXml(g: Grantee, displayName: (canonicalId: string) => string): string {
  if (g.type === 'Group') {
    return `<Grantee xmlns:xsi="${XSI}" xsi:type="Group"><URI>${escapeXml(g.uri)}</URI></Grantee>`;
  }
  const name = displayName(g.id);
  const nameXml = name === '' ? '' : `<DisplayName>${escapeXml(name)}</DisplayName>`;
  return `<Grantee xmlns:xsi="${XSI}" xsi:type="CanonicalUser"><ID>${escapeXml(g.id)}</ID>${nameXml}</Grantee>`;
}

/** GetBucketAcl / GetObjectAcl body. A display name of '' is left out, as S3 now leaves them out. */
export function accessControlPolicyXml(acl: Acl, displayName: (canonicalId: string) => string): string {
  const ownerName = displayName(acl.owner);
  const ownerNameXml = ownerName === '' ? '' : `<DisplayName>${escapeXml(ownerName)}</DisplayName>`;
  const grants = acl.grants
    .map((g) => `<Grant>${granteeXml(g.grantee, displayName)}<Permission>${g.permission}</Permission></Grant>`)
    .join('');
  return `${XML_DECLARATION}<AccessControlPolicy xmlns="${S3_XMLNS}"><Owner><ID>${escapeXml(acl.owner)}</ID>${ownerNameXml}</Owner>` +
    `<AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`;
}

