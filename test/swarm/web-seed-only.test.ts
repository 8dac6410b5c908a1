/**
 * Scenario 1, web seed only: the server runs without its seeder and tracker (`--seeder false --tracker
 * false`), so a torrent's only source is its BEP 19 `url-list`, the object's own URL. aria2c and
 * webtorrent download a 64 MiB object from it and the bytes are compared with what was uploaded.
 * Debian package: aria2 (webtorrent comes from npm).
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertTool, skipUnlessCi, skipWithoutTool } from '../helpers/tools.ts';
import {
  ARIA2, MiB, SCENARIO_MS, aria2Download, assertSameBytes, fetchTorrent, mib, objectGets, putRandomObject, startSwarmServer,
  webSeedBytes, workDir, wtDownload, type SwarmServer, type TestObject, type TorrentFile,
} from './helpers.ts';

const SIZE = 64 * MiB;
const BUCKET = 'swarm-webseed';

describe('scenario 1: web seed only (no seeder, no tracker)', () => {
  let dir: string;
  let s: SwarmServer;
  let o: TestObject;
  let t: TorrentFile;

  before(async () => {
    dir = await workDir('webseed');
    s = await startSwarmServer(['--seeder', 'false', '--tracker', 'false']);
    o = await putRandomObject(s.s3, dir, BUCKET, 'big.bin', SIZE, { acl: 'public-read' });
    t = await fetchTorrent(s.s3, dir, BUCKET, 'big.bin');
  });
  after(async () => {
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('aria2c is installed', { skip: skipUnlessCi(ARIA2) }, () => { assertTool(ARIA2); });

  it('the torrent names the object URL as its only source', () => {
    assert.deepEqual(s.server.endpoints.map((e) => e.name), ['s3'], 'neither tracker nor seeder listens');
    assert.equal(t.announce, undefined, 'no tracker to announce to');
    assert.equal(t.urlList.length, 1);
    const u = new URL(t.urlList[0]!);
    assert.equal(`${u.origin}${u.pathname}`, `${s.server.url}/${BUCKET}/big.bin`);
    assert.deepEqual([...u.searchParams.keys()], ['versionId'], 'unsigned, naming the object version');
  });

  it('aria2c downloads 64 MiB from the web seed', { skip: skipWithoutTool(ARIA2), timeout: SCENARIO_MS }, async (ctx) => {
    const before = await webSeedBytes(s);
    const gets = objectGets(s, BUCKET, 'big.bin').length;
    const r = await aria2Download(t.path, path.join(dir, 'aria2'));
    assert.equal(r.code, 0, r.out);
    await assertSameBytes(path.join(dir, 'aria2', t.name), o, 'aria2c');
    const sent = (await webSeedBytes(s)).bytes - before.bytes;
    const requests = objectGets(s, BUCKET, 'big.bin').slice(gets);
    assert.ok(sent >= SIZE && sent <= SIZE * 1.25, `web seed sent ${mib(sent)} for a ${mib(SIZE)} object`);
    assert.ok(requests.every((a) => a.status === 206 || a.status === 200), JSON.stringify(requests.slice(0, 5)));
    ctx.diagnostic(`aria2c: ${r.ms} ms, web seed sent ${mib(sent)} in ${requests.length} GETs`);
  });

  it('webtorrent downloads 64 MiB from the web seed', { timeout: SCENARIO_MS }, async (ctx) => {
    const before = await webSeedBytes(s);
    const gets = objectGets(s, BUCKET, 'big.bin').length;
    const r = await wtDownload({ torrent: t.path, dir: path.join(dir, 'wt'), timeoutMs: SCENARIO_MS - 20_000 });
    assert.ok(r.done, JSON.stringify(r));
    await assertSameBytes(path.join(dir, 'wt', t.name), o, 'webtorrent');
    assert.equal(r.btDown, 0, 'no peer could have sent anything');
    const sent = (await webSeedBytes(s)).bytes - before.bytes;
    const requests = objectGets(s, BUCKET, 'big.bin').slice(gets);
    assert.ok(sent >= SIZE && sent <= SIZE * 1.25, `web seed sent ${mib(sent)} for a ${mib(SIZE)} object`);
    assert.ok(requests.length > 1 && requests.every((a) => a.status === 206), `webtorrent asks per piece: ${requests.length} GETs`);
    ctx.diagnostic(`webtorrent: ${r.ms} ms, web seed sent ${mib(sent)} in ${requests.length} GETs`);
  });
});
