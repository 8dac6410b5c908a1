/**
 * Scenario 7, an object overwritten while a swarm downloads the old version (server `--upload-limit 2MiB`
 * so the download is still running when the new version lands). Two python3-libtorrent leechers: one with
 * the web seed alone (asked piece by piece), one with the tracker and seeder alone.
 * Neither may receive a piece that fails its hash: not from the seeder (it reads the version its torrent
 * describes, and drops the old swarm), not from the web seed (its URL names the old version, which now
 * answers 404 instead of the new bytes). Then the old info-hash is gone everywhere: the tracker answers
 * a failure, the seeder refuses new connections for it, the old web seed 404s; the new version downloads.
 * Debian package: python3-libtorrent.
 */
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { writeRandomFile } from '../helpers/files.ts';
import { assertTool, skipUnlessCi, skipWithoutTool } from '../helpers/tools.ts';
import { handshakeBytes } from '../seeder/helpers/seeder-env.ts';
import { failureOf, httpAnnounce as announceTo } from '../tracker/support.ts';
import {
  MiB, PYTHON_LT, SCENARIO_MS, assertSameBytes, fetchTorrent, ltDownload, mib, putRandomObject, rewriteTorrent, sleep,
  startSwarmServer, waitUntil, workDir, type SwarmServer, type TestObject, type TorrentFile,
} from './helpers.ts';

const SIZE = 16 * MiB;
const BUCKET = 'swarm-overwrite';
const KEY = 'changing.bin';

/** a plain BitTorrent handshake for `infoHash`: did the seeder answer with its own, or close? (within 5 s) */
async function seederAnswers(port: number, infoHash: Buffer): Promise<'handshake' | 'closed'> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  let received = Buffer.alloc(0);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the seeder neither answered nor closed within 5 s')), 5_000);
      socket.on('data', (c: Buffer) => {
        received = Buffer.concat([received, c]);
        if (received.length >= 68) { clearTimeout(timer); resolve('handshake'); }
      });
      socket.once('close', () => { clearTimeout(timer); resolve(received.length >= 68 ? 'handshake' : 'closed'); });
      socket.once('connect', () => socket.write(handshakeBytes(infoHash)));
    });
  } finally {
    socket.destroy();
  }
}

describe('scenario 7: overwritten while a swarm downloads the old version', () => {
  let dir: string;
  let s: SwarmServer;
  let o: TestObject;
  let t: TorrentFile;
  let trackerPort: number;

  before(async () => {
    dir = await workDir('overwrite');
    s = await startSwarmServer(['--upload-limit', '2MiB']);
    trackerPort = Number(new URL(s.trackerUrl!).port);
    o = await putRandomObject(s.s3, dir, BUCKET, KEY, SIZE, { acl: 'public-read' });
    t = await fetchTorrent(s.s3, dir, BUCKET, KEY);
  });
  after(async () => {
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('python3-libtorrent is installed', { skip: skipUnlessCi(PYTHON_LT) }, () => { assertTool(PYTHON_LT); });

  describe('with python3-libtorrent', { skip: skipWithoutTool(PYTHON_LT) }, () => {
    let newTorrent: TorrentFile;

    it('no leecher of the old version receives a piece that fails its hash', { timeout: SCENARIO_MS }, async (ctx) => {
      // one leecher per path, so neither hides the other: the web seed alone (asked piece by piece, as
      // webtorrent and Transmission ask it, so that many requests start after the overwrite), and the
      // tracker + seeder alone (with two leechers at the seeder the web seed would be deferred with 503)
      const webOnly = await rewriteTorrent(t, { announce: () => undefined }, dir);
      const bare = await rewriteTorrent(t, { urlList: [] }, dir);
      const announceOld = await announceTo(trackerPort, { infoHash: Buffer.from(t.infoHash, 'hex'), port: 6881, left: SIZE, numwant: 0 });
      assert.equal(failureOf(announceOld), undefined, 'the old info-hash is tracked before the overwrite');
      const leechers = Promise.all([
        ltDownload({ torrent: webOnly.path, save: path.join(dir, 'web'), watch: 12, web_request_bytes: 256 * 1024 }),
        ltDownload({ torrent: bare.path, save: path.join(dir, 'seeder'), watch: 12 }),
      ]);
      await sleep(2_500);
      const v2 = path.join(dir, 'v2.src');
      await writeRandomFile(v2, SIZE);
      await s.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: createReadStream(v2), ContentLength: SIZE, ACL: 'public-read' }));
      const overwrittenAt = Date.now();
      const [web, seederOnly] = await leechers;
      for (const [who, r] of [['web seed only', web], ['seeder only', seederOnly]] as const) {
        assert.equal(r.hash_failed, 0, `${who}: hash_failed_alerts: ${JSON.stringify(r)}`);
        assert.equal(r.failed_bytes, 0, `${who}: bytes that failed a hash check`);
        assert.deepEqual(r.errors, [], `${who}: no torrent or file errors`);
      }
      assert.ok(!web.done && !seederOnly.done, 'the overwrite landed while both were still downloading the old version');
      assert.ok(web.url_seed_errors.length > 0, 'the web seed failed the old version\'s leecher after the overwrite (404)');
      ctx.diagnostic(`old version, ${((Date.now() - overwrittenAt) / 1000).toFixed(1)} s after the overwrite: `
        + `web-seed leecher had ${mib(web.total_done)} verified, seeder-only leecher ${mib(seederOnly.total_done)}; `
        + `web-seed errors: ${JSON.stringify(web.url_seed_errors.slice(-1))}`);
      newTorrent = await fetchTorrent(s.s3, dir, BUCKET, KEY);
      assert.notEqual(newTorrent.infoHash, t.infoHash, 'the new version has its own info-hash');
    });

    it('the old info-hash is no longer served: tracker failure, seeder refusal, web seed 404', { timeout: SCENARIO_MS }, async () => {
      const old = Buffer.from(t.infoHash, 'hex');
      await waitUntil(async () => failureOf(await announceTo(trackerPort, { infoHash: old, port: 6881, left: SIZE, numwant: 10 })) !== undefined,
        5_000, 'the tracker to refuse the old info-hash');
      assert.match(failureOf(await announceTo(trackerPort, { infoHash: old, port: 6881, left: SIZE })) ?? '', /unregistered torrent/);
      assert.equal(await seederAnswers(s.seederPort!, old), 'closed', 'a new connection for the old info-hash is refused');
      await waitUntil(() => (s.seeder().torrents.find((x) => x.infoHash === t.infoHash)?.peers ?? 0) === 0, 5_000, 'the old swarm to be dropped');
      const res = await fetch(t.urlList[0]!);
      assert.equal(res.status, 404, 'the old web seed names a version that is gone');
      assert.match(await res.text(), /<Code>NoSuchVersion<\/Code>/);
      assert.equal(await seederAnswers(s.seederPort!, Buffer.from(newTorrent.infoHash, 'hex')), 'handshake', 'the new info-hash is served');
    });

    it('the new version downloads', { timeout: SCENARIO_MS }, async () => {
      const r = await ltDownload({ torrent: newTorrent.path, save: path.join(dir, 'new'), timeout: 40 });
      assert.ok(r.done, JSON.stringify(r));
      assert.equal(r.hash_failed, 0);
      await assertSameBytes(path.join(dir, 'new', newTorrent.name), { ...o, file: path.join(dir, 'v2.src') }, 'libtorrent (new version)');
    });
  });
});
