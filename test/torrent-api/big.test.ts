/**
 * An object over 2 GiB (a 64-bit `length`; RGW's 32-bit one overflows here) on a server started with
 * --torrent-max-size 10GiB: uploaded with one streaming PutObject from a generator (never held in memory),
 * its torrent's every piece hash checked against GetObject's stream, and parse-torrent, libtorrent and
 * transmission-show read the length and piece count right.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { objectPath, startRawRequest } from '../helpers/raw.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { haveTool, ltOracle, tools } from '../torrent/support.ts';
import {
  GiB, MiB, checkTorrentOfObject, getTorrent, parseTorrent, transmissionShow, type Torrent,
} from './helpers.ts';

const SIZE = 2 * GiB + 100 * MiB + 12_345;
const BUCKET = 'big';
const KEY = 'over-2GiB.bin';

/** SIZE pseudo-random bytes in 1 MiB chunks (AES-CTR keystream: fast, and no two pieces alike) */
function* generate(): Generator<Buffer> {
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const zeros = Buffer.alloc(MiB);
  for (let left = SIZE; left > 0; left -= MiB) yield cipher.update(zeros.subarray(0, Math.min(MiB, left)));
}

describe('an object over 2 GiB', () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  let uploadedMd5: string;
  let t: Torrent;

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'seedbucket-torrent-big-'));
    server = await startTestServer({ args: ['--torrent-max-size', '10GiB'] });
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  after(async () => {
    s3?.destroy();
    if (server) { await server.stop(); server.cleanup(); }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(`streams in with one PutObject of ${SIZE} bytes`, async () => {
    const req = startRawRequest(server.url, {
      method: 'PUT', path: objectPath(BUCKET, KEY), payloadHash: 'UNSIGNED-PAYLOAD', headers: { 'content-length': String(SIZE) },
    });
    const response = once(req, 'response') as Promise<[import('node:http').IncomingMessage]>;
    req.once('error', () => { /* surfaced by the response */ });
    const md5 = createHash('md5');
    for (const chunk of generate()) {
      md5.update(chunk);
      if (!req.write(chunk)) await once(req, 'drain');
    }
    req.end();
    const [res] = await response;
    let text = '';
    for await (const c of res) text += String(c);
    assert.equal(res.statusCode, 200, text);
    uploadedMd5 = md5.digest('hex');
    assert.equal(res.headers.etag, `"${uploadedMd5}"`);
  });

  it('its torrent has a 64-bit length and every piece hash matches GetObject\'s bytes', async () => {
    assert.ok(uploadedMd5, 'the upload passed');
    t = (await getTorrent(s3, { Bucket: BUCKET, Key: KEY })).torrent;
    assert.ok(SIZE > 2 ** 31);
    assert.equal(t.length, SIZE);
    assert.ok(t.raw.includes(Buffer.from(`6:lengthi${SIZE}e`)), 'length is written as the exact integer');
    assert.equal(t.pieces.length / 20, Math.ceil(SIZE / t.pieceLength));
    await checkTorrentOfObject(s3, t, BUCKET, KEY);
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));
    assert.equal(head.ETag, `"${uploadedMd5}"`, 'the bytes checked are the bytes uploaded');
  });

  it('parse-torrent, libtorrent and transmission-show read its length and pieces', async (tc) => {
    assert.ok(t, 'the torrent was fetched');
    const p = await parseTorrent(t.raw);
    assert.equal(p.length, SIZE);
    assert.equal(p.infoHash, t.infoHash);
    assert.equal(p.pieces.length, t.pieces.length / 20);
    assert.equal(p.lastPieceLength, SIZE % t.pieceLength || t.pieceLength);
    const file = path.join(work, 'big.torrent');
    writeFileSync(file, t.raw);
    if (haveTool(tc, tools.libtorrent, 'python3-libtorrent')) {
      const lt = ltOracle<{ v1: string; total_size: number; num_pieces: number; piece_length: number; v1_piece_hashes: string[] }>('parse', file);
      assert.equal(lt.v1, t.infoHash);
      assert.equal(lt.total_size, SIZE);
      assert.equal(lt.num_pieces, t.pieces.length / 20);
      assert.equal(lt.piece_length, t.pieceLength);
      assert.equal(lt.v1_piece_hashes.join(''), t.pieces.toString('hex'));
    }
    if (haveTool(tc, tools.transmissionShow, 'transmission-cli')) {
      const r = transmissionShow(file);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, new RegExp(`^\\s*Hash: ${t.infoHash}$`, 'm'));
      assert.match(r.out, /^\s*Total Size: 2\.25 GB$/m);
      assert.match(r.out, new RegExp(`^\\s*Piece Count: ${t.pieces.length / 20}$`, 'm'));
    }
  });
});
