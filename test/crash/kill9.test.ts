// Crash safety: SIGKILL the server mid-upload, mid-CompleteMultipartUpload and after acknowledged
// writes, restart it on the same data directory, and check that what was acknowledged is there byte
// for byte, what was not is absent (never partial), and no temporary files are left behind.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand,
  HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, ListPartsCommand, PutObjectCommand, UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { patternBytes, readAll, sha256 } from '../helpers/files.ts';
import { objectPath, startRawRequest, type RawResponse } from '../helpers/raw.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const MiB = 1024 * 1024;
const BUCKET = 'crash';

/** Every file under `<data>/tmp/` (recursively); a missing tmp dir counts as empty. */
function tmpFiles(dataDir: string): string[] {
  const dir = path.join(dataDir, 'tmp');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory()).map((e) => path.join(e.parentPath ?? dir, e.name));
}

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === undefined) throw e;
    return status;
  }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number, detail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${detail()}`);
    await sleep(10);
  }
}

describe('kill -9 crash safety', { timeout: 900_000 }, () => {
  let server: TestServer;
  let dataDir: string;
  let s3: S3Client;
  /** Acknowledged objects: key → SHA-256 and size of the bytes that must read back. */
  const acked = new Map<string, { sha: string; size: number }>();

  const connect = () => { s3 = server.client({ maxAttempts: 1 }); };

  async function restart(): Promise<void> {
    if (server.proc.exitCode === null && server.proc.signalCode === null) await server.kill9();
    s3.destroy();
    server = await startTestServer({ dataDir });
    connect();
  }

  async function crashAndRestart(): Promise<void> {
    await server.kill9();
    await restart();
  }

  async function assertAckedIntact(): Promise<void> {
    for (const [key, want] of acked) {
      const r = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const body = await readAll(r.Body as Readable);
      assert.equal(body.length, want.size, `${key}: size after restart`);
      assert.equal(sha256(body), want.sha, `${key}: bytes after restart`);
    }
  }

  async function listedKeys(prefix = ''): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 100; i++) {
      const r = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(r.Contents ?? []).map((c) => c.Key!));
      token = r.NextContinuationToken;
      if (!token) return keys;
    }
    throw new Error('listing did not end after 100 pages');
  }

  async function put(key: string, body: Buffer): Promise<void> {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    acked.set(key, { sha: sha256(body), size: body.length });
  }

  before(async () => {
    server = await startTestServer();
    dataDir = server.dataDir;
    connect();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  after(async () => {
    s3?.destroy();
    if (server) {
      if (server.proc.exitCode === null && server.proc.signalCode === null) await server.kill9();
      server.cleanup();
    }
  });

  it('(a) a 200 MiB PUT killed mid-body leaves no object and no tmp files; acknowledged objects survive', async () => {
    await put('small/empty', Buffer.alloc(0));
    await put('small/one-byte', Buffer.from('x'));
    await put('small/100k', randomBytes(100_000));
    // A streamed (aws-chunked, CRC32 trailer) acknowledged upload too.
    const streamed = randomBytes(5 * MiB + 3);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'small/streamed', Body: Readable.from([streamed.subarray(0, 2 * MiB), streamed.subarray(2 * MiB)]), ContentLength: streamed.length }));
    acked.set('small/streamed', { sha: sha256(streamed), size: streamed.length });

    const TOTAL = 200 * MiB;
    const KILL_AT = 50 * MiB;
    const chunk = randomBytes(MiB);

    // 1. aws-sdk-js v3 with a Readable body + ContentLength (aws-chunked): count bytes the SDK pulled.
    let sdkPulled = 0;
    const source = new Readable({
      highWaterMark: MiB,
      read() {
        if (sdkPulled >= TOTAL) { this.push(null); return; }
        const n = Math.min(MiB, TOTAL - sdkPulled);
        sdkPulled += n;
        this.push(n === MiB ? chunk : chunk.subarray(0, n));
      },
    });
    const sdkPut = s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'interrupted/sdk', Body: source, ContentLength: TOTAL }))
      .then(() => 'acknowledged', (e: unknown) => `failed: ${(e as Error).name}`);

    // 2. A raw signed PUT with UNSIGNED-PAYLOAD and Content-Length: count bytes written to the socket.
    const raw = startRawRequest(server.url, {
      method: 'PUT', path: objectPath(BUCKET, 'interrupted/raw'), payloadHash: 'UNSIGNED-PAYLOAD', headers: { 'content-length': String(TOTAL) },
    });
    let rawOutcome = 'in flight';
    raw.on('response', (res) => { rawOutcome = `response ${res.statusCode}`; res.resume(); });
    raw.on('error', (e) => { if (rawOutcome === 'in flight') rawOutcome = `error ${(e as NodeJS.ErrnoException).code ?? e.message}`; });
    let rawQueued = 0;
    const rawSent = () => raw.socket?.bytesWritten ?? 0;
    const writer = (async () => {
      while (rawQueued < TOTAL && rawOutcome === 'in flight') {
        rawQueued += chunk.length;
        if (!raw.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = () => { raw.off('drain', done); raw.off('close', done); resolve(); };
            raw.once('drain', done);
            raw.once('close', done);
          });
        }
      }
    })();

    await waitFor('both uploads to pass 50 MiB', () => sdkPulled >= KILL_AT && rawSent() >= KILL_AT, 120_000,
      () => `sdk pulled ${sdkPulled}, raw sent ${rawSent()} (${rawOutcome})\n${server.stderr().slice(-2000)}`);
    assert.equal(rawOutcome, 'in flight', 'the raw upload was answered before the kill');
    const inFlight = tmpFiles(dataDir);
    await server.kill9();
    assert.ok(inFlight.length >= 2, `both uploads were streaming into <data>/tmp when killed: ${inFlight.join(', ')}`);
    const sdkOutcome = await sdkPut;
    await writer;
    assert.match(sdkOutcome, /^failed/, 'the SDK upload cannot have been acknowledged');
    assert.ok(sdkPulled < TOTAL && rawQueued < TOTAL, `kill came mid-body (sdk ${sdkPulled}, raw ${rawQueued} of ${TOTAL})`);

    await restart();
    assert.deepEqual(tmpFiles(dataDir), [], 'no files left in <data>/tmp after restart');
    for (const key of ['interrupted/sdk', 'interrupted/raw']) {
      assert.equal(await statusOf(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))), 404, `${key} must be absent`);
    }
    assert.deepEqual((await listedKeys()).sort(), [...acked.keys()].sort(), 'listing holds exactly the acknowledged objects');
    await assertAckedIntact();
  });

  it('(b) kill -9 during CompleteMultipartUpload: the object is whole or absent, never partial', async (t) => {
    // Kill delays (ms) after the Complete request was fully sent; 'ack' = after its 200 response.
    // The first, acknowledged run measures how long a Complete takes; the kills are spread over that window.
    const timings: Array<number | 'ack'> = ['ack', 0, 1];
    const outcomes: string[] = [];
    let completeMs = 0;
    for (let i = 0; i < timings.length; i++) {
      const timing = timings[i]!;
      const key = `mpu/kill-${i}`;
      const parts = [patternBytes(5 * MiB, 11 + i), patternBytes(5 * MiB + 1, 23 + i), patternBytes(MiB + 123, 37 + i)];
      const whole = Buffer.concat(parts);
      const { UploadId: uploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
      assert.ok(uploadId);
      const etags: string[] = [];
      for (const [n, body] of parts.entries()) {
        const r = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: n + 1, Body: body }));
        etags.push(r.ETag!);
      }
      const xml = `<CompleteMultipartUpload>${etags.map((e, n) => `<Part><PartNumber>${n + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
      const req = startRawRequest(server.url, {
        method: 'POST', path: objectPath(BUCKET, key), query: [['uploadId', uploadId]], body: xml,
        headers: { 'content-length': String(Buffer.byteLength(xml)), 'content-type': 'application/xml' },
      });
      let response: RawResponse | undefined;
      const answered = new Promise<void>((resolve) => {
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const b = Buffer.concat(chunks);
            response = { status: res.statusCode ?? 0, headers: res.headers, body: b, text: b.toString() };
            resolve();
          });
          res.on('error', () => resolve());
        });
        req.on('error', () => resolve());
      });
      const sent = new Promise<void>((resolve) => req.end(xml, () => resolve()));
      await sent;
      if (timing === 'ack') {
        const t0 = performance.now();
        await Promise.race([answered, sleep(60_000)]);
        assert.ok(response, 'Complete answered within 60 s');
        completeMs = performance.now() - t0;
        for (const f of [0.2, 0.4, 0.6, 0.8, 0.9, 1.0, 1.2]) timings.push(Math.round(f * completeMs));
      } else {
        await sleep(timing);
      }
      await server.kill9();
      await Promise.race([answered, sleep(1000)]);
      const ack = response !== undefined && response.status === 200 && response.text.includes('<CompleteMultipartUploadResult');

      await restart();
      assert.deepEqual(tmpFiles(dataDir), [], `timing ${timing}: no files left in <data>/tmp after restart`);
      const head = await statusOf(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })));
      const listed = (await listedKeys('mpu/')).includes(key);
      const uploads = (await s3.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: key }))).Uploads ?? [];
      const uploadOpen = uploads.some((u) => u.UploadId === uploadId && u.Key === key);
      if (head === 200) {
        const got = await readAll((await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body as Readable);
        assert.equal(got.length, whole.length, `timing ${timing}: completed object size`);
        assert.ok(got.equals(whole), `timing ${timing}: completed object bytes`);
        assert.ok(listed, `timing ${timing}: completed object listed`);
        assert.ok(!uploadOpen, `timing ${timing}: the upload must be gone once the object exists`);
        assert.equal(await statusOf(s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }))), 404, 'ListParts → NoSuchUpload');
        outcomes.push(`${timing}: complete${ack ? ' (acknowledged)' : ''}`);
      } else {
        assert.equal(head, 404, `timing ${timing}: HeadObject`);
        assert.ok(!ack, `timing ${timing}: an acknowledged Complete was lost`);
        assert.ok(!listed, `timing ${timing}: absent object must not be listed`);
        // Not completed: the upload is still open with all its parts, and completing it again works.
        assert.ok(uploadOpen, `timing ${timing}: neither the object nor the upload survived`);
        const lp = await s3.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
        assert.deepEqual((lp.Parts ?? []).map((p) => [p.PartNumber, p.ETag, p.Size]), etags.map((e, n) => [n + 1, e, parts[n]!.length]));
        await s3.send(new CompleteMultipartUploadCommand({
          Bucket: BUCKET, Key: key, UploadId: uploadId, MultipartUpload: { Parts: etags.map((ETag, n) => ({ ETag, PartNumber: n + 1 })) },
        }));
        const got = await readAll((await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body as Readable);
        assert.ok(got.equals(whole), `timing ${timing}: bytes after completing again`);
        outcomes.push(`${timing}: absent, completed again`);
      }
      acked.set(key, { sha: sha256(whole), size: whole.length });
    }
    assert.ok(outcomes.some((o) => o.startsWith('ack')), 'the acknowledged case ran');
    assert.equal(outcomes.length, 10);
    await assertAckedIntact();
    // Recorded so a run shows which interleavings it exercised.
    t.diagnostic(`Complete took ${completeMs.toFixed(1)} ms unkilled; kill after (ms): ${outcomes.join('; ')}`);
  });

  it('(c) an acknowledged overwrite and delete survive kill -9', async () => {
    await put('overwrite/k', randomBytes(MiB));
    await put('overwrite/k', randomBytes(2 * MiB + 5));
    await put('overwrite/deleted', Buffer.from('to be deleted'));
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'overwrite/deleted' }));
    acked.delete('overwrite/deleted');
    // An overwrite of a single-part object by a multipart one, and of a multipart object by a single PUT.
    const parts = [patternBytes(5 * MiB, 101), patternBytes(777, 102)];
    await put('overwrite/to-mpu', Buffer.from('single'));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'overwrite/to-mpu' }));
    const etags: string[] = [];
    for (const [n, body] of parts.entries()) {
      etags.push((await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 'overwrite/to-mpu', UploadId, PartNumber: n + 1, Body: body }))).ETag!);
    }
    await s3.send(new CompleteMultipartUploadCommand({
      Bucket: BUCKET, Key: 'overwrite/to-mpu', UploadId, MultipartUpload: { Parts: etags.map((ETag, n) => ({ ETag, PartNumber: n + 1 })) },
    }));
    const mpu = Buffer.concat(parts);
    acked.set('overwrite/to-mpu', { sha: sha256(mpu), size: mpu.length });
    await put('mpu/kill-0', Buffer.from('a single PUT over a multipart object'));

    await crashAndRestart();
    assert.deepEqual(tmpFiles(dataDir), [], 'no files left in <data>/tmp after restart');
    assert.equal(await statusOf(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'overwrite/deleted' }))), 404, 'acknowledged delete survives');
    await assertAckedIntact();
    assert.deepEqual((await listedKeys()).sort(), [...acked.keys()].sort());
    // And a second crash in a row changes nothing.
    await crashAndRestart();
    await assertAckedIntact();
  });
});
