// x-amz-expected-bucket-owner on every bucket and object operation: the owner's account id passes, another
// account's is 403 AccessDenied (and changes nothing), anything but 12 digits is 400
// InvalidBucketOwnerAWSAccountID. Real HTTP requests for each operation, plus the SDK's ExpectedBucketOwner.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CopyObjectCommand, CreateBucketCommand, GetObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { anonymousClient, attempt, clientFor, createAccount, rawCall, rootAccount, type Account, type RawCall } from './harness.ts';

const BUCKET = 'owned-by-a';
// (Leading or trailing spaces are not part of a header value in HTTP: the space here is inside.)
const MALFORMED = ['12345', '1234567890123', '12345678901a', 'a-account-id', '', '123456 789012', '-12345678901'];

interface OpCase {
  op: string;
  /** the request, for a given key suffix (mutating operations use fresh keys) */
  call: (n: number) => Omit<RawCall, 'account' | 'headers'> & { headers?: Record<string, string> };
  ok: number;
  /** before the call: create what it needs (an upload id, an object to delete) */
  prepare?: (n: number) => Promise<Record<string, string>>;
  /** after a refused call: nothing changed (checked as the owner) */
  unchanged?: (n: number) => Promise<void>;
}

describe('x-amz-expected-bucket-owner on bucket and object operations', () => {
  let server: TestServer;
  let A: Account;
  let B: Account;
  let a: S3Client;
  let b: S3Client;
  let anon: S3Client;
  const corsXml = '<CORSConfiguration><CORSRule><AllowedOrigin>https://x.example</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>';
  const deleteXml = '<Delete><Object><Key>ghost</Key></Object></Delete>';

  before(async () => {
    server = await startTestServer();
    A = await rootAccount(server);
    B = await createAccount(server, 'account-b');
    a = clientFor(server, A);
    b = clientFor(server, B);
    anon = anonymousClient(server);
    await a.send(new CreateBucketCommand({ Bucket: BUCKET, ACL: 'public-read' }));
    await a.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'obj', Body: 'object of A', ACL: 'public-read' }));
    await a.send(new CreateBucketCommand({ Bucket: 'a-copy-target' }));
  });

  after(async () => {
    for (const c of [a, b, anon]) c?.destroy();
    if (server) { await server.stop(); server.cleanup(); }
  });

  async function newUpload(key: string): Promise<string> {
    const r = await rawCall(server.url, { method: 'POST', path: `/${BUCKET}/${key}`, query: [['uploads', '']], account: A });
    assert.equal(r.status, 200, r.text);
    return /<UploadId>([^<]+)<\/UploadId>/.exec(r.text)![1]!;
  }

  async function exists(key: string): Promise<boolean> {
    const r = await rawCall(server.url, { method: 'HEAD', path: `/${BUCKET}/${key}`, account: A });
    return r.status === 200;
  }

  const md5 = (s: string) => createHash('md5').update(s).digest('base64');

  const CASES: OpCase[] = [
    { op: 'HeadBucket', ok: 200, call: () => ({ method: 'HEAD', path: `/${BUCKET}` }) },
    { op: 'ListObjects', ok: 200, call: () => ({ method: 'GET', path: `/${BUCKET}` }) },
    { op: 'ListObjectsV2', ok: 200, call: () => ({ method: 'GET', path: `/${BUCKET}`, query: [['list-type', '2']] }) },
    { op: 'GetBucketLocation', ok: 200, call: () => ({ method: 'GET', path: `/${BUCKET}`, query: [['location', '']] }) },
    { op: 'ListMultipartUploads', ok: 200, call: () => ({ method: 'GET', path: `/${BUCKET}`, query: [['uploads', '']] }) },
    { op: 'GetBucketAcl', ok: 200, call: () => ({ method: 'GET', path: `/${BUCKET}`, query: [['acl', '']] }) },
    {
      op: 'PutBucketAcl', ok: 200, call: () => ({ method: 'PUT', path: `/${BUCKET}`, query: [['acl', '']], headers: { 'x-amz-acl': 'public-read-write' } }),
      unchanged: async () => {
        const r = await rawCall(server.url, { method: 'GET', path: `/${BUCKET}`, query: [['acl', '']], account: A });
        assert.doesNotMatch(r.text, /<Permission>WRITE<\/Permission>/, 'a refused PutBucketAcl changed the ACL');
      },
    },
    { op: 'GetBucketRequestPayment', ok: 200, call: () => ({ method: 'GET', path: `/${BUCKET}`, query: [['requestPayment', '']] }) },
    {
      op: 'PutBucketRequestPayment', ok: 200,
      call: () => ({ method: 'PUT', path: `/${BUCKET}`, query: [['requestPayment', '']], body: '<RequestPaymentConfiguration><Payer>BucketOwner</Payer></RequestPaymentConfiguration>' }),
    },
    {
      op: 'PutBucketCors', ok: 200, call: () => ({ method: 'PUT', path: `/${BUCKET}`, query: [['cors', '']], body: corsXml }),
      unchanged: async () => {
        const r = await rawCall(server.url, { method: 'GET', path: `/${BUCKET}`, query: [['cors', '']], account: A });
        assert.equal(r.code, 'NoSuchCORSConfiguration', 'a refused PutBucketCors stored a configuration');
      },
    },
    { op: 'GetBucketCors', ok: 200, call: () => ({ method: 'GET', path: `/${BUCKET}`, query: [['cors', '']] }) },
    {
      op: 'DeleteBucketCors', ok: 204, call: () => ({ method: 'DELETE', path: `/${BUCKET}`, query: [['cors', '']] }),
      unchanged: async () => {
        const r = await rawCall(server.url, { method: 'GET', path: `/${BUCKET}`, query: [['cors', '']], account: A });
        assert.equal(r.status, 200, 'a refused DeleteBucketCors left the configuration');
      },
    },
    {
      op: 'DeleteObjects', ok: 200,
      call: () => ({ method: 'POST', path: `/${BUCKET}`, query: [['delete', '']], body: deleteXml, headers: { 'content-md5': md5(deleteXml) } }),
    },
    { op: 'GetObject', ok: 200, call: () => ({ method: 'GET', path: `/${BUCKET}/obj` }) },
    { op: 'HeadObject', ok: 200, call: () => ({ method: 'HEAD', path: `/${BUCKET}/obj` }) },
    { op: 'GetObjectTorrent', ok: 200, call: () => ({ method: 'GET', path: `/${BUCKET}/obj`, query: [['torrent', '']] }) },
    { op: 'GetObjectAcl', ok: 200, call: () => ({ method: 'GET', path: `/${BUCKET}/obj`, query: [['acl', '']] }) },
    {
      op: 'PutObjectAcl', ok: 200, call: () => ({ method: 'PUT', path: `/${BUCKET}/obj`, query: [['acl', '']], headers: { 'x-amz-acl': 'public-read-write' } }),
      unchanged: async () => {
        const r = await rawCall(server.url, { method: 'GET', path: `/${BUCKET}/obj`, query: [['acl', '']], account: A });
        assert.match(r.text, /AllUsers/);
        assert.doesNotMatch(r.text, /<Permission>WRITE<\/Permission>/, 'a refused PutObjectAcl changed the ACL');
      },
    },
    {
      op: 'PutObject', ok: 200, call: (n) => ({ method: 'PUT', path: `/${BUCKET}/put-${n}`, body: 'new' }),
      unchanged: async (n) => assert.equal(await exists(`put-${n}`), false, 'a refused PutObject stored nothing'),
    },
    {
      op: 'CopyObject', ok: 200, call: (n) => ({ method: 'PUT', path: `/${BUCKET}/copy-${n}`, headers: { 'x-amz-copy-source': `/${BUCKET}/obj` } }),
      unchanged: async (n) => assert.equal(await exists(`copy-${n}`), false, 'a refused CopyObject stored nothing'),
    },
    {
      op: 'DeleteObject', ok: 204, call: (n) => ({ method: 'DELETE', path: `/${BUCKET}/del-${n}` }),
      prepare: async (n) => {
        const r = await rawCall(server.url, { method: 'PUT', path: `/${BUCKET}/del-${n}`, body: 'to delete', account: A });
        assert.equal(r.status, 200);
        return {};
      },
      unchanged: async (n) => assert.equal(await exists(`del-${n}`), true, 'a refused DeleteObject deleted nothing'),
    },
    {
      op: 'CreateMultipartUpload', ok: 200, call: (n) => ({ method: 'POST', path: `/${BUCKET}/mpu-${n}`, query: [['uploads', '']] }),
      unchanged: async (n) => {
        const r = await rawCall(server.url, { method: 'GET', path: `/${BUCKET}`, query: [['uploads', '']], account: A });
        assert.doesNotMatch(r.text, new RegExp(`<Key>mpu-${n}</Key>`), 'a refused CreateMultipartUpload created an upload');
      },
    },
  ];

  /** Operations on an upload: the upload id is made per call. */
  const UPLOAD_CASES: Array<{ op: string; ok: number; call: (key: string, uploadId: string) => Omit<RawCall, 'account'> }> = [
    { op: 'UploadPart', ok: 200, call: (key, id) => ({ method: 'PUT', path: `/${BUCKET}/${key}`, query: [['partNumber', '1'], ['uploadId', id]], body: 'part' }) },
    { op: 'ListParts', ok: 200, call: (key, id) => ({ method: 'GET', path: `/${BUCKET}/${key}`, query: [['uploadId', id]] }) },
    { op: 'AbortMultipartUpload', ok: 204, call: (key, id) => ({ method: 'DELETE', path: `/${BUCKET}/${key}`, query: [['uploadId', id]] }) },
  ];

  let counter = 0;
  for (const c of CASES) {
    it(`${c.op}: mismatch 403, malformed 400, match passes`, async () => {
      const n = ++counter;
      await c.prepare?.(n);
      const send = (value: string | undefined) => {
        const base = c.call(n);
        return rawCall(server.url, { ...base, account: A, headers: { ...base.headers, ...(value === undefined ? {} : { 'x-amz-expected-bucket-owner': value }) } });
      };
      const mismatch = await send(B.accountId);
      assert.equal(mismatch.status, 403, `${c.op} with another account's id: ${mismatch.status} ${mismatch.text}`);
      if (c.call(n).method !== 'HEAD') assert.equal(mismatch.code, 'AccessDenied');
      await c.unchanged?.(n);
      for (const bad of MALFORMED) {
        const r = await send(bad);
        assert.equal(r.status, 400, `${c.op} with ${JSON.stringify(bad)}: ${r.status} ${r.text}`);
        if (c.call(n).method !== 'HEAD') assert.equal(r.code, 'InvalidBucketOwnerAWSAccountID', `${c.op} with ${JSON.stringify(bad)}`);
      }
      await c.unchanged?.(n);
      const match = await send(A.accountId);
      assert.equal(match.status, c.ok, `${c.op} with the owner's id: ${match.status} ${match.text}`);
      // And without the header at all the operation behaves the same (the header is only a check).
      if (!c.unchanged) assert.equal((await send(undefined)).status, c.ok);
    });
  }

  for (const c of UPLOAD_CASES) {
    it(`${c.op}: mismatch 403, malformed 400, match passes`, async () => {
      const key = `up-${c.op}`;
      const id = await newUpload(key);
      const send = (value: string) => rawCall(server.url, { ...c.call(key, id), account: A, headers: { 'x-amz-expected-bucket-owner': value } });
      assert.deepEqual([(await send(B.accountId)).status, (await send(B.accountId)).code], [403, 'AccessDenied']);
      for (const bad of MALFORMED) assert.deepEqual([(await send(bad)).status, (await send(bad)).code], [400, 'InvalidBucketOwnerAWSAccountID'], JSON.stringify(bad));
      assert.equal((await send(A.accountId)).status, c.ok);
    });
  }

  it('CompleteMultipartUpload: mismatch 403 leaves the upload open; match completes it', async () => {
    const key = 'up-complete';
    const id = await newUpload(key);
    const part = await rawCall(server.url, { method: 'PUT', path: `/${BUCKET}/${key}`, query: [['partNumber', '1'], ['uploadId', id]], body: 'only part', account: A });
    const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${part.headers.etag}</ETag></Part></CompleteMultipartUpload>`;
    const complete = (v: string) => rawCall(server.url, { method: 'POST', path: `/${BUCKET}/${key}`, query: [['uploadId', id]], body, account: A, headers: { 'x-amz-expected-bucket-owner': v } });
    assert.deepEqual([(await complete(B.accountId)).status], [403]);
    assert.equal((await complete('0')).status, 400);
    assert.equal(await exists(key), false);
    assert.equal((await complete(A.accountId)).status, 200);
    assert.equal(await exists(key), true);
  });

  it('DeleteBucket: mismatch 403 keeps the bucket; match deletes it', async () => {
    await a.send(new CreateBucketCommand({ Bucket: 'to-be-deleted' }));
    const del = (v: string) => rawCall(server.url, { method: 'DELETE', path: '/to-be-deleted', account: A, headers: { 'x-amz-expected-bucket-owner': v } });
    assert.deepEqual([(await del(B.accountId)).status, (await del(B.accountId)).code], [403, 'AccessDenied']);
    assert.deepEqual([(await del('1')).status, (await del('1')).code], [400, 'InvalidBucketOwnerAWSAccountID']);
    assert.equal((await attempt(() => a.send(new HeadBucketCommand({ Bucket: 'to-be-deleted' })))).ok, true);
    assert.equal((await del(A.accountId)).status, 204);
    assert.equal((await attempt(() => a.send(new HeadBucketCommand({ Bucket: 'to-be-deleted' })))).status, 404);
  });

  it('another account (and anonymous) checking that the bucket is really the owner\'s: SDK ExpectedBucketOwner', async () => {
    for (const [who, c] of [['A', a], ['B', b], ['anonymous', anon]] as const) {
      const got = await c.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'obj', ExpectedBucketOwner: A.accountId }));
      assert.equal(await got.Body!.transformToString(), 'object of A', who);
      const list = await c.send(new ListObjectsV2Command({ Bucket: BUCKET, ExpectedBucketOwner: A.accountId }));
      assert.ok((list.Contents ?? []).some((o) => o.Key === 'obj'), who);
      // B (or anyone) naming itself as the owner is told no, though the ACL would let it read.
      const wrong = await attempt(() => c.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'obj', ExpectedBucketOwner: B.accountId })));
      assert.deepEqual(wrong, { ok: false, status: 403, code: 'AccessDenied' }, who);
      const head = await attempt(() => c.send(new HeadBucketCommand({ Bucket: BUCKET, ExpectedBucketOwner: B.accountId })));
      assert.equal(head.status, 403, who);
      const bad = await attempt(() => c.send(new ListObjectsV2Command({ Bucket: BUCKET, ExpectedBucketOwner: '12345' })));
      assert.deepEqual(bad, { ok: false, status: 400, code: 'InvalidBucketOwnerAWSAccountID' }, who);
    }
    // A write with the wrong expected owner stores nothing.
    const put = await attempt(() => a.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sdk-put', Body: 'x', ExpectedBucketOwner: B.accountId })));
    assert.deepEqual(put, { ok: false, status: 403, code: 'AccessDenied' });
    assert.equal(await exists('sdk-put'), false);
    await a.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'sdk-put', Body: 'x', ExpectedBucketOwner: A.accountId }));
    assert.equal(await exists('sdk-put'), true);
  });

  it('CopyObject checks x-amz-source-expected-bucket-owner against the source bucket', async () => {
    const copy = (source: string, dest?: string) => attempt(() => a.send(new CopyObjectCommand({
      Bucket: 'a-copy-target', Key: `copied-${source}`, CopySource: `${BUCKET}/obj`, ExpectedSourceBucketOwner: source,
      ...(dest ? { ExpectedBucketOwner: dest } : {}),
    })));
    assert.deepEqual(await copy(B.accountId), { ok: false, status: 403, code: 'AccessDenied' });
    assert.deepEqual(await copy('abc'), { ok: false, status: 400, code: 'InvalidBucketOwnerAWSAccountID' });
    assert.deepEqual(await copy(A.accountId, B.accountId), { ok: false, status: 403, code: 'AccessDenied' });
    assert.deepEqual(await copy(A.accountId, A.accountId), { ok: true, status: 200, code: '' });
    const got = await a.send(new GetObjectCommand({ Bucket: 'a-copy-target', Key: `copied-${A.accountId}` }));
    assert.equal(await got.Body!.transformToString(), 'object of A');
    const keys = ((await a.send(new ListObjectsV2Command({ Bucket: 'a-copy-target' }))).Contents ?? []).map((o) => o.Key);
    assert.deepEqual(keys, [`copied-${A.accountId}`], 'refused copies stored nothing');
  });
});
