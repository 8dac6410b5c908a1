/**
 * The info dict (hence the info-hash) is a pure function of the object version's bytes and whether it
 * is anonymously readable: stable across fetches and callers, new after an overwrite with other bytes
 * and after PutObjectAcl makes it public or private, back to the same value when the ACL goes back.
 * Per-request things (the presigned web seed) live outside `info`. The torrent format follows
 * `--torrent-format` and `seedbucket admin bucket torrent-format`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand, HeadObjectCommand, ListBucketsCommand, PutBucketRequestPaymentCommand, PutObjectAclCommand, PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { haveTool, ltOracle, tools } from '../torrent/support.ts';
import { MiB, admin, checkTorrentOfObject, getTorrent, infoBytes, type Account, type Torrent } from './helpers.ts';

const BUCKET = 'identity';

describe('info-hash identity', () => {
  let server: TestServer;
  let s3: S3Client;
  let other: Account;
  let otherS3: S3Client;
  const torrentOf = async (key: string, client: S3Client = s3, bucket = BUCKET): Promise<Torrent> =>
    (await getTorrent(client, { Bucket: bucket, Key: key })).torrent;

  before(async () => {
    server = await startTestServer();
    s3 = server.client();
    other = await admin<Account>(server, 'account', 'create', 'identity-other');
    otherS3 = server.client({ credentials: { accessKeyId: other.accessKeyId, secretAccessKey: other.secretAccessKey } });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  after(async () => {
    s3?.destroy();
    otherS3?.destroy();
    if (server) { await server.stop(); server.cleanup(); }
  });

  it('is stable across fetches, and the response Last-Modified is the object\'s', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'stable.bin', Body: Buffer.alloc(300_000, 3) }));
    const first = await getTorrent(s3, { Bucket: BUCKET, Key: 'stable.bin' });
    for (let i = 0; i < 3; i++) {
      const again = await torrentOf('stable.bin');
      assert.equal(again.infoHash, first.torrent.infoHash);
      assert.ok(infoBytes(again).equals(infoBytes(first.torrent)));
    }
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'stable.bin' }));
    assert.equal(first.headers['last-modified'], head.LastModified!.toUTCString());
  });

  it('does not depend on the caller: the per-caller presigned web seed is outside info', async () => {
    await s3.send(new PutObjectCommand({
      Bucket: BUCKET, Key: 'shared.txt', Body: 'shared\n', GrantFullControl: `id="${await ownerId(s3)}"`, GrantRead: `id="${other.canonicalUserId}"`,
    }));
    const mine = await torrentOf('shared.txt');
    const theirs = await torrentOf('shared.txt', otherS3);
    assert.equal(mine.private, true);
    assert.notEqual(mine.urlList[0], theirs.urlList[0], 'each caller gets a web seed signed with their own key');
    assert.ok(new URL(theirs.urlList[0]!).searchParams.get('X-Amz-Credential')!.startsWith(`${other.accessKeyId}/`));
    assert.ok(infoBytes(mine).equals(infoBytes(theirs)), 'same info dict for both callers');
    for (const t of [mine, theirs]) assert.equal(await (await fetch(t.urlList[0]!)).text(), 'shared\n');
  });

  it('changes on every overwrite, even with identical bytes (a pure function of the object version)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'overwritten.bin', Body: Buffer.alloc(5000, 1) }));
    const v1 = await torrentOf('overwritten.bin');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'overwritten.bin', Body: Buffer.alloc(5000, 2) }));
    const v2 = await torrentOf('overwritten.bin');
    assert.notEqual(v2.infoHash, v1.infoHash, 'new bytes, new info-hash');
    await checkTorrentOfObject(s3, v2, BUCKET, 'overwritten.bin');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'overwritten.bin', Body: Buffer.alloc(6000, 2) }));
    const v3 = await torrentOf('overwritten.bin');
    assert.notEqual(v3.infoHash, v2.infoHash, 'new length, new info-hash');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'overwritten.bin', Body: Buffer.alloc(6000, 2) }));
    const v4 = await torrentOf('overwritten.bin');
    assert.notEqual(v4.infoHash, v3.infoHash, 'a new version, a new info-hash, even for identical bytes');
    assert.ok(v4.pieces.equals(v3.pieces), 'identical bytes, identical pieces');
  });

  it('changes with PutObjectAcl public-read / private, and comes back with the ACL', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'acl.bin', Body: Buffer.alloc(400_000, 9) }));
    const priv = await torrentOf('acl.bin');
    assert.equal(priv.private, true);
    assert.ok(new URL(priv.urlList[0]!).searchParams.has('X-Amz-Signature'), 'presigned web seed');

    await s3.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: 'acl.bin', ACL: 'public-read' }));
    const pub = await torrentOf('acl.bin');
    assert.equal(pub.private, false);
    assert.notEqual(pub.infoHash, priv.infoHash, 'making it public gives a new info-hash');
    assert.ok(pub.pieces.equals(priv.pieces), 'same bytes, same pieces');
    const plain = new URL(pub.urlList[0]!);
    assert.equal(`${plain.origin}${plain.pathname}`, `${server.url}/${BUCKET}/acl.bin`);
    assert.deepEqual([...plain.searchParams.keys()], ['versionId'], 'a plain web seed (not presigned), naming the object version');
    assert.equal((await fetch(pub.urlList[0]!)).status, 200, 'anonymous GET of the web seed works');
    assert.equal((await torrentOf('acl.bin')).infoHash, pub.infoHash, 'stable while public');

    await s3.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: 'acl.bin', ACL: 'private' }));
    const back = await torrentOf('acl.bin');
    assert.equal(back.private, true);
    assert.equal(back.infoHash, priv.infoHash, 'private again: the same info-hash as before (a pure function)');
    assert.equal((await fetch(pub.urlList[0]!)).status, 403, 'the old public web seed no longer reads it');
  });

  it('changes when the bucket turns Requester Pays (no longer anonymously readable)', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'identity-rp' }));
    await s3.send(new PutObjectCommand({ Bucket: 'identity-rp', Key: 'k', Body: 'data\n', ACL: 'public-read' }));
    const before = await torrentOf('k', s3, 'identity-rp');
    assert.equal(before.private, false);
    await s3.send(new PutBucketRequestPaymentCommand({ Bucket: 'identity-rp', RequestPaymentConfiguration: { Payer: 'Requester' } }));
    const after = await torrentOf('k', s3, 'identity-rp');
    assert.equal(after.private, true);
    assert.notEqual(after.infoHash, before.infoHash);
    assert.equal(await (await fetch(after.urlList[0]!)).text(), 'data\n');
  });
});

async function ownerId(s3: S3Client): Promise<string> {
  return (await s3.send(new ListBucketsCommand({}))).Owner!.ID!;
}

describe('torrent format: --torrent-format and seedbucket admin bucket torrent-format', () => {
  let hybridServer: TestServer;
  let v1Server: TestServer;
  let hs3: S3Client;
  let vs3: S3Client;
  let work: string;
  const body = Buffer.alloc(MiB + 17, 0x42);

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'seedbucket-torrent-format-'));
    [hybridServer, v1Server] = await Promise.all([startTestServer({ args: ['--torrent-format', 'hybrid'] }), startTestServer()]);
    hs3 = hybridServer.client();
    vs3 = v1Server.client();
    await hs3.send(new CreateBucketCommand({ Bucket: 'fmt' }));
    await vs3.send(new CreateBucketCommand({ Bucket: 'fmt' }));
  });

  after(async () => {
    hs3?.destroy();
    vs3?.destroy();
    for (const s of [hybridServer, v1Server]) if (s) { await s.stop(); s.cleanup(); }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('--torrent-format hybrid: BEP 52 hybrid torrents that libtorrent uses as v2, hash-checked against the object', async (tc) => {
    await hs3.send(new PutObjectCommand({ Bucket: 'fmt', Key: 'h.bin', Body: body }));
    const t = await torrentOfServer(hs3, 'h.bin');
    assert.equal(t.hybrid, true);
    const dataDir = path.join(work, 'h');
    mkdirSync(dataDir);
    await checkTorrentOfObject(hs3, t, 'fmt', 'h.bin', { format: 'hybrid', saveTo: path.join(dataDir, t.name) });
    if (!haveTool(tc, tools.libtorrent, 'python3-libtorrent')) return;
    const file = path.join(work, 'h.torrent');
    writeFileSync(file, t.raw);
    const p = ltOracle<{ v1: string; v2: string | null }>('parse', file);
    assert.equal(p.v1, t.infoHash);
    assert.equal(p.v2, t.infoHashV2, 'libtorrent sees the v2 info-hash');
    const checked = ltOracle<{ is_seeding?: boolean; errors?: string[] }>('check', file, dataDir);
    assert.equal(checked.is_seeding, true, JSON.stringify(checked));
  });

  it('a bucket set to v1 on a hybrid server serves v1 torrents; `default` goes back to the server\'s format', async () => {
    await admin(hybridServer, 'bucket', 'torrent-format', 'fmt', 'v1');
    const v1 = await torrentOfServer(hs3, 'h.bin');
    assert.equal(v1.hybrid, false, 'the same object, now as a v1 torrent');
    await hs3.send(new PutObjectCommand({ Bucket: 'fmt', Key: 'written-as-v1.bin', Body: body }));
    await checkTorrentOfObject(hs3, await torrentOfServer(hs3, 'written-as-v1.bin'), 'fmt', 'written-as-v1.bin', { format: 'v1' });
    await admin(hybridServer, 'bucket', 'torrent-format', 'fmt', 'default');
    assert.equal((await torrentOfServer(hs3, 'h.bin')).hybrid, true);
    assert.equal((await torrentOfServer(hs3, 'written-as-v1.bin')).hybrid, false, 'written without v2 hashes: stays v1');
  });

  it('a bucket set to hybrid on a v1 server: objects written from then on are hybrid, older ones keep v1', async () => {
    await vs3.send(new PutObjectCommand({ Bucket: 'fmt', Key: 'before.bin', Body: body }));
    assert.equal((await torrentOfServer(vs3, 'before.bin')).hybrid, false, 'v1 is the default');
    assert.deepEqual(await admin(v1Server, 'bucket', 'torrent-format', 'fmt', 'hybrid'), { bucket: 'fmt', torrentFormat: 'hybrid' });
    await vs3.send(new PutObjectCommand({ Bucket: 'fmt', Key: 'after.bin', Body: body }));
    const after = await torrentOfServer(vs3, 'after.bin');
    await checkTorrentOfObject(vs3, after, 'fmt', 'after.bin', { format: 'hybrid' });
    const before = await torrentOfServer(vs3, 'before.bin');
    await checkTorrentOfObject(vs3, before, 'fmt', 'before.bin', { format: 'v1' });
  });
});

async function torrentOfServer(s3: S3Client, key: string): Promise<Torrent> {
  return (await getTorrent(s3, { Bucket: 'fmt', Key: key })).torrent;
}
