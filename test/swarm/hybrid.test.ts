/**
 * Scenario 5, hybrid torrents (BEP 52 v2 + v1 in one info dict; server `--torrent-format hybrid`):
 * python3-libtorrent downloads as v2 (it announces the v2 info-hash and gets the seeder from our tracker
 * for it; with a v2-only magnet, `urn:btmh:`, it knows nothing else and still finds the seeder and the
 * info dict), webtorrent as v1 (from the seeder), aria2c from the web seed (aria2 1.36 computes a wrong
 * info-hash for hybrid torrents, so no tracker or peer knows its hash; the web seed does not need one).
 * Debian packages: python3-libtorrent, aria2.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertTool, skipUnlessCi, skipWithoutTool } from '../helpers/tools.ts';
import {
  ARIA2, MiB, PYTHON_LT, SCENARIO_MS, aria2Download, assertSameBytes, fetchTorrent, httpAnnounce, ltDownload, magnetOf, mib, objectGets,
  putRandomObject, rewriteTorrent, startSwarmServer, waitUntil, webSeedBytes, workDir, wtDownload, type LtResult, type SwarmServer,
  type TestObject, type TorrentFile,
} from './helpers.ts';

const SIZE = 20 * MiB + 777;
const BUCKET = 'swarm-hybrid';
const KEY = 'hybrid.bin';

/** libtorrent announced the v2 info-hash to our tracker and was given peers for it */
function announcedV2(r: LtResult, tracker: string): void {
  const v2 = r.tracker.filter((x) => x.url === tracker && x.version === 'V2');
  assert.ok(v2.some((x) => (x.peers ?? 0) >= 1), `a v2 announce to ${tracker} listed the seeder: ${JSON.stringify(r.tracker)}`);
  assert.deepEqual(r.tracker.filter((x) => x.error !== undefined), [], 'no tracker refused an announce');
}

describe('scenario 5: hybrid torrents', () => {
  let dir: string;
  let s: SwarmServer;
  let o: TestObject;
  let t: TorrentFile;
  /** the same torrent without its web seed */
  let bare: TorrentFile;

  before(async () => {
    dir = await workDir('hybrid');
    s = await startSwarmServer(['--torrent-format', 'hybrid']);
    o = await putRandomObject(s.s3, dir, BUCKET, KEY, SIZE, { acl: 'public-read' });
    t = await fetchTorrent(s.s3, dir, BUCKET, KEY);
    bare = await rewriteTorrent(t, { urlList: [] }, dir);
  });
  after(async () => {
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const seeded = (): number => s.seededFor(t.infoHash);

  it('python3-libtorrent and aria2c are installed', { skip: skipUnlessCi(PYTHON_LT, ARIA2) }, () => {
    assertTool(PYTHON_LT);
    assertTool(ARIA2);
  });

  it('the torrent is hybrid', () => {
    assert.match(t.infoHashV2 ?? '', /^[0-9a-f]{64}$/, 'a v2 info-hash (meta version 2)');
  });

  it('python3-libtorrent downloads as v2 from the seeder (no web seed)', { skip: skipWithoutTool(PYTHON_LT), timeout: SCENARIO_MS }, async (ctx) => {
    const before = seeded();
    const r = await ltDownload({ torrent: bare.path, save: path.join(dir, 'lt'), timeout: 60 });
    assert.ok(r.done, JSON.stringify(r));
    assert.equal(r.has_v2, true, 'the session knows the torrent by its v2 info-hash');
    assert.equal(r.torrent_has_v2, true, 'libtorrent loaded it as a v2 (hybrid) torrent');
    assert.equal(r.info_hash_v2, t.infoHashV2);
    assert.equal(r.hash_failed, 0, 'every piece passed (v2 merkle checks included)');
    announcedV2(r, httpAnnounce(t));
    await assertSameBytes(path.join(dir, 'lt', t.name), o, 'libtorrent');
    await waitUntil(() => seeded() - before >= SIZE, 5_000, 'the seeder to have sent the object');
    ctx.diagnostic(`libtorrent (v2, .torrent): ${r.elapsed} s; seeder sent ${mib(seeded() - before)}`);
  });

  it('python3-libtorrent with a v2-only magnet (urn:btmh) finds the seeder and the info dict by the v2 hash alone', { skip: skipWithoutTool(PYTHON_LT), timeout: SCENARIO_MS }, async (ctx) => {
    const before = seeded();
    const magnet = magnetOf(t, { tracker: httpAnnounce(t), v2Only: true });
    assert.doesNotMatch(magnet, /btih/);
    const r = await ltDownload({ magnet, save: path.join(dir, 'lt-btmh'), timeout: 60 });
    assert.ok(r.done, JSON.stringify(r));
    assert.equal(r.info_hash_v2, t.infoHashV2);
    assert.equal(r.torrent_has_v2, true);
    assert.equal(r.hash_failed, 0);
    announcedV2(r, httpAnnounce(t));
    assert.equal(r.tracker[0]?.version, 'V2', `the first announce, before the info dict arrived, was for the v2 hash: ${JSON.stringify(r.tracker)}`);
    await assertSameBytes(path.join(dir, 'lt-btmh', t.name), o, 'libtorrent (btmh)');
    await waitUntil(() => seeded() - before >= SIZE, 5_000, 'the seeder to have sent the object');
    ctx.diagnostic(`libtorrent (v2-only magnet): ${r.elapsed} s; seeder sent ${mib(seeded() - before)}`);
  });

  it('webtorrent downloads as v1 from the seeder (no web seed)', { timeout: SCENARIO_MS }, async (ctx) => {
    const before = seeded();
    const r = await wtDownload({ torrent: bare.path, dir: path.join(dir, 'wt'), timeoutMs: 60_000 });
    assert.ok(r.done, JSON.stringify(r));
    await assertSameBytes(path.join(dir, 'wt', t.name), o, 'webtorrent');
    await waitUntil(() => seeded() - before >= SIZE, 5_000, 'the seeder to have sent the object');
    ctx.diagnostic(`webtorrent (v1): ${r.ms} ms; seeder sent ${mib(seeded() - before)}`);
  });

  it('aria2c downloads from the web seed', { skip: skipWithoutTool(ARIA2), timeout: SCENARIO_MS }, async (ctx) => {
    const web0 = await webSeedBytes(s);
    const gets = objectGets(s, BUCKET, KEY).length;
    const r = await aria2Download(t.path, path.join(dir, 'aria2'), { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.out);
    await assertSameBytes(path.join(dir, 'aria2', t.name), o, 'aria2c');
    const web = (await webSeedBytes(s)).bytes - web0.bytes;
    assert.ok(objectGets(s, BUCKET, KEY).length > gets, 'aria2c used the web seed');
    assert.ok(web >= SIZE, `the web seed sent ${mib(web)}`);
    ctx.diagnostic(`aria2c (hybrid, web seed): ${r.ms} ms; web seed sent ${mib(web)}`);
  });
});
