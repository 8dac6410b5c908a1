/**
 * GetObjectTorrent against the real server: for objects of every size class and every way of writing
 * them (PutObject, multipart with part sizes that do not divide the piece length, CopyObject,
 * UploadPartCopy), in v1 and hybrid buckets, the torrent decodes strictly, every piece hash matches the
 * bytes GetObject streams, and parse-torrent, libtorrent (parse + hash check of the data) and
 * transmission-show (v1) accept it. 0-byte objects get the spec-conformant empty torrent that no
 * BitTorrent client loads (measured: libtorrent and Transmission refuse total length 0).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, PutObjectCommand,
  UploadPartCommand, UploadPartCopyCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { haveTool, ltOracle, tools } from '../torrent/support.ts';
import {
  KiB, MiB, admin, checkTorrentOfObject, escapeRegExp, getTorrent, ltWebSeedDownload, parseTorrent, transmissionShow, verifyPieces, type Torrent,
} from './helpers.ts';
import { compareFiles } from '../helpers/files.ts';

interface LtParsed {
  v1: string | null; v2: string | null; name: string; total_size: number; piece_length: number; num_pieces: number;
  files: Array<{ path: string; size: number; root: string | null }>; v1_piece_hashes: string[];
  private: boolean; web_seeds: string[]; trackers: string[];
}
interface LtChecked { load_error?: string; checked?: boolean; state?: string; is_seeding?: boolean; num_pieces?: number; total_wanted_done?: number; errors?: string[] }

const V1 = 'content-v1';
const HYBRID = 'content-hybrid';

/** how a case's object is written; returns nothing, the object is then at (bucket, key) */
type Writer = (s3: S3Client, bucket: string, key: string) => Promise<void>;

interface Case {
  label: string;
  bucket: string;
  key: string;
  size: number;
  write: Writer;
  /** expected piece length, when the case is about a boundary */
  pieceLength?: number;
}

const put = (body: Buffer): Writer => async (s3, bucket, key) => {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
};

/** multipart upload of `body` in parts of `partSize` (the last part takes the rest) */
const multipart = (body: Buffer, partSize: number): Writer => async (s3, bucket, key) => {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const parts: { PartNumber: number; ETag: string }[] = [];
  for (let off = 0, n = 1; off < body.length || n === 1; off += partSize, n++) {
    const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n, Body: body.subarray(off, off + partSize) }));
    parts.push({ PartNumber: n, ETag: r.ETag! });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
};

