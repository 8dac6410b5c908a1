import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, GetObjectCommand,
  GetObjectTorrentCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListPartsCommand, PutObjectCommand, S3Client,
  S3ServiceException, UploadPartCommand, UploadPartCopyCommand, type CompletedPart,
} from '@aws-sdk/client-s3';
import { parseErrorXml, rawRequest } from '../helpers/raw.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { bkey, strictDecode } from '../helpers/strict-bdecode.ts';
import { refV1Pieces, refV2 } from '../torrent/support.ts';

const MiB = 1024 * 1024;
const BUCKET = 'mp-main';
const HYBRID = 'mp-hybrid';

let server: TestServer;
let s3: S3Client;

const named = (name: string) => (e: unknown) => e instanceof S3ServiceException && e.name === name;
const md5 = (b: Buffer) => createHash('md5').update(b).digest();

/** S3's multipart ETag, computed independently. */
const multipartEtag = (parts: Buffer[]) => `"${md5(Buffer.concat(parts.map(md5))).toString('hex')}-${parts.length}"`;

function shuffled<T>(xs: T[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

async function create(bucket: string, key: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...extra }));
  assert.equal(r.Bucket, bucket);
  assert.equal(r.Key, key);
  return r.UploadId!;
}

/** Upload parts (numbered 1..n) in the given order of indexes, all at once. */
async function uploadParts(bucket: string, key: string, uploadId: string, parts: Buffer[], order = shuffled(parts.map((_, i) => i)), extra: Record<string, unknown> = {}): Promise<CompletedPart[]> {
  const done: CompletedPart[] = [];
  await Promise.all(order.map(async (i) => {
    const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: i + 1, Body: parts[i], ...extra }));
    assert.equal(r.ETag, `"${md5(parts[i]!).toString('hex')}"`);
    done[i] = { PartNumber: i + 1, ETag: r.ETag! };
  }));
  return done;
}

const complete = (bucket: string, key: string, uploadId: string, parts: CompletedPart[]) =>
  s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));

async function get(bucket: string, key: string, extra: Record<string, unknown> = {}): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ...extra }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

/** The object's torrent must describe exactly `data`: v1 pieces, and for hybrid the piece layer and root. */
async function checkTorrent(bucket: string, key: string, data: Buffer, hybrid: boolean): Promise<void> {
  const r = await s3.send(new GetObjectTorrentCommand({ Bucket: bucket, Key: key }));
  const torrent = strictDecode(Buffer.from(await r.Body!.transformToByteArray())) as Map<string, unknown>;
  const info = torrent.get('info') as Map<string, unknown>;
  const pieceLength = info.get('piece length') as number;
  assert.equal(pieceLength, 4 * MiB);
  assert.equal((info.get('pieces') as Buffer).toString('hex'), refV1Pieces(data, pieceLength).toString('hex'), 'v1 pieces');
  if (!hybrid) return;
  const ref = refV2(data, pieceLength);
  const layers = torrent.get('piece layers') as Map<string, Buffer>;
  assert.equal(layers.size, 1);
  const [root, layer] = [...layers][0]!;
  assert.equal(Buffer.from(root, 'latin1').toString('hex'), ref.piecesRoot!.toString('hex'), 'pieces root');
  assert.equal(layer.toString('hex'), ref.pieceLayer.toString('hex'), 'piece layer');
  const fileTree = info.get('file tree') as Map<string, Map<string, Map<string, unknown>>>;
  const file = [...fileTree.values()][0]!.get('')!;
  assert.equal((file.get(bkey('pieces root')) as Buffer).toString('hex'), ref.piecesRoot!.toString('hex'));
}

