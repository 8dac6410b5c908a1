/** ACLs: canned names, grant headers, and the AccessControlPolicy document. */
export { ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY, CANNED_ACLS, cannedAcl, isCannedAcl } from './acl-canned.ts';
export { GRANT_HEADERS, aclFromHeaders, aclForPutAclRequest, hasAclHeaders } from './acl-headers.ts';
export { MAX_GRANTS, accessControlPolicyXml, parseAccessControlPolicy } from './acl-xml.ts';
