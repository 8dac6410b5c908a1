/**
 * GetObjectTorrent through real clients: aws-sdk-js v3 GetObjectTorrentCommand (path and virtual-hosted
 * style), Debian's `aws s3api get-object-torrent` and boto3 `get_object_torrent`: the body is the torrent,
 * the headers are right, and every error case reaches each client with its S3 code. Also the raw-HTTP
 * cases no SDK sends (bucket ?torrent, other methods, ?torrent vs ?torrent=, CORS preflight) and
 * Requester Pays end to end (the web seed charges the requester too).
 *
 * One server: --torrent-max-size 1MiB (the size limit is tested cheaply), --insecure-sse-c (SSE-C
 * objects over loopback HTTP), --domain s3.localhost (virtual-hosted style), two extra trackers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListBucketsCommand, PutBucketCorsCommand, PutBucketRequestPaymentCommand, PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { objectPath, parseErrorXml, rawRequest } from '../helpers/raw.ts';
import { ROOT_ACCESS_KEY, ROOT_SECRET_KEY, startTestServer, type TestServer } from '../helpers/server.ts';
import { s3LocalhostLookup } from '../helpers/vhost-dns.ts';
import { assertTool, findTool, loopbackEnv, run, skipUnlessCi, type RunResult } from '../helpers/tools.ts';
import {
  admin, decodeTorrent, dispositionFilename, getTorrent, infoBytes, s3Error, type Account, type Torrent,
} from './helpers.ts';

const AWS = findTool('aws', ['--version'], 'awscli');
const PYTHON = findTool('python3', ['-c', 'import boto3, botocore'], 'python3-boto3');
const BOTO3_SCRIPT = path.join(import.meta.dirname, 'boto3_torrent.py');

const MAX = 1024 * 1024;
const EXTRA_TRACKERS = ['udp://127.0.0.1:6970/announce', 'http://127.0.0.1:6971/announce'];
const PUB = 'clients-pub';
const RP = 'clients-rp';
const NON_ASCII_KEY = 'dir/naïve 😀 "quoted".txt';
/** 32 bytes, as the SDK takes it (a string that is not base64 is used as the raw key) */
const SSE_KEY = 'seedbucket-sse-c-test-key-32byte';

type Who = 'root' | 'other' | 'anonymous';

/** One GetObjectTorrent call and what every client must report for it. */
interface Case {
  name: string;
  bucket: string;
  key: string;
  as: Who;
  requestPayer?: boolean;
  /** 'root' | 'other': that account's id; a literal otherwise */
  expectedOwner?: 'root' | 'other';
  expect: { status: 200; charged?: boolean } | { status: number; code: string; message?: RegExp };
}

const CASES: Case[] = [
  { name: 'owner gets a private object', bucket: PUB, key: 'hello.txt', as: 'root', expect: { status: 200 } },
  { name: 'expected bucket owner matches', bucket: PUB, key: 'hello.txt', as: 'root', expectedOwner: 'root', expect: { status: 200 } },
  { name: 'anonymous gets a public-read object', bucket: PUB, key: 'public.txt', as: 'anonymous', expect: { status: 200 } },
  { name: 'just under the max size', bucket: PUB, key: 'under-max.bin', as: 'root', expect: { status: 200 } },
  { name: 'missing key', bucket: PUB, key: 'no-such-key', as: 'root', expect: { status: 404, code: 'NoSuchKey' } },
  { name: 'missing bucket', bucket: 'clients-no-such-bucket', key: 'k', as: 'root', expect: { status: 404, code: 'NoSuchBucket' } },
  { name: 'anonymous on a private object', bucket: PUB, key: 'hello.txt', as: 'anonymous', expect: { status: 403, code: 'AccessDenied' } },
  { name: 'another account without READ', bucket: PUB, key: 'hello.txt', as: 'other', expect: { status: 403, code: 'AccessDenied' } },
  { name: 'expected bucket owner mismatch', bucket: PUB, key: 'hello.txt', as: 'root', expectedOwner: 'other', expect: { status: 403, code: 'AccessDenied' } },
  {
    name: 'object of exactly the max size', bucket: PUB, key: 'exact-max.bin', as: 'root',
    expect: { status: 400, code: 'InvalidRequest', message: /^Torrent creation is not supported for objects larger than 1048576$/ },
  },
  {
    name: 'SSE-C object', bucket: PUB, key: 'ssec.bin', as: 'root',
    expect: { status: 400, code: 'InvalidRequest', message: /customer-provided key \(SSE-C\)/ },
  },
  { name: 'requester pays without the header', bucket: RP, key: 'paid.txt', as: 'other', expect: { status: 403, code: 'AccessDenied' } },
  { name: 'requester pays with the header', bucket: RP, key: 'paid.txt', as: 'other', requestPayer: true, expect: { status: 200, charged: true } },
  { name: 'requester pays: the owner needs no header', bucket: RP, key: 'paid.txt', as: 'root', expect: { status: 200 } },
  { name: 'requester pays: anonymous is refused even on public-read', bucket: RP, key: 'public-paid.txt', as: 'anonymous', expect: { status: 403, code: 'AccessDenied' } },
];