const blobFiles = () =>
  readdirSync(path.join(server.dataDir, 'blobs'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length;

/** Blob files on disk, polled until they settle at `expected` (removal is asynchronous). */
async function blobFilesSettle(expected: number): Promise<number> {
  for (let i = 0; i < 50 && blobFiles() !== expected; i++) await new Promise((r) => setTimeout(r, 50));
  return blobFiles();
}

function admin(...args: string[]): string {
  return execFileSync(process.execPath, [path.resolve(import.meta.dirname, '../../bin/seedbucket.js'), 'admin', ...args, '--data', server.dataDir]).toString();
}

before(async () => {
  server = await startTestServer({ args: ['--insecure-sse-c'] });
  s3 = server.client();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await s3.send(new CreateBucketCommand({ Bucket: HYBRID }));
  admin('bucket', 'torrent-format', HYBRID, 'hybrid');
});

after(async () => {
  s3?.destroy();
  await server?.stop();
  server?.cleanup();
});

describe('CompleteMultipartUpload', () => {
  it('parts uploaded in random order and in parallel assemble in part-number order', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(100_000)];
    const id = await create(BUCKET, 'parallel', { ContentType: 'video/x-test', Metadata: { origin: 'mp' } });
    const done = await uploadParts(BUCKET, 'parallel', id, parts);
    const r = await complete(BUCKET, 'parallel', id, done);
    assert.equal(r.ETag, multipartEtag(parts));
    assert.equal(r.Bucket, BUCKET);
    assert.equal(r.Key, 'parallel');
    assert.match(r.Location ?? '', /^http:\/\/127\.0\.0\.1:\d+\/mp-main\/parallel$/);
    const all = Buffer.concat(parts);
    assert.ok((await get(BUCKET, 'parallel')).equals(all));
    const h = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'parallel' }));
    assert.equal(h.ETag, multipartEtag(parts));
    assert.equal(h.ContentLength, all.length);
    assert.equal(h.ContentType, 'video/x-test');
    assert.deepEqual(h.Metadata, { origin: 'mp' });
    const p3 = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'parallel', PartNumber: 3 }));
    assert.equal(p3.PartsCount, 4);
    assert.equal(p3.ContentLength, 5 * MiB);
    assert.ok((await get(BUCKET, 'parallel', { PartNumber: 4 })).equals(parts[3]!));
    await checkTorrent(BUCKET, 'parallel', all, false);
  });

  for (const bucket of [BUCKET, HYBRID]) {
    it(`misaligned parts (3 × (5 MiB + 3) then a short part) read back exactly and hash right (${bucket})`, async () => {
      const parts = [randomBytes(5 * MiB + 3), randomBytes(5 * MiB + 3), randomBytes(5 * MiB + 3), randomBytes(777_777)];
      const id = await create(bucket, 'misaligned');
      const done = await uploadParts(bucket, 'misaligned', id, parts);
      const r = await complete(bucket, 'misaligned', id, done);
      assert.equal(r.ETag, multipartEtag(parts));
      const all = Buffer.concat(parts);
      assert.ok((await get(bucket, 'misaligned')).equals(all));
      const range = await get(bucket, 'misaligned', { Range: `bytes=${5 * MiB}-${5 * MiB + 9}` });
      assert.ok(range.equals(all.subarray(5 * MiB, 5 * MiB + 10)));
      await checkTorrent(bucket, 'misaligned', all, bucket === HYBRID);
    });
  }

  it('the short last part uploaded first (a wrong offset guess) still hashes right', async () => {
    const parts = [randomBytes(6 * MiB), randomBytes(6 * MiB), randomBytes(1 * MiB + 5)];
    const id = await create(HYBRID, 'last-first');
    const done = await uploadParts(HYBRID, 'last-first', id, parts, [2, 0, 1]);
    await complete(HYBRID, 'last-first', id, done);
    const all = Buffer.concat(parts);
    assert.ok((await get(HYBRID, 'last-first')).equals(all));
    await checkTorrent(HYBRID, 'last-first', all, true);
  });

  it('a single part may be small; an empty single part makes an empty object', async () => {
    const id = await create(BUCKET, 'single');
    const done = await uploadParts(BUCKET, 'single', id, [Buffer.from('tiny')]);
    const r = await complete(BUCKET, 'single', id, done);
    assert.equal(r.ETag, multipartEtag([Buffer.from('tiny')]));
    assert.equal((await get(BUCKET, 'single')).toString(), 'tiny');
    const id2 = await create(BUCKET, 'empty');
    const done2 = await uploadParts(BUCKET, 'empty', id2, [Buffer.alloc(0)]);
    await complete(BUCKET, 'empty', id2, done2);
    const h = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'empty' }));
    assert.equal(h.ContentLength, 0);
    assert.equal(h.ETag, multipartEtag([Buffer.alloc(0)]));
  });

  it('re-uploading a part replaces it; a subset of the parts may be completed; unused parts are removed', async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(1000)];
    const before = blobFiles();
    const id = await create(BUCKET, 'subset');
    await uploadParts(BUCKET, 'subset', id, [randomBytes(5 * MiB)], [0]);
    const done = await uploadParts(BUCKET, 'subset', id, parts);
    const chosen = [done[0]!, done[2]!];
    const r = await complete(BUCKET, 'subset', id, chosen);
    assert.equal(r.ETag, multipartEtag([parts[0]!, parts[2]!]));
    assert.ok((await get(BUCKET, 'subset')).equals(Buffer.concat([parts[0]!, parts[2]!])));
    assert.equal(await blobFilesSettle(before + 2), before + 2);
  });

  it('overwrites an existing object and removes its bytes', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'over', Body: 'old' }));
    const before = blobFiles();
    const id = await create(BUCKET, 'over');
    await complete(BUCKET, 'over', id, await uploadParts(BUCKET, 'over', id, [Buffer.from('new')]));
    assert.equal((await get(BUCKET, 'over')).toString(), 'new');
    assert.equal(await blobFilesSettle(before), before);
  });

  describe('errors', () => {
    let id: string;
    let done: CompletedPart[];
    const parts = [randomBytes(5 * MiB), randomBytes(3 * MiB), randomBytes(5 * MiB)];
    before(async () => {
      id = await create(BUCKET, 'bad');
      done = await uploadParts(BUCKET, 'bad', id, parts);
    });

    it('a wrong ETag or a part never uploaded → 400 InvalidPart', async () => {
      await assert.rejects(complete(BUCKET, 'bad', id, [done[0]!, { PartNumber: 3, ETag: '"00000000000000000000000000000000"' }]), named('InvalidPart'));
      await assert.rejects(complete(BUCKET, 'bad', id, [done[0]!, { PartNumber: 4, ETag: done[2]!.ETag }]), named('InvalidPart'));
    });

    it('parts out of order or repeated → 400 InvalidPartOrder', async () => {
      await assert.rejects(complete(BUCKET, 'bad', id, [done[2]!, done[0]!]), named('InvalidPartOrder'));
      await assert.rejects(complete(BUCKET, 'bad', id, [done[0]!, done[0]!]), named('InvalidPartOrder'));
    });

    it('a part under 5 MiB that is not the last → 400 EntityTooSmall', async () => {
      await assert.rejects(complete(BUCKET, 'bad', id, done), named('EntityTooSmall'));
    });

    it('no parts → 400 MalformedXML', async () => {
      await assert.rejects(complete(BUCKET, 'bad', id, []), named('MalformedXML'));
      const r = await rawRequest(server.url, { method: 'POST', path: `/${BUCKET}/bad`, query: [['uploadId', id]], body: '<CompleteMultipartUpload><Part>' });
      assert.equal(r.status, 400);
      assert.equal(parseErrorXml(r.text)?.Code, 'MalformedXML');
    });

    it('an unknown upload id, or one of another key → 404 NoSuchUpload', async () => {
      await assert.rejects(complete(BUCKET, 'bad', 'no-such-upload', done), named('NoSuchUpload'));
      await assert.rejects(complete(BUCKET, 'other-key', id, done), named('NoSuchUpload'));
      await assert.rejects(s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'other-key', UploadId: id, PartNumber: 1, Body: 'x' })), named('NoSuchUpload'));
    });

    it('part numbers outside 1..10000 → 400 InvalidArgument', async () => {
      for (const n of [0, 10001]) {
        await assert.rejects(s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'bad', UploadId: id, PartNumber: n, Body: 'x' })), named('InvalidArgument'));
      }
      const r = await rawRequest(server.url, { method: 'PUT', path: `/${BUCKET}/bad`, query: [['partNumber', 'abc'], ['uploadId', id]], body: 'x' });
      assert.equal(r.status, 400);
      assert.equal(parseErrorXml(r.text)?.Code, 'InvalidArgument');
    });

    it('ETags without quotes are accepted; the upload is gone once completed', async () => {
      const body = `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${done[0]!.ETag!.replace(/"/g, '')}</ETag></Part>`
        + `<Part><PartNumber>3</PartNumber><ETag>${done[2]!.ETag}</ETag></Part></CompleteMultipartUpload>`;
      const r = await rawRequest(server.url, { method: 'POST', path: `/${BUCKET}/bad`, query: [['uploadId', id]], body });
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, /<CompleteMultipartUploadResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Location>[^<]+<\/Location><Bucket>mp-main<\/Bucket><Key>bad<\/Key><ETag>&quot;[0-9a-f]{32}-2&quot;<\/ETag><\/CompleteMultipartUploadResult>/);
      assert.ok((await get(BUCKET, 'bad')).equals(Buffer.concat([parts[0]!, parts[2]!])));
      await assert.rejects(complete(BUCKET, 'bad', id, done), named('NoSuchUpload'));
      await assert.rejects(s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'bad', UploadId: id })), named('NoSuchUpload'));
    });
  });
});

