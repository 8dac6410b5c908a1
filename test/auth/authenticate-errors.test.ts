/** Malformed, foreign and anonymous requests: the right S3 error, never a crash. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authenticate } from '../../src/s3/auth/authenticate.ts';
import type { AuthRequest } from '../../src/s3/auth/types.ts';
import { isS3Error } from '../../src/s3/errors.ts';
import { AK, codeOf, EMPTY_SHA256, hmacHex, lookup, presign, sha256hex, signHeader, signingKeyOf, SK } from './helpers.ts';

const now = Date.now();
const opts = { region: 'us-east-1', now };
const run = (req: AuthRequest): string => codeOf(() => authenticate(req, lookup, opts));

const amzDate = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
const day = amzDate.slice(0, 8);
const cred = `${AK}/${day}/us-east-1/s3/aws4_request`;
const SIG = 'a'.repeat(64);
const headerReq = (authorization: string, extra: Record<string, string> = {}): AuthRequest => ({
  method: 'GET', rawPath: '/b/k', rawQuery: '',
  headers: { host: 'h', 'x-amz-date': amzDate, 'x-amz-content-sha256': EMPTY_SHA256, authorization, ...extra },
});

test('anonymous requests', () => {
  const r = authenticate({ method: 'GET', rawPath: '/b/k', rawQuery: 'versionId=1', headers: { host: 'h' } }, lookup, opts);
  assert.deepEqual(r, { principal: null, payload: { type: 'unsigned' }, presigned: false });
  // a declared body hash or aws-chunked framing is still honoured so the body decodes right
  const sha = authenticate({ method: 'PUT', rawPath: '/b/k', rawQuery: '', headers: { host: 'h', 'x-amz-content-sha256': EMPTY_SHA256 } }, lookup, opts);
  assert.deepEqual(sha.payload, { type: 'sha256', sha256: EMPTY_SHA256 });
  const chunked = authenticate({ method: 'PUT', rawPath: '/b/k', rawQuery: '', headers: { host: 'h', 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-decoded-content-length': '3' } }, lookup, opts);
  assert.deepEqual(chunked.payload, { type: 'streaming', signed: false, trailer: true, decodedLength: 3 });
  assert.equal(run({ method: 'PUT', rawPath: '/b/k', rawQuery: '', headers: { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' } }), 'AccessDenied');
  assert.equal(run({ method: 'PUT', rawPath: '/b/k', rawQuery: '', headers: { 'x-amz-content-sha256': 'nope' } }), 'InvalidArgument');
});

test('other auth schemes are refused clearly', () => {
  for (const a of ['AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=', 'Bearer abc', 'AWS4-ECDSA-P256-SHA256 Credential=x', 'Basic dXNlcjpwYXNz', '']) {
    assert.equal(run(headerReq(a)), 'InvalidRequest', a);
  }
  // SigV2 presigned URL
  assert.equal(run({ method: 'GET', rawPath: '/b/k', rawQuery: `AWSAccessKeyId=${AK}&Expires=1141889120&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D`, headers: {} }), 'InvalidRequest');
  // header and query auth at once
  assert.equal(run({ ...headerReq(`AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host, Signature=${SIG}`), rawQuery: 'X-Amz-Algorithm=AWS4-HMAC-SHA256' }), 'InvalidArgument');
});

test('malformed Authorization header → AuthorizationHeaderMalformed', () => {
  const cases = [
    'AWS4-HMAC-SHA256',
    `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host`,
    `AWS4-HMAC-SHA256 Credential=${cred}, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host, Signature=${SIG}, Extra=1`,
    `AWS4-HMAC-SHA256 Credential=${cred}, Credential=${cred}, SignedHeaders=host, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host;;x-amz-date, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${cred} SignedHeaders=host Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${AK}/${day}/us-east-1/s3, SignedHeaders=host, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${AK}/${day}/us-east-1/s3/aws4_request/x, SignedHeaders=host, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=/${day}/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${AK}/2013-05-24/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${AK}/${day}/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${AK}/${day}/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${AK}/${day}/us-east-1/s3/aws5_request, SignedHeaders=host, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=x-amz-date;x-amz-content-sha256, Signature=${SIG}`,
    `AWS4-HMAC-SHA256 Credential=${AK}/20000101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIG}`,
  ];
  for (const a of cases) assert.equal(run(headerReq(a)), 'AuthorizationHeaderMalformed', a);
});

test('component order and spacing are free', () => {
  // these parse and reach the signature check (a made-up signature cannot match)
  for (const a of [
    `AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=${SIG},Credential=${cred}`,
    `AWS4-HMAC-SHA256   Credential=${cred} ,  SignedHeaders=host;x-amz-content-sha256;x-amz-date , Signature=${SIG}`,
  ]) assert.equal(run(headerReq(a)), 'SignatureDoesNotMatch', a);
});

test('dates, payload hash header and key lookup', () => {
  const ok = `AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${SIG}`;
  const noDate = headerReq(ok);
  delete noDate.headers['x-amz-date'];
  assert.equal(run(noDate), 'AccessDenied');
  assert.equal(run(headerReq(ok, { 'x-amz-date': '2013-05-24T00:00:00Z' })), 'AccessDenied');
  assert.equal(run(headerReq(ok, { 'x-amz-date': `${day}T256000Z` })), 'AccessDenied');
  assert.equal(run(headerReq(ok, { 'x-amz-date': '20000101T000000Z' })), 'AuthorizationHeaderMalformed'); // credential date differs
  const skewedCred = `AWS4-HMAC-SHA256 Credential=${AK}/20000101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${SIG}`;
  assert.equal(run(headerReq(skewedCred, { 'x-amz-date': '20000101T000000Z' })), 'RequestTimeTooSkewed');
  assert.equal(run(headerReq(ok, { 'x-amz-content-sha256': 'STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD' })), 'InvalidArgument');
  assert.equal(run(headerReq(ok, { 'x-amz-content-sha256': 'abc' })), 'InvalidArgument');
  const noHash = headerReq(ok, { 'content-length': '5' });
  delete noHash.headers['x-amz-content-sha256'];
  assert.equal(run(noHash), 'InvalidRequest');
  assert.equal(run(headerReq(ok.replace(AK, 'AKIDNOBODY'))), 'InvalidAccessKeyId');
});

test('bad x-amz-decoded-content-length on a correctly signed streaming request', async () => {
  const req = await signHeader({ method: 'PUT', path: '/b/k', headers: { 'x-amz-decoded-content-length': '12x' } },
    { date: new Date(now), payload: 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' });
  assert.equal(run(req), 'InvalidArgument');
});

/** Signs by hand, the way a generic (non-S3) SigV4 client would: Date header, no x-amz-content-sha256. */
function genericSigned(dateHeader: string, signed: string[], payloadHash: string): AuthRequest {
  const ms = Date.parse(dateHeader);
  const stamp = new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const headers: Record<string, string> = { date: dateHeader, host: 'h' };
  const canonical = `GET\n/b/k\n\n${signed.map((h) => `${h}:${headers[h]}\n`).join('')}\n${signed.join(';')}\n${payloadHash}`;
  const scope = `${stamp.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const sig = hmacHex(signingKeyOf(SK, stamp.slice(0, 8), 'us-east-1'), `AWS4-HMAC-SHA256\n${stamp}\n${scope}\n${sha256hex(canonical)}`);
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${AK}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${sig}`;
  return { method: 'GET', rawPath: '/b/k', rawQuery: '', headers };
}

