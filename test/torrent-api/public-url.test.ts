/**
 * `--public-url` with a path: the server behind a reverse proxy that serves it under `/s3/` and strips
 * that prefix. Web seeds in torrents must carry the prefix, and a private object's presigned web seed
 * must still verify once the proxy has stripped it.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { patternBytes } from '../helpers/files.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { getTorrent } from './helpers.ts';

const BUCKET = 'behind-proxy';

describe('--public-url with a path prefix, behind a prefix-stripping proxy', () => {
  let proxy: http.Server;
  let proxyBase: string;
  let target: URL;
  let server: TestServer;
  let s3: S3Client;
  const seen: string[] = [];

  before(async () => {
    proxy = http.createServer((req, res) => {
      if (!req.url!.startsWith('/s3/')) { res.writeHead(404).end(); return; }
      seen.push(req.url!);
      const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url!.slice(3), headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyBase = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/s3`;
    server = await startTestServer({ args: ['--public-url', `${proxyBase}/`] });
    target = new URL(server.url);
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  after(async () => {
    s3?.destroy();
    if (server) { await server.stop(); server.cleanup(); }
    proxy?.close();
  });

  for (const acl of ['private', 'public-read'] as const) {
    it(`a ${acl} object's web seed names the prefix and downloads through the proxy`, async () => {
      const key = `dir/${acl} object.bin`;
      const body = patternBytes(300_000, acl.length);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ACL: acl }));
      const { torrent } = await getTorrent(s3, { Bucket: BUCKET, Key: key });
      const [webSeed] = torrent.urlList;
      assert.ok(webSeed?.startsWith(`${proxyBase}/${BUCKET}/dir/`), `web seed ${webSeed}`);
      assert.equal(/X-Amz-Signature=/.test(webSeed!), acl === 'private', 'presigned only when anonymous GETs are refused');
      const before = seen.length;
      const res = await fetch(webSeed!);
      assert.equal(res.status, 200, await res.clone().text());
      assert.ok(Buffer.from(await res.arrayBuffer()).equals(body));
      assert.equal(seen.length, before + 1, 'the download went through the proxy');
    });
  }
});
