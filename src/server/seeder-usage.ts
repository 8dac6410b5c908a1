import type { Seeder } from '../seeder/seeder.ts';
import type { UsageMeter } from './usage.ts';

/** the usage operation the seeder's piece bytes are counted under */
export const SEEDER_USAGE_OPERATION = 'BitTorrentSeed';
const SAMPLE_MS = 1000;
const OWNERS_MAX = 10_000;

/**
 * Charges the seeder's piece payload to the owner of each object's bucket, as usage operation
 * BitTorrentSeed (bytesOut = piece bytes, requests = blocks), so `seedbucket admin usage` shows the
 * server's whole egress: GetObject (plain GETs and web seeds) plus the swarm. Sampled from the seeder's
 * per-torrent counters once a second and on close. A torrent whose counters restart (its swarm state was
 * dropped after its last peer left, then rebuilt) is noticed by the counter going down; only bytes sent
 * before the first sample after such a restart that already exceed the old total would be missed.
 */
export class SeederUsage {
  /** v1 info-hash hex → the account that pays for it (learned when the seeder looks the torrent up) */
  readonly #owners = new Map<string, string>();
  /** v1 info-hash hex → counters at the last sample */
  readonly #last = new Map<string, { uploaded: number; blocks: number }>();
  readonly #timer: NodeJS.Timeout;

  constructor(private readonly seeder: Seeder, private readonly usage: UsageMeter) {
    this.#timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.#timer.unref();
  }

  /** the seeder is serving this torrent for this account */
  owner(infoHash: Buffer, accountId: string): void {
    if (this.#owners.size >= OWNERS_MAX && !this.#owners.has(infoHash.toString('hex'))) this.#owners.clear();
    this.#owners.set(infoHash.toString('hex'), accountId);
  }

  sample(): void {
    const seen = new Set<string>();
    for (const t of this.seeder.stats().torrents) {
      seen.add(t.infoHash);
      const last = this.#last.get(t.infoHash) ?? { uploaded: 0, blocks: 0 };
      const restarted = t.uploaded < last.uploaded;
      const bytes = restarted ? t.uploaded : t.uploaded - last.uploaded;
      const blocks = restarted ? t.blocks : t.blocks - last.blocks;
      this.#last.set(t.infoHash, { uploaded: t.uploaded, blocks: t.blocks });
      const owner = this.#owners.get(t.infoHash);
      if (bytes > 0 && owner !== undefined) this.usage.record(owner, SEEDER_USAGE_OPERATION, 'owner', 0, bytes, blocks);
    }
    for (const hex of this.#last.keys()) if (!seen.has(hex)) this.#last.delete(hex);
  }

  /** a last sample; call before the seeder's counters go away */
  close(): void {
    clearInterval(this.#timer);
    this.sample();
  }
}
