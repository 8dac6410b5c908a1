/** Requests signed by @smithy/signature-v4 (the AWS SDK's signer) must authenticate; tampered ones must not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticate } from '../../src/s3/auth/authenticate.ts';
import type { AuthRequest } from '../../src/s3/auth/types.ts';
import { isS3Error, S3Error } from '../../src/s3/errors.ts';
import { ACCOUNT, AK, codeOf, encodeKeyPath, looseEncode, lookup, presign, type ShapeRequest, sha256hex, signHeader, smithySigner, strictEncode } from './helpers.ts';

const now = Date.now();
const opts = { region: 'us-east-1', now };

const KEYS = [
  'plain.txt', 'my file.txt', 'a+b=c&d', '100%.txt', '100%25', 'ünïcödé/日本語.txt', 'tilde~dash-under_dot.', "(paren)!*'$@:,;",
  'emoji-😀', 'dir/sub/', 'a//double', '#hash?q', 'space at end ', '%2F-not-a-slash',
];

const SHAPES: Array<[string, ShapeRequest]> = [
  ...KEYS.map((k): [string, ShapeRequest] => [`GET key ${JSON.stringify(k)}`, { method: 'GET', path: `/bucket/${encodeKeyPath(k)}` }]),
  ['GET ?torrent=', { method: 'GET', path: '/bucket/file.bin', query: { torrent: '' } }],
  ['GET ?torrent (bare)', { method: 'GET', path: '/bucket/file.bin', query: { torrent: null } }],
  ['POST ?uploads (bare)', { method: 'POST', path: '/bucket/big.bin', query: { uploads: null } }],
  ['PUT ?partNumber&uploadId', { method: 'PUT', path: '/bucket/big.bin', query: { partNumber: '3', uploadId: 'abc+/=DEF~' } }],
  ['GET list-type=2 with awkward values', {
    method: 'GET', path: '/bucket',
    query: { 'list-type': '2', prefix: 'a b+c/ü', delimiter: '/', 'start-after': "x!y*z'(1)", 'continuation-token': 'tok==', 'encoding-type': 'url', 'fetch-owner': '' },
  }],
  ['GET list, loose client encoding (bare !*\'(), lower-case escapes)', {
    method: 'GET', path: '/bucket', encode: looseEncode, query: { prefix: "it's (a) * test! ü", 'max-keys': '5' },
  }],
  ['GET versions with empty values', { method: 'GET', path: '/bucket', query: { versions: '', 'key-marker': '', 'version-id-marker': '' } }],
  ['GET root', { method: 'GET', path: '/' }],
  ['HEAD bucket', { method: 'HEAD', path: '/bucket' }],
  ['PUT with metadata headers (spaces collapse)', {
    method: 'PUT', path: '/bucket/meta.txt',
    headers: { 'x-amz-meta-note': '  two   spaces  inside ', 'content-type': 'text/plain; charset=utf-8', 'x-amz-acl': 'public-read', 'cache-control': 'no-cache' },
  }],
  ['DELETE with version id', { method: 'DELETE', path: '/bucket/k', query: { versionId: '3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo' } }],
];

for (const [name, shape] of SHAPES) {
  test(`header auth accepts smithy-signed: ${name}`, async () => {
    const req = await signHeader(shape, { date: new Date(now) });
    const r = authenticate(req, lookup, opts);
    assert.deepEqual(r.principal, { accessKeyId: AK, accountId: ACCOUNT });
    assert.equal(r.presigned, false);
  });
  test(`presigned accepts smithy-presigned: ${name}`, async () => {
    const req = await presign(shape, { date: new Date(now), expiresIn: 3600 });
    const r = authenticate(req, lookup, opts);
    assert.deepEqual(r.principal, { accessKeyId: AK, accountId: ACCOUNT });
    assert.equal(r.presigned, true);
    assert.deepEqual(r.payload, { type: 'unsigned' });
  });
}

test('PUT with a body hash: payload mode sha256', async () => {
  const hash = sha256hex('hello');
  const req = await signHeader({ method: 'PUT', path: '/bucket/h.txt', headers: { 'content-length': '5' } }, { date: new Date(now), payload: hash });
  assert.deepEqual(authenticate(req, lookup, opts).payload, { type: 'sha256', sha256: hash });
  const unsigned = await signHeader({ method: 'PUT', path: '/bucket/h.txt' }, { date: new Date(now), payload: 'UNSIGNED-PAYLOAD' });
  assert.deepEqual(authenticate(unsigned, lookup, opts).payload, { type: 'unsigned' });
});

test('streaming payload modes from x-amz-content-sha256', async () => {
  const cases: Array<[string, boolean, boolean]> = [
    ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', true, false],
    ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', true, true],
    ['STREAMING-UNSIGNED-PAYLOAD-TRAILER', false, true],
  ];
  for (const [payload, signed, trailer] of cases) {
    const req = await signHeader({ method: 'PUT', path: '/bucket/s', headers: { 'x-amz-decoded-content-length': '123', 'content-encoding': 'aws-chunked' } },
      { date: new Date(now), payload });
    const mode = authenticate(req, lookup, opts).payload;
    assert.equal(mode.type, 'streaming');
    if (mode.type !== 'streaming') return;
    assert.equal(mode.signed, signed);
    assert.equal(mode.trailer, trailer);
    assert.equal(mode.decodedLength, 123);
    if (signed) {
      assert.equal(mode.seedSignature, /Signature=([0-9a-f]{64})/.exec(String(req.headers.authorization))?.[1]);
      assert.equal(mode.amzDate, req.headers['x-amz-date']);
      assert.equal(mode.scope, `${String(req.headers['x-amz-date']).slice(0, 8)}/us-east-1/s3/aws4_request`);
      assert.ok(mode.signingKey instanceof Buffer);
    }
  }
});

test('server region other than us-east-1', async () => {
  const req = await signHeader({ method: 'GET', path: '/b/k' }, { date: new Date(now), signer: smithySigner({ region: 'eu-west-3' }) });
  authenticate(req, lookup, { region: 'eu-west-3', now });
  let err: unknown;
  try { authenticate(req, lookup, opts); } catch (e) { err = e; }
  assert.ok(isS3Error(err));
  assert.equal(err.code, 'AuthorizationHeaderMalformed');
  assert.match(err.message, /the region 'eu-west-3' is wrong; expecting 'us-east-1'/);
  assert.equal(err.details.Region, 'us-east-1');
});

// ---- tampering: one thing changed → the right error ----

const base: ShapeRequest = { method: 'PUT', path: '/bucket/some%20key.txt', query: { tagging: '' }, headers: { 'x-amz-meta-a': 'b', 'content-type': 'text/plain' } };

function expectError(req: AuthRequest, code: string, o = opts): S3Error {
  let err: unknown;
  try { authenticate(req, lookup, o); } catch (e) { err = e; }
  assert.ok(isS3Error(err), `expected ${code}, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return err;
}

const flipLastHex = (s: string): string => s.slice(0, -1) + (s.endsWith('0') ? '1' : '0');
const withHeaders = (req: AuthRequest, h: Record<string, string>): AuthRequest => ({ ...req, headers: { ...req.headers, ...h } });

test('header auth tampering', async () => {
  const req = await signHeader(base, { date: new Date(now) });
  authenticate(req, lookup, opts);
  const authz = String(req.headers.authorization);

  const sigErr = expectError(withHeaders(req, { authorization: flipLastHex(authz) }), 'SignatureDoesNotMatch');
  assert.ok(sigErr.details.CanonicalRequest?.startsWith('PUT\n/bucket/some%20key.txt\ntagging=\n'));
  expectError(withHeaders(req, { authorization: authz.replace(/Signature=\w+/, 'Signature=' + 'A'.repeat(64)) }), 'SignatureDoesNotMatch');
  expectError(withHeaders(req, { authorization: authz.replace(/Signature=\w+/, 'Signature=abc') }), 'SignatureDoesNotMatch');
  expectError(withHeaders(req, { 'x-amz-meta-a': 'c' }), 'SignatureDoesNotMatch');
  expectError(withHeaders(req, { 'content-type': 'text/html' }), 'SignatureDoesNotMatch');
  expectError({ ...req, rawPath: '/bucket/some%20key.txT' }, 'SignatureDoesNotMatch');
  expectError({ ...req, rawPath: '/bucket/some+key.txt' }, 'SignatureDoesNotMatch');
  expectError({ ...req, method: 'POST' }, 'SignatureDoesNotMatch');
  expectError({ ...req, rawQuery: 'tagging=x' }, 'SignatureDoesNotMatch');
  expectError({ ...req, rawQuery: 'tagging&acl' }, 'SignatureDoesNotMatch');
  expectError({ ...req, rawQuery: '' }, 'SignatureDoesNotMatch');
  // unknown key, wrong secret
  const otherKey = await signHeader(base, { date: new Date(now), signer: smithySigner({ accessKeyId: 'AKIDUNKNOWN' }) });
  assert.equal(expectError(otherKey, 'InvalidAccessKeyId').details.AWSAccessKeyId, 'AKIDUNKNOWN');
  expectError(await signHeader(base, { date: new Date(now), signer: smithySigner({ secret: SK_WRONG }) }), 'SignatureDoesNotMatch');
  // x-amz-date changed (still within skew) breaks the signature, and the credential date must match it
  const later = new Date(now + 60_000).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  expectError(withHeaders(req, { 'x-amz-date': later }), 'SignatureDoesNotMatch');
  // unsigned x-amz-* header added on the way
  const unsigned = expectError(withHeaders(req, { 'x-amz-acl': 'public-read-write' }), 'AccessDenied');
  assert.equal(unsigned.details.HeadersNotSigned, 'x-amz-acl');
  // headers outside x-amz-* that were not signed may change freely
  authenticate(withHeaders(req, { 'user-agent': 'something else', accept: '*/*' }), lookup, opts);
});