describe('UploadPartCopy', () => {
  const source = randomBytes(12 * MiB + 11);
  before(async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'copy/source', Body: source }));
  });

  it('copies ranges of a source into parts', async () => {
    const id = await create(BUCKET, 'copy/target');
    const cuts = [0, 5 * MiB + 3, 10 * MiB + 6, source.length];
    const done = await Promise.all([0, 1, 2].map(async (i) => {
      const r = await s3.send(new UploadPartCopyCommand({
        Bucket: BUCKET, Key: 'copy/target', UploadId: id, PartNumber: i + 1, CopySource: `${BUCKET}/copy/source`,
        CopySourceRange: `bytes=${cuts[i]}-${cuts[i + 1]! - 1}`,
      }));
      assert.equal(r.CopyPartResult?.ETag, `"${md5(source.subarray(cuts[i], cuts[i + 1])).toString('hex')}"`);
      assert.ok(r.CopyPartResult?.LastModified instanceof Date);
      return { PartNumber: i + 1, ETag: r.CopyPartResult!.ETag! };
    }));
    const r = await complete(BUCKET, 'copy/target', id, done);
    assert.equal(r.ETag, multipartEtag([0, 1, 2].map((i) => source.subarray(cuts[i], cuts[i + 1]))));
    assert.ok((await get(BUCKET, 'copy/target')).equals(source));
    await checkTorrent(BUCKET, 'copy/target', source, false);
  });

  it('without a range copies the whole source; mixes with uploaded parts', async () => {
    const id = await create(BUCKET, 'copy/mixed');
    const first = await s3.send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: 'copy/mixed', UploadId: id, PartNumber: 1, CopySource: `${BUCKET}/copy/source` }));
    const tail = Buffer.from('tail');
    const [, second] = await uploadParts(BUCKET, 'copy/mixed', id, [Buffer.alloc(0), tail], [1]);
    await complete(BUCKET, 'copy/mixed', id, [{ PartNumber: 1, ETag: first.CopyPartResult!.ETag! }, second!]);
    assert.ok((await get(BUCKET, 'copy/mixed')).equals(Buffer.concat([source, tail])));
  });

  it('a malformed or out-of-source range → 400 InvalidArgument; a missing source → NoSuchKey; an unknown upload → NoSuchUpload', async () => {
    const id = await create(BUCKET, 'copy/bad');
    const copy = (range: string | undefined, src = `${BUCKET}/copy/source`) => s3.send(new UploadPartCopyCommand({
      Bucket: BUCKET, Key: 'copy/bad', UploadId: id, PartNumber: 1, CopySource: src, ...(range ? { CopySourceRange: range } : {}),
    }));
    for (const range of ['bytes=5-', 'bytes=-5', 'bytes=10-5', 'items=0-1', `bytes=0-${source.length}`, `bytes=${source.length}-${source.length + 5}`]) {
      await assert.rejects(copy(range), named('InvalidArgument'), range);
    }
    await assert.rejects(copy(undefined, `${BUCKET}/copy/nothing`), named('NoSuchKey'));
    await assert.rejects(s3.send(new UploadPartCopyCommand({
      Bucket: BUCKET, Key: 'copy/bad', UploadId: 'nope', PartNumber: 1, CopySource: `${BUCKET}/copy/source`,
    })), named('NoSuchUpload'));
  });
});

