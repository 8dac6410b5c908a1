/**
 * Uploads of 8 MiB or more are hashed on hash threads (MD5 ETag, v1 piece SHA-1s; v2 pieces stay on the
 * main thread). The same bytes on a server hashing inline (--hash-threads 0) and one with threads must
 * give the same ETags and piece hashes, for PutObject, multipart parts (hashed on their predicted grid)
 * and hybrid torrents, and every piece must match the bytes GetObject returns.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { patternBytes } from '../helpers/files.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { MiB, admin, checkTorrentOfObject, getTorrent, type Torrent } from './helpers.ts';

const V1 = 'threads-v1';
const HYBRID = 'threads-hybrid';

interface Side { server: TestServer; s3: S3Client }

async function startSide(hashThreads: string): Promise<Side> {
  const server = await startTestServer({ args: ['--hash-threads', hashThreads] });
  const s3 = server.client();
  await s3.send(new CreateBucketCommand({ Bucket: V1 }));
  await s3.send(new CreateBucketCommand({ Bucket: HYBRID }));
  await admin(server, 'bucket', 'torrent-format', HYBRID, 'hybrid');
  return { server, s3 };
}

async function putMultipart(s3: S3Client, bucket: string, key: string, parts: Buffer[]): Promise<void> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const done = [];
  for (const [i, Body] of parts.entries()) {
    const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body }));
    done.push({ ETag: ETag!, PartNumber: i + 1 });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }));
}

describe('hash threads give the hashes inline hashing gives', { timeout: 300_000 }, () => {
  let inline: Side;
  let threads: Side;

  before(async () => {
    [inline, threads] = await Promise.all([startSide('0'), startSide('2')]);
  });

  after(async () => {
    for (const side of [inline, threads]) {
      if (!side) continue;
      side.s3.destroy();
      await side.server.stop();
      side.server.cleanup();
    }
  });

  /** Upload with `upload` on both servers; torrents checked against the bytes, ETags and piece hashes equal. */
  async function both(bucket: string, key: string, upload: (s3: S3Client) => Promise<void>): Promise<[Torrent, Torrent]> {
    const torrents: Torrent[] = [];
    for (const side of [inline, threads]) {
      await upload(side.s3);
      const { torrent } = await getTorrent(side.s3, { Bucket: bucket, Key: key });
      await checkTorrentOfObject(side.s3, torrent, bucket, key, { format: bucket === HYBRID ? 'hybrid' : 'v1' });
      torrents.push(torrent);
    }
    const [a, b] = torrents as [Torrent, Torrent];
    assert.equal(b.pieceLength, a.pieceLength);
    assert.ok(b.pieces.equals(a.pieces), 'v1 piece hashes');
    if (a.hybrid) assert.ok(b.piecesRoot!.equals(a.piecesRoot!), 'v2 pieces root');
    return [a, b];
  }

  it('PutObject of 20 MiB + 13 bytes (v1): same ETag and pieces', async () => {
    const body = patternBytes(20 * MiB + 13, 1);
    const etags: string[] = [];
    await both(V1, 'put.bin', async (s3) => { etags.push((await s3.send(new PutObjectCommand({ Bucket: V1, Key: 'put.bin', Body: body }))).ETag!); });
    assert.equal(etags[1], etags[0]);
  });

  it('PutObject of 12 MiB into a hybrid bucket (MD5 on a thread, v2 pieces inline): same ETag, pieces and pieces root', async () => {
    const body = patternBytes(12 * MiB + 7, 2);
    const etags: string[] = [];
    await both(HYBRID, 'hybrid.bin', async (s3) => { etags.push((await s3.send(new PutObjectCommand({ Bucket: HYBRID, Key: 'hybrid.bin', Body: body }))).ETag!); });
    assert.equal(etags[1], etags[0]);
  });

  it('multipart of 9 + 9 + 9 + 1 MiB parts (each hashed on its predicted grid): same pieces', async () => {
    const parts = [patternBytes(9 * MiB, 3), patternBytes(9 * MiB, 4), patternBytes(9 * MiB, 5), patternBytes(MiB + 3, 6)];
    await both(V1, 'multipart.bin', (s3) => putMultipart(s3, V1, 'multipart.bin', parts));
  });

  it('serve refuses a --hash-threads that is not a count', () => {
    const bin = path.resolve(import.meta.dirname, '../../bin/seedbucket.js');
    for (const bad of ['-1', 'two', '1.5']) {
      const r = spawnSync(process.execPath, [bin, 'serve', '--port', '0', `--hash-threads=${bad}`], { encoding: 'utf8', timeout: 30_000 });
      assert.notEqual(r.status, 0, `--hash-threads ${bad}`);
      assert.match(r.stderr, /--hash-threads must be an integer/);
    }
  });
});