const SK_WRONG = 'not-the-secret';

test('clock skew: 15 minutes either way', async () => {
  for (const [offset, ok] of [[14 * 60_000, true], [-14 * 60_000, true], [16 * 60_000, false], [-16 * 60_000, false]] as const) {
    const req = await signHeader(base, { date: new Date(now + offset) });
    if (ok) authenticate(req, lookup, opts);
    else assert.equal(expectError(req, 'RequestTimeTooSkewed').details.MaxAllowedSkewMilliseconds, '900000');
  }
});

test('a double-encoding signer (non-S3 SigV4) does not match S3 canonicalisation', async () => {
  const shape = { method: 'GET', path: '/bucket/my%20file.txt' };
  authenticate(await signHeader(shape, { date: new Date(now) }), lookup, opts);
  expectError(await signHeader(shape, { date: new Date(now), signer: smithySigner({ uriEscapePath: true }) }), 'SignatureDoesNotMatch');
});

test('a client that signs its raw path (lower-case escape) is accepted, as is the strict form', async () => {
  // smithy signs the S3 path verbatim: here the path as sent, with a lower-case escape
  authenticate(await signHeader({ method: 'GET', path: '/bucket/a%2bb' }, { date: new Date(now) }), lookup, opts);
  // and a path with bare sub-delims signed in strict canonical form, sent raw
  const strict = await signHeader({ method: 'GET', path: '/bucket/%28x%29%21' }, { date: new Date(now) });
  authenticate({ ...strict, rawPath: '/bucket/(x)!' }, lookup, opts);
  // still the same object: a different byte is rejected
  expectError({ ...strict, rawPath: '/bucket/(x)?' }, 'SignatureDoesNotMatch');
});

