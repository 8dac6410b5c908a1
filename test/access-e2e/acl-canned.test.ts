// Canned ACLs (x-amz-acl) and x-amz-grant-* headers on every operation that takes them — CreateBucket,
// PutObject, CopyObject, CreateMultipartUpload — checked twice: the ACL the owner reads back, and what
// three accounts and anonymous callers can then really do.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetBucketAclCommand,
  GetObjectAclCommand, GetObjectCommand, ListObjectsV2Command, PutBucketAclCommand, PutObjectAclCommand, PutObjectCommand,
  UploadPartCommand, type BucketCannedACL, type Grant, type ObjectCannedACL, type S3Client,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import {
  ALL_USERS, AUTHENTICATED_USERS, anonymousClient, attempt, clientFor, createAccount, rawCall, rootAccount, type Account,
} from './harness.ts';

type Who = 'A' | 'B' | 'C' | 'anonymous';
const WHO: Who[] = ['A', 'B', 'C', 'anonymous'];
const CANNED = ['private', 'public-read', 'public-read-write', 'authenticated-read', 'bucket-owner-read', 'bucket-owner-full-control'] as const;
type Canned = typeof CANNED[number];

function grantList(grants: Grant[] | undefined): string[] {
  return (grants ?? []).map((g) => `${g.Grantee?.ID ?? g.Grantee?.URI}:${g.Permission}`).sort();
}

