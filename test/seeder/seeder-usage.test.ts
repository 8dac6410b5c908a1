/** The seeder's piece bytes in the usage counters (operation BitTorrentSeed, charged to the bucket owner). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Seeder } from '../../src/seeder/seeder.ts';
import type { TorrentStats } from '../../src/seeder/types.ts';
import { SEEDER_USAGE_OPERATION, SeederUsage } from '../../src/server/seeder-usage.ts';
import type { UsageMeter } from '../../src/server/usage.ts';

const H1 = Buffer.alloc(20, 1);
const H2 = Buffer.alloc(20, 2);

function torrent(infoHash: Buffer, uploaded: number, blocks: number): TorrentStats {
  return { infoHash: infoHash.toString('hex'), uploaded, blocks, peers: 1, leechers: 1, superSeeded: 0, revealed: 0, rejected: 0, metadataPieces: 0 };
}

describe('seeder usage', () => {
  it('records per-torrent deltas for the owner, notices restarted counters, and samples once more on close', () => {
    let torrents: TorrentStats[] = [];
    const seeder = { stats: () => ({ torrents }) } as unknown as Seeder;
    const rows: Array<[string, string, number, number]> = [];
    const usage = { record: (a: string, op: string, _role: string, _in: number, out: number, n = 1) => { rows.push([a, op, out, n]); } } as unknown as UsageMeter;
    const u = new SeederUsage(seeder, usage);
    try {
      u.owner(H1, 'alice');
      torrents = [torrent(H1, 1000, 2), torrent(H2, 500, 1)]; // H2: owner unknown, not charged
      u.sample();
      torrents = [torrent(H1, 1500, 3), torrent(H2, 800, 2)];
      u.sample();
      u.sample(); // nothing new: nothing recorded
      torrents = [torrent(H1, 300, 1)]; // swarm state rebuilt: counters start over
      u.close();
      assert.deepEqual(rows, [
        ['alice', SEEDER_USAGE_OPERATION, 1000, 2],
        ['alice', SEEDER_USAGE_OPERATION, 500, 1],
        ['alice', SEEDER_USAGE_OPERATION, 300, 1],
      ]);
    } finally {
      u.close();
    }
  });
});
