/**
 * The web-seed back-off (src/server/web-seed-policy.ts) against the real server: once two leechers of an
 * object's torrent are connected to the built-in seeder, anonymous GETs of it get 503 SlowDown +
 * Retry-After, and one that was already streaming ends early (leechers starting together send their
 * web-seed GETs before the swarm has formed; aria2 asks for the whole object). Header-signed GETs are
 * never refused.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, GetObjectTorrentCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { rawValue } from '../helpers/strict-bdecode.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { connectWire, type ClientWire } from './helpers/client-wire.ts';

const SIZE = 4 * 1024 * 1024;

describe('web-seed back-off', () => {
  let server: TestServer;
  let s3: S3Client;
  let seederPort: number;
  const peers: ClientWire[] = [];
  let infoHash: Buffer;
  let objectUrl: string;

  before(async () => {
    // 1 MiB/s: an anonymous GET of the object takes ~4 s, long enough to see it cut off
    server = await startTestServer({ args: ['--upload-limit', '1MiB'] });
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: 'policy' }));
    await s3.send(new PutObjectCommand({ Bucket: 'policy', Key: 'obj', Body: randomBytes(SIZE), ACL: 'public-read' }));
    const t = await s3.send(new GetObjectTorrentCommand({ Bucket: 'policy', Key: 'obj' }));
    const torrent = Buffer.from(await t.Body!.transformToByteArray());
    infoHash = createHash('sha1').update(rawValue(torrent, 'info')).digest();
    seederPort = Number(/:(\d+)$/.exec(server.endpoints.find((e) => e.name === 'seeder')!.url)![1]);
    objectUrl = `${server.url}/policy/obj`;
  });
  after(async () => {
    for (const p of peers) p.destroy();
    s3?.destroy();
    await server?.stop();
    server?.cleanup();
  });

  it('a web-seed GET that started before the swarm formed ends once two leechers are connected; new ones get 503', { timeout: 30_000 }, async () => {
    let received = 0;
    const started = Date.now();
    const ended = new Promise<{ status: number; complete: boolean; ms: number }>((resolve, reject) => {
      const req = http.get(objectUrl, (res) => {
        res.on('data', (c: Buffer) => { received += c.length; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, complete: true, ms: Date.now() - started }));
        res.on('error', () => resolve({ status: res.statusCode ?? 0, complete: false, ms: Date.now() - started }));
        res.on('aborted', () => resolve({ status: res.statusCode ?? 0, complete: false, ms: Date.now() - started }));
      });
      req.on('error', reject);
    });
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(received > 0 && received < SIZE, `streaming (${received} bytes so far)`);
    // two leechers (they have nothing) handshake with the seeder
    for (let i = 0; i < 2; i++) peers.push(await connectWire({ port: seederPort, infoHash }));
    const r = await ended;
    assert.equal(r.status, 200);
    assert.equal(r.complete, false, 'the body ended early');
    assert.ok(received < SIZE / 2, `cut off after ${received} bytes`);
    assert.ok(r.ms < 2_500, `cut off ${r.ms} ms after the start`);

    const again = await fetch(objectUrl, { headers: { range: `bytes=${received}-` } });
    assert.equal(again.status, 503);
    assert.equal(again.headers.get('retry-after'), '10');
    assert.match(await again.text(), /<Code>SlowDown<\/Code>/);
  });

  it('header-signed GETs are never refused', { timeout: 30_000 }, async () => {
    const res = await s3.send(new GetObjectCommand({ Bucket: 'policy', Key: 'obj' }));
    assert.equal((await res.Body!.transformToByteArray()).length, SIZE);
  });
});
