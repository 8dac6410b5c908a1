// SSE-C (customer-provided keys) end to end, over HTTPS with a throwaway self-signed certificate:
// single PUT, multipart, ranged GETs, HeadObject, CopyObject with source and destination keys, wrong and
// missing keys; the data directory read directly (no plaintext in blobs, the key nowhere); and the
// refusal of SSE-C over plain HTTP unless the server runs with --insecure-sse-c.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand,
  GetObjectTorrentCommand, HeadObjectCommand, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { attempt, clientFor, expectError, md5b64, rawCall, rootAccount, selfSignedCert, sseHeaders, type Account } from './harness.ts';

const MiB = 1024 * 1024;

/** Key parameters for the SDK: the SDK sends the base64 key as is and computes its MD5. */
const sdkKey = (k: Buffer) => ({ SSECustomerAlgorithm: 'AES256', SSECustomerKey: k.toString('base64') });
const sdkSourceKey = (k: Buffer) => ({ CopySourceSSECustomerAlgorithm: 'AES256', CopySourceSSECustomerKey: k.toString('base64') });

async function bytes(body: unknown): Promise<Buffer> {
  return Buffer.from(await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

/** Content with a recognisable plaintext marker repeated through it (and random bytes between). */
function markedContent(size: number, marker: string): Buffer {
  const out = randomBytes(size);
  const m = Buffer.from(marker);
  for (let at = 0; at + m.length <= size; at += 4096) m.copy(out, at);
  return out;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** The files under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: Buffer): string[] {
  return filesUnder(dir).filter((f) => {
    try {
      return readFileSync(f).includes(needle);
    } catch (e) {
      // removed between listing and reading (garbage collection runs in the background): holds nothing
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  });
}

describe('SSE-C over HTTPS (self-signed certificate, SDK trusting only that CA)', () => {
  let work: string;
  let server: TestServer;
  let A: Account;
  let s3: S3Client;
  let ca: string;
  const bucket = 'ssec-bucket';
  const run = randomBytes(6).toString('hex');
  const marker = `SSE-C-PLAINTEXT-MARKER-${run}`;
  const plainMarker = `UNENCRYPTED-CONTROL-MARKER-${run}`;
  const key1 = randomBytes(32);
  const key2 = randomBytes(32);
  const key3 = randomBytes(32);
  const single = markedContent(300 * 1024 + 7, marker);
  const part1 = markedContent(5 * MiB, marker);
  const part2 = markedContent(MiB + 12345, marker);

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'seedbucket-ssec-'));
    const tls = selfSignedCert(work);
    ca = tls.pem;
    server = await startTestServer({ args: ['--tls-cert', tls.cert, '--tls-key', tls.key] });
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    A = await rootAccount(server);
    s3 = clientFor(server, A, { ca });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  after(async () => {
    s3?.destroy();
    if (server) { await server.stop(); server.cleanup(); }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('a client that does not trust the certificate cannot connect (the server really is HTTPS)', async () => {
    const untrusting = clientFor(server, A);
    try {
      await assert.rejects(untrusting.send(new CreateBucketCommand({ Bucket: 'never-made' })), (e: Error) => /certificate|self.signed/i.test(`${e.message} ${(e as { code?: string }).code ?? ''}`));
    } finally {
      untrusting.destroy();
    }
  });

  it('single PUT and GET round trip; the response names the key by its MD5', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'single', Body: single, ...sdkKey(key1) }));
    assert.equal(put.SSECustomerAlgorithm, 'AES256');
    assert.equal(put.SSECustomerKeyMD5, md5b64(key1));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'single', ...sdkKey(key1) }));
    assert.equal(got.SSECustomerAlgorithm, 'AES256');
    assert.equal(got.SSECustomerKeyMD5, md5b64(key1));
    assert.equal(got.ContentLength, single.length);
    assert.ok((await bytes(got.Body)).equals(single), 'GET returns the plaintext');
  });

  it('ranged GETs decrypt from any offset', async () => {
    const n = single.length;
    const ranges: Array<[string, number, number]> = [
      ['bytes=0-0', 0, 1], ['bytes=1-16', 1, 17], ['bytes=15-17', 15, 18], ['bytes=4095-4200', 4095, 4201],
      ['bytes=1000-70000', 1000, 70001], [`bytes=-100`, n - 100, n], [`bytes=200000-`, 200000, n], [`bytes=${n - 1}-${n + 50}`, n - 1, n],
    ];
    for (const [range, start, end] of ranges) {
      const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'single', Range: range, ...sdkKey(key1) }));
      assert.equal(r.ContentRange, `bytes ${start}-${end - 1}/${n}`, range);
      assert.ok((await bytes(r.Body)).equals(single.subarray(start, end)), `${range}: decrypted bytes`);
    }
  });

  it('HeadObject: with the key 200, without it 400, with another key 403', async () => {
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'single', ...sdkKey(key1) }));
    assert.equal(h.ContentLength, single.length);
    assert.equal(h.SSECustomerKeyMD5, md5b64(key1));
    await expectError(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'single' })), 400, undefined, 'HEAD without key');
    await expectError(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'single', ...sdkKey(key2) })), 403, undefined, 'HEAD with another key');
  });

  it('GetObject: missing key 400 InvalidRequest, wrong key 403 AccessDenied, key on an unencrypted object 400', async () => {
    await expectError(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'single' })), 400, 'InvalidRequest', 'GET without key');
    await expectError(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'single', ...sdkKey(key2) })), 403, 'AccessDenied', 'GET with another key');
    await expectError(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'single', Range: 'bytes=0-10', ...sdkKey(key2) })), 403, 'AccessDenied', 'ranged GET with another key');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'plain', Body: Buffer.from(plainMarker.repeat(64)) }));
    await expectError(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'plain', ...sdkKey(key1) })), 400, 'InvalidRequest', 'key for an unencrypted object');
  });

  it('malformed SSE-C headers are refused before anything is stored', async () => {
    const put = (headers: Record<string, string>, key: string) =>
      rawCall(server.url, { method: 'PUT', path: `/${bucket}/${key}`, body: 'data', account: A, headers }, ca);
    const wrongMd5 = await put({ ...sseHeaders(key1), 'x-amz-server-side-encryption-customer-key-md5': md5b64(key2) }, 'bad-md5');
    assert.deepEqual([wrongMd5.status, wrongMd5.code], [400, 'InvalidArgument'], wrongMd5.text);
    const shortKey = randomBytes(16);
    const short = await put({ ...sseHeaders(shortKey) }, 'bad-length');
    assert.deepEqual([short.status, short.code], [400, 'InvalidArgument'], short.text);
    const alg = await put({ ...sseHeaders(key1), 'x-amz-server-side-encryption-customer-algorithm': 'AES128' }, 'bad-alg');
    assert.deepEqual([alg.status, alg.code], [400, 'InvalidEncryptionAlgorithmError'], alg.text);
    const noKey = await put({ 'x-amz-server-side-encryption-customer-algorithm': 'AES256' }, 'no-key');
    assert.deepEqual([noKey.status, noKey.code], [400, 'InvalidArgument'], noKey.text);
    for (const k of ['bad-md5', 'bad-length', 'bad-alg', 'no-key']) {
      await expectError(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: k })), 404, undefined, `${k} was not stored`);
    }
  });

  it('multipart upload with a customer key: parts need the same key; ranged GET across the part boundary', async () => {
    const key = 'multipart';
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...sdkKey(key2) }));
    assert.equal(up.SSECustomerKeyMD5, md5b64(key2));
    const uploadId = up.UploadId!;
    // Refused parts are small: a refusal is answered before a large body is read, and the connection closed.
    const small = part2.subarray(0, 1024);
    await expectError(() => s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: small })),
      400, 'InvalidRequest', 'UploadPart without the key');
    await expectError(() => s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: small, ...sdkKey(key1) })),
      400, 'InvalidRequest', 'UploadPart with another key');
    const p1 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 1, Body: part1, ...sdkKey(key2) }));
    assert.equal(p1.SSECustomerKeyMD5, md5b64(key2));
    const p2 = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: 2, Body: part2, ...sdkKey(key2) }));
    await s3.send(new CompleteMultipartUploadCommand({
      Bucket: bucket, Key: key, UploadId: uploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.ETag }] },
    }));
    const whole = Buffer.concat([part1, part2]);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...sdkKey(key2) }));
    assert.equal(got.SSECustomerKeyMD5, md5b64(key2));
    assert.ok((await bytes(got.Body)).equals(whole), 'multipart plaintext');
    const [s, e] = [5 * MiB - 100, 5 * MiB + 99];
    const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${s}-${e}`, ...sdkKey(key2) }));
    assert.ok((await bytes(ranged.Body)).equals(whole.subarray(s, e + 1)), 'range across the part boundary');
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...sdkKey(key2) }));
    assert.equal(h.ContentLength, whole.length);
    await expectError(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...sdkKey(key1) })), 403, 'AccessDenied', 'multipart GET with another key');
    await expectError(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })), 400, 'InvalidRequest', 'multipart GET without key');
  });

  it('CopyObject: source key and destination key; the copy opens only with the new key', async () => {
    const copy = await s3.send(new CopyObjectCommand({
      Bucket: bucket, Key: 'copy-rekeyed', CopySource: `${bucket}/single`, ...sdkSourceKey(key1), ...sdkKey(key3),
    }));
    assert.equal(copy.SSECustomerKeyMD5, md5b64(key3));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy-rekeyed', ...sdkKey(key3) }));
    assert.ok((await bytes(got.Body)).equals(single), 're-keyed copy decrypts with the new key');
    await expectError(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy-rekeyed', ...sdkKey(key1) })), 403, 'AccessDenied', 'copy with the source key');
    const ranged = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy-rekeyed', Range: 'bytes=5000-9000', ...sdkKey(key3) }));
    assert.ok((await bytes(ranged.Body)).equals(single.subarray(5000, 9001)));

    // Missing or wrong source key: refused, nothing written.
    await expectError(() => s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy-nokey', CopySource: `${bucket}/single`, ...sdkKey(key3) })),
      400, 'InvalidRequest', 'copy without the source key');
    await expectError(() => s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy-wrongkey', CopySource: `${bucket}/single`, ...sdkSourceKey(key2), ...sdkKey(key3) })),
      403, 'AccessDenied', 'copy with a wrong source key');
    for (const k of ['copy-nokey', 'copy-wrongkey']) {
      await expectError(() => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: k })), 404, undefined, `${k} not stored`);
    }

    // SSE-C → unencrypted, and unencrypted → SSE-C.
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy-decrypted', CopySource: `${bucket}/single`, ...sdkSourceKey(key1) }));
    assert.ok((await bytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy-decrypted' }))).Body)).equals(single));
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy-encrypted', CopySource: `${bucket}/plain`, ...sdkKey(key3) }));
    await expectError(() => s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy-encrypted' })), 400, 'InvalidRequest', 'encrypted copy without key');
    const enc = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy-encrypted', ...sdkKey(key3) }));
    assert.equal((await bytes(enc.Body)).toString(), plainMarker.repeat(64));
    // The multipart SSE-C object copies too (source key of the upload).
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: 'copy-of-multipart', CopySource: `${bucket}/multipart`, ...sdkSourceKey(key2), ...sdkKey(key1) }));
    const mp = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'copy-of-multipart', ...sdkKey(key1) }));
    assert.ok((await bytes(mp.Body)).equals(Buffer.concat([part1, part2])));
  });

  it('GetObjectTorrent refuses SSE-C objects (peers could not be served without the key)', async () => {
    await expectError(() => s3.send(new GetObjectTorrentCommand({ Bucket: bucket, Key: 'single' })), 400, 'InvalidRequest', 'torrent of SSE-C object');
  });

  it('the data directory holds no plaintext of SSE-C objects and no trace of the customer keys', async () => {
    const data = server.dataDir;
    const blobs = path.join(data, 'blobs');
    assert.ok(statSync(blobs).isDirectory());
    const blobFiles = filesUnder(blobs);
    assert.ok(blobFiles.length >= 8, `expected the objects' blobs under ${blobs}, found ${blobFiles.length}`);
    // Control: the scan does find plaintext where there is some (the unencrypted object and its copy).
    assert.ok(filesContaining(blobs, Buffer.from(plainMarker)).length >= 1, 'unencrypted control object found in blobs');
    // 'copy-decrypted' is an unencrypted copy of an SSE-C object: its plaintext is (rightly) stored.
    // Every SSE-C object (single, multipart parts, re-keyed copies) is ciphertext on disk.
    const decryptedCopyBlobs = filesContaining(blobs, Buffer.from(marker));
    assert.equal(decryptedCopyBlobs.length, 1, `only the deliberately decrypted copy holds the marker: ${decryptedCopyBlobs.join(', ')}`);
    assert.equal(statSync(decryptedCopyBlobs[0]!).size, single.length, 'that blob is the decrypted copy');
    const all = filesUnder(data);
    assert.ok(all.some((f) => path.basename(f).startsWith('meta.sqlite')), 'meta.sqlite* scanned too');
    for (const k of [key1, key2, key3]) {
      for (const form of [k, Buffer.from(k.toString('base64')), Buffer.from(k.toString('hex')), Buffer.from(k.toString('base64url'))]) {
        assert.deepEqual(filesContaining(data, form), [], 'customer key bytes found in the data directory');
      }
    }
    for (const k of [key1, key2, key3]) assert.ok(!server.stderr().includes(k.toString('base64')), 'key in the server log');
  });

  it('after deleting the decrypted copy no blob holds the SSE-C plaintext', async () => {
    const r = await rawCall(server.url, { method: 'DELETE', path: `/${bucket}/copy-decrypted`, account: A }, ca);
    assert.equal(r.status, 204);
    const blobs = path.join(server.dataDir, 'blobs');
    // Blob removal follows the delete asynchronously: bounded wait.
    let found = filesContaining(blobs, Buffer.from(marker));
    for (let i = 0; i < 40 && found.length > 0; i++) {
      await new Promise((res) => setTimeout(res, 100));
      found = filesContaining(blobs, Buffer.from(marker));
    }
    assert.deepEqual(found, [], 'SSE-C plaintext marker in blob files');
    // The encrypted objects are still there and still decrypt.
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'single', ...sdkKey(key1) }));
    assert.ok((await bytes(got.Body)).equals(single));
    assert.ok(filesUnder(blobs).reduce((n, f) => n + statSync(f).size, 0) >= single.length + part1.length + part2.length);
  });
});

