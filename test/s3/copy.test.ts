import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand,
  HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException, UploadPartCommand,
} from '@aws-sdk/client-s3';
import { parseErrorXml, rawRequest } from '../helpers/raw.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let s3: S3Client;
const SRC = 'copy-src';
const DST = 'copy-dst';

const named = (name: string) => (e: unknown) => e instanceof S3ServiceException && e.name === name;
const md5Hex = (b: Buffer) => createHash('md5').update(b).digest('hex');

async function body(bucket: string, key: string, extra: Record<string, string> = {}): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...extra }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

function sseC(key: Buffer) {
  return { SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(key).digest('base64') };
}

function copySourceSseC(key: Buffer) {
  return {
    CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: key.toString('base64'),
    CopySourceSSECustomerKeyMD5: createHash('md5').update(key).digest('base64'),
  };
}

before(async () => {
  server = await startTestServer({ args: ['--insecure-sse-c'] });
  s3 = server.client();
  await s3.send(new CreateBucketCommand({ Bucket: SRC }));
  await s3.send(new CreateBucketCommand({ Bucket: DST }));
});

after(async () => {
  s3?.destroy();
  await server?.stop();
  server?.cleanup();
});

describe('CopyObject', () => {
  const data = randomBytes(300_000);
  before(async () => {
    await s3.send(new PutObjectCommand({
      Bucket: SRC, Key: 'dir/orig file+%.bin', Body: data, ContentType: 'application/x-orig', Metadata: { color: 'blue', n: '1' },
      CacheControl: 'max-age=60',
    }));
  });

  it('COPY (default): same bytes, ETag and metadata; result has ETag and LastModified', async () => {
    const r = await s3.send(new CopyObjectCommand({
      Bucket: DST, Key: 'copied', CopySource: `${SRC}/${encodeURIComponent('dir/orig file+%.bin')}`,
      ContentType: 'text/ignored', Metadata: { ignored: 'yes' },
    }));
    assert.equal(r.CopyObjectResult?.ETag, `"${md5Hex(data)}"`);
    assert.ok(r.CopyObjectResult?.LastModified instanceof Date);
    assert.ok(Math.abs(r.CopyObjectResult.LastModified.getTime() - Date.now()) < 60_000);
    assert.deepEqual(await body(DST, 'copied'), data);
    const h = await s3.send(new HeadObjectCommand({ Bucket: DST, Key: 'copied' }));
    assert.equal(h.ContentType, 'application/x-orig');
    assert.deepEqual(h.Metadata, { color: 'blue', n: '1' });
    assert.equal(h.CacheControl, 'max-age=60');
    assert.equal(h.ETag, r.CopyObjectResult?.ETag);
  });

  it('accepts /bucket/key and ?versionId=null', async () => {
    await s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'slash', CopySource: `/${SRC}/dir/orig%20file%2B%25.bin?versionId=null` }));
    assert.deepEqual(await body(DST, 'slash'), data);
  });

  it('REPLACE takes metadata from the request', async () => {
    await s3.send(new CopyObjectCommand({
      Bucket: DST, Key: 'replaced', CopySource: `${SRC}/dir/orig%20file%2B%25.bin`, MetadataDirective: 'REPLACE',
      ContentType: 'text/plain', Metadata: { fresh: 'meta' },
    }));
    const h = await s3.send(new HeadObjectCommand({ Bucket: DST, Key: 'replaced' }));
    assert.equal(h.ContentType, 'text/plain');
    assert.deepEqual(h.Metadata, { fresh: 'meta' });
    assert.equal(h.CacheControl, undefined);
    assert.deepEqual(await body(DST, 'replaced'), data);
  });

  it('an unknown metadata directive → 400 InvalidArgument', async () => {
    await assert.rejects(s3.send(new CopyObjectCommand({
      Bucket: DST, Key: 'x', CopySource: `${SRC}/dir/orig%20file%2B%25.bin`, MetadataDirective: 'MERGE' as 'COPY',
    })), named('InvalidArgument'));
  });

  it('copying onto itself without a change → 400 InvalidRequest; with REPLACE it updates the metadata', async () => {
    await s3.send(new PutObjectCommand({ Bucket: SRC, Key: 'self', Body: 'self body', Metadata: { v: '1' } }));
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: SRC, Key: 'self', CopySource: `${SRC}/self` })), (e: unknown) => {
      assert.ok(e instanceof S3ServiceException && e.name === 'InvalidRequest');
      assert.equal(e.message, 'This copy request is illegal because it is trying to copy an object to itself without changing the object\'s metadata, storage class, website redirect location or encryption attributes.');
      return true;
    });
    await s3.send(new CopyObjectCommand({ Bucket: SRC, Key: 'self', CopySource: `${SRC}/self`, MetadataDirective: 'REPLACE', Metadata: { v: '2' } }));
    const h = await s3.send(new HeadObjectCommand({ Bucket: SRC, Key: 'self' }));
    assert.deepEqual(h.Metadata, { v: '2' });
    assert.equal((await body(SRC, 'self')).toString(), 'self body');
  });

  it('a missing source → NoSuchKey / NoSuchBucket; a malformed source → InvalidArgument', async () => {
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'x', CopySource: `${SRC}/nope` })), named('NoSuchKey'));
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'x', CopySource: 'no-such-src-bucket/k' })), named('NoSuchBucket'));
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'x', CopySource: `${SRC}` })), named('InvalidArgument'));
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'x', CopySource: `${SRC}/self?versionId=abc` })), named('InvalidArgument'));
  });

  it('x-amz-copy-source-if-* conditions → 412 PreconditionFailed, as S3 combines them', async () => {
    await s3.send(new PutObjectCommand({ Bucket: SRC, Key: 'cond', Body: 'conditional' }));
    const etag = `"${md5Hex(Buffer.from('conditional'))}"`;
    const past = new Date(Date.now() - 3600_000);
    const future = new Date(Date.now() + 3600_000);
    const copy = (extra: Record<string, unknown>) => s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'cond', CopySource: `${SRC}/cond`, ...extra }));
    await assert.rejects(copy({ CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"' }), named('PreconditionFailed'));
    await assert.rejects(copy({ CopySourceIfNoneMatch: etag }), named('PreconditionFailed'));
    await assert.rejects(copy({ CopySourceIfUnmodifiedSince: past }), named('PreconditionFailed'));
    await assert.rejects(copy({ CopySourceIfModifiedSince: new Date() }), named('PreconditionFailed'));
    await copy({ CopySourceIfMatch: etag });
    await copy({ CopySourceIfNoneMatch: '"0123456789abcdef0123456789abcdef"' });
    await copy({ CopySourceIfModifiedSince: past, CopySourceIfUnmodifiedSince: future });
    // If-Match true and If-Unmodified-Since false: S3 copies.
    await copy({ CopySourceIfMatch: etag, CopySourceIfUnmodifiedSince: past });
    assert.equal((await body(DST, 'cond')).toString(), 'conditional');
  });

  it('a multipart source becomes a single-part copy with an MD5 ETag', async () => {
    const parts = [randomBytes(5 * 1024 * 1024 + 1), randomBytes(1000)];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: SRC, Key: 'mp' }));
    const etags = [];
    for (const [i, p] of parts.entries()) {
      etags.push((await s3.send(new UploadPartCommand({ Bucket: SRC, Key: 'mp', UploadId, PartNumber: i + 1, Body: p }))).ETag);
    }
    await s3.send(new CompleteMultipartUploadCommand({
      Bucket: SRC, Key: 'mp', UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }));
    const r = await s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'mp-copy', CopySource: `${SRC}/mp` }));
    const all = Buffer.concat(parts);
    assert.equal(r.CopyObjectResult?.ETag, `"${md5Hex(all)}"`);
    assert.deepEqual(await body(DST, 'mp-copy'), all);
    const h = await s3.send(new HeadObjectCommand({ Bucket: DST, Key: 'mp-copy', PartNumber: 1 }));
    assert.equal(h.PartsCount, undefined);
    assert.equal(h.ContentLength, all.length);
  });

  it('the new object gets the ACL of the request, not the source\'s', async () => {
    await s3.send(new PutObjectCommand({ Bucket: SRC, Key: 'public', Body: 'open', ACL: 'public-read' }));
    const anon = (bucket: string, key: string) => rawRequest(server.url, { method: 'GET', path: `/${bucket}/${key}`, credentials: null });
    assert.equal((await anon(SRC, 'public')).status, 200);
    await s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'private-copy', CopySource: `${SRC}/public` }));
    assert.equal((await anon(DST, 'private-copy')).status, 403);
    await s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'public-copy', CopySource: `${SRC}/public`, ACL: 'public-read' }));
    const r = await anon(DST, 'public-copy');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'open');
  });

  it('x-amz-source-expected-bucket-owner is checked against the source bucket', async () => {
    await assert.rejects(s3.send(new CopyObjectCommand({
      Bucket: DST, Key: 'x', CopySource: `${SRC}/cond`, ExpectedSourceBucketOwner: '000000000000',
    })), named('AccessDenied'));
  });
});

