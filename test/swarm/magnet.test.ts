/**
 * Scenario 4, magnet only: a client given nothing but `magnet:?xt=urn:btih:<hash>&tr=<our tracker>` finds
 * the seeder through the tracker, fetches the info dict from it (BEP 9 ut_metadata, checked against the
 * info-hash) and downloads. python3-libtorrent and webtorrent. A magnet carries no web seed, so every
 * byte comes from the seeder. Debian package: python3-libtorrent.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { assertTool, skipUnlessCi, skipWithoutTool } from '../helpers/tools.ts';
import {
  MiB, PYTHON_LT, SCENARIO_MS, assertSameBytes, fetchTorrent, httpAnnounce, ltDownload, magnetOf, mib, objectGets, putRandomObject,
  startSwarmServer, waitUntil, workDir, wtDownload, type SwarmServer, type TestObject, type TorrentFile,
} from './helpers.ts';

const SIZE = 24 * MiB + 12_345;
const BUCKET = 'swarm-magnet';
const KEY = 'by-magnet.bin';

describe('scenario 4: magnet link only (metadata from the seeder)', () => {
  let dir: string;
  let s: SwarmServer;
  let o: TestObject;
  let t: TorrentFile;
  let magnet: string;

  before(async () => {
    dir = await workDir('magnet');
    s = await startSwarmServer();
    o = await putRandomObject(s.s3, dir, BUCKET, KEY, SIZE, { acl: 'public-read' });
    // the magnet's hash is the torrent's: GetObjectTorrent is what registers it with the tracker and seeder
    t = await fetchTorrent(s.s3, dir, BUCKET, KEY);
    magnet = magnetOf(t, { tracker: httpAnnounce(t) });
  });
  after(async () => {
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const metadataServed = (): number => s.seeder().torrents.find((x) => x.infoHash === t.infoHash)?.metadataPieces ?? 0;

  async function fromMagnet(ctx: TestContext, who: string, download: () => Promise<{ file: string; ms: number }>): Promise<void> {
    const meta0 = metadataServed();
    const seeded0 = s.seededFor(t.infoHash);
    const gets = objectGets(s, BUCKET, KEY).length;
    const { file, ms } = await download();
    await assertSameBytes(file, o, who);
    await waitUntil(() => metadataServed() > meta0 && s.seededFor(t.infoHash) - seeded0 >= SIZE, 5_000,
      `the seeder to have sent ${who} the info dict (ut_metadata) and the object`);
    assert.equal(objectGets(s, BUCKET, KEY).length, gets, 'no web-seed GET');
    ctx.diagnostic(`${who}: ${ms} ms; seeder sent ${metadataServed() - meta0} metadata pieces and ${mib(s.seededFor(t.infoHash) - seeded0)}`);
  }

  it('python3-libtorrent is installed', { skip: skipUnlessCi(PYTHON_LT) }, () => { assertTool(PYTHON_LT); });

  it('python3-libtorrent', { skip: skipWithoutTool(PYTHON_LT), timeout: SCENARIO_MS }, async (ctx) => {
    await fromMagnet(ctx, 'libtorrent', async () => {
      const r = await ltDownload({ magnet, save: path.join(dir, 'lt'), timeout: 60 });
      assert.ok(r.done, JSON.stringify(r));
      assert.ok(r.has_metadata);
      assert.equal(r.info_hash_v1, t.infoHash);
      assert.equal(r.hash_failed, 0);
      return { file: path.join(dir, 'lt', t.name), ms: Math.round(r.elapsed * 1000) };
    });
  });

  it('webtorrent', { timeout: SCENARIO_MS }, async (ctx) => {
    await fromMagnet(ctx, 'webtorrent', async () => {
      const r = await wtDownload({ magnet, dir: path.join(dir, 'wt'), timeoutMs: 60_000 });
      assert.ok(r.done, JSON.stringify(r));
      assert.equal(r.webDown, 0);
      return { file: path.join(dir, 'wt', t.name), ms: r.ms };
    });
  });

  it('a magnet for an info-hash the server never issued finds nobody', { skip: skipWithoutTool(PYTHON_LT), timeout: SCENARIO_MS }, async () => {
    const unknown = magnetOf({ ...t, infoHash: 'ab'.repeat(20) }, { tracker: httpAnnounce(t) });
    const r = await ltDownload({ magnet: unknown, save: path.join(dir, 'unknown'), watch: 4 });
    assert.equal(r.has_metadata, false);
    assert.equal(r.payload_down, 0);
    assert.ok(r.tracker.some((x) => /unregistered torrent/.test(x.error ?? '')), JSON.stringify(r.tracker));
  });
});
