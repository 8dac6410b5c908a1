// aws-sdk-js v3 end to end through the basic S3 operations against the real server process:
// buckets, PutObject bodies (incl. aws-chunked with a CRC32 trailer), metadata, ranges,
// conditional GETs, response overrides, presigned URLs, virtual-hosted style, unknown
// sub-resources, nasty keys, and the shape of every error response.
import assert from 'node:assert/strict';
import http from 'node:http';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import {
  CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetBucketLocationCommand,
  GetObjectCommand, GetObjectTaggingCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand,
  ListObjectsV2Command, PutObjectCommand, S3Client, type GetObjectCommandInput, type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { md5Hex, patternBytes, readAll } from '../helpers/files.ts';
import { objectPath, parseErrorXml, rawRequest, ROOT_CREDENTIALS, type RawRequest, type RawResponse } from '../helpers/raw.ts';
import { ROOT_ACCESS_KEY, ROOT_SECRET_KEY, startTestServer, type TestServer } from '../helpers/server.ts';
import { s3LocalhostLookup } from '../helpers/vhost-dns.ts';

interface SeenRequest { method: string; hostname: string; path: string; headers: Record<string, string> }

/** Record every request the client sends (after signing and checksum framing). */
function captureRequests(client: S3Client): SeenRequest[] {
  const seen: SeenRequest[] = [];
  client.middlewareStack.add((next) => async (args) => {
    const r = args.request as { method: string; hostname: string; path: string; headers: Record<string, string> };
    seen.push({ method: r.method, hostname: r.hostname, path: r.path, headers: { ...r.headers } });
    return next(args);
  }, { step: 'deserialize', name: 'seedbucketCaptureRequests' });
  return seen;
}

function header(seen: SeenRequest, name: string): string | undefined {
  const k = Object.keys(seen.headers).find((h) => h.toLowerCase() === name);
  return k === undefined ? undefined : seen.headers[k];
}

interface SdkError { name: string; status: number | undefined; message: string }

/** Run an SDK call that must fail; its error name (S3 code) and HTTP status. */
async function sdkError(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, message: err.message };
  }
  assert.fail('expected the call to fail, it succeeded');
}

/** HTTP status of an SDK call: 200-ish on success, the error's status otherwise. */
async function sdkStatus(p: Promise<{ $metadata: { httpStatusCode?: number } }>): Promise<number> {
  try {
    return (await p).$metadata.httpStatusCode ?? 0;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === undefined) throw e;
    return status;
  }
}

const crc32Base64 = (b: Buffer): string => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(b) >>> 0);
  return out.toString('base64');
};

/** Every error response: x-amz-request-id header and an XML body with Code, Message, RequestId (= the header). */
function assertErrorShape(res: RawResponse | { status: number; headers: Record<string, string | string[] | undefined>; text: string }, code: string, status: number): void {
  const reqId = res.headers['x-amz-request-id'];
  assert.equal(res.status, status, `status for ${code}: body ${res.text}`);
  assert.ok(typeof reqId === 'string' && reqId.length > 0, `x-amz-request-id header on ${code}`);
  assert.match(String(res.headers['content-type']), /xml/, `content-type of the ${code} error`);
  const body = parseErrorXml(res.text);
  assert.ok(body, `an <Error> XML body for ${code}: ${res.text}`);
  assert.equal(body.Code, code, res.text);
  assert.ok(body.Message && body.Message.length > 0, `Message in ${res.text}`);
  assert.equal(body.RequestId, reqId, 'RequestId in the body equals the x-amz-request-id header');
}

