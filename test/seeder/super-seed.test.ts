/**
 * BEP 16 super-seeding with real clients: 4 python3-libtorrent leechers that also know each other, or 4
 * aria2c that find each other through a test tracker, download a 32 MiB object. With super-seeding the server should send each piece about once and let the leechers
 * trade the rest, so its egress (uploaded / size) must be measurably below plain seeding's.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { SuperSeedingMode } from '../../src/seeder/types.ts';
import { assertTool, skipUnlessCi } from '../helpers/tools.ts';
import { aria2, aria2Download, ltLeech, pythonLt, tempDir } from './helpers/clients.ts';
import { MiB, sha1File } from './helpers/fixture.ts';
import { startSeeder } from './helpers/seeder-env.ts';
import { startTracker } from './helpers/tracker.ts';

const ltTool = pythonLt();
const ariaTool = aria2();
const SIZE = 32 * MiB;
const LEECHERS = 4;

async function swarmRun(python: string, mode: SuperSeedingMode): Promise<{ egress: number; seconds: number }> {
  const env = await startSeeder([{ size: SIZE }], { superSeeding: mode });
  try {
    // our tracker would know the swarm's size; 'auto' then super-seeds from the first peer on
    env.lookup.leechers = () => LEECHERS;
    const f = env.fixtures[0]!;
    const dirs = await Promise.all([...Array(LEECHERS)].map((_, i) => tempDir(env.dir, `leech${i}-`)));
    const r = await ltLeech(python, { torrent: f.torrentFile, dirs, peers: [['127.0.0.1', env.port]], mesh: true, linger: true, timeoutSec: 240 });
    assert.deepEqual(r.done, Array(LEECHERS).fill(true), JSON.stringify(r));
    for (const d of dirs) assert.equal(await sha1File(path.join(d, f.name)), f.sha1);
    const t = env.seeder.stats().torrents[0]!;
    return { egress: t.uploaded / SIZE, seconds: Math.max(...r.seconds.map(Number)) };
  } finally {
    await env.stop();
  }
}

describe('super-seeding (BEP 16)', { skip: skipUnlessCi(ltTool) }, () => {
  it(`sends fewer copies to ${LEECHERS} trading libtorrent leechers than plain seeding`, { timeout: 600_000 }, async () => {
    const python = assertTool(ltTool);
    const off = await swarmRun(python, 'off');
    const auto = await swarmRun(python, 'auto');
    console.log(`# super-seeding egress: off ${off.egress.toFixed(2)}x in ${off.seconds}s, auto ${auto.egress.toFixed(2)}x in ${auto.seconds}s`);
    assert.ok(auto.egress < off.egress * 0.8, `auto ${auto.egress} vs off ${off.egress}`);
    assert.ok(auto.egress >= 1, 'every byte left the server at least once');
  });
});

async function ariaRun(aria2c: string, mode: SuperSeedingMode): Promise<{ egress: number; seconds: number }> {
  const tracker = await startTracker();
  const env = await startSeeder([{ size: SIZE, announce: tracker.url }], { superSeeding: mode });
  try {
    tracker.seeder = { ip: '127.0.0.1', port: env.port };
    env.lookup.leechers = (t) => tracker.leechers(t.infoHash);
    const f = env.fixtures[0]!;
    const dirs = await Promise.all([...Array(LEECHERS)].map((_, i) => tempDir(env.dir, `aria${i}-`)));
    const started = Date.now();
    const rs = await Promise.all(dirs.map((d) => aria2Download(aria2c, f.torrentFile, d, { timeoutMs: 300_000 })));
    const seconds = (Date.now() - started) / 1000;
    for (const r of rs) assert.equal(r.code, 0, r.out);
    for (const d of dirs) assert.equal(await sha1File(path.join(d, f.name)), f.sha1);
    return { egress: env.seeder.stats().torrents[0]!.uploaded / SIZE, seconds };
  } finally {
    await env.stop();
    await tracker.close();
  }
}

describe('super-seeding (BEP 16) with aria2c', { skip: skipUnlessCi(ariaTool) }, () => {
  it(`sends fewer copies to ${LEECHERS} aria2c leechers (peers from a tracker) than plain seeding`, { timeout: 900_000 }, async () => {
    const aria2c = assertTool(ariaTool);
    const off = await ariaRun(aria2c, 'off');
    const auto = await ariaRun(aria2c, 'auto');
    console.log(`# super-seeding egress (aria2c): off ${off.egress.toFixed(2)}x in ${off.seconds.toFixed(1)}s, auto ${auto.egress.toFixed(2)}x in ${auto.seconds.toFixed(1)}s`);
    assert.ok(auto.egress < off.egress * 0.8, `auto ${auto.egress} vs off ${off.egress}`);
  });
});
