// Bucket CORS end to end: Put/Get/DeleteBucketCors through the SDK, OPTIONS preflights (unauthenticated,
// as browsers send them) allowed and refused, and actual GETs — anonymous and signed, whole and ranged —
// carrying Access-Control-Allow-Origin and Access-Control-Expose-Headers so that a browser script may read
// Content-Range, Content-Length, ETag and Accept-Ranges.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand, DeleteBucketCorsCommand, GetBucketCorsCommand, PutBucketCorsCommand, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { attempt, clientFor, createAccount, rawCall, rootAccount, type Account, type RawReply } from './harness.ts';

const APP = 'https://app.example';
const EXPOSED = ['Content-Range', 'Content-Length', 'ETag', 'Accept-Ranges'];
const BODY = 'x'.repeat(1000);

function exposed(r: RawReply): string[] {
  return String(r.headers['access-control-expose-headers'] ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
}

describe('bucket CORS: configuration, preflight, and headers on actual requests', () => {
  let server: TestServer;
  let A: Account;
  let B: Account;
  let a: S3Client;
  let b: S3Client;
  const bucket = 'cors-bucket';

  before(async () => {
    server = await startTestServer();
    A = await rootAccount(server);
    B = await createAccount(server, 'cors-other');
    a = clientFor(server, A);
    b = clientFor(server, B);
    await a.send(new CreateBucketCommand({ Bucket: bucket, ACL: 'public-read' }));
    await a.send(new PutObjectCommand({ Bucket: bucket, Key: 'page.bin', Body: BODY, ACL: 'public-read' }));
    await a.send(new PutObjectCommand({ Bucket: bucket, Key: 'private.bin', Body: BODY }));
  });

  after(async () => {
    for (const c of [a, b]) c?.destroy();
    if (server) { await server.stop(); server.cleanup(); }
  });

  const preflight = (path: string, headers: Record<string, string>) => rawCall(server.url, { method: 'OPTIONS', path, account: null, headers });

  it('without a configuration: GetBucketCors 404, preflight 403, actual requests carry no CORS headers', async () => {
    assert.deepEqual(await attempt(() => a.send(new GetBucketCorsCommand({ Bucket: bucket }))), { ok: false, status: 404, code: 'NoSuchCORSConfiguration' });
    const r = await preflight(`/${bucket}/page.bin`, { origin: APP, 'access-control-request-method': 'GET' });
    assert.deepEqual([r.status, r.code], [403, 'AccessForbidden'], r.text);
    const get = await rawCall(server.url, { method: 'GET', path: `/${bucket}/page.bin`, account: null, headers: { origin: APP } });
    assert.equal(get.status, 200);
    assert.equal(get.headers['access-control-allow-origin'], undefined);
  });

  it('only the bucket owner may put, get or delete the configuration', async () => {
    const cfg = { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET'] }] };
    assert.deepEqual(await attempt(() => b.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: cfg }))), { ok: false, status: 403, code: 'AccessDenied' });
    const anon = await rawCall(server.url, { method: 'GET', path: `/${bucket}`, query: [['cors', '']], account: null });
    assert.deepEqual([anon.status, anon.code], [403, 'AccessDenied']);
    assert.deepEqual(await attempt(() => a.send(new GetBucketCorsCommand({ Bucket: bucket }))), { ok: false, status: 404, code: 'NoSuchCORSConfiguration' }, 'refused put stored nothing');
  });

  it('PutBucketCors / GetBucketCors round trip', async () => {
    await a.send(new PutBucketCorsCommand({
      Bucket: bucket,
      CORSConfiguration: {
        CORSRules: [
          { ID: 'app', AllowedOrigins: [APP], AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['range', 'x-amz-*'], ExposeHeaders: EXPOSED, MaxAgeSeconds: 600 },
          { ID: 'uploader', AllowedOrigins: ['https://*.uploads.example'], AllowedMethods: ['PUT'], AllowedHeaders: ['*'] },
        ],
      },
    }));
    const got = await a.send(new GetBucketCorsCommand({ Bucket: bucket }));
    assert.equal(got.CORSRules?.length, 2);
    const [app, up] = got.CORSRules!;
    assert.deepEqual({ ...app }, { ID: 'app', AllowedOrigins: [APP], AllowedMethods: ['GET', 'HEAD'], AllowedHeaders: ['range', 'x-amz-*'], ExposeHeaders: EXPOSED, MaxAgeSeconds: 600 });
    assert.deepEqual(up?.AllowedOrigins, ['https://*.uploads.example']);
    assert.deepEqual(up?.AllowedMethods, ['PUT']);
    // B still cannot read it.
    assert.deepEqual(await attempt(() => b.send(new GetBucketCorsCommand({ Bucket: bucket }))), { ok: false, status: 403, code: 'AccessDenied' });
  });

  it('an allowed preflight is answered from the matching rule', async () => {
    const r = await preflight(`/${bucket}/page.bin`, { origin: APP, 'access-control-request-method': 'GET', 'access-control-request-headers': 'Range, X-Amz-Date' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['access-control-allow-origin'], APP);
    assert.equal(r.headers['access-control-allow-methods'], 'GET, HEAD');
    assert.equal(r.headers['access-control-allow-headers'], 'range, x-amz-date');
    assert.equal(r.headers['access-control-max-age'], '600');
    assert.equal(r.headers['access-control-allow-credentials'], 'true');
    assert.match(String(r.headers['vary']), /Origin/);
    assert.deepEqual(exposed(r), EXPOSED.map((h) => h.toLowerCase()));
    // The wildcard-origin rule for PUT.
    const put = await preflight(`/${bucket}/new-upload`, { origin: 'https://eu.uploads.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.headers['access-control-allow-origin'], 'https://eu.uploads.example');
    assert.equal(put.headers['access-control-allow-methods'], 'PUT');
    // A preflight on the bucket itself.
    assert.equal((await preflight(`/${bucket}`, { origin: APP, 'access-control-request-method': 'HEAD' })).status, 200);
  });

  it('refused preflights: other origin, method, header; no Origin; no such bucket', async () => {
    const refusals: Array<[string, string, Record<string, string>, number, string]> = [
      ['other origin', `/${bucket}/page.bin`, { origin: 'https://evil.example', 'access-control-request-method': 'GET' }, 403, 'AccessForbidden'],
      ['origin differing in scheme', `/${bucket}/page.bin`, { origin: 'http://app.example', 'access-control-request-method': 'GET' }, 403, 'AccessForbidden'],
      ['method not in the rule', `/${bucket}/page.bin`, { origin: APP, 'access-control-request-method': 'DELETE' }, 403, 'AccessForbidden'],
      ['PUT from the app origin', `/${bucket}/page.bin`, { origin: APP, 'access-control-request-method': 'PUT' }, 403, 'AccessForbidden'],
      ['header not allowed', `/${bucket}/page.bin`, { origin: APP, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' }, 403, 'AccessForbidden'],
      ['wildcard needs a subdomain', `/${bucket}/x`, { origin: 'https://uploads.example', 'access-control-request-method': 'PUT' }, 403, 'AccessForbidden'],
      ['no Origin', `/${bucket}/page.bin`, { 'access-control-request-method': 'GET' }, 400, 'BadRequest'],
      ['no such bucket', '/no-such-cors-bucket/page.bin', { origin: APP, 'access-control-request-method': 'GET' }, 403, 'AccessForbidden'],
    ];
    for (const [what, path, headers, status, code] of refusals) {
      const r = await preflight(path, headers);
      assert.deepEqual([r.status, r.code], [status, code], `${what}: ${r.text}`);
      assert.equal(r.headers['access-control-allow-origin'], undefined, what);
    }
  });

  it('actual GETs from an allowed origin carry Allow-Origin and Expose-Headers (anonymous and signed, whole and ranged)', async () => {
    const calls: Array<[string, Parameters<typeof rawCall>[1]]> = [
      ['anonymous GET', { method: 'GET', path: `/${bucket}/page.bin`, account: null, headers: { origin: APP } }],
      ['anonymous ranged GET', { method: 'GET', path: `/${bucket}/page.bin`, account: null, headers: { origin: APP, range: 'bytes=10-19' } }],
      ['signed GET of a private object', { method: 'GET', path: `/${bucket}/private.bin`, account: A, headers: { origin: APP } }],
      ['anonymous HEAD', { method: 'HEAD', path: `/${bucket}/page.bin`, account: null, headers: { origin: APP } }],
    ];
    for (const [what, call] of calls) {
      const r = await rawCall(server.url, call);
      assert.ok(r.status === 200 || r.status === 206, `${what}: ${r.status}`);
      assert.equal(r.headers['access-control-allow-origin'], APP, what);
      assert.deepEqual(exposed(r), EXPOSED.map((h) => h.toLowerCase()), what);
      // The exposed headers are really there for the script to read.
      assert.ok(r.headers['etag'] && r.headers['content-length'] && r.headers['accept-ranges'], what);
    }
    const ranged = await rawCall(server.url, calls[1]![1]);
    assert.equal(ranged.status, 206);
    assert.equal(ranged.headers['content-range'], `bytes 10-19/${BODY.length}`);
    assert.equal(ranged.text, BODY.slice(10, 20));
  });

  it('actual requests from other origins get no CORS headers, but are still served by the ACL', async () => {
    const r = await rawCall(server.url, { method: 'GET', path: `/${bucket}/page.bin`, account: null, headers: { origin: 'https://evil.example' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
    assert.equal(r.headers['access-control-expose-headers'], undefined);
    // CORS is not authorization: a private object stays private to an allowed origin, which can read why.
    const priv = await rawCall(server.url, { method: 'GET', path: `/${bucket}/private.bin`, account: null, headers: { origin: APP } });
    assert.deepEqual([priv.status, priv.code], [403, 'AccessDenied']);
    assert.equal(priv.headers['access-control-allow-origin'], APP, 'error answers carry the CORS headers too');
    const missing = await rawCall(server.url, { method: 'GET', path: `/${bucket}/no-such.bin`, account: A, headers: { origin: APP } });
    assert.deepEqual([missing.status, missing.code, missing.headers['access-control-allow-origin']], [404, 'NoSuchKey', APP]);
    const evil = await rawCall(server.url, { method: 'GET', path: `/${bucket}/private.bin`, account: null, headers: { origin: 'https://evil.example' } });
    assert.deepEqual([evil.status, evil.headers['access-control-allow-origin']], [403, undefined]);
    // No Origin, no CORS headers.
    const plain = await rawCall(server.url, { method: 'GET', path: `/${bucket}/page.bin`, account: null });
    assert.equal(plain.headers['access-control-allow-origin'], undefined);
  });

  it('DeleteBucketCors: preflights are refused again', async () => {
    await a.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    assert.deepEqual(await attempt(() => a.send(new GetBucketCorsCommand({ Bucket: bucket }))), { ok: false, status: 404, code: 'NoSuchCORSConfiguration' });
    const r = await preflight(`/${bucket}/page.bin`, { origin: APP, 'access-control-request-method': 'GET' });
    assert.deepEqual([r.status, r.code], [403, 'AccessForbidden']);
    const get = await rawCall(server.url, { method: 'GET', path: `/${bucket}/page.bin`, account: null, headers: { origin: APP } });
    assert.equal(get.headers['access-control-allow-origin'], undefined);
  });

  it('invalid configurations are refused', async () => {
    const put = (body: string) => rawCall(server.url, { method: 'PUT', path: `/${bucket}`, query: [['cors', '']], account: A, body });
    const bad = await put('<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>');
    assert.deepEqual([bad.status, bad.code], [400, 'InvalidRequest']);
    const noOrigin = await put('<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>');
    assert.deepEqual([noOrigin.status, noOrigin.code], [400, 'MalformedXML']);
    const exposeWildcard = await put('<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><ExposeHeader>*</ExposeHeader></CORSRule></CORSConfiguration>');
    assert.deepEqual([exposeWildcard.status, exposeWildcard.code], [400, 'InvalidRequest']);
    assert.deepEqual(await attempt(() => a.send(new GetBucketCorsCommand({ Bucket: bucket }))), { ok: false, status: 404, code: 'NoSuchCORSConfiguration' });
  });
});
