import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { authorize } from '../access/authorize.ts';
import type { ObjectRecord } from '../meta/types.ts';
import type { SeedableTorrent, TorrentLookup } from '../seeder/types.ts';
import { Seeder } from '../seeder/seeder.ts';
import { signTrackerToken, Tracker, verifyTrackerToken, type TokenCheck } from '../tracker/index.ts';
import { encodeInfoDict } from '../torrent/metainfo.ts';
import type { Services } from './context.ts';
import { log } from './log.ts';
import { readObjectBytes } from './object-io.ts';
import { SeederUsage } from './seeder-usage.ts';
import { objectInfo } from './object-torrent.ts';

/** The tracker and seeder faces of the server, over the same store as the S3 API. */
export interface BitTorrentFaces {
  tracker?: Tracker;
  seeder?: Seeder;
  /** announce URLs written into torrents, own tracker first */
  announceUrls: string[];
  /** the address peers reach the seeder at */
  seederAddress?: { ip: string; port: number };
  /** a signed token binding a private torrent to an account until `expiresAt` (ms) */
  trackerToken(infoHash: Buffer, accountId: string, expiresAt: number): string;
  /** leechers and seeders connected to the server's seeder for an object's current torrent */
  swarmOf(o: ObjectRecord): { leechers: number; seeders: number };
  endpoints: { name: string; url: string }[];
  close(): Promise<void>;
}

const LOOKUP_CACHE_MS = 2000;
const LOOKUP_CACHE_MAX = 10_000;
const REDIAL_MS = 60_000;
const STALE_CHECK_MS = 1000;
const STATS_LOG_MS = 1000;

/** The HMAC key of tracker tokens, kept in the data directory so tokens survive a restart. */
function trackerSecret(dataDir: string): Buffer {
  const file = path.join(dataDir, 'tracker-secret');
  try {
    return readFileSync(file);
  } catch {
    const secret = randomBytes(32);
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return readFileSync(file);
  }
}

function hostOf(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '');
}