test('presigned tampering and expiry', async () => {
  const req = await presign(base, { date: new Date(now), expiresIn: 600 });
  authenticate(req, lookup, opts);
  const swap = (from: RegExp, to: string): AuthRequest => ({ ...req, rawQuery: req.rawQuery.replace(from, to) });
  expectError(swap(/X-Amz-Signature=(\w+)/, `X-Amz-Signature=${flipLastHex(/X-Amz-Signature=(\w+)/.exec(req.rawQuery)?.[1] ?? '')}`), 'SignatureDoesNotMatch');
  expectError(swap(/X-Amz-Expires=600/, 'X-Amz-Expires=601'), 'SignatureDoesNotMatch');
  expectError(swap(/tagging=/, 'tagging=1'), 'SignatureDoesNotMatch');
  expectError({ ...req, rawQuery: req.rawQuery + '&extra=1' }, 'SignatureDoesNotMatch');
  expectError(withHeaders(req, { host: 'evil.example' }), 'SignatureDoesNotMatch');
  expectError(withHeaders(req, { 'content-type': 'text/html' }), 'SignatureDoesNotMatch');
  // smithy hoists x-amz-* headers into the query: there they are signed, as headers they would not be
  assert.match(req.rawQuery, /x-amz-meta-a=b/);
  expectError(swap(/x-amz-meta-a=b/, 'x-amz-meta-a=c'), 'SignatureDoesNotMatch');
  expectError(withHeaders(req, { 'x-amz-meta-a': 'b' }), 'AccessDenied');
  expectError(withHeaders(req, { 'x-amz-acl': 'public-read' }), 'AccessDenied');

  authenticate(req, lookup, { region: 'us-east-1', now: now + 599_000 });
  const expired = expectError(req, 'AccessDenied', { region: 'us-east-1', now: now + 601_000 });
  assert.equal(expired.message, 'Request has expired');
  for (const bad of ['0', '604801', '-1', 'abc', '']) {
    expectError(swap(/X-Amz-Expires=600/, `X-Amz-Expires=${bad}`), 'AuthorizationQueryParametersError');
  }
  const week = await presign(base, { date: new Date(now), expiresIn: 604800 });
  authenticate(week, lookup, { region: 'us-east-1', now: now + 604_799_000 });
  expectError(await presign(base, { date: new Date(now), signer: smithySigner({ accessKeyId: 'AKIDUNKNOWN' }) }), 'InvalidAccessKeyId');
  expectError(await presign(base, { date: new Date(now), signer: smithySigner({ region: 'us-west-2' }) }), 'AuthorizationQueryParametersError');
  // dated far in the future: not valid yet
  expectError(await presign(base, { date: new Date(now + 3_600_000), expiresIn: 600 }), 'AccessDenied');
});

