/**
 * Scenario 6, private objects. The torrent of an object that is not public is `private`; its announce
 * URLs carry a token binding it to the caller's account (checked again for READ at every announce) and its
 * web seed is a GET presigned with the caller's key. A client holding such a torrent downloads; clients
 * whose token was removed or altered, whose token and presigned URL expired (`--private-torrent-ttl 2`),
 * or whose account lost READ (the info-hash is unregistered by the ACL change; once someone fetches the torrent
 * again, the token's READ re-check refuses), get no piece: the tracker refuses them, the seeder drops their connections
 * (they are also pointed straight at it) and the web seed answers 403.
 *
 * The seeder serves a private torrent to addresses the tracker has a valid announce from, so every client
 * here uses its own loopback address (127.0.0.x): an authorized client must not vouch for the next one.
 * python3-libtorrent with SSRF mitigation off (presigned web seeds on 127.0.0.1 carry a query string);
 * transmission-cli on 127.0.0.1, which only the seeder's own dial reaches. Debian packages: python3-libtorrent,
 * transmission-cli.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListBucketsCommand, PutObjectAclCommand, type S3Client } from '@aws-sdk/client-s3';
import { assertTool, skipUnlessCi, skipWithoutTool } from '../helpers/tools.ts';
import {
  MiB, PYTHON_LT, SCENARIO_MS, TRANSMISSION, admin, assertSameBytes, fetchTorrent, ltDownload, mib, objectGets, putRandomObject, rewriteTorrent,
  sleep, startSwarmServer, transmissionDownload, waitUntil, webSeedBytes, workDir, type LtResult, type SwarmServer, type TestObject, type TorrentFile,
} from './helpers.ts';

const SIZE = 8 * MiB;
const BUCKET = 'swarm-private';
const KEY = 'secret.bin';
/** how long a refused client is watched for bytes */
const WATCH_S = 5;

interface Account { accountId: string; canonicalUserId: string; accessKeyId: string; secretAccessKey: string }

const withoutToken = (u: string): string => {
  const url = new URL(u);
  url.searchParams.delete('token');
  return url.toString();
};
/** one character of the token's signature changed: still well-formed, no longer valid */
const alterToken = (u: string): string => {
  const url = new URL(u);
  const token = url.searchParams.get('token')!;
  const i = token.length - 5;
  url.searchParams.set('token', `${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`);
  return url.toString();
};
const alterSignature = (u: string): string => {
  const url = new URL(u);
  const sig = url.searchParams.get('X-Amz-Signature')!;
  url.searchParams.set('X-Amz-Signature', `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`);
  return url.toString();
};