describe('S3 core operations (aws-sdk-js v3)', { timeout: 600_000 }, () => {
  let server: TestServer;
  let s3: S3Client;
  const B = 'core-bucket';

  before(async () => {
    server = await startTestServer();
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: B }));
  });

  after(async () => {
    s3?.destroy();
    if (server) { await server.stop(); server.cleanup(); }
  });

  const getBytes = async (input: GetObjectCommandInput): Promise<{ out: GetObjectCommandOutput; body: Buffer }> => {
    const out = await s3.send(new GetObjectCommand(input));
    return { out, body: await readAll(out.Body as Readable) };
  };

  describe('buckets', () => {
    const name = 'core-lifecycle';

    it('CreateBucket, HeadBucket, ListBuckets, GetBucketLocation, DeleteBucket', async () => {
      const created = await s3.send(new CreateBucketCommand({ Bucket: name }));
      assert.equal(created.$metadata.httpStatusCode, 200);
      assert.equal(created.Location, `/${name}`);
      const head = await s3.send(new HeadBucketCommand({ Bucket: name }));
      assert.equal(head.$metadata.httpStatusCode, 200);
      const list = await s3.send(new ListBucketsCommand({}));
      const names = (list.Buckets ?? []).map((b) => b.Name);
      assert.ok(names.includes(name) && names.includes(B), `ListBuckets: ${names.join(',')}`);
      assert.ok(list.Owner?.ID, 'ListBuckets names the owner');
      for (const b of list.Buckets ?? []) assert.ok(b.CreationDate instanceof Date && !Number.isNaN(b.CreationDate.getTime()));
      const loc = await s3.send(new GetBucketLocationCommand({ Bucket: name }));
      assert.equal(loc.LocationConstraint ?? '', '', 'us-east-1 answers an empty LocationConstraint');
      const del = await s3.send(new DeleteBucketCommand({ Bucket: name }));
      assert.equal(del.$metadata.httpStatusCode, 204);
      assert.equal(await sdkStatus(s3.send(new HeadBucketCommand({ Bucket: name }))), 404);
      const after = await s3.send(new ListBucketsCommand({}));
      assert.ok(!(after.Buckets ?? []).some((b) => b.Name === name));
    });

    it('bucket errors: NoSuchBucket, BucketAlreadyOwnedByYou, InvalidBucketName, BucketNotEmpty', async () => {
      const nsb = await sdkError(s3.send(new ListObjectsV2Command({ Bucket: 'core-no-such-bucket' })));
      assert.deepEqual([nsb.name, nsb.status], ['NoSuchBucket', 404]);
      const owned = await sdkError(s3.send(new CreateBucketCommand({ Bucket: B })));
      assert.deepEqual([owned.name, owned.status], ['BucketAlreadyOwnedByYou', 409]);
      for (const bad of ['ab', 'a'.repeat(64), 'UpperCase', 'under_score', '-leading', 'trailing-', 'two..dots', '192.168.1.1', 'xn--reserved']) {
        const e = await sdkError(s3.send(new CreateBucketCommand({ Bucket: bad })));
        assert.deepEqual([e.name, e.status], ['InvalidBucketName', 400], `bucket name ${bad}`);
      }
      await s3.send(new CreateBucketCommand({ Bucket: 'core-nonempty' }));
      await s3.send(new PutObjectCommand({ Bucket: 'core-nonempty', Key: 'k', Body: 'x' }));
      const ne = await sdkError(s3.send(new DeleteBucketCommand({ Bucket: 'core-nonempty' })));
      assert.deepEqual([ne.name, ne.status], ['BucketNotEmpty', 409]);
      await s3.send(new DeleteObjectCommand({ Bucket: 'core-nonempty', Key: 'k' }));
      await s3.send(new DeleteBucketCommand({ Bucket: 'core-nonempty' }));
    });
  });

  describe('PutObject bodies', () => {
    it('a string body', async () => {
      const text = 'héllo, wörld\n'.repeat(100);
      const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'body/string', Body: text }));
      assert.equal(put.ETag, `"${md5Hex(text)}"`);
      const { body, out } = await getBytes({ Bucket: B, Key: 'body/string' });
      assert.equal(body.toString('utf8'), text);
      assert.equal(out.ContentLength, Buffer.byteLength(text));
      assert.equal(out.ETag, put.ETag);
    });

    it('a Buffer body, and an empty one', async () => {
      const data = patternBytes(1_000_003, 7);
      const put = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'body/buffer', Body: data }));
      assert.equal(put.ETag, `"${md5Hex(data)}"`);
      assert.ok((await getBytes({ Bucket: B, Key: 'body/buffer' })).body.equals(data));
      const empty = await s3.send(new PutObjectCommand({ Bucket: B, Key: 'body/empty', Body: Buffer.alloc(0) }));
      assert.equal(empty.ETag, '"d41d8cd98f00b204e9800998ecf8427e"');
      const got = await getBytes({ Bucket: B, Key: 'body/empty' });
      assert.equal(got.body.length, 0);
      assert.equal(got.out.ContentLength, 0);
    });

    it('a stream body with ContentLength goes aws-chunked (STREAMING-UNSIGNED-PAYLOAD-TRAILER, CRC32 trailer)', async () => {
      const client = server.client();
      const seen = captureRequests(client);
      const data = patternBytes(3 * 1024 * 1024 + 17, 99);
      const chunks = [data.subarray(0, 1000), data.subarray(1000, 2_000_000), data.subarray(2_000_000)];
      const put = await client.send(new PutObjectCommand({
        Bucket: B, Key: 'body/stream', Body: Readable.from(chunks), ContentLength: data.length, ContentEncoding: 'gzip',
      }));
      const req = seen.find((s) => s.method === 'PUT');
      assert.ok(req, 'captured the PUT');
      assert.equal(header(req, 'x-amz-content-sha256'), 'STREAMING-UNSIGNED-PAYLOAD-TRAILER');
      assert.equal(header(req, 'x-amz-trailer'), 'x-amz-checksum-crc32');
      assert.match(header(req, 'content-encoding') ?? '', /aws-chunked/);
      assert.equal(header(req, 'x-amz-decoded-content-length'), String(data.length));
      assert.equal(put.ChecksumCRC32, crc32Base64(data), 'the server answers the CRC32 of the decoded body');
      assert.equal(put.ETag, `"${md5Hex(data)}"`);
      const got = await getBytes({ Bucket: B, Key: 'body/stream' });
      assert.ok(got.body.equals(data), 'stream upload reads back byte for byte');
      assert.equal(got.out.ContentEncoding, 'gzip', 'aws-chunked is framing, not a stored Content-Encoding');
      client.destroy();
    });

    it('hand-made aws-chunked bodies: a right CRC32 trailer is stored, a wrong one is BadDigest', async () => {
      const data = patternBytes(70_000, 5);
      const frame = (crc: string) => Buffer.concat([
        Buffer.from(`${(40_000).toString(16)}\r\n`), data.subarray(0, 40_000), Buffer.from('\r\n'),
        Buffer.from(`${(30_000).toString(16)}\r\n`), data.subarray(40_000), Buffer.from('\r\n'),
        Buffer.from(`0\r\nx-amz-checksum-crc32:${crc}\r\n\r\n`),
      ]);
      const send = (key: string, body: Buffer) => rawRequest(server.url, {
        method: 'PUT', path: objectPath(B, key), body, payloadHash: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        headers: {
          'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(data.length),
          'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-sdk-checksum-algorithm': 'CRC32',
        },
      });
      const good = await send('body/chunked-good', frame(crc32Base64(data)));
      assert.equal(good.status, 200, good.text);
      assert.equal(good.headers['x-amz-checksum-crc32'], crc32Base64(data));
      assert.ok((await getBytes({ Bucket: B, Key: 'body/chunked-good' })).body.equals(data));
      const bad = await send('body/chunked-bad', frame('AAAAAA=='));
      assertErrorShape(bad, 'BadDigest', 400);
      assert.equal(await sdkStatus(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'body/chunked-bad' }))), 404, 'nothing stored on BadDigest');
    });

    it('a wrong Content-MD5 is BadDigest and stores nothing', async () => {
      const e = await sdkError(s3.send(new PutObjectCommand({ Bucket: B, Key: 'body/bad-md5', Body: 'abc', ContentMD5: Buffer.alloc(16).toString('base64') })));
      assert.deepEqual([e.name, e.status], ['BadDigest', 400]);
      assert.equal(await sdkStatus(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'body/bad-md5' }))), 404);
    });
  });

  describe('metadata and headers', () => {
    const expires = new Date('2031-02-03T04:05:06Z');

    before(async () => {
      await s3.send(new PutObjectCommand({
        Bucket: B, Key: 'meta/object', Body: 'metadata body',
        Metadata: { alpha: 'one', 'Mixed-Case': 'Two words', unicode: 'plain-ascii-only' },
        ContentType: 'text/plain; charset=utf-8', ContentEncoding: 'identity', ContentDisposition: 'attachment; filename="m.txt"',
        CacheControl: 'max-age=3600, must-revalidate', Expires: expires, ContentLanguage: 'en-GB',
      }));
    });

    it('user metadata and Content-Type/Encoding/Disposition/Language, Cache-Control, Expires round trip (HEAD and GET)', async () => {
      const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'meta/object' }));
      const { out: get } = await getBytes({ Bucket: B, Key: 'meta/object' });
      for (const o of [head, get]) {
        assert.deepEqual(o.Metadata, { alpha: 'one', 'mixed-case': 'Two words', unicode: 'plain-ascii-only' });
        assert.equal(o.ContentType, 'text/plain; charset=utf-8');
        assert.equal(o.ContentEncoding, 'identity');
        assert.equal(o.ContentDisposition, 'attachment; filename="m.txt"');
        assert.equal(o.ContentLanguage, 'en-GB');
        assert.equal(o.CacheControl, 'max-age=3600, must-revalidate');
        assert.equal(o.Expires?.getTime(), expires.getTime());
        assert.equal(o.ContentLength, 'metadata body'.length);
        assert.equal(o.ETag, `"${md5Hex('metadata body')}"`);
        assert.ok(o.LastModified instanceof Date && Math.abs(o.LastModified.getTime() - Date.now()) < 120_000);
        assert.equal(o.AcceptRanges, 'bytes');
      }
    });

    it('the default Content-Type is binary/octet-stream', async () => {
      const put = await rawRequest(server.url, { method: 'PUT', path: objectPath(B, 'meta/no-type'), body: Buffer.from([1, 2, 3]) });
      assert.equal(put.status, 200, put.text);
      const raw = await rawRequest(server.url, { method: 'HEAD', path: objectPath(B, 'meta/no-type') });
      assert.equal(raw.status, 200);
      assert.equal(raw.headers['content-type'], 'binary/octet-stream');
    });

    it('HeadObject: 404 for a missing key; DeleteObject: 204, also for a missing key', async () => {
      const e = await sdkError(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'meta/missing' })));
      assert.equal(e.status, 404);
      await s3.send(new PutObjectCommand({ Bucket: B, Key: 'meta/delete-me', Body: 'x' }));
      const del = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'meta/delete-me' }));
      assert.equal(del.$metadata.httpStatusCode, 204);
      const gone = await sdkError(s3.send(new GetObjectCommand({ Bucket: B, Key: 'meta/delete-me' })));
      assert.deepEqual([gone.name, gone.status], ['NoSuchKey', 404]);
      const again = await s3.send(new DeleteObjectCommand({ Bucket: B, Key: 'meta/delete-me' }));
      assert.equal(again.$metadata.httpStatusCode, 204);
    });

    it('response-content-* query parameters override the response headers', async () => {
      const { out } = await getBytes({
        Bucket: B, Key: 'meta/object',
        ResponseContentType: 'application/x-override', ResponseContentLanguage: 'de-DE', ResponseExpires: new Date('2040-01-01T00:00:00Z'),
        ResponseCacheControl: 'no-store', ResponseContentDisposition: 'inline; filename="o.txt"', ResponseContentEncoding: 'x-custom',
      });
      assert.equal(out.ContentType, 'application/x-override');
      assert.equal(out.ContentLanguage, 'de-DE');
      assert.equal(out.Expires?.getTime(), new Date('2040-01-01T00:00:00Z').getTime());
      assert.equal(out.CacheControl, 'no-store');
      assert.equal(out.ContentDisposition, 'inline; filename="o.txt"');
      assert.equal(out.ContentEncoding, 'x-custom');
      // The stored metadata is unchanged.
      const head = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'meta/object' }));
      assert.equal(head.ContentType, 'text/plain; charset=utf-8');
    });
  });

  describe('ranges', () => {
    const data = patternBytes(100, 3);
    before(async () => { await s3.send(new PutObjectCommand({ Bucket: B, Key: 'range/100', Body: data })); });

    const cases: Array<[string, number, number]> = [
      ['bytes=10-19', 10, 19], ['bytes=-5', 95, 99], ['bytes=5-', 5, 99], ['bytes=0-0', 0, 0], ['bytes=95-200', 95, 99], ['bytes=-500', 0, 99],
    ];
    for (const [range, first, last] of cases) {
      it(`Range: ${range} → 206, Content-Range bytes ${first}-${last}/100`, async () => {
        const { out, body } = await getBytes({ Bucket: B, Key: 'range/100', Range: range });
        assert.equal(out.$metadata.httpStatusCode, 206);
        assert.equal(out.ContentRange, `bytes ${first}-${last}/100`);
        assert.equal(out.ContentLength, last - first + 1);
        assert.ok(body.equals(data.subarray(first, last + 1)));
      });
    }

    it('an unsatisfiable range → 416 InvalidRange with Content-Range bytes */100', async () => {
      for (const range of ['bytes=100-', 'bytes=1000-2000']) {
        const e = await sdkError(s3.send(new GetObjectCommand({ Bucket: B, Key: 'range/100', Range: range })));
        assert.deepEqual([e.name, e.status], ['InvalidRange', 416], range);
      }
      const raw = await rawRequest(server.url, { method: 'GET', path: objectPath(B, 'range/100'), headers: { range: 'bytes=100-' } });
      assertErrorShape(raw, 'InvalidRange', 416);
      assert.equal(raw.headers['content-range'], 'bytes */100');
    });

    it('checksum mode: a full GET carries the stored CRC32, a ranged GET does not', async () => {
      const full = await getBytes({ Bucket: B, Key: 'range/100', ChecksumMode: 'ENABLED' });
      assert.equal(full.out.ChecksumCRC32, crc32Base64(data));
      const part = await getBytes({ Bucket: B, Key: 'range/100', ChecksumMode: 'ENABLED', Range: 'bytes=0-9' });
      assert.equal(part.out.ChecksumCRC32, undefined);
      assert.ok(part.body.equals(data.subarray(0, 10)));
    });

    it('a syntactically invalid range is ignored (200, whole object)', async () => {
      const { out, body } = await getBytes({ Bucket: B, Key: 'range/100', Range: 'bytes=20-10' });
      assert.equal(out.$metadata.httpStatusCode, 200);
      assert.ok(body.equals(data));
    });
  });

  describe('conditional GETs (AWS precedence)', () => {
    let etag: string;
    let lastModified: Date;
    before(async () => {
      await s3.send(new PutObjectCommand({ Bucket: B, Key: 'cond/object', Body: 'conditional' }));
      const h = await s3.send(new HeadObjectCommand({ Bucket: B, Key: 'cond/object' }));
      etag = h.ETag!;
      lastModified = h.LastModified!;
    });
    const before1s = () => new Date(lastModified.getTime() - 1000);
    const wrong = '"00000000000000000000000000000000"';

    const cases: Array<[string, () => Partial<GetObjectCommandInput>, number]> = [
      ['If-Match matching → 200', () => ({ IfMatch: etag }), 200],
      ['If-Match * → 200', () => ({ IfMatch: '*' }), 200],
      ['If-Match not matching → 412', () => ({ IfMatch: wrong }), 412],
      ['If-None-Match matching → 304', () => ({ IfNoneMatch: etag }), 304],
      ['If-None-Match not matching → 200', () => ({ IfNoneMatch: wrong }), 200],
      ['If-Modified-Since = Last-Modified → 304', () => ({ IfModifiedSince: lastModified }), 304],
      ['If-Modified-Since before Last-Modified → 200', () => ({ IfModifiedSince: before1s() }), 200],
      ['If-Unmodified-Since before Last-Modified → 412', () => ({ IfUnmodifiedSince: before1s() }), 412],
      ['If-Unmodified-Since = Last-Modified → 200', () => ({ IfUnmodifiedSince: lastModified }), 200],
      ['If-Match true + If-Unmodified-Since false → 200 (If-Match wins)', () => ({ IfMatch: etag, IfUnmodifiedSince: before1s() }), 200],
      ['If-None-Match false + If-Modified-Since true → 304 (If-None-Match wins)', () => ({ IfNoneMatch: etag, IfModifiedSince: before1s() }), 304],
      ['If-Match false + If-None-Match false → 412 (If-Match first)', () => ({ IfMatch: wrong, IfNoneMatch: etag }), 412],
      ['If-Match true + If-None-Match false → 304', () => ({ IfMatch: etag, IfNoneMatch: etag }), 304],
      ['If-Unmodified-Since false + If-None-Match false → 412', () => ({ IfUnmodifiedSince: before1s(), IfNoneMatch: etag }), 412],
      ['If-None-Match not matching + If-Modified-Since false → 200 (If-None-Match wins)', () => ({ IfNoneMatch: wrong, IfModifiedSince: lastModified }), 200],
    ];
    for (const [name, input, want] of cases) {
      it(name, async () => {
        const status = await sdkStatus(s3.send(new GetObjectCommand({ Bucket: B, Key: 'cond/object', ...input() })));
        assert.equal(status, want);
      });
    }

    it('HeadObject applies the same conditions; 304 carries the ETag, 412 is PreconditionFailed', async () => {
      assert.equal(await sdkStatus(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'cond/object', IfNoneMatch: etag }))), 304);
      assert.equal(await sdkStatus(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'cond/object', IfMatch: wrong }))), 412);
      const nm = await rawRequest(server.url, { method: 'GET', path: objectPath(B, 'cond/object'), headers: { 'if-none-match': etag } });
      assert.equal(nm.status, 304);
      assert.equal(nm.headers.etag, etag);
      assert.equal(nm.body.length, 0);
      const pf = await rawRequest(server.url, { method: 'GET', path: objectPath(B, 'cond/object'), headers: { 'if-match': wrong } });
      assertErrorShape(pf, 'PreconditionFailed', 412);
    });
  });

  describe('?versionId on an unversioned bucket', () => {
    it('"null" is the current version; any other id is 404 NoSuchVersion for GET and HEAD, before conditions and ranges', async () => {
      await s3.send(new PutObjectCommand({ Bucket: B, Key: 'ver/object', Body: 'versioned' }));
      await s3.send(new PutObjectCommand({ Bucket: B, Key: 'ver/empty', Body: '' }));
      const { body } = await getBytes({ Bucket: B, Key: 'ver/object', VersionId: 'null' });
      assert.equal(body.toString(), 'versioned');
      assert.equal(await sdkStatus(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'ver/object', VersionId: 'null' }))), 200);
      for (const Key of ['ver/object', 'ver/empty']) {
        const get = await sdkError(s3.send(new GetObjectCommand({ Bucket: B, Key, VersionId: 'not-a-version' })));
        assert.deepEqual([get.name, get.status], ['NoSuchVersion', 404], Key);
        assert.equal(await sdkStatus(s3.send(new HeadObjectCommand({ Bucket: B, Key, VersionId: 'not-a-version' }))), 404, `HEAD ${Key}`);
        const h = await s3.send(new HeadObjectCommand({ Bucket: B, Key }));
        const cond = await sdkError(s3.send(new GetObjectCommand({ Bucket: B, Key, VersionId: 'not-a-version', IfNoneMatch: h.ETag!, Range: 'bytes=100-200' })));
        assert.deepEqual([cond.name, cond.status], ['NoSuchVersion', 404], `${Key} with a matching If-None-Match and an unsatisfiable range`);
      }
    });
  });

  describe('presigned URLs', () => {
    it('presigned GET fetched with fetch()', async () => {
      await s3.send(new PutObjectCommand({ Bucket: B, Key: 'presigned/get.txt', Body: 'presigned content' }));
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: B, Key: 'presigned/get.txt' }), { expiresIn: 300 });
      assert.equal(new URL(url).hostname, '127.0.0.1');
      const res = await fetch(url);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(await res.text(), 'presigned content');
    });

    it('presigned PUT fetched with fetch(), then read back', async () => {
      // Since 3.729 the SDK bakes the CRC32 of the (absent) body, AAAAAA==, into presigned PutObject
      // URLs unless checksums are calculated only when required; S3 then rejects any non-empty body.
      const presigner = server.client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
      const url = await getSignedUrl(presigner, new PutObjectCommand({ Bucket: B, Key: 'presigned/put.bin' }), { expiresIn: 300 });
      presigner.destroy();
      assert.ok(!new URL(url).searchParams.has('x-amz-checksum-crc32'), url);
      const body = patternBytes(200_000, 42);
      const res = await fetch(url, { method: 'PUT', body });
      assert.equal(res.status, 200, `presigned PUT: ${await res.text()}\nurl: ${url}`);
      assert.equal(res.headers.get('etag'), `"${md5Hex(body)}"`);
      assert.ok((await getBytes({ Bucket: B, Key: 'presigned/put.bin' })).body.equals(body));
    });

    it('a presigned PUT with the empty-body CRC32 baked in rejects a non-empty body (BadDigest), as S3 does', async () => {
      const url = await getSignedUrl(s3, new PutObjectCommand({ Bucket: B, Key: 'presigned/baked-crc.bin' }), { expiresIn: 300 });
      assert.equal(new URL(url).searchParams.get('x-amz-checksum-crc32'), 'AAAAAA==', `SDK default presigned PUT: ${url}`);
      const res = await fetch(url, { method: 'PUT', body: 'not empty' });
      assertErrorShape({ status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() }, 'BadDigest', 400);
      assert.equal(await sdkStatus(s3.send(new HeadObjectCommand({ Bucket: B, Key: 'presigned/baked-crc.bin' }))), 404);
      const empty = await fetch(url, { method: 'PUT', body: '' });
      assert.equal(empty.status, 200, 'the empty body matches the baked CRC32');
    });

    it('an expired presigned URL → 403 AccessDenied', async () => {
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: B, Key: 'presigned/get.txt' }), {
        expiresIn: 60, signingDate: new Date(Date.now() - 3600_000),
      });
      const res = await fetch(url);
      const text = await res.text();
      assertErrorShape({ status: res.status, headers: Object.fromEntries(res.headers), text }, 'AccessDenied', 403);
    });

    it('a presigned URL with a tampered signature → 403 SignatureDoesNotMatch', async () => {
      const url = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: B, Key: 'presigned/get.txt' }), { expiresIn: 300 }));
      const sig = url.searchParams.get('X-Amz-Signature')!;
      url.searchParams.set('X-Amz-Signature', `${sig[0] === '0' ? '1' : '0'}${sig.slice(1)}`);
      const res = await fetch(url);
      assertErrorShape({ status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() }, 'SignatureDoesNotMatch', 403);
    });
  });

  describe('virtual-hosted style (--domain s3.localhost)', () => {
    let vserver: TestServer;
    let vs3: S3Client;
    let seen: SeenRequest[];
    const vb = 'vhost-bucket';

    before(async () => {
      vserver = await startTestServer({ args: ['--domain', 's3.localhost'] });
      vs3 = new S3Client({
        endpoint: `http://s3.localhost:${vserver.port}`, forcePathStyle: false, region: 'us-east-1',
        credentials: { accessKeyId: ROOT_ACCESS_KEY, secretAccessKey: ROOT_SECRET_KEY },
        requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ lookup: s3LocalhostLookup, keepAlive: true }) }),
      });
      seen = captureRequests(vs3);
    });

    after(async () => {
      vs3?.destroy();
      if (vserver) { await vserver.stop(); vserver.cleanup(); }
    });

    it('bucket and object operations address the bucket in the Host header', async () => {
      await vs3.send(new CreateBucketCommand({ Bucket: vb }));
      await vs3.send(new HeadBucketCommand({ Bucket: vb }));
      await vs3.send(new PutObjectCommand({ Bucket: vb, Key: 'dir/hello.txt', Body: 'virtual host' }));
      const got = await vs3.send(new GetObjectCommand({ Bucket: vb, Key: 'dir/hello.txt' }));
      assert.equal(await readAll(got.Body as Readable).then((b) => b.toString()), 'virtual host');
      const list = await vs3.send(new ListObjectsV2Command({ Bucket: vb }));
      assert.deepEqual((list.Contents ?? []).map((c) => c.Key), ['dir/hello.txt']);
      const buckets = await vs3.send(new ListBucketsCommand({}));
      assert.ok((buckets.Buckets ?? []).some((b) => b.Name === vb));
      await vs3.send(new DeleteObjectCommand({ Bucket: vb, Key: 'dir/hello.txt' }));
      await vs3.send(new DeleteBucketCommand({ Bucket: vb }));

      const objectReqs = seen.filter((s) => s.path.includes('hello.txt'));
      assert.ok(objectReqs.length >= 3);
      for (const s of objectReqs) {
        assert.equal(s.hostname, `${vb}.s3.localhost`, 'virtual-hosted request');
        assert.ok(s.path.startsWith('/dir/hello.txt'), `path without the bucket: ${s.path}`);
      }
      assert.ok(seen.some((s) => s.hostname === 's3.localhost' && s.path === '/'), 'ListBuckets goes to the bare domain');
    });

    it('path style still works on the same server', async () => {
      const ps = vserver.client();
      await ps.send(new CreateBucketCommand({ Bucket: 'vhost-path-style' }));
      await ps.send(new PutObjectCommand({ Bucket: 'vhost-path-style', Key: 'k', Body: 'p' }));
      const viaVhost = await vs3.send(new GetObjectCommand({ Bucket: 'vhost-path-style', Key: 'k' }));
      assert.equal((await readAll(viaVhost.Body as Readable)).toString(), 'p');
      ps.destroy();
    });
  });

  describe('unknown sub-resources', () => {
    it('GET ?tagging on an object → 501 NotImplemented (SDK and raw)', async () => {
      await s3.send(new PutObjectCommand({ Bucket: B, Key: 'sub/tagged', Body: 't' }));
      const e = await sdkError(s3.send(new GetObjectTaggingCommand({ Bucket: B, Key: 'sub/tagged' })));
      assert.deepEqual([e.name, e.status], ['NotImplemented', 501]);
      const raw = await rawRequest(server.url, { method: 'GET', path: objectPath(B, 'sub/tagged'), query: 'tagging' });
      assertErrorShape(raw, 'NotImplemented', 501);
    });
  });

  describe('nasty keys', () => {
    const NB = 'nasty-keys';
    const KEYS = [
      '../x', 'a//b', 'trailing/', '/leading', 'with space', 'plus+sign', 'percent%20literal', 'question?mark', 'hash#tag',
      'emoji😀', '\u00e9', 'e\u0301', 'Case', 'case', 'tab\there', 'tilde~', 'star*', "quote'", 'amp&', 'eq=', 'x'.repeat(1024),
      '\u00e9'.repeat(512), './dot', '%', '%2F', 'semi;colon', 'back\\slash', '<lt>&gt;', 'new\nline',
    ];
    const content = (k: string) => Buffer.from(`content of ${JSON.stringify(k)}`);

    before(async () => { await s3.send(new CreateBucketCommand({ Bucket: NB })); });

    it('PUT, GET, HEAD each key; NFC and NFD é, Case and case are distinct', async () => {
      assert.equal(new Set(KEYS).size, KEYS.length);
      for (const k of KEYS) {
        const body = content(k);
        await s3.send(new PutObjectCommand({ Bucket: NB, Key: k, Body: body }));
        const got = await getBytes({ Bucket: NB, Key: k });
        assert.ok(got.body.equals(body), `GET ${JSON.stringify(k)} returned ${JSON.stringify(got.body.toString())}`);
        const head = await s3.send(new HeadObjectCommand({ Bucket: NB, Key: k }));
        assert.equal(head.ContentLength, body.length, `HEAD ${JSON.stringify(k)}`);
      }
    });

    it('ListObjectsV2 returns every key exactly, in UTF-8 binary order', async () => {
      const keys: string[] = [];
      let token: string | undefined;
      for (let i = 0; i < 50; i++) {
        const r = await s3.send(new ListObjectsV2Command({ Bucket: NB, MaxKeys: 7, ContinuationToken: token }));
        keys.push(...(r.Contents ?? []).map((c) => c.Key!));
        token = r.NextContinuationToken;
        if (!token) break;
      }
      const sorted = [...KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      assert.deepEqual(keys, sorted);
    });

    it('ListObjectsV2 with a prefix and delimiter on nasty keys', async () => {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: NB, Delimiter: '/' }));
      const prefixes = (r.CommonPrefixes ?? []).map((p) => p.Prefix).sort();
      assert.deepEqual(prefixes, ['../', './', '/', 'a/', 'trailing/'].sort());
      const q = await s3.send(new ListObjectsV2Command({ Bucket: NB, Prefix: 'question?' }));
      assert.deepEqual((q.Contents ?? []).map((c) => c.Key), ['question?mark']);
    });

    it('raw paths are not normalised: /bucket/../x is the key ../x, /bucket/a//b is a//b', async () => {
      const dots = await rawRequest(server.url, { method: 'GET', path: `/${NB}/../x` });
      assert.equal(dots.status, 200, dots.text);
      assert.ok(dots.body.equals(content('../x')));
      const dbl = await rawRequest(server.url, { method: 'GET', path: `/${NB}/a//b` });
      assert.equal(dbl.status, 200, dbl.text);
      assert.ok(dbl.body.equals(content('a//b')));
    });

    it('a 1025-byte key → KeyTooLongError (bytes, not characters)', async () => {
      for (const k of ['y'.repeat(1025), `${'\u00e9'.repeat(512)}a`]) {
        const e = await sdkError(s3.send(new PutObjectCommand({ Bucket: NB, Key: k, Body: 'x' })));
        assert.deepEqual([e.name, e.status], ['KeyTooLongError', 400], `key of ${Buffer.byteLength(k)} bytes`);
      }
      const raw = await rawRequest(server.url, { method: 'PUT', path: objectPath(NB, 'z'.repeat(1025)), body: 'x' });
      assertErrorShape(raw, 'KeyTooLongError', 400);
    });

    it('DeleteObject of each key, then DeleteObjects of all of them in one request', async () => {
      for (const k of KEYS) {
        await s3.send(new DeleteObjectCommand({ Bucket: NB, Key: k }));
        assert.equal(await sdkStatus(s3.send(new HeadObjectCommand({ Bucket: NB, Key: k }))), 404, `deleted ${JSON.stringify(k)}`);
      }
      assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: NB }))).KeyCount, 0);
      for (const k of KEYS) await s3.send(new PutObjectCommand({ Bucket: NB, Key: k, Body: content(k) }));
      const r = await s3.send(new DeleteObjectsCommand({ Bucket: NB, Delete: { Objects: KEYS.map((Key) => ({ Key })) } }));
      assert.deepEqual(r.Errors ?? [], []);
      assert.deepEqual((r.Deleted ?? []).map((d) => d.Key).sort(), [...KEYS].sort());
      assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: NB }))).KeyCount, 0);
    });
  });

  describe('error responses carry x-amz-request-id and an XML Code/Message/RequestId body', () => {
    const cases: Array<[string, () => RawRequest, string, number]> = [
      ['missing key', () => ({ method: 'GET', path: objectPath(B, 'no/such/key') }), 'NoSuchKey', 404],
      ['missing bucket', () => ({ method: 'GET', path: '/core-no-such-bucket' }), 'NoSuchBucket', 404],
      ['anonymous read of a private object', () => ({ method: 'GET', path: objectPath(B, 'body/string'), credentials: null }), 'AccessDenied', 403],
      ['wrong secret', () => ({ method: 'GET', path: objectPath(B, 'body/string'), credentials: { ...ROOT_CREDENTIALS, secretAccessKey: 'wrong' } }), 'SignatureDoesNotMatch', 403],
      ['unknown access key', () => ({ method: 'GET', path: objectPath(B, 'body/string'), credentials: { accessKeyId: 'AKIDUNKNOWN0000', secretAccessKey: 'x' } }), 'InvalidAccessKeyId', 403],
      ['invalid bucket name', () => ({ method: 'PUT', path: '/Invalid_Name' }), 'InvalidBucketName', 400],
      ['bucket already owned', () => ({ method: 'PUT', path: `/${B}` }), 'BucketAlreadyOwnedByYou', 409],
      ['non-empty bucket delete', () => ({ method: 'DELETE', path: `/${B}` }), 'BucketNotEmpty', 409],
      ['malformed DeleteObjects XML', () => ({ method: 'POST', path: `/${B}`, query: 'delete', body: '<Delete><Object><Key>a</Key></Object>', headers: { 'content-md5': Buffer.from(md5Hex('<Delete><Object><Key>a</Key></Object>'), 'hex').toString('base64') } }), 'MalformedXML', 400],
      ['?tagging sub-resource', () => ({ method: 'GET', path: objectPath(B, 'body/string'), query: 'tagging' }), 'NotImplemented', 501],
      ['content-sha256 mismatch', () => ({ method: 'PUT', path: objectPath(B, 'err/sha'), body: 'abc', payloadHash: 'e'.repeat(64) }), 'XAmzContentSHA256Mismatch', 400],
    ];
    for (const [name, req, code, status] of cases) {
      it(`${name} → ${status} ${code}`, async () => {
        assertErrorShape(await rawRequest(server.url, req()), code, status);
      });
    }

    it('each response gets its own request id', async () => {
      const a = await rawRequest(server.url, { method: 'GET', path: objectPath(B, 'no/such/key') });
      const b = await rawRequest(server.url, { method: 'GET', path: objectPath(B, 'no/such/key') });
      assert.notEqual(a.headers['x-amz-request-id'], b.headers['x-amz-request-id']);
    });
  });
});
