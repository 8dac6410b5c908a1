/**
 * End to end: a throwaway node:http server on 127.0.0.1 runs authenticate + verifiedBody;
 * the real @aws-sdk/client-s3 (and its presigner) talk to it.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { authenticate } from '../../src/s3/auth/authenticate.ts';
import { verifiedBody } from '../../src/s3/auth/payload.ts';
import type { AuthResult } from '../../src/s3/auth/types.ts';
import { isS3Error } from '../../src/s3/errors.ts';
import { AK, lookup, SK } from './helpers.ts';

interface Seen { method: string; path: string; contentSha256: string | undefined; auth: AuthResult; body?: Buffer; checksum?: { algorithm: string; value: string } | undefined }

const seen: Seen[] = [];
const objects = new Map<string, Buffer>();
let server: http.Server;
let endpoint: string;

const xmlError = (code: string, message: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message.replace(/[<&>]/g, '')}</Message></Error>`;

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const areq = {
    method: req.method ?? 'GET', rawPath: q === -1 ? url : url.slice(0, q), rawQuery: q === -1 ? '' : url.slice(q + 1),
    headers: req.headers, rawHeaders: req.rawHeaders,
  };
  try {
    const auth = authenticate(areq, lookup, { region: 'us-east-1' });
    const entry: Seen = { method: areq.method, path: areq.rawPath, contentSha256: req.headers['x-amz-content-sha256'] as string | undefined, auth };
    seen.push(entry);
    if (areq.method === 'PUT') {
      const vb = verifiedBody(req, areq, auth);
      const chunks: Buffer[] = [];
      for await (const c of vb.body) chunks.push(c as Buffer);
      entry.body = Buffer.concat(chunks);
      entry.checksum = vb.checksum();
      objects.set(areq.rawPath, entry.body);
      const headers: Record<string, string> = { etag: `"${createHash('md5').update(entry.body).digest('hex')}"`, 'content-length': '0' };
      if (entry.checksum) headers[`x-amz-checksum-${entry.checksum.algorithm.toLowerCase()}`] = entry.checksum.value;
      res.writeHead(200, headers).end();
      return;
    }
    const body = objects.get(areq.rawPath);
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/xml' }).end(xmlError('NoSuchKey', 'The specified key does not exist.'));
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length), 'content-type': 'application/octet-stream', etag: `"${createHash('md5').update(body).digest('hex')}"` }).end(body);
  } catch (e) {
    const code = isS3Error(e) ? e.code : 'InternalError';
    const status = isS3Error(e) ? e.status : 500;
    res.writeHead(status, { 'content-type': 'application/xml', connection: 'close' }).end(xmlError(code, (e as Error).message));
  }
}

before(async () => {
  server = http.createServer((req, res) => { void handle(req, res); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const client = (secret = SK): S3Client => new S3Client({
  region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: AK, secretAccessKey: secret }, maxAttempts: 1,
});

test('PutObject with a string body, then GetObject', async () => {
  const s3 = client();
  try {
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'dir/hello world+ü.txt', Body: 'hello, seedbucket', ContentType: 'text/plain' }));
    const put = seen.at(-1)!;
    assert.equal(put.path, '/bkt/dir/hello%20world%2B%C3%BC.txt');
    assert.equal(put.auth.principal?.accessKeyId, AK);
    assert.equal(put.body?.toString(), 'hello, seedbucket');
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'dir/hello world+ü.txt' }));
    assert.equal(await got.Body?.transformToString(), 'hello, seedbucket');
    assert.equal(seen.at(-1)?.auth.principal?.accountId, '111122223333');
  } finally {
    s3.destroy();
  }
});

test('PutObject with a Readable stream body + ContentLength (aws-chunked, CRC32 trailer)', async () => {
  const s3 = client();
  try {
    const data = randomBytes(300_000);
    const body = Readable.from(async function* () { for (let i = 0; i < data.length; i += 40_000) yield data.subarray(i, i + 40_000); }());
    await s3.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'stream.bin', Body: body, ContentLength: data.length }));
    const put = seen.at(-1)!;
    assert.match(put.contentSha256 ?? '', /^STREAMING-/);
    assert.equal(put.auth.payload.type, 'streaming');
    assert.ok(put.body?.equals(data), 'server stored different bytes');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE((await import('node:zlib')).crc32(data));
    assert.deepEqual(put.checksum, { algorithm: 'CRC32', value: crc.toString('base64') });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'stream.bin' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(data));
  } finally {
    s3.destroy();
  }
});

test('UploadPart with explicit SHA256 checksum and a query string', async () => {
  const s3 = client();
  try {
    const data = Buffer.from('part data '.repeat(1000));
    await s3.send(new UploadPartCommand({ Bucket: 'bkt', Key: 'mp', UploadId: 'up/1+2=3', PartNumber: 2, Body: data, ChecksumAlgorithm: 'SHA256' }));
    const put = seen.at(-1)!;
    assert.ok(put.body?.equals(data));
    assert.deepEqual(put.checksum, { algorithm: 'SHA256', value: createHash('sha256').update(data).digest('base64') });
  } finally {
    s3.destroy();
  }
});

test('wrong secret: the SDK gets SignatureDoesNotMatch', async () => {
  const s3 = client('wrong-secret');
  try {
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'stream.bin' })), (e: Error) => e.name === 'SignatureDoesNotMatch');
  } finally {
    s3.destroy();
  }
});

test('presigned URLs from @aws-sdk/s3-request-presigner, used with fetch', async () => {
  const s3 = client();
  const noDefaultChecksum = new S3Client({
    region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: AK, secretAccessKey: SK }, requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  try {
    const key = 'presigned (1).txt';
    // SDK default: the URL carries x-amz-checksum-crc32 of an *empty* body; like S3 we hold the upload to it
    const defaultUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'bkt', Key: key }), { expiresIn: 300 });
    assert.match(defaultUrl, /x-amz-checksum-crc32=AAAAAA%3D%3D/);
    const refused = await fetch(defaultUrl, { method: 'PUT', body: 'via presigned PUT' });
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /BadDigest/);
    assert.equal((await fetch(defaultUrl, { method: 'PUT', body: '' })).status, 200);

    const crc = Buffer.alloc(4);
    crc.writeUInt32BE((await import('node:zlib')).crc32(Buffer.from('via presigned PUT')));
    const withChecksum = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'bkt', Key: key, ChecksumCRC32: crc.toString('base64') }), { expiresIn: 300 });
    assert.equal((await fetch(withChecksum, { method: 'PUT', body: 'via presigned PUT' })).status, 200);
    assert.deepEqual(seen.at(-1)?.checksum, { algorithm: 'CRC32', value: crc.toString('base64') });

    const putUrl = await getSignedUrl(noDefaultChecksum, new PutObjectCommand({ Bucket: 'bkt', Key: key }), { expiresIn: 300 });
    const put = await fetch(putUrl, { method: 'PUT', body: 'via presigned PUT' });
    assert.equal(put.status, 200, await put.text());
    assert.equal(seen.at(-1)?.auth.presigned, true);
    assert.equal(seen.at(-1)?.body?.toString(), 'via presigned PUT');

    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'bkt', Key: key, ResponseContentDisposition: 'attachment; filename="a b.txt"' }), { expiresIn: 300 });
    const get = await fetch(getUrl);
    assert.equal(get.status, 200);
    assert.equal(await get.text(), 'via presigned PUT');
    const tampered = await fetch(getUrl.replace('attachment', 'inline'));
    assert.equal(tampered.status, 403);
    assert.match(await tampered.text(), /SignatureDoesNotMatch/);
  } finally {
    s3.destroy();
    noDefaultChecksum.destroy();
  }
});
