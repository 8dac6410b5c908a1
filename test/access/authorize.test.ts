import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Acl, Grant, Permission } from '../../src/meta/types.ts';
import { ALL_USERS, AUTHENTICATED_USERS } from '../../src/access/acl.ts';
import { authorize, isAnonymouslyReadable } from '../../src/access/authorize.ts';
import type { AccessClass } from '../../src/access/authorize.ts';
import type { Caller } from '../../src/access/principal.ts';
import { S3Error } from '../../src/s3/errors.ts';
import { cid } from './helpers.ts';

const OWNER_ID = cid('1');
const OTHER_ID = cid('2');
const STRANGER_ID = cid('3');

type CallerKind = 'owner' | 'other' | 'stranger' | 'anonymous';
const CALLERS: Record<CallerKind, Caller> = {
  owner: { accountId: '111111111111', canonicalUserId: OWNER_ID, accessKeyId: 'AKOWNER' },
  other: { accountId: '222222222222', canonicalUserId: OTHER_ID, accessKeyId: 'AKOTHER' },
  stranger: { accountId: '333333333333', canonicalUserId: STRANGER_ID, accessKeyId: 'AKSTRANGER' },
  anonymous: null,
};

type GranteeKind = 'owner' | 'other' | 'authenticated' | 'allUsers' | 'none';
const PERMISSIONS: Permission[] = ['READ', 'WRITE', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL'];

function grantTo(kind: Exclude<GranteeKind, 'none'>, permission: Permission): Grant {
  switch (kind) {
    case 'owner': return { grantee: { type: 'CanonicalUser', id: OWNER_ID }, permission };
    case 'other': return { grantee: { type: 'CanonicalUser', id: OTHER_ID }, permission };
    case 'authenticated': return { grantee: { type: 'Group', uri: AUTHENTICATED_USERS }, permission };
    case 'allUsers': return { grantee: { type: 'Group', uri: ALL_USERS }, permission };
  }
}

function aclWith(kind: GranteeKind, permission: Permission): Acl {
  return { owner: OWNER_ID, grants: kind === 'none' ? [] : [grantTo(kind, permission)] };
}

// The expectation, written as literal tables rather than derived from the implementation.
// Which callers a grant to each grantee kind reaches:
const REACHES: Record<GranteeKind, Record<CallerKind, boolean>> = {
  owner: { owner: true, other: false, stranger: false, anonymous: false },
  other: { owner: false, other: true, stranger: false, anonymous: false },
  authenticated: { owner: true, other: true, stranger: true, anonymous: false },
  allUsers: { owner: true, other: true, stranger: true, anonymous: true },
  none: { owner: false, other: false, stranger: false, anonymous: false },
};
// Which granted permissions satisfy each ACL-governed class (FULL_CONTROL implies all):
const SATISFIES: Record<string, Record<Permission, boolean>> = {
  Read: { READ: true, WRITE: false, READ_ACP: false, WRITE_ACP: false, FULL_CONTROL: true },
  Write: { READ: false, WRITE: true, READ_ACP: false, WRITE_ACP: false, FULL_CONTROL: true },
  ReadAcp: { READ: false, WRITE: false, READ_ACP: true, WRITE_ACP: false, FULL_CONTROL: true },
  WriteAcp: { READ: false, WRITE: false, READ_ACP: false, WRITE_ACP: true, FULL_CONTROL: true },
};
// Whether the resource owner holds the class whatever the ACL says:
const OWNER_IMPLICIT: Record<string, boolean> = { Read: false, Write: false, ReadAcp: true, WriteAcp: true };

interface ClassSpec { cls: AccessClass; on: 'bucket' | 'object'; kind: keyof typeof SATISFIES }
const ACL_CLASSES: ClassSpec[] = [
  { cls: 'BucketRead', on: 'bucket', kind: 'Read' },
  { cls: 'BucketWrite', on: 'bucket', kind: 'Write' },
  { cls: 'BucketReadAcp', on: 'bucket', kind: 'ReadAcp' },
  { cls: 'BucketWriteAcp', on: 'bucket', kind: 'WriteAcp' },
  { cls: 'ObjectRead', on: 'object', kind: 'Read' },
  { cls: 'ObjectReadAcp', on: 'object', kind: 'ReadAcp' },
  { cls: 'ObjectWriteAcp', on: 'object', kind: 'WriteAcp' },
];

function allowed(cls: AccessClass, caller: Caller, ctx: Parameters<typeof authorize>[2]): boolean {
  try {
    authorize(cls, caller, ctx);
    return true;
  } catch (e) {
    assert.ok(e instanceof S3Error && e.code === 'AccessDenied' && e.status === 403, `unexpected error ${String(e)}`);
    return false;
  }
}

describe('authorize: ACL-governed classes, exhaustive matrix', () => {
  // A private resource for the "other" side, so only the ACL under test can allow anything.
  const privateAcl: Acl = { owner: OWNER_ID, grants: [] };
  let cells = 0;
  for (const { cls, on, kind } of ACL_CLASSES) {
    it(cls, () => {
      for (const permission of PERMISSIONS) {
        for (const granteeKind of Object.keys(REACHES) as GranteeKind[]) {
          for (const callerKind of Object.keys(CALLERS) as CallerKind[]) {
            const acl = aclWith(granteeKind, permission);
            const ctx = on === 'bucket' ? { bucketAcl: acl } : { bucketAcl: privateAcl, objectAcl: acl };
            const expected = (callerKind === 'owner' && OWNER_IMPLICIT[kind] === true) ||
              (REACHES[granteeKind][callerKind] && SATISFIES[kind]?.[permission] === true);
            assert.equal(allowed(cls, CALLERS[callerKind], ctx), expected,
              `${cls}: grant ${permission} to ${granteeKind}, caller ${callerKind}`);
            cells++;
          }
        }
      }
    });
  }
  it('covered every cell', () => assert.equal(cells, ACL_CLASSES.length * 5 * 5 * 4));
});

describe('authorize: classes no grant can give', () => {
  for (const cls of ['ListAllMyBuckets', 'CreateBucket'] as const) {
    it(`${cls}: any signed caller, never anonymous`, () => {
      for (const k of ['owner', 'other', 'stranger'] as const) assert.equal(allowed(cls, CALLERS[k], {}), true);
      assert.equal(allowed(cls, null, {}), false);
    });
  }

  it('BucketOwner: only the bucket owner, even against FULL_CONTROL grants to everyone', () => {
    for (const permission of PERMISSIONS) {
      for (const granteeKind of Object.keys(REACHES) as GranteeKind[]) {
        const ctx = { bucketAcl: aclWith(granteeKind, permission) };
        for (const callerKind of Object.keys(CALLERS) as CallerKind[]) {
          assert.equal(allowed('BucketOwner', CALLERS[callerKind], ctx), callerKind === 'owner', `${permission} ${granteeKind} ${callerKind}`);
        }
      }
    }
  });

  it('BucketOwner uses bucketOwnerCanonical when given, and works without the ACL', () => {
    assert.equal(allowed('BucketOwner', CALLERS.other, { bucketOwnerCanonical: OTHER_ID }), true);
    assert.equal(allowed('BucketOwner', CALLERS.owner, { bucketOwnerCanonical: OTHER_ID }), false);
  });
});

describe('authorize: ownership of objects', () => {
  const bucketAcl: Acl = { owner: OWNER_ID, grants: [grantTo('owner', 'FULL_CONTROL')] };
  const foreignObject: Acl = { owner: OTHER_ID, grants: [grantTo('other', 'FULL_CONTROL')] };

  it('the bucket owner has no implicit right on an object another account owns', () => {
    for (const cls of ['ObjectRead', 'ObjectReadAcp', 'ObjectWriteAcp'] as const) {
      assert.equal(allowed(cls, CALLERS.owner, { bucketAcl, objectAcl: foreignObject }), false, cls);
      assert.equal(allowed(cls, CALLERS.other, { bucketAcl, objectAcl: foreignObject }), true, cls);
    }
  });

  it('the object owner keeps READ_ACP/WRITE_ACP after revoking all grants, not READ', () => {
    const revoked: Acl = { owner: OTHER_ID, grants: [] };
    assert.equal(allowed('ObjectReadAcp', CALLERS.other, { objectAcl: revoked }), true);
    assert.equal(allowed('ObjectWriteAcp', CALLERS.other, { objectAcl: revoked }), true);
    assert.equal(allowed('ObjectRead', CALLERS.other, { objectAcl: revoked }), false);
  });

  it('bucket-owner-read lets the bucket owner read', () => {
    const acl: Acl = { owner: OTHER_ID, grants: [grantTo('other', 'FULL_CONTROL'), grantTo('owner', 'READ')] };
    assert.equal(allowed('ObjectRead', CALLERS.owner, { bucketAcl, objectAcl: acl }), true);
    assert.equal(allowed('ObjectWriteAcp', CALLERS.owner, { bucketAcl, objectAcl: acl }), false);
  });

  it('a missing ACL is a wiring error, not a denial', () => {
    assert.throws(() => authorize('BucketRead', CALLERS.owner, {}), TypeError);
    assert.throws(() => authorize('ObjectRead', CALLERS.owner, { bucketAcl }), TypeError);
  });
});

describe('isAnonymouslyReadable', () => {
  it('AllUsers READ or FULL_CONTROL only', () => {
    for (const permission of PERMISSIONS) {
      for (const granteeKind of Object.keys(REACHES) as GranteeKind[]) {
        const expected = granteeKind === 'allUsers' && (permission === 'READ' || permission === 'FULL_CONTROL');
        assert.equal(isAnonymouslyReadable(aclWith(granteeKind, permission)), expected, `${permission} ${granteeKind}`);
      }
    }
  });
});