const copyOf = (srcBucket: string, srcKey: string): Writer => async (s3, bucket, key) => {
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${srcBucket}/${encodeURIComponent(srcKey)}` }));
};

/** a multipart upload made of UploadPartCopy parts: [source bucket, key, byte range or undefined for all] */
const partCopies = (sources: Array<[string, string, [number, number] | undefined]>): Writer => async (s3, bucket, key) => {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const parts: { PartNumber: number; ETag: string }[] = [];
  for (const [i, [sb, sk, range]] of sources.entries()) {
    const r = await s3.send(new UploadPartCopyCommand({
      Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, CopySource: `${sb}/${encodeURIComponent(sk)}`,
      ...(range ? { CopySourceRange: `bytes=${range[0]}-${range[1] - 1}` } : {}),
    }));
    parts.push({ PartNumber: i + 1, ETag: r.CopyPartResult!.ETag! });
  }
  await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
};

const ODD_PART = 5 * MiB + 3;
const big = randomBytes(100 * MiB);
const small = randomBytes(3 * MiB + 5);

const V1_CASES: Case[] = [
  { label: '0 bytes', bucket: V1, key: 'sizes/zero', size: 0, write: put(Buffer.alloc(0)) },
  { label: '0 bytes by multipart (one empty part)', bucket: V1, key: 'sizes/zero-multipart', size: 0, write: multipart(Buffer.alloc(0), ODD_PART) },
  { label: '1 byte', bucket: V1, key: 'sizes/one-byte.bin', size: 1, write: put(Buffer.from([0x5a])) },
  { label: 'exactly one piece', bucket: V1, key: 'sizes/one-piece.bin', size: 256 * KiB, write: put(big.subarray(0, 256 * KiB)), pieceLength: 256 * KiB },
  { label: 'one piece + 1', bucket: V1, key: 'sizes/one-piece-plus-1.bin', size: 256 * KiB + 1, write: put(big.subarray(0, 256 * KiB + 1)), pieceLength: 256 * KiB },
  { label: '100 MiB by PutObject', bucket: V1, key: 'big/put-100m.bin', size: 100 * MiB, write: put(big) },
  { label: '100 MiB by multipart in 5 MiB + 3 byte parts', bucket: V1, key: 'big/multipart-100m.bin', size: 100 * MiB, write: multipart(big, ODD_PART) },
  { label: 'CopyObject of the multipart object', bucket: V1, key: 'big/copy-of-multipart.bin', size: 100 * MiB, write: copyOf(V1, 'big/multipart-100m.bin') },
  {
    label: 'UploadPartCopy-assembled (two unaligned ranges + a whole object)', bucket: V1, key: 'big/part-copies.bin',
    size: ODD_PART + 6 * MiB + 256 * KiB + 1,
    write: partCopies([
      [V1, 'big/put-100m.bin', [7, 7 + ODD_PART]],
      [V1, 'big/multipart-100m.bin', [12345, 12345 + 6 * MiB]],
      [V1, 'sizes/one-piece-plus-1.bin', undefined],
    ]),
  },
];

const HYBRID_CASES: Case[] = [
  { label: 'hybrid: 0 bytes', bucket: HYBRID, key: 'zero', size: 0, write: put(Buffer.alloc(0)) },
  { label: 'hybrid: 0 bytes by multipart (one empty part)', bucket: HYBRID, key: 'zero-multipart', size: 0, write: multipart(Buffer.alloc(0), ODD_PART) },
  { label: 'hybrid: 1 byte', bucket: HYBRID, key: 'one-byte.bin', size: 1, write: put(Buffer.from([0xa5])) },
  { label: 'hybrid: exactly one piece', bucket: HYBRID, key: 'one-piece.bin', size: 256 * KiB, write: put(small.subarray(0, 256 * KiB)), pieceLength: 256 * KiB },
  { label: 'hybrid: one piece + 1', bucket: HYBRID, key: 'one-piece-plus-1.bin', size: 256 * KiB + 1, write: put(small.subarray(0, 256 * KiB + 1)), pieceLength: 256 * KiB },
  { label: 'hybrid: 3 MiB + 5 by PutObject', bucket: HYBRID, key: 'put.bin', size: small.length, write: put(small) },
  { label: 'hybrid: multipart 5 MiB + 3 and 1 MiB + 1 parts', bucket: HYBRID, key: 'multipart.bin', size: ODD_PART + MiB + 1, write: multipart(big.subarray(0, ODD_PART + MiB + 1), ODD_PART) },
  { label: 'hybrid: CopyObject from a v1 bucket', bucket: HYBRID, key: 'copied.bin', size: 256 * KiB + 1, write: copyOf(V1, 'sizes/one-piece-plus-1.bin') },
  {
    label: 'hybrid: UploadPartCopy-assembled', bucket: HYBRID, key: 'part-copies.bin', size: ODD_PART + 256 * KiB,
    write: partCopies([[V1, 'big/put-100m.bin', [99, 99 + ODD_PART]], [V1, 'sizes/one-piece.bin', undefined]]),
  },
];

describe('GetObjectTorrent describes the object byte for byte', () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  /** per case: the torrent as fetched, and the directory holding the object's bytes under the torrent's name */
  const got = new Map<string, { t: Torrent; torrentFile: string; dataDir: string }>();

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'seedbucket-torrent-content-'));
    server = await startTestServer();
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: V1 }));
    await s3.send(new CreateBucketCommand({ Bucket: HYBRID }));
    assert.deepEqual(await admin(server, 'bucket', 'torrent-format', HYBRID, 'hybrid'), { bucket: HYBRID, torrentFormat: 'hybrid' });
  });

  after(async () => {
    s3?.destroy();
    if (server) { await server.stop(); server.cleanup(); }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const need = (label: string) => {
    const c = got.get(label);
    assert.ok(c, `the "${label}" object was not written (an earlier test failed)`);
    return c;
  };

  for (const [n, c] of [...V1_CASES, ...HYBRID_CASES].entries()) {
    const format = c.bucket === HYBRID ? 'hybrid' : 'v1';

    it(`${c.label}: strict bencode, every piece hash matches GetObject's bytes`, async () => {
      await c.write(s3, c.bucket, c.key);
      const { torrent: t } = await getTorrent(s3, { Bucket: c.bucket, Key: c.key });
      assert.equal(t.length, c.size);
      if (c.pieceLength) assert.equal(t.pieceLength, c.pieceLength);
      assert.equal(t.private, true, 'a private object gets a private torrent');
      const dataDir = path.join(work, `data-${n}`);
      mkdirSync(dataDir);
      await checkTorrentOfObject(s3, t, c.bucket, c.key, { saveTo: path.join(dataDir, t.name), format });
      const torrentFile = path.join(work, `case-${n}.torrent`);
      writeFileSync(torrentFile, t.raw);
      got.set(c.label, { t, torrentFile, dataDir });
    });

    it(`${c.label}: parse-torrent reads it`, async () => {
      const { t } = need(c.label);
      const p = await parseTorrent(t.raw);
      assert.equal(p.infoHash, t.infoHash);
      assert.equal(p.name, t.name);
      assert.equal(p.length, c.size);
      assert.equal(p.pieceLength, t.pieceLength);
      assert.equal(p.pieces.join(''), t.pieces.toString('hex'));
      assert.deepEqual(p.urlList, t.urlList);
      assert.deepEqual(p.announce, t.announceList.flat());
      assert.equal(p.private, true);
      assert.equal(p.createdBy, t.createdBy);
      assert.equal(p.created?.getTime(), t.creationDate * 1000);
    });

    if (c.size === 0) {
      it(`${c.label}: libtorrent and transmission-show refuse a torrent of total length 0 (client limitation)`, (tc) => {
        const { torrentFile } = need(c.label);
        if (haveTool(tc, tools.libtorrent, 'python3-libtorrent')) {
          assert.throws(() => ltOracle('parse', torrentFile), /invalid length of torrent/);
        }
        if (format === 'v1' && haveTool(tc, tools.transmissionShow, 'transmission-cli')) {
          const r = transmissionShow(torrentFile);
          assert.notEqual(r.status, 0);
          assert.match(r.out, /Invalid metadata entry/);
        }
      });
      continue;
    }

    it(`${c.label}: libtorrent parses it and its hash check accepts the object's bytes`, (tc) => {
      if (!haveTool(tc, tools.libtorrent, 'python3-libtorrent')) return;
      const { t, torrentFile, dataDir } = need(c.label);
      const p = ltOracle<LtParsed>('parse', torrentFile);
      assert.equal(p.v1, t.infoHash);
      assert.equal(p.v2, format === 'hybrid' ? t.infoHashV2 : null, 'libtorrent uses a hybrid torrent as v2 too');
      assert.equal(p.name, t.name);
      assert.deepEqual(p.files.map((f) => [f.path, f.size]), [[t.name, c.size]]);
      if (format === 'hybrid') assert.equal(p.files[0]!.root, t.piecesRoot!.toString('hex'));
      assert.equal(p.total_size, c.size);
      assert.equal(p.piece_length, t.pieceLength);
      assert.equal(p.num_pieces, t.pieces.length / 20);
      assert.equal(p.v1_piece_hashes.join(''), t.pieces.toString('hex'));
      assert.equal(p.private, true);
      assert.deepEqual(p.web_seeds, t.urlList);
      assert.deepEqual(p.trackers, t.announceList.flat());
      const checked = ltOracle<LtChecked>('check', torrentFile, dataDir);
      assert.deepEqual(checked, {
        checked: true, state: 'seeding', is_seeding: true, num_pieces: t.pieces.length / 20, total_wanted_done: c.size, errors: [],
      });
    });

    if (format === 'v1') {
      it(`${c.label}: transmission-show accepts it`, (tc) => {
        if (!haveTool(tc, tools.transmissionShow, 'transmission-cli')) return;
        const { t, torrentFile } = need(c.label);
        const r = transmissionShow(torrentFile);
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, new RegExp(`^\\s*Hash: ${t.infoHash}$`, 'm'));
        assert.match(r.out, new RegExp(`^\\s*Name: ${escapeRegExp(t.name)}$`, 'm'));
        assert.match(r.out, new RegExp(`^\\s*Piece Count: ${t.pieces.length / 20}$`, 'm'));
        assert.match(r.out, /^\s*Privacy: Private torrent$/m);
        assert.match(r.out, new RegExp(`^\\s*${escapeRegExp(t.urlList[0]!)}$`, 'm'));
      });
    }
  }

  it('libtorrent downloads them from the server (presigned web seed, tracker, seeder) and verifies every piece, v1 and v2', async (tc) => {
    if (!haveTool(tc, tools.libtorrent, 'python3-libtorrent')) return;
    const labels = ['100 MiB by multipart in 5 MiB + 3 byte parts', 'UploadPartCopy-assembled (two unaligned ranges + a whole object)',
      'one piece + 1', 'hybrid: multipart 5 MiB + 3 and 1 MiB + 1 parts', 'hybrid: 3 MiB + 5 by PutObject', 'hybrid: UploadPartCopy-assembled'];
    const jobs = labels.map((label, i) => {
      const { torrentFile, dataDir, t } = need(label);
      const save = path.join(work, `download-${i}`);
      mkdirSync(save);
      return { torrent: torrentFile, save, dataDir, t, label };
    });
    const results = await ltWebSeedDownload(jobs.map(({ torrent, save }) => ({ torrent, save })), work, 120);
    const failed = results.flatMap((r, i) => (r.finished ? [] : [`${jobs[i]!.label}: ${r.state}, ${r.total_done} bytes, ${r.errors[0] ?? ''}`]));
    assert.deepEqual(failed, [], `torrents libtorrent could not download\n${server.stderr().slice(-3000)}`);
    for (const [i, r] of results.entries()) {
      const { label, save, dataDir, t } = jobs[i]!;
      assert.ok(r.finished, `${label}: ${JSON.stringify(r)}`);
      assert.equal(r.total_done, t.length);
      assert.equal(await compareFiles(path.join(save, t.name), path.join(dataDir, t.name)), undefined, `${label}: downloaded = GetObject's bytes`);
    }
  });

  it('the piece check can fail: one flipped byte in the last piece, or one byte missing, is caught', async () => {
    for (const label of ['one piece + 1', 'hybrid: 3 MiB + 5 by PutObject']) {
      const { t, dataDir } = need(label);
      const bytes = readFileSync(path.join(dataDir, t.name));
      const flipped = Buffer.from(bytes);
      flipped[flipped.length - 1]! ^= 1;
      const lastPiece = t.pieces.length / 20 - 1;
      await assert.rejects(verifyPieces(t, [flipped]), new RegExp(`piece ${lastPiece} of`), label);
      await assert.rejects(verifyPieces(t, [bytes.subarray(0, -1)]), label);
      await verifyPieces(t, [bytes]);
    }
  });

  it('a multipart object is hashed on the multipart grid; its CopyObject copy is re-hashed on its own grid', () => {
    const mp = need('100 MiB by multipart in 5 MiB + 3 byte parts').t;
    const put100 = need('100 MiB by PutObject').t;
    const copy = need('CopyObject of the multipart object').t;
    assert.equal(copy.pieceLength, put100.pieceLength, 'a copy is hashed like a PutObject of its size');
    assert.ok(copy.pieces.equals(put100.pieces), 'same bytes, same grid: same pieces');
    assert.notEqual(mp.pieceLength, copy.pieceLength, 'the multipart grid differs from the single-PUT grid here');
  });
});
