import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Acl } from '../../src/meta/types.ts';
import {
  ALL_USERS, AUTHENTICATED_USERS, accessControlPolicyXml, aclForPutAclRequest, aclFromHeaders, cannedAcl,
  parseAccessControlPolicy,
} from '../../src/access/acl.ts';
import { cid, s3Error } from './helpers.ts';

const OWNER = cid('a');
const BUCKET_OWNER = cid('b');
const OTHER = cid('c');
const KNOWN = new Set([OWNER, BUCKET_OWNER, OTHER]);
const resolve = (id: string): boolean => KNOWN.has(id);
const fc = (id: string) => ({ grantee: { type: 'CanonicalUser' as const, id }, permission: 'FULL_CONTROL' as const });
const user = (id: string, permission: Acl['grants'][number]['permission']) => ({ grantee: { type: 'CanonicalUser' as const, id }, permission });
const group = (uri: typeof ALL_USERS | typeof AUTHENTICATED_USERS, permission: Acl['grants'][number]['permission']) =>
  ({ grantee: { type: 'Group' as const, uri }, permission });

describe('cannedAcl', () => {
  const table: [string, Acl['grants']][] = [
    ['private', [fc(OWNER)]],
    ['public-read', [fc(OWNER), group(ALL_USERS, 'READ')]],
    ['public-read-write', [fc(OWNER), group(ALL_USERS, 'READ'), group(ALL_USERS, 'WRITE')]],
    ['authenticated-read', [fc(OWNER), group(AUTHENTICATED_USERS, 'READ')]],
    ['bucket-owner-read', [fc(OWNER), user(BUCKET_OWNER, 'READ')]],
    ['bucket-owner-full-control', [fc(OWNER), fc(BUCKET_OWNER)]],
  ];
  for (const [name, grants] of table) {
    it(`${name} on an object owned by another account than the bucket's`, () => {
      assert.deepEqual(cannedAcl(name, OWNER, BUCKET_OWNER), { owner: OWNER, grants });
    });
  }

  it('bucket-owner-* add nothing when the object owner owns the bucket', () => {
    assert.deepEqual(cannedAcl('bucket-owner-read', OWNER, OWNER), { owner: OWNER, grants: [fc(OWNER)] });
    assert.deepEqual(cannedAcl('bucket-owner-full-control', OWNER, OWNER), { owner: OWNER, grants: [fc(OWNER)] });
  });

  it('bucket-owner-* are ignored on a bucket (no bucketOwner)', () => {
    assert.deepEqual(cannedAcl('bucket-owner-read', OWNER), { owner: OWNER, grants: [fc(OWNER)] });
    assert.deepEqual(cannedAcl('bucket-owner-full-control', OWNER), { owner: OWNER, grants: [fc(OWNER)] });
  });

  it('public-read on a bucket', () => {
    assert.deepEqual(cannedAcl('public-read', OWNER), { owner: OWNER, grants: [fc(OWNER), group(ALL_USERS, 'READ')] });
  });

  it('an unknown name is InvalidArgument naming x-amz-acl, with no message (as S3)', () => {
    assert.throws(() => cannedAcl('public-ready', OWNER), s3Error('InvalidArgument', '', { ArgumentName: 'x-amz-acl', ArgumentValue: 'public-ready' }));
    assert.throws(() => cannedAcl('Private', OWNER), s3Error('InvalidArgument'));
    assert.throws(() => cannedAcl('', OWNER), s3Error('InvalidArgument'));
  });

  it('aws-exec-read and log-delivery-write are valid in S3 but not implemented here', () => {
    assert.throws(() => cannedAcl('aws-exec-read', OWNER), s3Error('NotImplemented'));
    assert.throws(() => cannedAcl('log-delivery-write', OWNER), s3Error('NotImplemented'));
  });
});