export async function startBitTorrent(services: Services): Promise<BitTorrentFaces> {
  const { config, meta, blobs } = services;
  const secret = trackerSecret(config.dataDir);
  const publicHost = hostOf(config.publicUrl!);
  const formatted = (h: string) => (h.includes(':') ? `[${h}]` : h);

  /** the object whose current torrent has this info-hash (v1, or v2's first 20 bytes), with its info dict */
  const current = (o: ObjectRecord | undefined, matches: (t: { infoHash: Buffer; infoHashV2?: Buffer }) => boolean) => {
    if (!o || o.sse) return undefined;
    const bucket = meta.getBucket(o.bucket);
    if (!bucket) return undefined;
    const dict = encodeInfoDict(objectInfo(o, bucket, config.torrentFormat));
    return matches(dict) ? { o, bucket, ...dict } : undefined;
  };
  const byInfoHash = (h: Buffer) => {
    const h20 = h.subarray(0, 20);
    return current(meta.getObjectByInfoHash(h20), (t) => t.infoHash.equals(h20) || (t.infoHashV2?.subarray(0, 20).equals(h20) ?? false));
  };

  const toSeedable = (c: NonNullable<ReturnType<typeof byInfoHash>>): SeedableTorrent => ({
    infoHash: c.infoHash,
    ...(c.infoHashV2 ? { infoHashV2: c.infoHashV2 } : {}),
    info: c.info,
    length: c.o.size,
    pieceLength: c.o.hashes.pieceLength,
    pieceCount: Math.ceil(c.o.size / c.o.hashes.pieceLength),
    private: objectInfo(c.o, c.bucket, config.torrentFormat).private,
    // Reads the version this torrent describes: after an overwrite its blobs go away and reads fail,
    // rather than serving new bytes under old hashes.
    read: (offset, length) => readObjectBytes(blobs, c.o.segments, offset, offset + length),
  });

  /** Private torrents: a valid token, for an account that may still read the object. */
  const verifyToken = (token: string | undefined, infoHash: Buffer): TokenCheck => {
    const verdict = verifyTrackerToken(token, infoHash, secret);
    if (!verdict.ok) return verdict;
    const c = byInfoHash(infoHash);
    const account = meta.getAccount(verdict.accountId);
    if (!c || !account) return { ok: false, reason: 'torrent no longer available' };
    const owner = meta.getAccount(c.bucket.ownerAccountId);
    try {
      authorize('ObjectRead', { accountId: account.accountId, canonicalUserId: account.canonicalUserId, accessKeyId: '' }, {
        bucketAcl: c.bucket.acl, bucketOwnerCanonical: owner?.canonicalUserId ?? '', objectAcl: c.o.acl,
      });
    } catch {
      return { ok: false, reason: 'access to this torrent was revoked' };
    }
    return { ok: true, accountId: account.accountId };
  };

  let seeder: Seeder | undefined;
  let seederUsage: SeederUsage | undefined;
  let tracker: Tracker | undefined;
  let seederAddress: { ip: string; port: number } | undefined;
  const endpoints: { name: string; url: string }[] = [];

  if (config.seeder) {
    // the seeder's bytes are charged to the bucket owner, like the GETs they spare (usage: BitTorrentSeed)
    const charged = (c: ReturnType<typeof byInfoHash>): SeedableTorrent | undefined => {
      if (!c) return undefined;
      seederUsage?.owner(c.infoHash, c.bucket.ownerAccountId);
      return toSeedable(c);
    };
    const lookup: TorrentLookup = {
      find: async (h20) => charged(byInfoHash(h20)),
      findByReq2: async (req2) => {
        const o = meta.getObjectByReq2(req2);
        return charged(o?.infoHash ? byInfoHash(o.infoHash) : undefined);
      },
      mayServe: (t, peer) => !t.private || (tracker?.hasAuthorizedPeer(t.infoHash, peer.ip) ?? false),
      leechers: (t) => tracker?.peersOf(t.infoHash).filter((p) => !p.seeder).length ?? 0,
    };
    seeder = new Seeder({ lookup, throttle: services.uploadBudget, superSeeding: config.superSeeding });
    seederUsage = new SeederUsage(seeder, services.usage);
    const addr = await seeder.listen(config.peerPort, config.host);
    seederAddress = { ip: config.peerHost ?? publicHost, port: addr.port };
    endpoints.push({ name: 'seeder', url: `${formatted(config.host)}:${addr.port}` });
  }

  if (config.tracker) {
    const seederRef = seeder;
    const dialed = new Map<string, number>();
    // Every announce asks: answers are cached for a moment so the tracker's hot path is a map lookup.
    const known = new Map<string, { at: number; value: { private: boolean } | undefined }>();
    const trackerLookup = (h: Buffer) => {
      const hex = h.toString('hex');
      const now = Date.now();
      const hit = known.get(hex);
      if (hit && now - hit.at < LOOKUP_CACHE_MS) return hit.value;
      const o = meta.getObjectByInfoHash(h);
      const bucket = o && !o.sse ? meta.getBucket(o.bucket) : undefined;
      const value = o && bucket ? { private: objectInfo(o, bucket, config.torrentFormat).private } : undefined;
      if (known.size >= LOOKUP_CACHE_MAX) known.clear();
      known.set(hex, { at: now, value });
      return value;
    };
    tracker = new Tracker({
      lookup: trackerLookup,
      ...(seederAddress ? { seederPeers: () => [seederAddress!] } : {}),
      verifyToken,
      // Transmission ignores loopback ("martian") peers a tracker lists but accepts connections from
      // them, so the seeder also dials every leecher that announces.
      onAnnounce: (infoHash, peer, event) => {
        if (!seederRef || peer.seeder || event === 'stopped') return;
        if (seederAddress && peer.port === seederAddress.port && peer.ip === seederAddress.ip) return;
        // Re-announces come every interval: dial a given leecher for a given torrent at most once a minute.
        const id = `${infoHash.toString('hex')} ${peer.ip} ${peer.port}`;
        const now = Date.now();
        if ((dialed.get(id) ?? 0) > now - REDIAL_MS) return;
        if (dialed.size >= LOOKUP_CACHE_MAX) dialed.clear();
        dialed.set(id, now);
        seederRef.dial(peer.ip, peer.port, infoHash).catch(() => {});
      },
      onError: (e) => log.warn({ err: String(e) }, 'tracker error'),
    });
    const { port } = await tracker.listen({ port: config.trackerPort, host: config.host });
    endpoints.push({ name: 'tracker', url: `http://${formatted(config.host)}:${port}/announce` });
    endpoints.push({ name: 'tracker', url: `udp://${formatted(config.host)}:${port}/announce` });
  }

  // With SEEDBUCKET_LOG=debug: the seeder's counters, once a second while they change (what it sent, to
  // whom, what it refused). The swarm tests read these lines; operators can too.
  let statsTimer: NodeJS.Timeout | undefined;
  if (seeder && log.isLevelEnabled('debug')) {
    const s0 = seeder;
    let last = '';
    statsTimer = setInterval(() => {
      const s = s0.stats();
      const line = {
        uploaded: s.uploaded, connections: s.connections, peers: s.peers, handshakes: s.handshakes, closed: s.closed,
        torrents: s.torrents.map((t) => ({
          infoHash: t.infoHash, uploaded: t.uploaded, peers: t.peers, superSeeded: t.superSeeded, revealed: t.revealed, rejected: t.rejected, metadataPieces: t.metadataPieces,
        })),
      };
      const key = JSON.stringify(line);
      if (key === last) return;
      last = key;
      log.debug({ seeder: line }, 'seeder stats');
    }, STATS_LOG_MS);
    statsTimer.unref();
  }

  // An overwritten or deleted object's torrent stops being served: new peers are refused by the lookup,
  // and connected ones are dropped here (their reads of the old version would fail once its blobs go).
  const retireStale = seeder && setInterval(() => {
    for (const t of seeder!.stats().torrents) {
      if (t.peers > 0 && !byInfoHash(Buffer.from(t.infoHash, 'hex'))) seeder!.forget(Buffer.from(t.infoHash, 'hex'));
    }
  }, STALE_CHECK_MS);
  retireStale?.unref();

  const announceUrls: string[] = [];
  if (config.trackerUrl) announceUrls.push(config.trackerUrl);
  else if (tracker) {
    announceUrls.push(`http://${formatted(publicHost)}:${tracker.port}/announce`, `udp://${formatted(publicHost)}:${tracker.port}/announce`);
  }
  announceUrls.push(...config.extraTrackers);

  return {
    ...(tracker ? { tracker } : {}),
    ...(seeder ? { seeder } : {}),
    ...(seederAddress ? { seederAddress } : {}),
    announceUrls,
    endpoints,
    trackerToken: (infoHash, accountId, expiresAt) => signTrackerToken({ infoHash, accountId, expiresAt }, secret),
    swarmOf(o) {
      // Live connections, not the tracker's counts: a peer that left without a `stopped` event stays on
      // the tracker's list until it expires, and a web seed must not be refused for a swarm that is gone.
      if (!seeder || !o.infoHash) return { leechers: 0, seeders: 0 };
      const { peers, leechers } = seeder.peerCounts(o.infoHash);
      return { leechers, seeders: peers - leechers };
    },
    async close() {
      clearInterval(statsTimer);
      await Promise.allSettled([tracker?.close(), seeder?.close()]);
      seederUsage?.close();
    },
  };
}
