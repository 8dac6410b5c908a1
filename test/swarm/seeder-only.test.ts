/**
 * Scenario 2, seeder only: the torrent's `url-list` is removed (re-encoded, same info-hash), so the only
 * source left is the server's built-in seeder, found through the built-in tracker. aria2c, python3-libtorrent,
 * webtorrent (through the tracker, and given the seeder's address so its MSE/PE handshake is the one that
 * connects), qbittorrent-nox and transmission-cli each download the object; no web-seed GET may happen.
 * Debian packages: aria2, python3-libtorrent, qbittorrent-nox, transmission-cli.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { assertTool, skipUnlessCi, skipWithoutTool } from '../helpers/tools.ts';
import {
  ARIA2, MiB, PYTHON_LT, QBITTORRENT, SCENARIO_MS, TRANSMISSION, aria2Download, assertSameBytes, fetchTorrent, ltDownload, mib,
  objectGets, putRandomObject, qbittorrentDownload, rewriteTorrent, startSwarmServer, transmissionDownload, waitUntil, workDir,
  wtDownload, type SwarmServer, type TestObject, type TorrentFile,
} from './helpers.ts';

const SIZE = 32 * MiB;
const BUCKET = 'swarm-seeder-only';
const KEY = 'seeded.bin';

describe('scenario 2: the seeder alone (url-list removed)', () => {
  let dir: string;
  let s: SwarmServer;
  let o: TestObject;
  let t: TorrentFile;

  before(async () => {
    dir = await workDir('seeder');
    s = await startSwarmServer();
    o = await putRandomObject(s.s3, dir, BUCKET, KEY, SIZE, { acl: 'public-read' });
    const full = await fetchTorrent(s.s3, dir, BUCKET, KEY);
    assert.equal(full.urlList.length, 1);
    t = await rewriteTorrent(full, { urlList: [] }, dir);
  });
  after(async () => {
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** runs one client, then checks that the seeder (and nothing else) sent it the object */
  async function fromSeederAlone(ctx: TestContext, who: string, download: () => Promise<{ file: string; ms: number }>): Promise<void> {
    const before = s.seededFor(t.infoHash);
    const gets = objectGets(s, BUCKET, KEY).length;
    const { file, ms } = await download();
    await assertSameBytes(file, o, who);
    // the seeder's counters are logged once a second
    await waitUntil(() => s.seededFor(t.infoHash) - before >= SIZE, 5_000, `the seeder to have sent ${who} ${mib(SIZE)}`);
    assert.equal(objectGets(s, BUCKET, KEY).length, gets, 'no web-seed GET');
    ctx.diagnostic(`${who}: ${ms} ms; seeder sent ${mib(s.seededFor(t.infoHash) - before)}, web seed 0 bytes`);
  }

  it('aria2c, python3-libtorrent, qbittorrent-nox and transmission-cli are installed', { skip: skipUnlessCi(ARIA2, PYTHON_LT, QBITTORRENT, TRANSMISSION) }, () => {
    for (const tool of [ARIA2, PYTHON_LT, QBITTORRENT, TRANSMISSION]) assertTool(tool);
  });

  it('the torrent keeps its tracker and info-hash but has no web seed', () => {
    assert.deepEqual(t.urlList, []);
    assert.equal(t.announce, s.trackerUrl);
  });

  it('aria2c', { skip: skipWithoutTool(ARIA2), timeout: SCENARIO_MS }, async (ctx) => {
    await fromSeederAlone(ctx, 'aria2c', async () => {
      const r = await aria2Download(t.path, path.join(dir, 'aria2'));
      assert.equal(r.code, 0, r.out);
      return { file: path.join(dir, 'aria2', t.name), ms: r.ms };
    });
  });

  it('python3-libtorrent', { skip: skipWithoutTool(PYTHON_LT), timeout: SCENARIO_MS }, async (ctx) => {
    await fromSeederAlone(ctx, 'libtorrent', async () => {
      const r = await ltDownload({ torrent: t.path, save: path.join(dir, 'lt'), timeout: 60 });
      assert.ok(r.done, JSON.stringify(r));
      assert.equal(r.hash_failed, 0);
      assert.ok(r.tracker.some((x) => (x.peers ?? 0) > 0), `the tracker listed the seeder: ${JSON.stringify(r.tracker)}`);
      return { file: path.join(dir, 'lt', t.name), ms: Math.round(r.elapsed * 1000) };
    });
  });

  it('webtorrent, peers from the tracker', { timeout: SCENARIO_MS }, async (ctx) => {
    await fromSeederAlone(ctx, 'webtorrent', async () => {
      const r = await wtDownload({ torrent: t.path, dir: path.join(dir, 'wt'), timeoutMs: 60_000 });
      assert.ok(r.done, JSON.stringify(r));
      return { file: path.join(dir, 'wt', t.name), ms: r.ms };
    });
  });

  it('webtorrent connecting to the seeder itself (MSE/PE handshake)', { timeout: SCENARIO_MS }, async (ctx) => {
    // no tracker: the seeder cannot dial webtorrent first, so webtorrent's own encrypted connection is used
    const alone = await rewriteTorrent(t, { announce: () => undefined }, dir);
    const pe = s.seeder().handshakes.pePlaintext + s.seeder().handshakes.peRc4;
    await fromSeederAlone(ctx, 'webtorrent (PE)', async () => {
      const r = await wtDownload({ torrent: alone.path, dir: path.join(dir, 'wt-pe'), timeoutMs: 60_000, peers: [`127.0.0.1:${s.seederPort!}`] });
      assert.ok(r.done, JSON.stringify(r));
      return { file: path.join(dir, 'wt-pe', t.name), ms: r.ms };
    });
    const h = s.seeder().handshakes;
    assert.ok(h.pePlaintext + h.peRc4 > pe, `the seeder accepted an MSE/PE handshake: ${JSON.stringify(h)}`);
  });

  it('qbittorrent-nox', { skip: skipWithoutTool(QBITTORRENT), timeout: SCENARIO_MS }, async (ctx) => {
    await fromSeederAlone(ctx, 'qBittorrent', async () => {
      const r = await qbittorrentDownload(t.path, path.join(dir, 'qbt'), { timeoutMs: 70_000 });
      assert.ok(r.done, JSON.stringify(r));
      return { file: path.join(dir, 'qbt', t.name), ms: r.ms };
    });
  });

  it('transmission-cli on loopback (the seeder dials it: Transmission ignores 127.x peers from trackers)', { skip: skipWithoutTool(TRANSMISSION), timeout: SCENARIO_MS }, async (ctx) => {
    await fromSeederAlone(ctx, 'Transmission', async () => {
      const r = await transmissionDownload(t.path, path.join(dir, 'tr'), { timeoutMs: 70_000 });
      assert.ok(r.done, r.out);
      return { file: path.join(dir, 'tr', t.name), ms: r.ms };
    });
  });
});