describe('CopyObject across accounts', () => {
  let bob: S3Client;
  before(async () => {
    const out = execFileSync(process.execPath, [path.resolve(import.meta.dirname, '../../bin/seedbucket.js'), 'admin', 'account', 'create', 'bob', '--data', server.dataDir]);
    const acct = JSON.parse(out.toString()) as { accessKeyId: string; secretAccessKey: string };
    bob = server.client({ credentials: { accessKeyId: acct.accessKeyId, secretAccessKey: acct.secretAccessKey } });
    await bob.send(new CreateBucketCommand({ Bucket: 'bob-bucket' }));
    await s3.send(new PutObjectCommand({ Bucket: SRC, Key: 'root-private', Body: 'secret' }));
    await s3.send(new PutObjectCommand({ Bucket: SRC, Key: 'root-public', Body: 'shared', ACL: 'public-read' }));
  });
  after(() => bob?.destroy());

  it('needs READ on the source object', async () => {
    await assert.rejects(bob.send(new CopyObjectCommand({ Bucket: 'bob-bucket', Key: 'k', CopySource: `${SRC}/root-private` })), named('AccessDenied'));
    await bob.send(new CopyObjectCommand({ Bucket: 'bob-bucket', Key: 'k', CopySource: `${SRC}/root-public` }));
    const r = await bob.send(new GetObjectCommand({ Bucket: 'bob-bucket', Key: 'k' }));
    assert.equal(await r.Body!.transformToString(), 'shared');
  });

  it('a missing source key is AccessDenied to a caller who may not list the source bucket', async () => {
    await assert.rejects(bob.send(new CopyObjectCommand({ Bucket: 'bob-bucket', Key: 'k', CopySource: `${SRC}/no-such` })), named('AccessDenied'));
  });
});

