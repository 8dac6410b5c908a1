// The ACL grant matrix against the real server: every permission × every grantee kind × object and
// bucket, each checked with the real operations it governs, for three accounts and anonymous callers.
// Every cell also checks that the grant gives nothing else (the other permissions' operations stay 403).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand, DeleteObjectCommand, GetBucketAclCommand, GetObjectAclCommand, GetObjectCommand,
  GetObjectTorrentCommand, HeadObjectCommand, ListObjectsCommand, ListObjectsV2Command, PutBucketAclCommand,
  PutObjectAclCommand, PutObjectCommand, type Grant, type S3Client,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import {
  ALL_USERS, AUTHENTICATED_USERS, anonymousClient, attempt, clientFor, createAccount, policyXml, rawCall, rootAccount,
  type Account, type Outcome, type XmlGrantee,
} from './harness.ts';

type Permission = 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP' | 'FULL_CONTROL';
type GranteeKind = 'CanonicalUser' | 'AuthenticatedUsers' | 'AllUsers';
type CallerName = 'B' | 'C' | 'anonymous';
type Target = 'object' | 'bucket';

const PERMISSIONS: Permission[] = ['READ', 'WRITE', 'READ_ACP', 'WRITE_ACP', 'FULL_CONTROL'];
const GRANTEES: GranteeKind[] = ['CanonicalUser', 'AuthenticatedUsers', 'AllUsers'];
const CALLERS: CallerName[] = ['B', 'C', 'anonymous'];
const BODY = 'grant matrix object body';

/** Whether a grant to `kind` covers `caller` (the CanonicalUser grant names account B). */
function covers(kind: GranteeKind, caller: CallerName): boolean {
  if (kind === 'AllUsers') return true;
  if (kind === 'AuthenticatedUsers') return caller !== 'anonymous';
  return caller === 'B';
}

/** A real operation, the resource and permission it needs, and how to run it as a caller. */
interface Probe {
  name: string;
  target: Target;
  needs: Permission;
  run(c: S3Client, bucket: string, caller: CallerName, policy: string): Promise<unknown>;
}

async function text(body: unknown): Promise<string> {
  return (body as { transformToString(): Promise<string> }).transformToString();
}

const PROBES: Probe[] = [
  {
    name: 'GetObject', target: 'object', needs: 'READ',
    async run(c, bucket) {
      const r = await c.send(new GetObjectCommand({ Bucket: bucket, Key: 'obj' }));
      assert.equal(await text(r.Body), BODY);
    },
  },
  {
    name: 'HeadObject', target: 'object', needs: 'READ',
    async run(c, bucket) {
      const r = await c.send(new HeadObjectCommand({ Bucket: bucket, Key: 'obj' }));
      assert.equal(r.ContentLength, BODY.length);
    },
  },
  {
    name: 'GetObjectTorrent', target: 'object', needs: 'READ',
    async run(c, bucket) {
      const r = await c.send(new GetObjectTorrentCommand({ Bucket: bucket, Key: 'obj' }));
      const t = Buffer.from(await (r.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      assert.equal(t.subarray(0, 1).toString(), 'd', 'a bencoded torrent');
      assert.ok(t.includes(Buffer.from('6:pieces')), 'torrent has pieces');
    },
  },
  {
    name: 'GetObjectAcl', target: 'object', needs: 'READ_ACP',
    async run(c, bucket) {
      const r = await c.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'obj' }));
      assert.ok((r.Grants ?? []).length >= 2);
    },
  },
  {
    // Puts back the very ACL the cell set, so the matrix state stays the same.
    name: 'PutObjectAcl', target: 'object', needs: 'WRITE_ACP',
    run: (c, bucket, _caller, policy) => c.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'obj', ...xmlBody(policy) })),
  },
  {
    name: 'ListObjects', target: 'bucket', needs: 'READ',
    async run(c, bucket) {
      const r = await c.send(new ListObjectsCommand({ Bucket: bucket }));
      assert.ok((r.Contents ?? []).some((o) => o.Key === 'obj'));
    },
  },
  {
    name: 'ListObjectsV2', target: 'bucket', needs: 'READ',
    async run(c, bucket) {
      const r = await c.send(new ListObjectsV2Command({ Bucket: bucket }));
      assert.ok((r.Contents ?? []).some((o) => o.Key === 'obj'));
    },
  },
  {
    name: 'PutObject', target: 'bucket', needs: 'WRITE',
    run: (c, bucket, caller) => c.send(new PutObjectCommand({ Bucket: bucket, Key: `written-by-${caller}`, Body: `from ${caller}` })),
  },
  {
    // What an allowed caller deletes is its own write; a refused one aims at the cell's object (which must survive).
    name: 'DeleteObject', target: 'bucket', needs: 'WRITE',
    run: (c, bucket, caller) => c.send(new DeleteObjectCommand({ Bucket: bucket, Key: `written-by-${caller}` })),
  },
  {
    name: 'GetBucketAcl', target: 'bucket', needs: 'READ_ACP',
    async run(c, bucket) {
      const r = await c.send(new GetBucketAclCommand({ Bucket: bucket }));
      assert.ok((r.Grants ?? []).length >= 2);
    },
  },
  {
    name: 'PutBucketAcl', target: 'bucket', needs: 'WRITE_ACP',
    run: (c, bucket, _caller, policy) => c.send(new PutBucketAclCommand({ Bucket: bucket, ...xmlBody(policy) })),
  },
];