describe('ListParts', () => {
  it('pages with max-parts and part-number-marker', async () => {
    const id = await create(BUCKET, 'lp');
    const parts = Array.from({ length: 7 }, (_, i) => Buffer.from(`part ${i + 1}`));
    await uploadParts(BUCKET, 'lp', id, parts);
    const seen: number[] = [];
    let marker: string | undefined;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 10);
      const r = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'lp', UploadId: id, MaxParts: 3, ...(marker ? { PartNumberMarker: marker } : {}) }));
      assert.equal(r.MaxParts, 3);
      assert.equal(r.StorageClass, 'STANDARD');
      assert.match(r.Owner?.ID ?? '', /^[0-9a-f]{64}$/);
      assert.equal(r.Initiator?.ID, r.Owner?.ID);
      for (const p of r.Parts ?? []) {
        assert.equal(p.ETag, `"${md5(parts[p.PartNumber! - 1]!).toString('hex')}"`);
        assert.equal(p.Size, parts[p.PartNumber! - 1]!.length);
        assert.ok(p.LastModified instanceof Date);
        seen.push(p.PartNumber!);
      }
      if (!r.IsTruncated) break;
      assert.equal(r.NextPartNumberMarker, String(seen[seen.length - 1]));
      marker = r.NextPartNumberMarker;
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7]);
    const tail = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'lp', UploadId: id, PartNumberMarker: '6' }));
    assert.deepEqual(tail.Parts?.map((p) => p.PartNumber), [7]);
    assert.equal(tail.PartNumberMarker, '6');
    assert.equal(tail.IsTruncated, false);
  });

  it('an invalid max-parts → 400 InvalidArgument', async () => {
    const id = await create(BUCKET, 'lp2');
    const r = await rawRequest(server.url, { method: 'GET', path: `/${BUCKET}/lp2`, query: [['uploadId', id], ['max-parts', 'x']] });
    assert.equal(r.status, 400);
    assert.equal(parseErrorXml(r.text)?.Code, 'InvalidArgument');
  });
});