describe('GetObjectTorrent through aws-sdk-js v3, awscli, boto3 and raw HTTP', () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  let root: { accountId: string; canonicalUserId: string };
  let other: Account;
  const clients = new Map<Who, S3Client>();

  const accountId = (who: 'root' | 'other') => (who === 'root' ? root.accountId : other.accountId);
  const credsOf = (who: Who) => (who === 'root'
    ? { accessKeyId: ROOT_ACCESS_KEY, secretAccessKey: ROOT_SECRET_KEY }
    : who === 'other' ? { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } : null);

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'seedbucket-torrent-clients-'));
    server = await startTestServer({
      args: ['--torrent-max-size', '1MiB', '--insecure-sse-c', '--domain', 's3.localhost', '--extra-trackers', EXTRA_TRACKERS.join(',')],
    });
    s3 = server.client();
    other = await admin<Account>(server, 'account', 'create', 'torrent-other');
    const accounts = await admin<Array<{ accountId: string; canonicalUserId: string }>>(server, 'account', 'list');
    const owner = (await s3.send(new ListBucketsCommand({}))).Owner!.ID!;
    root = accounts.find((a) => a.canonicalUserId === owner)!;
    assert.ok(root, 'the root account is listed');
    clients.set('root', s3);
    clients.set('other', server.client({ credentials: credsOf('other')! }));
    // no credentials, no signature: an anonymous request
    clients.set('anonymous', server.client({ credentials: { accessKeyId: '', secretAccessKey: '' }, signer: { sign: async (r) => r } }));

    await s3.send(new CreateBucketCommand({ Bucket: PUB }));
    await s3.send(new PutObjectCommand({ Bucket: PUB, Key: 'hello.txt', Body: 'hello torrent world\n' }));
    await s3.send(new PutObjectCommand({ Bucket: PUB, Key: NON_ASCII_KEY, Body: 'non-ascii name\n' }));
    await s3.send(new PutObjectCommand({ Bucket: PUB, Key: 'public.txt', Body: 'public\n', ACL: 'public-read' }));
    await s3.send(new PutObjectCommand({ Bucket: PUB, Key: 'exact-max.bin', Body: Buffer.alloc(MAX, 1) }));
    await s3.send(new PutObjectCommand({ Bucket: PUB, Key: 'under-max.bin', Body: Buffer.alloc(MAX - 1, 2) }));
    await s3.send(new PutObjectCommand({ Bucket: PUB, Key: 'ssec.bin', Body: 'encrypted\n', SSECustomerAlgorithm: 'AES256', SSECustomerKey: SSE_KEY }));

    await s3.send(new CreateBucketCommand({ Bucket: RP }));
    await s3.send(new PutBucketRequestPaymentCommand({ Bucket: RP, RequestPaymentConfiguration: { Payer: 'Requester' } }));
    await s3.send(new PutObjectCommand({
      Bucket: RP, Key: 'paid.txt', Body: 'paid for by the requester\n',
      GrantFullControl: `id="${root.canonicalUserId}"`, GrantRead: `id="${other.canonicalUserId}"`,
    }));
    await s3.send(new PutObjectCommand({ Bucket: RP, Key: 'public-paid.txt', Body: 'public but paid\n', ACL: 'public-read' }));
  });

  after(async () => {
    for (const c of clients.values()) c.destroy();
    if (server) { await server.stop(); server.cleanup(); }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** What the SDK returns for each case, kept to compare the other clients' bodies with. */
  const sdkTorrents = new Map<string, Torrent>();

  describe('aws-sdk-js v3 GetObjectTorrentCommand', () => {
    for (const c of CASES) {
      it(c.name, async () => {
        const input = {
          Bucket: c.bucket, Key: c.key,
          ...(c.requestPayer ? { RequestPayer: 'requester' as const } : {}),
          ...(c.expectedOwner ? { ExpectedBucketOwner: accountId(c.expectedOwner) } : {}),
        };
        if ('code' in c.expect) {
          const err = await s3Error(getTorrent(clients.get(c.as)!, input));
          assert.equal(err.code, c.expect.code);
          assert.equal(err.status, c.expect.status);
          if (c.expect.message) assert.match(err.message, c.expect.message);
          return;
        }
        const { torrent, body, headers, requestCharged } = await getTorrent(clients.get(c.as)!, input);
        assert.equal(torrent.key, c.key);
        assert.equal(torrent.bucket, c.bucket);
        assert.equal(headers['content-type'], 'application/x-bittorrent');
        assert.equal(headers['content-length'], String(body.length), 'exact Content-Length');
        assert.equal(headers['content-disposition'], `attachment; filename="${torrent.name}.torrent"`);
        assert.equal(requestCharged, c.expect.charged ? 'requester' : undefined);
        assert.equal(headers['x-amz-request-charged'], c.expect.charged ? 'requester' : undefined);
        sdkTorrents.set(c.name, torrent);
      });
    }
  });

  describe('the torrent itself', () => {
    it('announce is our own tracker; announce-list is ours first, then --extra-trackers in order (public torrents)', async () => {
      const { torrent: t } = await getTorrent(s3, { Bucket: PUB, Key: 'public.txt' });
      assert.equal(t.private, false);
      assert.deepEqual(t.announceList[0], [t.announce]);
      assert.ok(t.announceList.every((tier) => tier.length === 1), 'one tracker per tier');
      const urls = t.announceList.flat();
      const ours = urls.slice(0, urls.length - EXTRA_TRACKERS.length);
      assert.ok(ours.length >= 1, 'at least our own tracker');
      for (const u of ours) assert.match(u, /^(https?|udp):\/\/127\.0\.0\.1:\d+\/announce$/, 'our tracker on the server\'s host');
      assert.deepEqual(urls.slice(ours.length), EXTRA_TRACKERS, 'then the extras, in order, untouched');
    });

    it('a private torrent (BEP 27) announces only to our tracker, with a token; third-party trackers never see the token', async () => {
      const pub = (await getTorrent(s3, { Bucket: PUB, Key: 'public.txt' })).torrent.announceList.flat();
      const { torrent: t } = await getTorrent(s3, { Bucket: PUB, Key: 'hello.txt' });
      assert.equal(t.private, true);
      const urls = t.announceList.flat();
      assert.equal(t.announce, urls[0]);
      // HTTP only: a UDP announce carries the token only as BEP 41 URL data, which Transmission 3.00 does not send
      assert.deepEqual(urls.map((u) => u.replace(/\?token=[A-Za-z0-9_-]+$/, '')), pub.slice(0, pub.length - EXTRA_TRACKERS.length).filter((u) => !u.startsWith('udp:')),
        'our own HTTP tracker only');
      for (const u of urls) assert.match(u, /\?token=[A-Za-z0-9_-]+$/);
      assert.ok(!t.raw.includes(Buffer.from('127.0.0.1:6970')) && !t.raw.includes(Buffer.from('127.0.0.1:6971')), 'no extra tracker anywhere');
    });

    it('a public-read object: not private, its web seed is the plain object URL', async () => {
      const { torrent: t } = await getTorrent(s3, { Bucket: PUB, Key: 'public.txt' });
      assert.equal(t.private, false);
      assert.equal(t.urlList.length, 1);
      const u = new URL(t.urlList[0]!);
      assert.equal(`${u.origin}${u.pathname}`, `${server.url}/${PUB}/public.txt`);
      // not presigned; it names the object version the torrent describes (an overwrite makes it 404, not new bytes)
      assert.deepEqual([...u.searchParams.keys()], ['versionId']);
      const res = await fetch(t.urlList[0]!);
      assert.equal(await res.text(), 'public\n');
    });

    it('a private object: private, its web seed is a presigned GET valid for a day', async () => {
      const { torrent: t } = await getTorrent(s3, { Bucket: PUB, Key: 'hello.txt' });
      assert.equal(t.private, true);
      const url = new URL(t.urlList[0]!);
      assert.equal(`${url.origin}${url.pathname}`, `${server.url}/${PUB}/hello.txt`);
      assert.equal(url.searchParams.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
      assert.ok(url.searchParams.get('X-Amz-Credential')!.startsWith(`${ROOT_ACCESS_KEY}/`));
      assert.ok(Number(url.searchParams.get('X-Amz-Expires')) >= 86400);
      assert.equal(await (await fetch(url)).text(), 'hello torrent world\n');
    });

    it('Requester Pays: the torrent is private (no anonymous GET) and its web seed charges whoever fetched the torrent', async () => {
      // the requester: the web seed carries a signed x-amz-request-payer=requester
      const paid = sdkTorrents.get('requester pays with the header');
      assert.ok(paid, 'the SDK case passed');
      assert.equal(paid.private, true);
      const url = new URL(paid.urlList[0]!);
      assert.equal(url.searchParams.get('x-amz-request-payer'), 'requester');
      assert.ok(url.searchParams.get('X-Amz-Credential')!.startsWith(`${other.accessKeyId}/`), 'signed with the requester\'s key');
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-amz-request-charged'), 'requester');
      assert.equal(await res.text(), 'paid for by the requester\n');
      // the owner: presigned with the owner's key, no payer parameter needed
      const own = sdkTorrents.get('requester pays: the owner needs no header')!;
      const ownUrl = new URL(own.urlList[0]!);
      assert.equal(ownUrl.searchParams.get('x-amz-request-payer'), null);
      assert.equal(await (await fetch(ownUrl)).text(), 'paid for by the requester\n');
      assert.ok(infoBytes(own).equals(infoBytes(paid)), 'the info dict does not depend on who asked');
      // a public-read object on a Requester Pays bucket is not anonymously readable: private, presigned
      const { torrent: pub } = await getTorrent(s3, { Bucket: RP, Key: 'public-paid.txt' });
      assert.equal(pub.private, true);
      assert.equal((await fetch(`${server.url}/${RP}/public-paid.txt`)).status, 403, 'anonymous GET is refused');
      assert.equal(await (await fetch(pub.urlList[0]!)).text(), 'public but paid\n');
    });

    it('Content-Disposition of a non-ASCII name: quoted ASCII fallback + RFC 6266 filename*', async () => {
      const { torrent: t, headers } = await getTorrent(s3, { Bucket: PUB, Key: NON_ASCII_KEY });
      assert.equal(t.name, 'naïve 😀 "quoted".txt');
      const cd = String(headers['content-disposition']);
      assert.match(cd, /^attachment; filename="[\x20-\x7e]+"; filename\*=UTF-8''[A-Za-z0-9%._~-]+$/);
      const { filename, ascii } = dispositionFilename(cd);
      assert.equal(filename, `${t.name}.torrent`);
      assert.doesNotMatch(ascii, /["\\]/);
    });

    it('virtual-hosted style gives the same torrent as path style', async () => {
      const vhost = new S3Client({
        endpoint: `http://s3.localhost:${server.port}`, forcePathStyle: false, region: 'us-east-1',
        credentials: { accessKeyId: ROOT_ACCESS_KEY, secretAccessKey: ROOT_SECRET_KEY },
        requestHandler: new NodeHttpHandler({ httpAgent: new http.Agent({ lookup: s3LocalhostLookup }) }),
      });
      const hosts: string[] = [];
      vhost.middlewareStack.add((next) => async (args) => {
        hosts.push((args.request as { hostname: string }).hostname);
        return next(args);
      }, { step: 'finalizeRequest', name: 'recordHost' });
      try {
        const v = await getTorrent(vhost, { Bucket: PUB, Key: NON_ASCII_KEY });
        const p = await getTorrent(s3, { Bucket: PUB, Key: NON_ASCII_KEY });
        assert.deepEqual(hosts, [`${PUB}.s3.localhost`], 'the SDK addressed the bucket in the Host header');
        assert.equal(v.torrent.infoHash, p.torrent.infoHash);
        assert.equal(v.headers['content-type'], 'application/x-bittorrent');
      } finally {
        vhost.destroy();
      }
    });
  });

  describe('raw HTTP', () => {
    const signed = (req: Parameters<typeof rawRequest>[1]) => rawRequest(server.url, req);

    it('?torrent and ?torrent= give the same torrent, path style and virtual-hosted', async () => {
      const bare = await signed({ method: 'GET', path: objectPath(PUB, 'hello.txt'), query: 'torrent' });
      const eq = await signed({ method: 'GET', path: objectPath(PUB, 'hello.txt'), query: 'torrent=' });
      const vhost = await signed({ method: 'GET', path: '/hello.txt', query: 'torrent', headers: { host: `${PUB}.s3.localhost:${server.port}` } });
      for (const r of [bare, eq, vhost]) {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers['content-type'], 'application/x-bittorrent');
        assert.equal(r.headers['content-length'], String(r.body.length));
        assert.equal(r.headers['content-disposition'], 'attachment; filename="hello.txt.torrent"');
        assert.equal(r.headers['x-amz-request-charged'], undefined);
      }
      const ih = (b: Buffer) => decodeTorrent(b).infoHash;
      assert.equal(ih(bare.body), ih(eq.body));
      assert.equal(ih(bare.body), ih(vhost.body));
    });

    it('Range and conditional headers do not apply to the torrent: 200 with the whole torrent', async () => {
      const whole = await signed({ method: 'GET', path: objectPath(PUB, 'hello.txt'), query: 'torrent' });
      const etag = (await s3.send(new HeadObjectCommand({ Bucket: PUB, Key: 'hello.txt' }))).ETag!;
      for (const headers of [{ range: 'bytes=0-9' }, { 'if-none-match': etag }, { 'if-match': '"not-the-etag"' }] as Record<string, string>[]) {
        const r = await signed({ method: 'GET', path: objectPath(PUB, 'hello.txt'), query: 'torrent', headers });
        assert.equal(r.status, 200, `${JSON.stringify(headers)}: ${r.text}`);
        assert.equal(r.headers['content-range'], undefined);
        assert.equal(r.headers['content-length'], String(r.body.length));
        assert.equal(decodeTorrent(r.body).infoHash, decodeTorrent(whole.body).infoHash);
      }
    });

    it('?torrent on a bucket → 400 RequestTorrentOfBucketError (path and virtual-hosted style)', async () => {
      for (const req of [
        { method: 'GET', path: `/${PUB}`, query: 'torrent' },
        { method: 'GET', path: `/${PUB}/`, query: 'torrent=' },
        { method: 'GET', path: '/', query: 'torrent', headers: { host: `${PUB}.s3.localhost:${server.port}` } },
      ]) {
        const r = await signed(req);
        assert.equal(r.status, 400, `${JSON.stringify(req)}: ${r.text}`);
        const e = parseErrorXml(r.text);
        assert.equal(e?.Code, 'RequestTorrentOfBucketError');
        assert.equal(e?.Message, 'Requesting the torrent file of a bucket is not permitted.');
      }
    });

    it('other methods on ?torrent → 405 MethodNotAllowed with Allow: GET (objects and buckets), nothing changes', async () => {
      for (const [method, p] of [['PUT', objectPath(PUB, 'hello.txt')], ['DELETE', objectPath(PUB, 'hello.txt')], ['POST', objectPath(PUB, 'hello.txt')],
        ['HEAD', objectPath(PUB, 'hello.txt')], ['PUT', `/${PUB}`], ['DELETE', `/${PUB}`], ['POST', `/${PUB}`]] as const) {
        const r = await signed({ method, path: p, query: 'torrent', ...(method === 'PUT' || method === 'POST' ? { body: 'x' } : {}) });
        assert.equal(r.status, 405, `${method} ${p}?torrent: ${r.text}`);
        assert.equal(r.headers.allow, 'GET');
        if (method !== 'HEAD') {
          const e = parseErrorXml(r.text);
          assert.equal(e?.Code, 'MethodNotAllowed', `${method} ${p}`);
          assert.equal(e?.Method, method);
          assert.equal(e?.ResourceType, p === `/${PUB}` ? 'BUCKET' : 'OBJECT');
        }
      }
      const still = await s3.send(new GetObjectCommand({ Bucket: PUB, Key: 'hello.txt' }));
      assert.equal(await still.Body!.transformToString(), 'hello torrent world\n', 'PUT/DELETE ?torrent did not touch the object');
    });

    it('CORS: a browser preflight for GET ?torrent is answered from the bucket\'s rules, and the GET carries the CORS headers', async () => {
      await s3.send(new PutBucketCorsCommand({
        Bucket: PUB,
        CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['https://app.example'], AllowedMethods: ['GET'], AllowedHeaders: ['*'] }] },
      }));
      const pre = await signed({
        method: 'OPTIONS', path: objectPath(PUB, 'public.txt'), query: 'torrent', credentials: null,
        headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      assert.equal(pre.status, 200, pre.text);
      assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
      const get = await signed({ method: 'GET', path: objectPath(PUB, 'public.txt'), query: 'torrent', credentials: null, headers: { origin: 'https://app.example' } });
      assert.equal(get.status, 200);
      assert.equal(get.headers['access-control-allow-origin'], 'https://app.example');
    });

    it('CreateBucket with a directory-bucket name (<name>--<zone>--x-s3) → 400 InvalidBucketName', async () => {
      const r = await signed({ method: 'PUT', path: '/torrents--use1-az4--x-s3' });
      assert.equal(r.status, 400, r.text);
      assert.equal(parseErrorXml(r.text)?.Code, 'InvalidBucketName');
    });
  });

  describe('aws CLI (Debian awscli): aws s3api get-object-torrent', { skip: skipUnlessCi(AWS) }, () => {
    const results = new Map<string, { r: RunResult; out: string }>();
    let cfg: string;

    const aws = (awsPath: string, args: string[], who: Who) => {
      const creds = credsOf(who);
      return run(awsPath, [...args, '--endpoint-url', server.url, ...(creds ? [] : ['--no-sign-request'])], {
        cwd: work, timeoutMs: 120_000,
        env: loopbackEnv({
          ...(creds ? { AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey } : {}),
          AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: cfg, AWS_SHARED_CREDENTIALS_FILE: cfg, AWS_EC2_METADATA_DISABLED: 'true',
          AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1', AWS_RETRY_MODE: 'standard',
        }),
      });
    };

    // Each `aws` start costs ~0.7 s of CPU: run them three at a time up front, assert per case below.
    before(async () => {
      const awsPath = assertTool(AWS);
      cfg = path.join(work, 'aws-empty-config');
      writeFileSync(cfg, '');
      const jobs: Array<[string, string[], Who, string]> = CASES.map((c, i) => {
        const out = path.join(work, `awscli-${i}.torrent`);
        return [c.name, ['s3api', 'get-object-torrent', '--bucket', c.bucket, '--key', c.key,
          ...(c.requestPayer ? ['--request-payer', 'requester'] : []),
          ...(c.expectedOwner ? ['--expected-bucket-owner', accountId(c.expectedOwner)] : []), out], c.as, out];
      });
      jobs.push(['create-bucket', ['s3api', 'create-bucket', '--bucket', 'cli--use1-az4--x-s3'], 'root', '']);
      let next = 0;
      await Promise.all([0, 1, 2].map(async () => {
        while (next < jobs.length) {
          const [name, args, who, out] = jobs[next++]!;
          results.set(name, { r: await aws(awsPath, args, who), out });
        }
      }));
    });

    for (const c of CASES) {
      it(c.name, () => {
        const { r, out } = results.get(c.name)!;
        if ('code' in c.expect) {
          assert.notEqual(r.code, 0, `should fail with ${c.expect.code}: ${r.stdout}`);
          assert.match(r.stderr, new RegExp(`An error occurred \\(${c.expect.code}\\) when calling the GetObjectTorrent operation`), r.stderr);
          const message = /GetObjectTorrent operation(?: \([^)]*\))?: (.*)$/m.exec(r.stderr)?.[1] ?? '';
          if (c.expect.message) assert.match(message, c.expect.message, r.stderr);
          return;
        }
        assert.equal(r.code, 0, `aws exited ${r.code}: ${r.stderr}`);
        const t = decodeTorrent(readFileSync(out));
        const sdk = sdkTorrents.get(c.name);
        assert.ok(sdk, 'the SDK case passed');
        assert.equal(t.infoHash, sdk.infoHash, 'the file aws wrote is the torrent');
        // aws prints the non-body output members as JSON, nothing when there are none
        const printed = (r.stdout.trim() === '' ? {} : JSON.parse(r.stdout)) as { RequestCharged?: string };
        assert.equal(printed.RequestCharged, c.expect.charged ? 'requester' : undefined);
      });
    }

    it('create-bucket with a directory-bucket name → InvalidBucketName', () => {
      const { r } = results.get('create-bucket')!;
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /An error occurred \(InvalidBucketName\) when calling the CreateBucket operation/);
    });
  });

  describe('boto3 (Debian python3-boto3): get_object_torrent', { skip: skipUnlessCi(PYTHON) }, () => {
    interface Boto3Result {
      ok: boolean; status: number; body_b64?: string; request_charged?: string | null; headers?: Record<string, string>;
      code?: string; message?: string;
    }
    let results: Record<string, Boto3Result>;

    before(async () => {
      const python = assertTool(PYTHON);
      const cases = path.join(work, 'boto3-cases.json');
      writeFileSync(cases, JSON.stringify({
        credentials: {
          root: { key: ROOT_ACCESS_KEY, secret: ROOT_SECRET_KEY },
          other: { key: other.accessKeyId, secret: other.secretAccessKey },
        },
        cases: CASES.map((c) => ({
          name: c.name, bucket: c.bucket, key: c.key, as: c.as, request_payer: c.requestPayer ?? false,
          expected_owner: c.expectedOwner ? accountId(c.expectedOwner) : null,
        })),
      }));
      const cfg = path.join(work, 'boto3-empty-config');
      writeFileSync(cfg, '');
      const r = await run(python, [BOTO3_SCRIPT, server.url, cases], {
        cwd: work, timeoutMs: 300_000,
        env: loopbackEnv({ AWS_CONFIG_FILE: cfg, AWS_SHARED_CREDENTIALS_FILE: cfg, AWS_EC2_METADATA_DISABLED: 'true', PYTHONDONTWRITEBYTECODE: '1' }),
      });
      assert.equal(r.code, 0, `boto3_torrent.py exited ${r.code}: ${r.stderr}`);
      results = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, Boto3Result>;
    });

    for (const c of CASES) {
      it(c.name, () => {
        const r = results[c.name];
        assert.ok(r, 'boto3 ran this case');
        assert.equal(r.status, c.expect.status);
        if ('code' in c.expect) {
          assert.equal(r.ok, false);
          assert.equal(r.code, c.expect.code);
          if (c.expect.message) assert.match(r.message ?? '', c.expect.message);
          return;
        }
        assert.equal(r.ok, true, JSON.stringify(r));
        const t = decodeTorrent(Buffer.from(r.body_b64!, 'base64'));
        const sdk = sdkTorrents.get(c.name);
        assert.ok(sdk, 'the SDK case passed');
        assert.equal(t.infoHash, sdk.infoHash, 'Body is the torrent');
        assert.equal(r.request_charged ?? undefined, c.expect.charged ? 'requester' : undefined);
        assert.equal(r.headers!['content-type'], 'application/x-bittorrent');
        assert.equal(r.headers!['content-length'], String(Buffer.from(r.body_b64!, 'base64').length));
        assert.equal(r.headers!['content-disposition'], `attachment; filename="${t.name}.torrent"`);
      });
    }
  });
});