describe('scenario 6: private objects', () => {
  let dir: string;
  let s: SwarmServer;
  let o: TestObject;
  let reader: Account;
  let readerS3: S3Client;
  /** the torrent as the reader (READ granted) fetched it */
  let t: TorrentFile;

  before(async () => {
    dir = await workDir('private');
    s = await startSwarmServer();
    reader = await admin<Account>(s, 'account', 'create', 'swarm-reader');
    readerS3 = s.server.client({ credentials: { accessKeyId: reader.accessKeyId, secretAccessKey: reader.secretAccessKey } });
    const owner = (await s.s3.send(new ListBucketsCommand({}))).Owner!.ID!;
    o = await putRandomObject(s.s3, dir, BUCKET, KEY, SIZE, {
      put: { GrantFullControl: `id="${owner}"`, GrantRead: `id="${reader.canonicalUserId}"` },
    });
    t = await fetchTorrent(readerS3, dir, BUCKET, KEY);
  });
  after(async () => {
    readerS3?.destroy();
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** a refused client: nothing downloaded in WATCH_S, tracker refusal, seeder drop, web-seed GETs (if any) all 403 */
  async function refused(
    server: SwarmServer, torrent: TorrentFile, bind: string, why: RegExp, opts: { webSeed: boolean },
  ): Promise<LtResult> {
    const dropped = server.seeder().closed['private torrent'] ?? 0;
    const gets = objectGets(server, BUCKET, KEY).length;
    const r = await ltDownload({
      torrent: torrent.path, save: path.join(dir, `refused-${bind}`), bind, watch: WATCH_S, peers: [['127.0.0.1', server.seederPort!]],
    });
    assert.equal(r.done, false);
    assert.equal(r.payload_down, 0, `no payload byte in ${WATCH_S} s: ${JSON.stringify(r)}`);
    assert.equal(r.total_done, 0, 'no piece');
    assert.ok(r.tracker.some((x) => why.test(x.error ?? '')), `the tracker refused the announce (${why}): ${JSON.stringify(r.tracker)}`);
    assert.ok(!r.tracker.some((x) => x.peers !== undefined), 'no announce succeeded');
    await waitUntil(() => (server.seeder().closed['private torrent'] ?? 0) > dropped, 3_000, 'the seeder to drop the connection (private torrent: peer not allowed)');
    const webGets = objectGets(server, BUCKET, KEY).slice(gets);
    if (opts.webSeed) {
      assert.ok(webGets.length > 0, 'the client tried the web seed');
      assert.deepEqual([...new Set(webGets.map((g) => g.status))], [403], 'every web-seed GET was refused');
    } else {
      assert.equal(webGets.length, 0);
    }
    return r;
  }

  it('python3-libtorrent and transmission-cli are installed', { skip: skipUnlessCi(PYTHON_LT, TRANSMISSION) }, () => {
    assertTool(PYTHON_LT);
    assertTool(TRANSMISSION);
  });

  it('the torrent is private: a token in its (HTTP-only) announce URL, a presigned web seed', () => {
    const announce = new URL(t.announce!);
    assert.equal(announce.pathname, '/announce');
    assert.equal(announce.protocol, 'http:');
    assert.ok(!t.raw.includes(Buffer.from('udp://')), 'no UDP tracker: Transmission would announce there without the token');
    assert.match(announce.searchParams.get('token') ?? '', /^[A-Za-z0-9_-]{40,}$/);
    assert.equal(new URL(t.urlList[0]!).searchParams.get('X-Amz-Credential')?.split('/')[0], reader.accessKeyId);
  });

  describe('with python3-libtorrent', { skip: skipWithoutTool(PYTHON_LT) }, () => {
    it('the authorized torrent downloads (web seed and seeder)', { timeout: SCENARIO_MS }, async (ctx) => {
      const web0 = await webSeedBytes(s);
      const r = await ltDownload({ torrent: t.path, save: path.join(dir, 'ok'), bind: '127.0.0.2', timeout: 60 });
      assert.ok(r.done, JSON.stringify(r));
      assert.deepEqual(r.tracker.filter((x) => x.error !== undefined), []);
      await assertSameBytes(path.join(dir, 'ok', t.name), o, 'libtorrent');
      const web = (await webSeedBytes(s)).bytes - web0.bytes;
      ctx.diagnostic(`authorized: ${r.elapsed} s; web seed ${mib(web)}, seeder ${mib(s.seededFor(t.infoHash))}`);
    });

    it('the authorized torrent downloads from the seeder alone (token checked, address allowed)', { timeout: SCENARIO_MS }, async (ctx) => {
      const bare = await rewriteTorrent(t, { urlList: [] }, dir);
      const before = s.seededFor(t.infoHash);
      const r = await ltDownload({ torrent: bare.path, save: path.join(dir, 'ok-seeder'), bind: '127.0.0.3', timeout: 60 });
      assert.ok(r.done, `${JSON.stringify(r)}\nseeder: ${JSON.stringify(s.seeder())}`);
      await assertSameBytes(path.join(dir, 'ok-seeder', t.name), o, 'libtorrent');
      await waitUntil(() => s.seededFor(t.infoHash) - before >= SIZE, 5_000, 'the seeder to have sent the object');
      ctx.diagnostic(`authorized, seeder only: ${r.elapsed} s; seeder ${mib(s.seededFor(t.infoHash) - before)}`);
    });

    it('transmission-cli, seeder only: the seeder dials it (it ignores 127.x peers from trackers) and serves it', { skip: skipWithoutTool(TRANSMISSION), timeout: SCENARIO_MS }, async (ctx) => {
      const bare = await rewriteTorrent(t, { urlList: [] }, dir);
      const before = s.seededFor(t.infoHash);
      const r = await transmissionDownload(bare.path, path.join(dir, 'ok-tr'), { timeoutMs: 60_000 });
      assert.ok(r.done, `${r.out}\nseeder: ${JSON.stringify(s.seeder())}`);
      await assertSameBytes(path.join(dir, 'ok-tr', t.name), o, 'Transmission');
      await waitUntil(() => s.seededFor(t.infoHash) - before >= SIZE, 5_000, 'the seeder to have sent the object');
      ctx.diagnostic(`authorized, Transmission via the seeder's dial: ${r.ms} ms; seeder ${mib(s.seededFor(t.infoHash) - before)}`);
    });

    it('token removed (and no web seed): no piece', { timeout: SCENARIO_MS }, async () => {
      const stripped = await rewriteTorrent(t, { urlList: [], announce: withoutToken }, dir);
      assert.equal(new URL(stripped.announce!).search, '');
      await refused(s, stripped, '127.0.0.4', /no token/, { webSeed: false });
    });

    it('token and web-seed signature altered: no piece, web seed 403', { timeout: SCENARIO_MS }, async () => {
      const altered = await rewriteTorrent(t, { urlList: t.urlList.map(alterSignature), announce: alterToken }, dir);
      await refused(s, altered, '127.0.0.5', /token not valid/, { webSeed: true });
    });

    it('READ revoked (PutObjectAcl private): the same torrent now gets no piece, web seed 403', { timeout: SCENARIO_MS }, async () => {
      await s.s3.send(new PutObjectAclCommand({ Bucket: BUCKET, Key: KEY, ACL: 'private' }));
      // an ACL change unregisters the object's info-hash until its torrent is fetched again
      await refused(s, t, '127.0.0.6', /unregistered torrent/, { webSeed: true });
    });

    it('READ revoked, the torrent in use again by the owner: the reader\'s token is refused at every announce', { timeout: SCENARIO_MS }, async () => {
      const ownerTorrent = await fetchTorrent(s.s3, dir, BUCKET, KEY);
      assert.equal(ownerTorrent.infoHash, t.infoHash, 'still private: the same info dict, the same info-hash');
      await refused(s, t, '127.0.0.8', /revoked/, { webSeed: true });
    });

    describe('expiry (--private-torrent-ttl 2)', () => {
      let s2: SwarmServer;
      let t2: TorrentFile;
      before(async () => {
        s2 = await startSwarmServer(['--private-torrent-ttl', '2']);
        await putRandomObject(s2.s3, dir, BUCKET, KEY, SIZE);
        t2 = await fetchTorrent(s2.s3, dir, BUCKET, KEY);
      });
      after(async () => { await s2?.stop(); });

      it('once token and presigned URL have expired: no piece, web seed 403', { timeout: SCENARIO_MS }, async () => {
        assert.equal(new URL(t2.urlList[0]!).searchParams.get('X-Amz-Expires'), '2');
        await sleep(3_000);
        await refused(s2, t2, '127.0.0.7', /expired/, { webSeed: true });
      });
    });
  });
});