describe('aclFromHeaders', () => {
  it('neither header → private', () => {
    assert.deepEqual(aclFromHeaders({}, OWNER), { owner: OWNER, grants: [fc(OWNER)] });
  });

  it('x-amz-acl alone', () => {
    assert.deepEqual(aclFromHeaders({ 'x-amz-acl': 'bucket-owner-read' }, OWNER, BUCKET_OWNER, resolve),
      { owner: OWNER, grants: [fc(OWNER), user(BUCKET_OWNER, 'READ')] });
  });

  it('grant headers give exactly the listed grants, in S3 order, several grantees per header', () => {
    const acl = aclFromHeaders({
      'x-amz-grant-full-control': `id="${OTHER}"`,
      'x-amz-grant-read': `uri="${ALL_USERS}", id="${OTHER}",id=${BUCKET_OWNER}`,
      'x-amz-grant-write-acp': `  uri = "${AUTHENTICATED_USERS}"  `,
    }, OWNER, undefined, resolve);
    assert.deepEqual(acl, {
      owner: OWNER,
      grants: [
        group(ALL_USERS, 'READ'), user(OTHER, 'READ'), user(BUCKET_OWNER, 'READ'),
        group(AUTHENTICATED_USERS, 'WRITE_ACP'),
        fc(OTHER),
      ],
    });
  });

  it('all five grant headers', () => {
    const h = {
      'x-amz-grant-read': `id=${OTHER}`, 'x-amz-grant-write': `id=${OTHER}`, 'x-amz-grant-read-acp': `id=${OTHER}`,
      'x-amz-grant-write-acp': `id=${OTHER}`, 'x-amz-grant-full-control': `id=${OTHER}`,
    };
    assert.deepEqual(aclFromHeaders(h, OWNER, undefined, resolve).grants.map((g) => g.permission),
      ['READ', 'WRITE', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL']);
  });

  it('both x-amz-acl and a grant header → 400 InvalidRequest', () => {
    assert.throws(() => aclFromHeaders({ 'x-amz-acl': 'private', 'x-amz-grant-read': `id="${OTHER}"` }, OWNER),
      s3Error('InvalidRequest', 'Specifying both Canned ACLs and Header Grants is not allowed'));
  });

  it('unknown grantee type → Argument format not recognized, naming the header', () => {
    assert.throws(() => aclFromHeaders({ 'x-amz-grant-write': 'fakekey="1234"' }, OWNER),
      s3Error('InvalidArgument', 'Argument format not recognized', { ArgumentName: 'x-amz-grant-write', ArgumentValue: 'fakekey="1234"' }));
    assert.throws(() => aclFromHeaders({ 'x-amz-grant-read': `id="${OTHER}` }, OWNER), s3Error('InvalidArgument', 'Argument format not recognized'));
    assert.throws(() => aclFromHeaders({ 'x-amz-grant-read': 'nonsense' }, OWNER), s3Error('InvalidArgument', 'Argument format not recognized'));
  });

  it('unknown canonical id → Invalid id', () => {
    assert.throws(() => aclFromHeaders({ 'x-amz-grant-read': `id="${cid('d')}"` }, OWNER, undefined, resolve),
      s3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'id', ArgumentValue: cid('d') }));
    assert.throws(() => aclFromHeaders({ 'x-amz-grant-read': 'id="wrong-id"' }, OWNER),
      s3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'id', ArgumentValue: 'wrong-id' }));
  });

  it('without a resolver any well-formed id is accepted', () => {
    assert.deepEqual(aclFromHeaders({ 'x-amz-grant-read': `id=${cid('d')}` }, OWNER).grants, [user(cid('d'), 'READ')]);
  });

  it('unknown group uri → Invalid group uri; LogDelivery → NotImplemented', () => {
    assert.throws(() => aclFromHeaders({ 'x-amz-grant-write': 'uri="http://acs.amazonaws.com/groups/s3/FakeGroup"' }, OWNER),
      s3Error('InvalidArgument', 'Invalid group uri', { ArgumentName: 'uri', ArgumentValue: 'http://acs.amazonaws.com/groups/s3/FakeGroup' }));
    assert.throws(() => aclFromHeaders({ 'x-amz-grant-write': 'uri="http://acs.amazonaws.com/groups/s3/LogDelivery"' }, OWNER),
      s3Error('NotImplemented'));
  });

  it('email grantees cannot resolve: UnresolvableGrantByEmailAddress', () => {
    assert.throws(() => aclFromHeaders({ 'x-amz-grant-read': 'emailAddress="xyz@example.com"' }, OWNER),
      s3Error('UnresolvableGrantByEmailAddress'));
  });

  it('an invalid canned name fails even when no grant header is present', () => {
    assert.throws(() => aclFromHeaders({ 'x-amz-acl': 'fake-acl' }, OWNER), s3Error('InvalidArgument', '', { ArgumentName: 'x-amz-acl', ArgumentValue: 'fake-acl' }));
  });
});

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
function acp(owner: string, grants: string): string {
  return `<AccessControlPolicy ${NS}><Owner><ID>${owner}</ID><DisplayName>x</DisplayName></Owner><AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`;
}
const userGrant = (id: string, p: string): string =>
  `<Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>${id}</ID><DisplayName>ignored</DisplayName></Grantee><Permission>${p}</Permission></Grant>`;
const groupGrant = (uri: string, p: string): string =>
  `<Grant><Grantee ${XSI} xsi:type="Group"><URI xmlns="">${uri}</URI></Grantee><Permission>${p}</Permission></Grant>`;