test('strict and loose client query encodings are the same signed request', async () => {
  const shape: ShapeRequest = { method: 'GET', path: '/bucket', query: { prefix: "a b!c*d'e(f)", marker: 'ü~' } };
  const strict = await signHeader(shape, { date: new Date(now) });
  const loose = await signHeader({ ...shape, encode: looseEncode }, { date: new Date(now) });
  assert.notEqual(strict.rawQuery, loose.rawQuery);
  assert.equal(strict.headers.authorization, loose.headers.authorization);
  authenticate(strict, lookup, opts);
  authenticate(loose, lookup, opts);
  assert.equal(strictEncode('ü'), '%C3%BC');
});

test("a bare '+' in the query is a space (URLSearchParams-style URLs); a literal plus must be %2B", async () => {
  const formEncode = (s: string): string => new URLSearchParams({ x: s }).toString().slice(2);
  assert.equal(formEncode('a b+c'), 'a+b%2Bc');
  const shape: ShapeRequest = { method: 'GET', path: '/bucket/k', query: { 'response-content-disposition': 'attachment; filename="a b.txt"', prefix: 'x y+z' } };
  authenticate(await presign({ ...shape, encode: formEncode }, { date: new Date(now) }), lookup, opts);
  authenticate(await signHeader({ ...shape, encode: formEncode }, { date: new Date(now) }), lookup, opts);
  // signed as a literal plus but sent bare: the server would read a space, so it must not verify
  const literal = await signHeader({ method: 'GET', path: '/bucket', query: { prefix: 'a+b' } }, { date: new Date(now) });
  assert.match(literal.rawQuery, /prefix=a%2Bb/);
  expectError({ ...literal, rawQuery: 'prefix=a+b' }, 'SignatureDoesNotMatch');
});