describe('ListMultipartUploads', () => {
  const LB = 'mp-list';
  const KEYS = ['u/a', 'u/a', 'u/b', 'v/c', 'w', 'x y', 'u/a'];
  const uploads: { key: string; id: string }[] = [];
  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: LB }));
    for (const key of KEYS) {
      uploads.push({ key, id: await create(LB, key) });
      await new Promise((r) => setTimeout(r, 3));
    }
  });
  // S3's order: by key in byte order, then by initiation time.
  const expected = () => [...uploads].sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) || uploads.indexOf(a) - uploads.indexOf(b));

  it('lists every upload by key, then by initiation', async () => {
    const r = await s3.send(new ListMultipartUploadsCommand({ Bucket: LB }));
    assert.deepEqual(r.Uploads?.map((u) => ({ key: u.Key, id: u.UploadId })), expected());
    assert.equal(r.IsTruncated, false);
    assert.equal(r.MaxUploads, 1000);
    const u = r.Uploads![0]!;
    assert.equal(u.StorageClass, 'STANDARD');
    assert.match(u.Owner?.ID ?? '', /^[0-9a-f]{64}$/);
    assert.equal(u.Initiator?.ID, u.Owner?.ID);
    assert.ok(u.Initiated instanceof Date && Math.abs(u.Initiated.getTime() - Date.now()) < 60_000);
  });

  for (const max of [1, 2, 3]) {
    it(`pages with max-uploads=${max}, key-marker and upload-id-marker`, async () => {
      const seen: { key: string; id: string }[] = [];
      let markers: { KeyMarker?: string; UploadIdMarker?: string } = {};
      for (let pages = 0; ; pages++) {
        assert.ok(pages < 20);
        const r = await s3.send(new ListMultipartUploadsCommand({ Bucket: LB, MaxUploads: max, ...markers }));
        assert.ok((r.Uploads?.length ?? 0) <= max);
        seen.push(...(r.Uploads ?? []).map((u) => ({ key: u.Key!, id: u.UploadId! })));
        if (!r.IsTruncated) break;
        assert.equal(r.NextKeyMarker, seen[seen.length - 1]!.key);
        assert.equal(r.NextUploadIdMarker, seen[seen.length - 1]!.id);
        markers = { KeyMarker: r.NextKeyMarker, UploadIdMarker: r.NextUploadIdMarker };
      }
      assert.deepEqual(seen, expected());
    });
  }

  it('key-marker alone skips every upload of that key', async () => {
    const r = await s3.send(new ListMultipartUploadsCommand({ Bucket: LB, KeyMarker: 'u/a' }));
    assert.deepEqual(r.Uploads?.map((u) => u.Key), ['u/b', 'v/c', 'w', 'x y']);
  });

  it('rolls keys up by delimiter and pages across CommonPrefixes', async () => {
    const r = await s3.send(new ListMultipartUploadsCommand({ Bucket: LB, Delimiter: '/' }));
    assert.deepEqual(r.CommonPrefixes?.map((p) => p.Prefix), ['u/', 'v/']);
    assert.deepEqual(r.Uploads?.map((u) => u.Key), ['w', 'x y']);
    const p1 = await s3.send(new ListMultipartUploadsCommand({ Bucket: LB, Delimiter: '/', MaxUploads: 1 }));
    assert.deepEqual(p1.CommonPrefixes?.map((p) => p.Prefix), ['u/']);
    assert.equal(p1.IsTruncated, true);
    assert.equal(p1.NextKeyMarker, 'u/');
    const p2 = await s3.send(new ListMultipartUploadsCommand({ Bucket: LB, Delimiter: '/', MaxUploads: 2, KeyMarker: p1.NextKeyMarker }));
    assert.deepEqual(p2.CommonPrefixes?.map((p) => p.Prefix), ['v/']);
    assert.deepEqual(p2.Uploads?.map((u) => u.Key), ['w']);
    assert.equal(p2.IsTruncated, true);
    const withPrefix = await s3.send(new ListMultipartUploadsCommand({ Bucket: LB, Prefix: 'u/', Delimiter: '/' }));
    assert.deepEqual(withPrefix.Uploads?.map((u) => u.Key), ['u/a', 'u/a', 'u/a', 'u/b']);
    assert.equal(withPrefix.Prefix, 'u/');
  });

  it('encoding-type=url encodes keys; bad max-uploads → 400', async () => {
    const r = await rawRequest(server.url, { method: 'GET', path: `/${LB}`, query: [['uploads', ''], ['encoding-type', 'url'], ['prefix', 'x ']] });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /<Prefix>x\+<\/Prefix>/);
    assert.match(r.text, /<Upload><Key>x\+y<\/Key>/);
    assert.match(r.text, /<EncodingType>url<\/EncodingType>/);
    const bad = await rawRequest(server.url, { method: 'GET', path: `/${LB}`, query: [['uploads', ''], ['max-uploads', '-3']] });
    assert.equal(bad.status, 400);
    assert.equal(parseErrorXml(bad.text)?.Code, 'InvalidArgument');
  });
});