describe('SSE-C over plain HTTP', () => {
  let dataDir: string;
  let work: string;
  const key = randomBytes(32);
  const body = Buffer.from('written over plain http with --insecure-sse-c');

  before(() => {
    work = mkdtempSync(path.join(tmpdir(), 'seedbucket-ssec-http-'));
    dataDir = path.join(work, 'data');
  });
  after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

  it('--insecure-sse-c accepts it, with a warning at start', async () => {
    const server = await startTestServer({ dataDir, args: ['--insecure-sse-c'] });
    try {
      assert.match(server.url, /^http:\/\//);
      assert.match(server.stderr(), /warning: --insecure-sse-c/);
      const A = await rootAccount(server);
      const s3 = clientFor(server, A);
      try {
        await s3.send(new CreateBucketCommand({ Bucket: 'http-ssec' }));
        await s3.send(new PutObjectCommand({ Bucket: 'http-ssec', Key: 'enc', Body: body, ...sdkKey(key) }));
        await s3.send(new PutObjectCommand({ Bucket: 'http-ssec', Key: 'plain', Body: 'plain' }));
        const got = await s3.send(new GetObjectCommand({ Bucket: 'http-ssec', Key: 'enc', ...sdkKey(key) }));
        assert.ok((await bytes(got.Body)).equals(body));
      } finally {
        s3.destroy();
      }
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('without --insecure-sse-c every SSE-C request over HTTP is refused (writes and reads), without a warning', async () => {
    const server = await startTestServer({ dataDir });
    const A = await rootAccount(server);
    const s3 = clientFor(server, A);
    try {
      assert.doesNotMatch(server.stderr(), /insecure-sse-c/);
      const refused = async (what: string, fn: () => Promise<unknown>) => {
        const o = await attempt(fn);
        assert.deepEqual([o.status, o.code], [400, 'InvalidRequest'], `${what} over HTTP: ${o.ok ? 'succeeded' : `${o.status} ${o.code}`}`);
      };
      await refused('PutObject', () => s3.send(new PutObjectCommand({ Bucket: 'http-ssec', Key: 'new-enc', Body: 'x', ...sdkKey(key) })));
      await refused('CreateMultipartUpload', () => s3.send(new CreateMultipartUploadCommand({ Bucket: 'http-ssec', Key: 'new-mpu', ...sdkKey(key) })));
      await refused('CopyObject (destination key)', () => s3.send(new CopyObjectCommand({ Bucket: 'http-ssec', Key: 'new-copy', CopySource: 'http-ssec/plain', ...sdkKey(key) })));
      await refused('CopyObject (source key)', () => s3.send(new CopyObjectCommand({ Bucket: 'http-ssec', Key: 'new-copy2', CopySource: 'http-ssec/enc', ...sdkSourceKey(key) })));
      // Reads of the object written earlier with the right key: the key must not travel over HTTP either.
      await refused('GetObject', () => s3.send(new GetObjectCommand({ Bucket: 'http-ssec', Key: 'enc', ...sdkKey(key) })));
      const head = await attempt(() => s3.send(new HeadObjectCommand({ Bucket: 'http-ssec', Key: 'enc', ...sdkKey(key) })));
      assert.equal(head.status, 400, `HeadObject with a key over HTTP: ${head.ok ? 'succeeded' : head.status}`);
      const raw = await rawCall(server.url, { method: 'GET', path: '/http-ssec/enc', account: A, headers: sseHeaders(key) });
      assert.equal(raw.status, 400);
      assert.match(raw.text, /secure connection/);
      assert.ok(!raw.body.includes(body), 'no plaintext in the refusal');
      const mpu = await rawCall(server.url, { method: 'POST', path: '/http-ssec/new-mpu', query: [['uploads', '']], account: A, headers: sseHeaders(key) });
      assert.equal(mpu.status, 400, mpu.text);
      // Nothing was written; requests without SSE-C still work.
      for (const k of ['new-enc', 'new-copy', 'new-copy2']) {
        await expectError(() => s3.send(new HeadObjectCommand({ Bucket: 'http-ssec', Key: k })), 404, undefined, `${k} not stored`);
      }
      const listed = await rawCall(server.url, { method: 'GET', path: '/http-ssec', query: [['uploads', '']], account: A });
      assert.doesNotMatch(listed.text, /<Upload>/, 'no multipart upload was created');
      const plain = await s3.send(new GetObjectCommand({ Bucket: 'http-ssec', Key: 'plain' }));
      assert.equal(await plain.Body!.transformToString(), 'plain');
    } finally {
      s3.destroy();
      await server.stop();
    }
  });
});