describe('parseAccessControlPolicy', () => {
  it('reads owner and grants in order, AWS sample shape', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n${acp(OWNER, userGrant(OWNER, 'FULL_CONTROL') + groupGrant(ALL_USERS, 'READ') + userGrant(OTHER, 'WRITE_ACP'))}`;
    assert.deepEqual(parseAccessControlPolicy(xml, OWNER, resolve), {
      owner: OWNER, grants: [fc(OWNER), group(ALL_USERS, 'READ'), user(OTHER, 'WRITE_ACP')],
    });
  });

  it('an empty AccessControlList revokes every grant', () => {
    assert.deepEqual(parseAccessControlPolicy(acp(OWNER, ''), OWNER, resolve), { owner: OWNER, grants: [] });
    assert.deepEqual(parseAccessControlPolicy(acp(OWNER, '').replace('<AccessControlList></AccessControlList>', '<AccessControlList/>'), OWNER, resolve),
      { owner: OWNER, grants: [] });
  });

  it('other prefixes for the xsi namespace work', () => {
    const xml = acp(OWNER, `<Grant><Grantee xmlns:q="http://www.w3.org/2001/XMLSchema-instance" q:type="CanonicalUser"><ID>${OTHER}</ID></Grantee><Permission>READ</Permission></Grant>`);
    assert.deepEqual(parseAccessControlPolicy(xml, OWNER, resolve).grants, [user(OTHER, 'READ')]);
  });

  const malformed: [string, string][] = [
    ['not XML', 'hello'],
    ['unclosed tag', acp(OWNER, userGrant(OTHER, 'READ')).replace('</Grant>', '')],
    ['wrong root', `<Policy><Owner><ID>${OWNER}</ID></Owner><AccessControlList/></Policy>`],
    ['no Owner', `<AccessControlPolicy><AccessControlList>${userGrant(OTHER, 'READ')}</AccessControlList></AccessControlPolicy>`],
    ['no AccessControlList', `<AccessControlPolicy><Owner><ID>${OWNER}</ID></Owner></AccessControlPolicy>`],
    ['empty document', '<AccessControlPolicy/>'],
    ['bad permission', acp(OWNER, userGrant(OTHER, 'WRONG-PERMISSION'))],
    ['no permission', acp(OWNER, `<Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>${OTHER}</ID></Grantee></Grant>`)],
    ['two permissions', acp(OWNER, `<Grant><Grantee ${XSI} xsi:type="CanonicalUser"><ID>${OTHER}</ID></Grantee><Permission>READ</Permission><Permission>WRITE</Permission></Grant>`)],
    ['no grantee', acp(OWNER, '<Grant><Permission>READ</Permission></Grant>')],
    ['bad grantee type', acp(OWNER, userGrant(OTHER, 'READ').replace('CanonicalUser', 'BadType'))],
    ['no grantee type', acp(OWNER, `<Grant><Grantee><ID>${OTHER}</ID></Grantee><Permission>READ</Permission></Grant>`)],
    ['not a Grant in the list', acp(OWNER, '<Foo/>')],
    ['a DOCTYPE', `<!DOCTYPE x [<!ENTITY e "${OWNER}">]>${acp('&e;', '')}`],
    ['an undefined entity', acp(OWNER, '').replace('<DisplayName>x', '<DisplayName>&bogus;')],
    ['two roots', acp(OWNER, '') + '<x/>'],
    ['101 grants', acp(OWNER, userGrant(OTHER, 'READ').repeat(101))],
  ];
  for (const [name, xml] of malformed) {
    it(`${name} → MalformedACLError`, () => {
      assert.throws(() => parseAccessControlPolicy(xml, OWNER, resolve), s3Error('MalformedACLError'));
    });
  }

  it('100 grants are accepted', () => {
    assert.equal(parseAccessControlPolicy(acp(OWNER, userGrant(OTHER, 'READ').repeat(100)), OWNER, resolve).grants.length, 100);
  });

  it('a grant to an unknown canonical id → InvalidArgument Invalid id (CanonicalUser/ID)', () => {
    assert.throws(() => parseAccessControlPolicy(acp(OWNER, userGrant(cid('d'), 'READ')), OWNER, resolve),
      s3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'CanonicalUser/ID', ArgumentValue: cid('d') }));
    assert.throws(() => parseAccessControlPolicy(acp(OWNER, userGrant('wrong-id', 'READ')), OWNER, resolve),
      s3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'CanonicalUser/ID', ArgumentValue: 'wrong-id' }));
  });

  it('an owner id that is no account → InvalidArgument; another account → AccessDenied', () => {
    assert.throws(() => parseAccessControlPolicy(acp('wrong-id', ''), OWNER, resolve),
      s3Error('InvalidArgument', 'Invalid id', { ArgumentName: 'CanonicalUser/ID', ArgumentValue: 'wrong-id' }));
    assert.throws(() => parseAccessControlPolicy(acp(OTHER, ''), OWNER, resolve), s3Error('AccessDenied'));
  });

  it('bad group uri → Invalid group uri (Group/URI); email grantee → UnresolvableGrantByEmailAddress', () => {
    assert.throws(() => parseAccessControlPolicy(acp(OWNER, groupGrant('http://acs.amazonaws.com/groups/s3/FakeGroup', 'READ')), OWNER, resolve),
      s3Error('InvalidArgument', 'Invalid group uri', { ArgumentName: 'Group/URI', ArgumentValue: 'http://acs.amazonaws.com/groups/s3/FakeGroup' }));
    const email = `<Grant><Grantee ${XSI} xsi:type="AmazonCustomerByEmail"><EmailAddress>a@b.c</EmailAddress></Grantee><Permission>READ</Permission></Grant>`;
    assert.throws(() => parseAccessControlPolicy(acp(OWNER, email), OWNER, resolve), s3Error('UnresolvableGrantByEmailAddress'));
  });
});

describe('accessControlPolicyXml', () => {
  const names: Record<string, string> = { [OWNER]: `o<w>n&e"r's`, [OTHER]: '' };
  const displayName = (id: string): string => names[id] ?? 'someone';

  it('writes S3\'s shape: Owner, then grants with xsi:type, display names escaped', () => {
    const xml = accessControlPolicyXml({ owner: OWNER, grants: [fc(OWNER), group(ALL_USERS, 'READ')] }, displayName);
    assert.equal(xml,
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Owner><ID>${OWNER}</ID><DisplayName>o&lt;w&gt;n&amp;e&quot;r&apos;s</DisplayName></Owner>` +
      '<AccessControlList>' +
      `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>${OWNER}</ID><DisplayName>o&lt;w&gt;n&amp;e&quot;r&apos;s</DisplayName></Grantee><Permission>FULL_CONTROL</Permission></Grant>` +
      `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>${ALL_USERS}</URI></Grantee><Permission>READ</Permission></Grant>` +
      '</AccessControlList></AccessControlPolicy>');
  });

  it('leaves out an empty display name', () => {
    const xml = accessControlPolicyXml({ owner: OTHER, grants: [] }, displayName);
    assert.ok(xml.includes(`<Owner><ID>${OTHER}</ID></Owner>`));
  });

  it('round-trips every grantee kind and permission', () => {
    const acl: Acl = {
      owner: OWNER,
      grants: [
        fc(OWNER), user(OTHER, 'READ'), user(OTHER, 'WRITE'), user(BUCKET_OWNER, 'READ_ACP'), user(OTHER, 'WRITE_ACP'),
        group(ALL_USERS, 'READ'), group(AUTHENTICATED_USERS, 'WRITE'),
      ],
    };
    assert.deepEqual(parseAccessControlPolicy(accessControlPolicyXml(acl, displayName), OWNER, resolve), acl);
  });

  it('a display name with markup survives the round trip as text', () => {
    const xml = accessControlPolicyXml({ owner: OWNER, grants: [] }, () => '</DisplayName><ID>evil</ID>');
    assert.deepEqual(parseAccessControlPolicy(xml, OWNER, resolve), { owner: OWNER, grants: [] });
  });
});

describe('aclForPutAclRequest', () => {
  const body = acp(OWNER, userGrant(OTHER, 'READ'));
  it('body only', () => {
    assert.deepEqual(aclForPutAclRequest({}, body, OWNER, resolve), { owner: OWNER, grants: [user(OTHER, 'READ')] });
  });
  it('headers only', () => {
    assert.deepEqual(aclForPutAclRequest({ 'x-amz-acl': 'public-read' }, '', OWNER, resolve),
      { owner: OWNER, grants: [fc(OWNER), group(ALL_USERS, 'READ')] });
  });
  it('both → 400 UnexpectedContent', () => {
    assert.throws(() => aclForPutAclRequest({ 'x-amz-acl': 'private' }, body, OWNER, resolve),
      s3Error('UnexpectedContent', 'This request does not support content'));
    assert.throws(() => aclForPutAclRequest({ 'x-amz-grant-read': `id=${OTHER}` }, body, OWNER, resolve), s3Error('UnexpectedContent'));
  });
  it('neither → 400 MissingSecurityHeader naming x-amz-acl', () => {
    assert.throws(() => aclForPutAclRequest({}, '  ', OWNER, resolve),
      s3Error('MissingSecurityHeader', undefined, { MissingHeaderName: 'x-amz-acl' }));
  });
});