/**
 * The SDK builds AccessControlPolicy XML from structured input; the server parses it. Structured input is
 * produced from the cell's own XML so both paths (SDK-built body, raw body) carry the same grants.
 */
function xmlBody(policy: string): { AccessControlPolicy: { Owner: { ID: string }; Grants: Grant[] } } {
  const owner = /<Owner><ID>([0-9a-f]{64})<\/ID>/.exec(policy)![1]!;
  const grants: Grant[] = [...policy.matchAll(/<Grant>(.*?)<\/Grant>/g)].map((m) => {
    const g = m[1]!;
    const permission = /<Permission>(\w+)<\/Permission>/.exec(g)![1] as Permission;
    const id = /<ID>([0-9a-f]{64})<\/ID>/.exec(g)?.[1];
    const uri = /<URI>([^<]+)<\/URI>/.exec(g)?.[1];
    return { Permission: permission, Grantee: id ? { Type: 'CanonicalUser', ID: id } : { Type: 'Group', URI: uri! } };
  });
  return { AccessControlPolicy: { Owner: { ID: owner }, Grants: grants } };
}

describe('ACL grant matrix: permission × grantee kind × object/bucket, three accounts and anonymous', () => {
  let server: TestServer;
  let A: Account;
  let B: Account;
  let C: Account;
  let clients: Record<'A' | CallerName, S3Client>;

  before(async () => {
    server = await startTestServer();
    A = await rootAccount(server);
    [B, C] = await Promise.all([createAccount(server, 'acct-b'), createAccount(server, 'acct-c')]);
    clients = { A: clientFor(server, A), B: clientFor(server, B), C: clientFor(server, C), anonymous: anonymousClient(server) };
  });

  after(async () => {
    for (const c of Object.values(clients ?? {})) c.destroy();
    if (server) { await server.stop(); server.cleanup(); }
  });

  it('the three accounts are distinct, and the root account is the first one', () => {
    assert.equal(new Set([A.accountId, B.accountId, C.accountId]).size, 3);
    assert.equal(new Set([A.canonicalUserId, B.canonicalUserId, C.canonicalUserId]).size, 3);
  });

  for (const target of ['object', 'bucket'] as const) {
    for (const permission of PERMISSIONS) {
      for (const kind of GRANTEES) {
        it(`${target} ${permission} granted to ${kind}`, async () => {
          const bucket = `mx-${target}-${permission.toLowerCase().replace('_', '-')}-${kind.toLowerCase()}`;
          const grantee: XmlGrantee = kind === 'CanonicalUser' ? { id: B.canonicalUserId } : { uri: kind === 'AllUsers' ? ALL_USERS : AUTHENTICATED_USERS };
          const policy = policyXml(A.canonicalUserId, [
            { grantee: { id: A.canonicalUserId }, permission: 'FULL_CONTROL' },
            { grantee, permission },
          ]);
          await clients.A.send(new CreateBucketCommand({ Bucket: bucket }));
          await clients.A.send(new PutObjectCommand({ Bucket: bucket, Key: 'obj', Body: BODY }));
          // The ACL goes on as a raw AccessControlPolicy body (the SDK path is exercised by the Put*Acl probes).
          const set = await rawCall(server.url, {
            method: 'PUT', path: target === 'object' ? `/${bucket}/obj` : `/${bucket}`, query: [['acl', '']], body: policy, account: A,
            headers: { 'content-type': 'application/xml' },
          });
          assert.equal(set.status, 200, `Put${target === 'object' ? 'Object' : 'Bucket'}Acl: ${set.text}`);

          // The owner sees exactly the grants it set.
          const acl = target === 'object'
            ? await clients.A.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'obj' }))
            : await clients.A.send(new GetBucketAclCommand({ Bucket: bucket }));
          assert.equal(acl.Owner?.ID, A.canonicalUserId);
          const shown = (acl.Grants ?? []).map((g) => `${g.Grantee?.ID ?? g.Grantee?.URI}:${g.Permission}`).sort();
          const wanted = [`${A.canonicalUserId}:FULL_CONTROL`, `${'id' in grantee ? grantee.id : grantee.uri}:${permission}`].sort();
          assert.deepEqual(shown, wanted);

          const mismatches: string[] = [];
          for (const caller of CALLERS) {
            for (const probe of PROBES) {
              // Object WRITE is not a permission any operation uses: such a grant allows nothing.
              const granted = permission === 'FULL_CONTROL' || (permission === probe.needs && permission !== 'WRITE') ||
                (permission === 'WRITE' && target === 'bucket' && probe.needs === 'WRITE');
              const expected = probe.target === target && granted && covers(kind, caller);
              const refusedDelete = probe.name === 'DeleteObject' && !expected;
              const runProbe = refusedDelete
                ? () => clients[caller].send(new DeleteObjectCommand({ Bucket: bucket, Key: 'obj' }))
                : () => probe.run(clients[caller], bucket, caller, policy);
              let got: Outcome;
              try {
                got = await attempt(runProbe);
              } catch (e) {
                mismatches.push(`${caller} ${probe.name}: ${e instanceof Error ? e.message : String(e)}`);
                continue;
              }
              if (expected && !got.ok) mismatches.push(`${caller} ${probe.name}: expected success, got ${got.status} ${got.code}`);
              if (!expected) {
                const headLike = probe.name === 'HeadObject';
                if (got.ok) mismatches.push(`${caller} ${probe.name}: expected 403 AccessDenied, but it succeeded`);
                else if (got.status !== 403 || (!headLike && got.code !== 'AccessDenied')) {
                  mismatches.push(`${caller} ${probe.name}: expected 403 AccessDenied, got ${got.status} ${got.code}`);
                }
              }
            }
          }
          assert.deepEqual(mismatches, [], `${bucket}:\n  ${mismatches.join('\n  ')}`);

          // Refused deletes left the object alone; the ACL is still the one set (Put*Acl probes re-put it).
          const still = await clients.A.send(new GetObjectCommand({ Bucket: bucket, Key: 'obj' }));
          assert.equal(await text(still.Body), BODY);
          const aclAfter = target === 'object'
            ? await clients.A.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'obj' }))
            : await clients.A.send(new GetBucketAclCommand({ Bucket: bucket }));
          assert.deepEqual((aclAfter.Grants ?? []).map((g) => `${g.Grantee?.ID ?? g.Grantee?.URI}:${g.Permission}`).sort(), wanted);
          // Writes allowed by the grant happened; refused ones left nothing behind.
          const keys = ((await clients.A.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key);
          assert.deepEqual(keys, ['obj'], 'allowed writers deleted their own writes; refused writers wrote nothing');
        });
      }
    }
  }

  it('an allowed write by another account is really stored, and owned by the writer', async () => {
    const bucket = 'mx-writer-owns';
    await clients.A.send(new CreateBucketCommand({ Bucket: bucket, GrantWrite: `id="${B.canonicalUserId}"`, GrantFullControl: `id="${A.canonicalUserId}"` }));
    await clients.B.send(new PutObjectCommand({ Bucket: bucket, Key: 'b-wrote', Body: 'payload of B' }));
    // B owns what it wrote: it may read it and its ACL; the bucket owner was given nothing on it.
    assert.equal(await text((await clients.B.send(new GetObjectCommand({ Bucket: bucket, Key: 'b-wrote' }))).Body), 'payload of B');
    const acl = await clients.B.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'b-wrote' }));
    assert.equal(acl.Owner?.ID, B.canonicalUserId);
    const refused = await attempt(() => clients.A.send(new GetObjectCommand({ Bucket: bucket, Key: 'b-wrote' })));
    assert.deepEqual([refused.status, refused.code], [403, 'AccessDenied']);
    // The bucket owner still lists it (bucket READ through FULL_CONTROL).
    const keys = ((await clients.A.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key);
    assert.deepEqual(keys, ['b-wrote']);
  });

  it('owners keep READ_ACP and WRITE_ACP with no grant, but nothing else', async () => {
    const bucket = 'mx-owner-no-grants';
    await clients.A.send(new CreateBucketCommand({ Bucket: bucket }));
    await clients.A.send(new PutObjectCommand({ Bucket: bucket, Key: 'obj', Body: BODY }));
    const empty = policyXml(A.canonicalUserId, []);
    for (const path of [`/${bucket}/obj`, `/${bucket}`]) {
      const r = await rawCall(server.url, { method: 'PUT', path, query: [['acl', '']], body: empty, account: A });
      assert.equal(r.status, 200, r.text);
    }
    assert.deepEqual((await clients.A.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'obj' }))).Grants ?? [], []);
    assert.deepEqual((await clients.A.send(new GetBucketAclCommand({ Bucket: bucket }))).Grants ?? [], []);
    for (const [what, fn] of [
      ['GetObject', () => clients.A.send(new GetObjectCommand({ Bucket: bucket, Key: 'obj' }))],
      ['ListObjects', () => clients.A.send(new ListObjectsCommand({ Bucket: bucket }))],
      ['PutObject', () => clients.A.send(new PutObjectCommand({ Bucket: bucket, Key: 'x', Body: 'x' }))],
    ] as const) {
      const o = await attempt(fn);
      assert.deepEqual([o.status, o.code], [403, 'AccessDenied'], what);
    }
    // Restoring its own access through WRITE_ACP works.
    await clients.A.send(new PutObjectAclCommand({ Bucket: bucket, Key: 'obj', ACL: 'private' }));
    assert.equal(await text((await clients.A.send(new GetObjectCommand({ Bucket: bucket, Key: 'obj' }))).Body), BODY);
  });

  it('a missing key is NoSuchKey only for callers who may list the bucket, else AccessDenied', async () => {
    const bucket = 'mx-missing-key';
    await clients.A.send(new CreateBucketCommand({ Bucket: bucket, GrantRead: `id="${B.canonicalUserId}"`, GrantFullControl: `id="${A.canonicalUserId}"` }));
    const get = (c: S3Client) => attempt(() => c.send(new GetObjectCommand({ Bucket: bucket, Key: 'nope' })));
    assert.deepEqual(await get(clients.A), { ok: false, status: 404, code: 'NoSuchKey' });
    assert.deepEqual(await get(clients.B), { ok: false, status: 404, code: 'NoSuchKey' });
    assert.deepEqual(await get(clients.C), { ok: false, status: 403, code: 'AccessDenied' });
    assert.deepEqual(await get(clients.anonymous), { ok: false, status: 403, code: 'AccessDenied' });
  });

  it('another account cannot give an object away or grant to unknown ids', async () => {
    const bucket = 'mx-acl-errors';
    await clients.A.send(new CreateBucketCommand({ Bucket: bucket }));
    await clients.A.send(new PutObjectCommand({ Bucket: bucket, Key: 'obj', Body: BODY, GrantWriteACP: `id="${B.canonicalUserId}"`, GrantFullControl: `id="${A.canonicalUserId}"` }));
    // B may write the ACL, but not name itself the owner.
    const steal = await rawCall(server.url, {
      method: 'PUT', path: `/${bucket}/obj`, query: [['acl', '']], account: B,
      body: policyXml(B.canonicalUserId, [{ grantee: { id: B.canonicalUserId }, permission: 'FULL_CONTROL' }]),
    });
    assert.deepEqual([steal.status, steal.code], [403, 'AccessDenied'], steal.text);
    const unknown = await rawCall(server.url, {
      method: 'PUT', path: `/${bucket}/obj`, query: [['acl', '']], account: A,
      body: policyXml(A.canonicalUserId, [{ grantee: { id: 'ab'.repeat(32) }, permission: 'READ' }]),
    });
    assert.deepEqual([unknown.status, unknown.code], [400, 'InvalidArgument'], unknown.text);
    const malformed = await rawCall(server.url, { method: 'PUT', path: `/${bucket}/obj`, query: [['acl', '']], account: A, body: '<AccessControlPolicy><Owner>' });
    assert.deepEqual([malformed.status, malformed.code], [400, 'MalformedACLError'], malformed.text);
    const both = await rawCall(server.url, {
      method: 'PUT', path: `/${bucket}/obj`, account: A, body: 'x',
      headers: { 'x-amz-acl': 'public-read', 'x-amz-grant-read': `id="${B.canonicalUserId}"` },
    });
    assert.deepEqual([both.status, both.code], [400, 'InvalidRequest'], both.text);
    const badCanned = await rawCall(server.url, { method: 'PUT', path: `/${bucket}/obj`, account: A, body: 'x', headers: { 'x-amz-acl': 'world-writable' } });
    assert.deepEqual([badCanned.status, badCanned.code], [400, 'InvalidArgument'], badCanned.text);
    // None of the refused requests changed the object or its ACL.
    assert.equal(await text((await clients.A.send(new GetObjectCommand({ Bucket: bucket, Key: 'obj' }))).Body), BODY);
    const acl = await clients.A.send(new GetObjectAclCommand({ Bucket: bucket, Key: 'obj' }));
    assert.equal(acl.Owner?.ID, A.canonicalUserId);
    assert.deepEqual((acl.Grants ?? []).map((g) => `${g.Grantee?.ID}:${g.Permission}`).sort(),
      [`${A.canonicalUserId}:FULL_CONTROL`, `${B.canonicalUserId}:WRITE_ACP`].sort());
  });
});