describe('AbortMultipartUpload', () => {
  it('removes the upload and its parts: 204, then NoSuchUpload everywhere', async () => {
    const before = blobFiles();
    const id = await create(BUCKET, 'aborted');
    await uploadParts(BUCKET, 'aborted', id, [randomBytes(1000), randomBytes(1000)]);
    assert.equal(blobFiles(), before + 2);
    const r = await s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'aborted', UploadId: id }));
    assert.equal(r.$metadata.httpStatusCode, 204);
    assert.equal(await blobFilesSettle(before), before);
    await assert.rejects(s3.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: 'aborted', UploadId: id })), named('NoSuchUpload'));
    await assert.rejects(s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'aborted', UploadId: id })), named('NoSuchUpload'));
    await assert.rejects(s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'aborted', UploadId: id, PartNumber: 1, Body: 'x' })), named('NoSuchUpload'));
    await assert.rejects(complete(BUCKET, 'aborted', id, [{ PartNumber: 1, ETag: '"x"' }]), named('NoSuchUpload'));
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'aborted' })), (e: unknown) => e instanceof S3ServiceException && e.$metadata.httpStatusCode === 404);
    const list = await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'aborted' }));
    assert.equal(list.Uploads, undefined);
  });
});

describe('SSE-C multipart uploads', () => {
  const key = randomBytes(32);
  const sse = {
    SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(key).digest('base64'),
  };

  it('encrypts every part with the upload\'s key and reads back with it', async () => {
    const parts = [randomBytes(5 * MiB + 3), randomBytes(12345)];
    const r0 = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'secret', ...sse }));
    assert.equal(r0.SSECustomerKeyMD5, sse.SSECustomerKeyMD5);
    const id = r0.UploadId!;
    await assert.rejects(s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'secret', UploadId: id, PartNumber: 1, Body: parts[0] })), named('InvalidRequest'));
    const other = randomBytes(32);
    await assert.rejects(s3.send(new UploadPartCommand({
      Bucket: BUCKET, Key: 'secret', UploadId: id, PartNumber: 1, Body: parts[0],
      SSECustomerAlgorithm: 'AES256', SSECustomerKey: other.toString('base64'), SSECustomerKeyMD5: createHash('md5').update(other).digest('base64'),
    })), named('InvalidRequest'));
    const done = await uploadParts(BUCKET, 'secret', id, parts, undefined, sse);
    const r = await complete(BUCKET, 'secret', id, done);
    assert.equal(r.ETag, multipartEtag(parts));
    assert.ok((await get(BUCKET, 'secret', sse)).equals(Buffer.concat(parts)));
    await assert.rejects(get(BUCKET, 'secret'), named('InvalidRequest'));
    const range = await get(BUCKET, 'secret', { ...sse, Range: `bytes=${5 * MiB}-${5 * MiB + 100}` });
    assert.ok(range.equals(Buffer.concat(parts).subarray(5 * MiB, 5 * MiB + 101)));
  });

  it('a plain upload refuses SSE-C parts', async () => {
    const id = await create(BUCKET, 'plain');
    await assert.rejects(s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'plain', UploadId: id, PartNumber: 1, Body: 'x', ...sse })), named('InvalidRequest'));
  });
});