describe('canned ACLs and grant headers on CreateBucket, PutObject, CopyObject, CreateMultipartUpload', () => {
  let server: TestServer;
  let acct: Record<Exclude<Who, 'anonymous'>, Account>;
  let c: Record<Who, S3Client>;
  /** A's bucket where B may write (so bucket-owner-* ACLs name someone else than the writer) */
  const shared = 'canned-shared';

  before(async () => {
    server = await startTestServer();
    const A = await rootAccount(server);
    const [B, C] = await Promise.all([createAccount(server, 'writer-b'), createAccount(server, 'other-c')]);
    acct = { A, B, C };
    c = { A: clientFor(server, A), B: clientFor(server, B), C: clientFor(server, C), anonymous: anonymousClient(server) };
    // Grant headers on CreateBucket: B may write, A keeps full control.
    await c.A.send(new CreateBucketCommand({ Bucket: shared, GrantWrite: `id="${B.canonicalUserId}"`, GrantFullControl: `id="${A.canonicalUserId}"` }));
    await c.B.send(new PutObjectCommand({ Bucket: shared, Key: 'copy-source', Body: 'copied bytes' }));
  });

  after(async () => {
    for (const x of Object.values(c ?? {})) x.destroy();
    if (server) { await server.stop(); server.cleanup(); }
  });

  it('grant headers on CreateBucket give exactly the listed grants', async () => {
    const acl = await c.A.send(new GetBucketAclCommand({ Bucket: shared }));
    assert.deepEqual(grantList(acl.Grants), [`${acct.A.canonicalUserId}:FULL_CONTROL`, `${acct.B.canonicalUserId}:WRITE`].sort());
    // WRITE without READ: B writes but cannot list; C can do neither.
    assert.deepEqual(await attempt(() => c.B.send(new ListObjectsV2Command({ Bucket: shared }))), { ok: false, status: 403, code: 'AccessDenied' });
    assert.deepEqual(await attempt(() => c.C.send(new PutObjectCommand({ Bucket: shared, Key: 'c', Body: 'c' }))), { ok: false, status: 403, code: 'AccessDenied' });
  });

  /** The object grants a canned ACL gives when B writes into A's bucket. */
  function expectedObjectGrants(canned: Canned): string[] {
    const B = `${acct.B.canonicalUserId}:FULL_CONTROL`;
    const g: Record<Canned, string[]> = {
      'private': [B],
      'public-read': [B, `${ALL_USERS}:READ`],
      'public-read-write': [B, `${ALL_USERS}:READ`, `${ALL_USERS}:WRITE`],
      'authenticated-read': [B, `${AUTHENTICATED_USERS}:READ`],
      'bucket-owner-read': [B, `${acct.A.canonicalUserId}:READ`],
      'bucket-owner-full-control': [B, `${acct.A.canonicalUserId}:FULL_CONTROL`],
    };
    return g[canned].sort();
  }

  /** Who may GetObject an object B wrote with this canned ACL. */
  function objectReaders(canned: Canned): Who[] {
    switch (canned) {
      case 'private': return ['B'];
      case 'public-read': case 'public-read-write': return ['A', 'B', 'C', 'anonymous'];
      case 'authenticated-read': return ['A', 'B', 'C'];
      case 'bucket-owner-read': case 'bucket-owner-full-control': return ['A', 'B'];
    }
  }

  const writers: Record<string, (key: string, canned: Canned, body: string) => Promise<unknown>> = {
    PutObject: (key, canned, body) => c.B.send(new PutObjectCommand({ Bucket: shared, Key: key, Body: body, ACL: canned as ObjectCannedACL })),
    CopyObject: (key, canned) => c.B.send(new CopyObjectCommand({ Bucket: shared, Key: key, CopySource: `${shared}/copy-source`, ACL: canned as ObjectCannedACL })),
    CreateMultipartUpload: async (key, canned, body) => {
      const up = await c.B.send(new CreateMultipartUploadCommand({ Bucket: shared, Key: key, ACL: canned as ObjectCannedACL }));
      const part = await c.B.send(new UploadPartCommand({ Bucket: shared, Key: key, UploadId: up.UploadId, PartNumber: 1, Body: body }));
      return c.B.send(new CompleteMultipartUploadCommand({
        Bucket: shared, Key: key, UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
      }));
    },
  };

  for (const [op, write] of Object.entries(writers)) {
    for (const canned of CANNED) {
      it(`${op} with x-amz-acl: ${canned}`, async () => {
        const key = `${op}/${canned}`;
        const body = op === 'CopyObject' ? 'copied bytes' : `written by B with ${canned}`;
        await write(key, canned, body);
        const acl = await c.B.send(new GetObjectAclCommand({ Bucket: shared, Key: key }));
        assert.equal(acl.Owner?.ID, acct.B.canonicalUserId, 'the writer owns the object');
        assert.deepEqual(grantList(acl.Grants), expectedObjectGrants(canned));
        const readers = objectReaders(canned);
        for (const who of WHO) {
          const o = await attempt(async () => {
            const r = await c[who].send(new GetObjectCommand({ Bucket: shared, Key: key }));
            assert.equal(await r.Body!.transformToString(), body);
          });
          if (readers.includes(who)) assert.equal(o.ok, true, `${who} should read ${key}: ${o.status} ${o.code}`);
          else assert.deepEqual(o, { ok: false, status: 403, code: 'AccessDenied' }, `${who} must not read ${key}`);
        }
        // Only bucket-owner-full-control lets the bucket owner read the object's ACL.
        const ownerAcl = await attempt(() => c.A.send(new GetObjectAclCommand({ Bucket: shared, Key: key })));
        assert.equal(ownerAcl.ok, canned === 'bucket-owner-full-control', `bucket owner GetObjectAcl: ${ownerAcl.status} ${ownerAcl.code}`);
      });
    }
  }

  for (const canned of CANNED) {
    it(`CreateBucket with x-amz-acl: ${canned}`, async () => {
      const bucket = `canned-bucket-${canned}`;
      await c.A.send(new CreateBucketCommand({ Bucket: bucket, ACL: canned as BucketCannedACL }));
      await c.A.send(new PutObjectCommand({ Bucket: bucket, Key: 'inside', Body: 'x' }));
      const A = `${acct.A.canonicalUserId}:FULL_CONTROL`;
      const expected: Record<Canned, string[]> = {
        'private': [A],
        'public-read': [A, `${ALL_USERS}:READ`],
        'public-read-write': [A, `${ALL_USERS}:READ`, `${ALL_USERS}:WRITE`],
        'authenticated-read': [A, `${AUTHENTICATED_USERS}:READ`],
        // bucket-owner-* mean nothing on a bucket: its owner is the bucket owner.
        'bucket-owner-read': [A],
        'bucket-owner-full-control': [A],
      };
      assert.deepEqual(grantList((await c.A.send(new GetBucketAclCommand({ Bucket: bucket }))).Grants), expected[canned].sort());
      const listers: Who[] = canned === 'public-read' || canned === 'public-read-write' ? WHO
        : canned === 'authenticated-read' ? ['A', 'B', 'C'] : ['A'];
      const writersOk: Who[] = canned === 'public-read-write' ? WHO : ['A'];
      for (const who of WHO) {
        const list = await attempt(() => c[who].send(new ListObjectsV2Command({ Bucket: bucket })));
        assert.equal(list.ok, listers.includes(who), `${who} ListObjectsV2 on ${canned}: ${list.status} ${list.code}`);
        if (!list.ok) assert.deepEqual([list.status, list.code], [403, 'AccessDenied']);
        const put = await attempt(() => c[who].send(new PutObjectCommand({ Bucket: bucket, Key: `by-${who}`, Body: who })));
        assert.equal(put.ok, writersOk.includes(who), `${who} PutObject on ${canned}: ${put.status} ${put.code}`);
        if (!put.ok) assert.deepEqual([put.status, put.code], [403, 'AccessDenied']);
      }
      const keys = ((await c.A.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key).sort();
      assert.deepEqual(keys, ['inside', ...writersOk.map((w) => `by-${w}`)].sort());
    });
  }

  it('x-amz-grant-* headers on PutObject, CopyObject and CreateMultipartUpload', async () => {
    const { A, B, C } = acct;
    const grants = {
      GrantRead: `uri="${AUTHENTICATED_USERS}"`,
      GrantReadACP: `id="${C.canonicalUserId}"`,
      GrantWriteACP: `id="${A.canonicalUserId}"`,
      GrantFullControl: `id="${B.canonicalUserId}"`,
    };
    const expected = [`${AUTHENTICATED_USERS}:READ`, `${C.canonicalUserId}:READ_ACP`, `${A.canonicalUserId}:WRITE_ACP`, `${B.canonicalUserId}:FULL_CONTROL`].sort();
    await c.B.send(new PutObjectCommand({ Bucket: shared, Key: 'grants/put', Body: 'g', ...grants }));
    await c.B.send(new CopyObjectCommand({ Bucket: shared, Key: 'grants/copy', CopySource: `${shared}/copy-source`, ...grants }));
    const up = await c.B.send(new CreateMultipartUploadCommand({ Bucket: shared, Key: 'grants/mpu', ...grants }));
    const part = await c.B.send(new UploadPartCommand({ Bucket: shared, Key: 'grants/mpu', UploadId: up.UploadId, PartNumber: 1, Body: 'g' }));
    await c.B.send(new CompleteMultipartUploadCommand({ Bucket: shared, Key: 'grants/mpu', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    for (const key of ['grants/put', 'grants/copy', 'grants/mpu']) {
      assert.deepEqual(grantList((await c.B.send(new GetObjectAclCommand({ Bucket: shared, Key: key }))).Grants), expected, key);
      // READ to AuthenticatedUsers: C reads, anonymous does not.
      assert.equal((await attempt(() => c.C.send(new GetObjectCommand({ Bucket: shared, Key: key })))).ok, true, `C reads ${key}`);
      assert.equal((await attempt(() => c.anonymous.send(new GetObjectCommand({ Bucket: shared, Key: key })))).status, 403, `anonymous reads ${key}`);
      // READ_ACP to C, WRITE_ACP to A (who has no READ_ACP).
      assert.equal((await attempt(() => c.C.send(new GetObjectAclCommand({ Bucket: shared, Key: key })))).ok, true, `C reads the ACL of ${key}`);
      assert.equal((await attempt(() => c.A.send(new GetObjectAclCommand({ Bucket: shared, Key: key })))).status, 403, `A reads the ACL of ${key}`);
      assert.equal((await attempt(() => c.C.send(new PutObjectAclCommand({ Bucket: shared, Key: key, ACL: 'private' })))).status, 403, `C writes the ACL of ${key}`);
    }
    // A's WRITE_ACP is real: A makes one of B's objects public; B stays the owner.
    await c.A.send(new PutObjectAclCommand({ Bucket: shared, Key: 'grants/put', ACL: 'public-read' }));
    assert.equal((await attempt(() => c.anonymous.send(new GetObjectCommand({ Bucket: shared, Key: 'grants/put' })))).ok, true);
    const after = await c.B.send(new GetObjectAclCommand({ Bucket: shared, Key: 'grants/put' }));
    assert.equal(after.Owner?.ID, B.canonicalUserId);
    assert.deepEqual(grantList(after.Grants), [`${B.canonicalUserId}:FULL_CONTROL`, `${ALL_USERS}:READ`].sort());
  });

  it('PutBucketAcl / PutObjectAcl take canned ACLs and grant headers as well as XML', async () => {
    const bucket = 'canned-put-acl';
    await c.A.send(new CreateBucketCommand({ Bucket: bucket }));
    await c.A.send(new PutObjectCommand({ Bucket: bucket, Key: 'o', Body: 'o' }));
    assert.equal((await attempt(() => c.anonymous.send(new ListObjectsV2Command({ Bucket: bucket })))).status, 403);
    await c.A.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'public-read' }));
    assert.equal((await attempt(() => c.anonymous.send(new ListObjectsV2Command({ Bucket: bucket })))).ok, true);
    await c.A.send(new PutBucketAclCommand({ Bucket: bucket, GrantFullControl: `id="${acct.A.canonicalUserId}"`, GrantRead: `id="${acct.C.canonicalUserId}"` }));
    assert.equal((await attempt(() => c.anonymous.send(new ListObjectsV2Command({ Bucket: bucket })))).status, 403);
    assert.equal((await attempt(() => c.C.send(new ListObjectsV2Command({ Bucket: bucket })))).ok, true);
    assert.equal((await attempt(() => c.B.send(new ListObjectsV2Command({ Bucket: bucket })))).status, 403);
    await c.A.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'o', GrantRead: `id="${acct.B.canonicalUserId}"`, GrantFullControl: `id="${acct.A.canonicalUserId}"` }));
    assert.equal((await attempt(() => c.B.send(new GetObjectCommand({ Bucket: bucket, Key: 'o' })))).ok, true);
    assert.equal((await attempt(() => c.C.send(new GetObjectCommand({ Bucket: bucket, Key: 'o' })))).status, 403);
    // Neither body nor headers: 400 MissingSecurityHeader; both: 400 UnexpectedContent.
    const neither = await rawCall(server.url, { method: 'PUT', path: `/${bucket}/o`, query: [['acl', '']], account: acct.A });
    assert.deepEqual([neither.status, neither.code], [400, 'MissingSecurityHeader'], neither.text);
    const both = await rawCall(server.url, {
      method: 'PUT', path: `/${bucket}`, query: [['acl', '']], account: acct.A, headers: { 'x-amz-acl': 'private' },
      body: `<AccessControlPolicy><Owner><ID>${acct.A.canonicalUserId}</ID></Owner><AccessControlList/></AccessControlPolicy>`,
    });
    assert.deepEqual([both.status, both.code], [400, 'UnexpectedContent'], both.text);
  });
});