test('Date header instead of x-amz-date; no x-amz-content-sha256 on a bodiless request', () => {
  const date = new Date(now).toUTCString();
  const r = authenticate(genericSigned(date, ['date', 'host'], EMPTY_SHA256), lookup, opts);
  assert.deepEqual(r.payload, { type: 'sha256', sha256: EMPTY_SHA256 });
  assert.equal(run(genericSigned(date, ['date', 'host'], 'UNSIGNED-PAYLOAD')), 'SignatureDoesNotMatch');
  // the date the skew check trusts must be signed
  assert.equal(run(genericSigned(date, ['host'], EMPTY_SHA256)), 'AuthorizationHeaderMalformed');
  assert.equal(run(genericSigned(new Date(now - 3_600_000).toUTCString(), ['date', 'host'], EMPTY_SHA256)), 'RequestTimeTooSkewed');
});

test('presigned parameter errors', async () => {
  const req = await presign({ method: 'GET', path: '/b/k' }, { date: new Date(now), expiresIn: 60 });
  authenticate(req, lookup, opts);
  const drop = (name: string): AuthRequest => ({ ...req, rawQuery: req.rawQuery.split('&').filter((p) => !p.startsWith(`${name}=`)).join('&') });
  for (const p of ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
    assert.equal(run(drop(p)), 'AuthorizationQueryParametersError', p);
  }
  const swap = (from: RegExp, to: string): AuthRequest => ({ ...req, rawQuery: req.rawQuery.replace(from, to) });
  assert.equal(run(swap(/X-Amz-Algorithm=[^&]+/, 'X-Amz-Algorithm=AWS4-HMAC-SHA1')), 'AuthorizationQueryParametersError');
  assert.equal(run(swap(/X-Amz-Date=[^&]+/, 'X-Amz-Date=yesterday')), 'AuthorizationQueryParametersError');
  assert.equal(run(swap(/X-Amz-SignedHeaders=[^&]+/, 'X-Amz-SignedHeaders=x-amz-content-sha256')), 'AuthorizationQueryParametersError');
  assert.equal(run(swap(/%2Fus-east-1%2F/, '%2Fap-south-1%2F')), 'AuthorizationQueryParametersError');
  assert.equal(run({ ...req, rawQuery: `${req.rawQuery}&X-Amz-Date=${amzDate}` }), 'AuthorizationQueryParametersError');
  // Authorization header as well as a presigned query
  assert.equal(run({ ...req, headers: { ...req.headers, authorization: 'AWS4-HMAC-SHA256 x' } }), 'InvalidArgument');
});

test('errors carry S3 status codes', () => {
  for (const [a, status] of [['Bearer x', 400], [`AWS4-HMAC-SHA256 Credential=${cred}, SignedHeaders=host, Signature=${SIG}`, 403]] as const) {
    try {
      authenticate(headerReq(a), lookup, opts);
      assert.fail('no error');
    } catch (e) {
      assert.ok(isS3Error(e));
      assert.equal(e.status, status);
    }
  }
});
