/**
 * Real clients download a 32 MiB object from the seeder alone (no web seed, no other peer): aria2c via a
 * tiny in-test tracker, python3-libtorrent and webtorrent given the seeder's address, magnet-only downloads
 * that fetch the info dict over ut_metadata. Bytes are checked by SHA-1 of the whole file.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertTool, skipUnlessCi } from '../helpers/tools.ts';
import { aria2, aria2Download, ltLeech, pythonLt, tempDir } from './helpers/clients.ts';
import { magnetOf, MiB, sha1File } from './helpers/fixture.ts';
import { startSeeder, type SeederEnv } from './helpers/seeder-env.ts';
import { startTracker, type TestTracker } from './helpers/tracker.ts';
import { webtorrentDownload } from './helpers/webtorrent.ts';

const SIZE = 32 * MiB;
const ariaTool = aria2();
const ltTool = pythonLt();

describe('real clients download from the seeder alone', () => {
  let env: SeederEnv;
  let tracker: TestTracker;

  before(async () => {
    tracker = await startTracker();
    env = await startSeeder([{ size: SIZE, announce: tracker.url }], { superSeeding: 'auto' });
    tracker.seeder = { ip: '127.0.0.1', port: env.port };
  });
  after(async () => {
    await env.stop();
    await tracker.close();
  });

  const f = (): SeederEnv['fixtures'][number] => env.fixtures[0]!;
  const uploadedFor = (): number => env.seeder.stats().torrents.find((t) => t.infoHash === f().infoHash.toString('hex'))?.uploaded ?? 0;

  it('aria2c (peers from a tracker)', { skip: skipUnlessCi(ariaTool), timeout: 240_000 }, async () => {
    const aria2c = assertTool(ariaTool);
    const out = await tempDir(env.dir, 'aria2-');
    const before = uploadedFor();
    const r = await aria2Download(aria2c, f().torrentFile, out);
    assert.equal(r.code, 0, r.out);
    assert.equal(await sha1File(path.join(out, f().name)), f().sha1);
    assert.ok(uploadedFor() - before >= SIZE, `seeder sent ${uploadedFor() - before} bytes`);
  });

  for (const encryption of ['enabled', 'disabled', 'forced'] as const) {
    it(`python3-libtorrent, .torrent + connect_peer (encryption ${encryption})`, { skip: skipUnlessCi(ltTool), timeout: 240_000 }, async () => {
      const python = assertTool(ltTool);
      const out = await tempDir(env.dir, 'lt-');
      const before = env.seeder.stats().handshakes;
      const r = await ltLeech(python, { torrent: f().torrentFile, dirs: [out], peers: [['127.0.0.1', env.port]], encryption, timeoutSec: 120 });
      assert.deepEqual(r.done, [true], JSON.stringify(r));
      assert.equal(await sha1File(path.join(out, f().name)), f().sha1);
      const after = env.seeder.stats().handshakes;
      // 'forced' = libtorrent's pe_forced with RC4 only (allowed_enc_level defaults to both): we must speak RC4
      if (encryption === 'disabled') assert.ok(after.plain > before.plain);
      else assert.ok(after.pePlaintext + after.peRc4 > before.pePlaintext + before.peRc4, JSON.stringify({ before, after }));
    });
  }

  it('python3-libtorrent, magnet link only (info dict over ut_metadata)', { skip: skipUnlessCi(ltTool), timeout: 240_000 }, async () => {
    const python = assertTool(ltTool);
    const out = await tempDir(env.dir, 'ltmag-');
    const before = env.seeder.stats().torrents[0]?.metadataPieces ?? 0;
    const r = await ltLeech(python, { magnet: magnetOf(f().infoHash, f().name), dirs: [out], peers: [['127.0.0.1', env.port]], timeoutSec: 120 });
    assert.deepEqual(r.done, [true], JSON.stringify(r));
    assert.equal(await sha1File(path.join(out, f().name)), f().sha1);
    assert.ok((env.seeder.stats().torrents[0]?.metadataPieces ?? 0) > before, 'metadata came from us');
  });

  for (const mode of ['torrent', 'magnet'] as const) {
    it(`webtorrent 3 (PE handshake), ${mode === 'torrent' ? '.torrent' : 'magnet link only'}`, { timeout: 240_000 }, async () => {
      const out = await tempDir(env.dir, 'wt-');
      const before = env.seeder.stats().handshakes.pePlaintext;
      await webtorrentDownload(mode === 'torrent' ? f().torrentBytes : magnetOf(f().infoHash, f().name), out, `127.0.0.1:${env.port}`);
      assert.ok(env.seeder.stats().handshakes.pePlaintext > before, 'webtorrent handshook with PE, we chose plaintext');
      assert.equal(await sha1File(path.join(out, f().name)), f().sha1);
    });
  }
});