describe('CopyObject with SSE-C', () => {
  const key1 = randomBytes(32);
  const key2 = randomBytes(32);
  const data = randomBytes(100_000);
  before(async () => {
    await s3.send(new PutObjectCommand({ Bucket: SRC, Key: 'enc', Body: data, ...sseC(key1) }));
  });

  it('decrypts the source with the copy-source key, to a plain destination', async () => {
    await s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'dec', CopySource: `${SRC}/enc`, ...copySourceSseC(key1) }));
    assert.deepEqual(await body(DST, 'dec'), data);
  });

  it('re-encrypts under another key', async () => {
    const r = await s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'reenc', CopySource: `${SRC}/enc`, ...copySourceSseC(key1), ...sseC(key2) }));
    assert.equal(r.SSECustomerKeyMD5, sseC(key2).SSECustomerKeyMD5);
    assert.deepEqual(await body(DST, 'reenc', sseC(key2)), data);
    await assert.rejects(body(DST, 'reenc'), named('InvalidRequest'));
  });

  it('an SSE-C source without its key → 400 InvalidRequest; with a wrong key → 403', async () => {
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'x', CopySource: `${SRC}/enc` })), named('InvalidRequest'));
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: DST, Key: 'x', CopySource: `${SRC}/enc`, ...copySourceSseC(key2) })), named('AccessDenied'));
  });

  it('an SSE-C copy onto itself under a new key is a change', async () => {
    await s3.send(new CopyObjectCommand({ Bucket: SRC, Key: 'enc', CopySource: `${SRC}/enc`, ...copySourceSseC(key1), ...sseC(key2) }));
    assert.deepEqual(await body(SRC, 'enc', sseC(key2)), data);
  });
});

it('the raw CopyObjectResult document is S3\'s', async () => {
  await s3.send(new PutObjectCommand({ Bucket: SRC, Key: 'raw', Body: 'raw' }));
  const r = await rawRequest(server.url, { method: 'PUT', path: `/${DST}/raw`, headers: { 'x-amz-copy-source': `/${SRC}/raw` } });
  assert.equal(r.status, 200, r.text);
  assert.match(r.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\s*<CopyObjectResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><LastModified>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z<\/LastModified>/);
  const bad = await rawRequest(server.url, { method: 'PUT', path: `/${DST}/raw2`, headers: { 'x-amz-copy-source': `/${SRC}/%E0%A4%A` } });
  assert.equal(bad.status, 400);
  assert.equal(parseErrorXml(bad.text)?.Code, 'InvalidArgument');
});
