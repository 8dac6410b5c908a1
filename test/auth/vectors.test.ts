/**
 * Fixed vectors published in the AWS S3 SigV4 documentation (sig-v4-header-based-auth,
 * sigv4-query-string-auth, sigv4-streaming, sigv4-streaming-trailers): example credentials
 * AKIAIOSFODNN7EXAMPLE, timestamp 20130524T000000Z, region us-east-1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticate } from '../../src/s3/auth/authenticate.ts';
import type { AuthRequest } from '../../src/s3/auth/types.ts';
import { ACCOUNT, AK, buildChunked, codeOf, EMPTY_SHA256, errCode, lookup, runBody, signingKeyOf, SK, split } from './helpers.ts';

const NOW = Date.UTC(2013, 4, 24, 0, 0, 0);
const opts = { region: 'us-east-1', now: NOW };
const auth = (signedHeaders: string, signature: string): string =>
  `AWS4-HMAC-SHA256 Credential=${AK}/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${signature}`;
const HOST = 'examplebucket.s3.amazonaws.com';

test('doc: GET Object (Range header)', () => {
  const req: AuthRequest = {
    method: 'GET', rawPath: '/test.txt', rawQuery: '',
    headers: {
      host: HOST, range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_SHA256, 'x-amz-date': '20130524T000000Z',
      authorization: auth('host;range;x-amz-content-sha256;x-amz-date', 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'),
    },
  };
  const r = authenticate(req, lookup, opts);
  assert.deepEqual(r.principal, { accessKeyId: AK, accountId: ACCOUNT });
  assert.deepEqual(r.payload, { type: 'sha256', sha256: EMPTY_SHA256 });
  assert.equal(r.presigned, false);
  // one changed signed header value breaks it
  assert.equal(codeOf(() => authenticate({ ...req, headers: { ...req.headers, range: 'bytes=0-8' } }, lookup, opts)), 'SignatureDoesNotMatch');
});

test('doc: PUT Object — raw path /test$file.text is signed as /test%24file.text', async () => {
  const headers = {
    date: 'Fri, 24 May 2013 00:00:00 GMT', host: HOST, 'x-amz-date': '20130524T000000Z', 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
    'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
    authorization: auth('date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class', '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd'),
  };
  for (const rawPath of ['/test$file.text', '/test%24file.text']) {
    const req: AuthRequest = { method: 'PUT', rawPath, rawQuery: '', headers };
    const r = authenticate(req, lookup, opts);
    assert.deepEqual(r.payload, { type: 'sha256', sha256: '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072' });
    const ok = await runBody(split(Buffer.from('Welcome to Amazon S3.'), [3]), req, r);
    assert.equal(ok.ended, true);
    assert.equal(ok.data.toString(), 'Welcome to Amazon S3.');
    const bad = await runBody([Buffer.from('Welcome to Amazon S3!')], req, r);
    assert.equal(errCode(bad), 'XAmzContentSHA256Mismatch');
    assert.equal(bad.ended, false);
  }
});

test('doc: GET Bucket lifecycle (?lifecycle, bare parameter) and list objects (sorted query)', () => {
  const headers = { host: HOST, 'x-amz-date': '20130524T000000Z', 'x-amz-content-sha256': EMPTY_SHA256 };
  const lifecycle = auth('host;x-amz-content-sha256;x-amz-date', 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  for (const rawQuery of ['lifecycle', 'lifecycle=']) {
    authenticate({ method: 'GET', rawPath: '/', rawQuery, headers: { ...headers, authorization: lifecycle } }, lookup, opts);
  }
  const list = auth('host;x-amz-content-sha256;x-amz-date', '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  for (const rawQuery of ['max-keys=2&prefix=J', 'prefix=J&max-keys=2', 'prefix=%4A&max-keys=2']) {
    authenticate({ method: 'GET', rawPath: '/', rawQuery, headers: { ...headers, authorization: list } }, lookup, opts);
  }
  assert.equal(codeOf(() => authenticate({ method: 'GET', rawPath: '/', rawQuery: 'max-keys=3&prefix=J', headers: { ...headers, authorization: list } }, lookup, opts)), 'SignatureDoesNotMatch');
});

test('doc: presigned GET Object, 86400 s', () => {
  const rawQuery = 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request'
    + '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host'
    + '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
  const req: AuthRequest = { method: 'GET', rawPath: '/test.txt', rawQuery, headers: { host: HOST } };
  const r = authenticate(req, lookup, { region: 'us-east-1', now: NOW + 86_399_000 });
  assert.equal(r.presigned, true);
  assert.deepEqual(r.payload, { type: 'unsigned' });
  assert.equal(codeOf(() => authenticate(req, lookup, { region: 'us-east-1', now: NOW + 86_401_000 })), 'AccessDenied');
  assert.equal(codeOf(() => authenticate({ ...req, rawPath: '/test.txu' }, lookup, opts)), 'SignatureDoesNotMatch');
});

const A65 = Buffer.alloc(66560, 'a');
const KEY = signingKeyOf(SK, '20130524', 'us-east-1');
const SCOPE = '20130524/us-east-1/s3/aws4_request';

function streamingRequest(payload: string, signedHeaders: string, seed: string, extra: Record<string, string> = {}): AuthRequest {
  return {
    method: 'PUT', rawPath: '/examplebucket/chunkObject.txt', rawQuery: '',
    headers: {
      host: 's3.amazonaws.com', 'x-amz-date': '20130524T000000Z', 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'x-amz-content-sha256': payload, 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': '66560',
      'content-length': '66824', ...extra, authorization: auth(signedHeaders, seed),
    },
  };
}

test('doc: chunked upload, 66560 bytes in 64 KiB chunks, published seed and chunk signatures', async () => {
  const seed = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
  const req = streamingRequest('STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
    'content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class', seed);
  const r = authenticate(req, lookup, opts);
  assert.equal(r.payload.type, 'streaming');
  assert.deepEqual(r.payload.type === 'streaming' && [r.payload.signed, r.payload.trailer, r.payload.decodedLength, r.payload.seedSignature],
    [true, false, 66560, seed]);

  const published = [
    'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
    '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
    'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
  ];
  const body = Buffer.concat([
    Buffer.from(`10000;chunk-signature=${published[0]}\r\n`), A65.subarray(0, 65536), Buffer.from('\r\n'),
    Buffer.from(`400;chunk-signature=${published[1]}\r\n`), A65.subarray(65536), Buffer.from('\r\n'),
    Buffer.from(`0;chunk-signature=${published[2]}\r\n\r\n`),
  ]);
  assert.equal(body.length, 66824); // the documented Content-Length
  // the test's own chunk builder reproduces the published body byte for byte
  const built = buildChunked(A65, [65536, 1024], { signing: { key: KEY, amzDate: '20130524T000000Z', scope: SCOPE, seed } });
  assert.deepEqual(built.signatures, published);
  assert.ok(built.body.equals(body));

  for (const pieces of [[body], split(body, [1]), split(body, { max: 9000, seed: 7 })]) {
    const out = await runBody(pieces, req, r);
    assert.equal(out.error, undefined);
    assert.equal(out.ended, true);
    assert.ok(out.data.equals(A65));
  }
  const wrongSecond = Buffer.from(body.toString('latin1').replace(published[1]!, published[0]!), 'latin1');
  const out = await runBody([wrongSecond], req, r);
  assert.equal(errCode(out), 'SignatureDoesNotMatch');
  assert.equal(out.ended, false);
});

test('doc: chunked upload with a signed CRC32C trailer', async () => {
  const seed = '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e';
  const req = streamingRequest('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
    'content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer', seed,
    { 'x-amz-trailer': 'x-amz-checksum-crc32c' });
  const r = authenticate(req, lookup, opts);
  const tail = 'x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n';
  const bodyOf = (trailer: string, blank: string): Buffer => Buffer.concat([
    Buffer.from('10000;chunk-signature=b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2\r\n'), A65.subarray(0, 65536),
    Buffer.from('\r\n400;chunk-signature=1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7\r\n'), A65.subarray(65536),
    Buffer.from(`\r\n0;chunk-signature=2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992\r\n${blank}${trailer}`),
  ]);
  // with and without the blank line the AWS page shows between the final chunk and the trailer
  for (const blank of ['', '\r\n']) {
    const out = await runBody(split(bodyOf(tail, blank), { max: 5000, seed: 3 }), req, r);
    assert.equal(out.error, undefined);
    assert.ok(out.data.equals(A65));
    assert.deepEqual(out.checksum, { algorithm: 'CRC32C', value: 'sOO8/Q==' });
  }
  // the trailer value is covered by the trailer signature
  const forged = await runBody([bodyOf(tail.replace('sOO8/Q==', 'sOO8/A=='), '')], req, r);
  assert.equal(errCode(forged), 'SignatureDoesNotMatch');
  assert.equal(forged.ended, false);
  const unsignedTrailer = await runBody([bodyOf('x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n', '')], req, r);
  assert.equal(errCode(unsignedTrailer), 'SignatureDoesNotMatch');
});
