/**
 * Everything about one torrent while peers are connected: who is there and what they have, greeting a
 * new peer (have_all, or have_none + reveals when super-seeding), choking, and the counters stats() reads.
 */
import { allowedFastSet } from './allowed-fast.ts';
import type { BlockReader } from './block-reader.ts';
import { planUnchokes, pickOptimistic, type ChokeCandidate } from './choker.ts';
import type { Connection } from './connection.ts';
import {
  ALLOWED_FAST_SET_SIZE, MIN_UNCHOKE_MS, OPTIMISTIC_UNCHOKE_INTERVAL_MS, RECHOKE_INTERVAL_MS, SLOT_STALL_MS, SLOT_STALL_PENALTY_MS,
  SUPER_SEED_LONE_LEECHER_MS,
} from './limits.ts';
import { Peer, type PeerHost } from './peer.ts';
import { SuperSeeder } from './super-seed.ts';
import type { SeedableTorrent, SuperSeedingMode, TorrentLookup, TorrentStats, UploadThrottle } from './types.ts';
import { utMetadataServer } from './ut-metadata.ts';

export const CLIENT_VERSION = 'seedbucket 0.1';

export interface SwarmConfig {
  lookup: TorrentLookup;
  reader: BlockReader;
  throttle: UploadThrottle | undefined;
  peerId: Buffer;
  uploadSlots: number;
  maxRequestLength: number;
  maxOutstanding: number;
  superSeeding: SuperSeedingMode;
  /** piece payload bytes sent, for the seeder-wide total */
  onUploaded(bytes: number): void;
}

export class Swarm implements PeerHost {
  readonly key: string;
  readonly peers = new Set<Peer>();
  /** per piece: connected peers that announced it */
  readonly availability: Uint32Array;
  readonly superSeeder: SuperSeeder;
  lastActiveAt = Date.now();
  uploaded = 0;
  blocks = 0;
  rejectedCount = 0;
  metadataPieces = 0;
  private optimistic: number | undefined;
  private optimisticAt = 0;
  private lastRechokeAt = 0;
  private loneSince: number | undefined;
  private fullBitfield: Uint8Array | undefined;
  /** peers choked for sitting on a slot, and until when they get no slot (SLOT_STALL_PENALTY_MS) */
  private readonly stalledUntil = new WeakMap<Peer, number>();
  /** when each peer was last sent a block */
  private readonly lastServed = new WeakMap<Peer, number>();

  constructor(readonly torrent: SeedableTorrent, private readonly config: SwarmConfig) {
    this.key = torrent.infoHash.toString('hex');
    this.availability = new Uint32Array(torrent.pieceCount);
    this.superSeeder = new SuperSeeder(torrent.pieceCount, this.availability);
  }

  get reader(): BlockReader { return this.config.reader; }
  get throttle(): UploadThrottle | undefined { return this.config.throttle; }
  get maxRequestLength(): number { return this.config.maxRequestLength; }
  get maxOutstanding(): number { return this.config.maxOutstanding; }

  blockSent(bytes: number, peer: Peer, index: number): void {
    this.uploaded += bytes;
    this.blocks++;
    this.lastActiveAt = Date.now();
    this.lastServed.set(peer, this.lastActiveAt);
    this.config.onUploaded(bytes);
    if (peer.superSeed) {
      const t = this.torrent;
      this.superSeeder.onSent(peer, index, bytes, Math.min(t.pieceLength, t.length - index * t.pieceLength));
    }
  }

  rejected(): void {
    this.rejectedCount++;
  }

  /**
   * Take a connection whose peer has handshaken for this torrent with `hash20`. Incoming connections get
   * our handshake now; outgoing ones (dial) sent it already.
   */
  attach(conn: Connection, hash20: Buffer, outgoing: boolean): Peer | undefined {
    const wire = conn.wire;
    if (wire.peerId === this.config.peerId.toString('hex')) {
      conn.close('connected to ourselves');
      return undefined;
    }
    for (const p of this.peers) {
      if (p.wire.peerId === wire.peerId) {
        conn.close('duplicate peer id');
        return undefined;
      }
    }
    const t = this.torrent;
    const peer = new Peer(conn, this);
    wire.use(utMetadataServer(t.info, {
      served: () => { this.metadataPieces++; },
      malformed: (why) => conn.close(`protocol violation: ${why}`),
    }));
    wire.extendedHandshake = { v: CLIENT_VERSION, reqq: this.config.maxOutstanding, metadata_size: t.info.length };
    if (!outgoing) wire.handshake(hash20, this.config.peerId, { fast: true, dht: false });

    const superSeed = this.wantsSuperSeed();
    if (superSeed) {
      if (wire.hasFast) wire.haveNone(); // BEP 16: we claim nothing, then reveal piece by piece
    } else if (wire.hasFast) {
      wire.haveAll();
    } else {
      wire.bitfield(this.bitfield());
    }
    wire.releaseExtendedHandshake();
    if (!superSeed && wire.hasFast) {
      // allowed-fast pieces would leak past super-seeding (one set per /24: every loopback peer the same)
      const set = allowedFastSet(conn.ip, t.infoHash, t.pieceCount, ALLOWED_FAST_SET_SIZE);
      for (const index of set) wire.allowedFast(index);
      peer.fastBudget = set.length * t.pieceLength;
    }

    this.peers.add(peer);
    this.lastActiveAt = Date.now();
    conn.attached = true;
    conn.onClose(() => this.detach(peer));
    this.listen(peer);
    if (superSeed) this.superSeeder.start(peer);
    return peer;
  }

  /**
   * 'on', or 'auto' with ≥2 leechers: as listed by our tracker when there is one, else connected (counting
   * this one). Connections over-count: a leecher we dial while it connects to us is attached twice until it
   * drops one, and libtorrent uses a fresh peer id per connection, so the duplicate is not recognised — a
   * lone libtorrent leecher was then super-seeded (10 s of trickle) about every other time.
   */
  private wantsSuperSeed(): boolean {
    const mode = this.config.superSeeding;
    if (mode === 'off' || this.torrent.pieceCount < 2) return false;
    if (mode === 'on') return true;
    const leechers = this.config.lookup.leechers?.(this.torrent) ?? this.leechers().length + 1;
    return leechers >= 2;
  }

  leechers(): Peer[] {
    return [...this.peers].filter((p) => !p.complete && !p.closed);
  }

  private listen(peer: Peer): void {
    const wire = peer.wire;
    const now = (): number => Date.now();
    wire.on('interested', () => this.fillSlots(now()));
    wire.on('uninterested', () => this.fillSlots(now()));
    wire.on('have', (index: number) => {
      if (!peer.markHave(index)) return;
      this.availability[index]!++;
      this.superSeeder.onHave(peer, index, this.peers, now());
      this.checkComplete(peer);
    });
    wire.on('bitfield', (bits: { buffer: Uint8Array }) => {
      // Not only the first message: aria2 announces what it got since its last report as a whole new
      // bitfield once 20 pieces have piled up (else as haves, at most every 10 s). Pieces new in it count
      // as `have`s, or super-seeding would never see them passed on and stall until its timeouts.
      const had = peer.haveCount > 0 ? new Set(peer.pieces()) : undefined;
      this.forgetPieces(peer);
      const n = this.torrent.pieceCount;
      const buf = bits.buffer;
      const added: number[] = [];
      for (let i = 0; i < n; i++) {
        if ((buf[i >> 3]! & (0x80 >> (i & 7))) !== 0 && peer.markHave(i)) {
          this.availability[i]!++;
          if (!had?.has(i)) added.push(i);
        }
      }
      for (const i of added) this.superSeeder.onHave(peer, i, this.peers, now());
      this.checkComplete(peer);
    });
    wire.on('have-all', () => {
      for (let i = 0; i < this.torrent.pieceCount; i++) if (peer.markHave(i)) this.availability[i]!++;
      this.checkComplete(peer);
    });
  }

  private forgetPieces(peer: Peer): void {
    for (const i of peer.pieces()) this.availability[i]!--;
    peer.clearHave();
  }

  /** a seed needs nothing from us, and we nothing from it */
  private checkComplete(peer: Peer): void {
    if (peer.complete) peer.conn.close('peer is a seed');
  }

  private detach(peer: Peer): void {
    if (!this.peers.delete(peer)) return;
    this.superSeeder.stop(peer);
    this.forgetPieces(peer);
    if (this.optimistic === peer.id) this.optimistic = undefined;
    this.lastActiveAt = Date.now();
    this.fillSlots(Date.now());
  }

  /** an interested peer may take a free slot at once, without waiting for the next rechoke */
  private fillSlots(now: number): void {
    const interested = this.interested(now);
    const busy = interested.filter((p) => p.unchoked).length;
    if (busy >= this.config.uploadSlots) return;
    const plan = planUnchokes(interested, this.config.uploadSlots, now, MIN_UNCHOKE_MS, this.optimistic);
    let free = this.config.uploadSlots - busy;
    for (const p of interested) {
      if (free === 0) break;
      if (!p.unchoked && plan.has(p.id)) {
        p.unchoke(now);
        free--;
      }
    }
  }

  /**
   * Interested peers that may hold a slot. One that sat on a slot without taking blocks (chokeStalled) sits
   * out SLOT_STALL_PENALTY_MS, unless there are not enough others to fill the slots.
   */
  private interested(now = Date.now()): Peer[] {
    const all = [...this.peers].filter((p) => !p.closed && !p.complete && p.wire.peerInterested);
    const fresh = all.filter((p) => (this.stalledUntil.get(p) ?? 0) <= now);
    const slots = this.config.uploadSlots;
    return fresh.length >= slots ? fresh : [...fresh, ...all.filter((p) => !fresh.includes(p)).slice(0, slots - fresh.length)];
  }

  /** an unchoked peer that gets no block (asks for none, or does not read them) frees its slot for one that would */
  private chokeStalled(now: number): void {
    let freed = false;
    for (const p of this.peers) {
      if (!p.unchoked || now - Math.max(p.unchokedSince, this.lastServed.get(p) ?? 0) < SLOT_STALL_MS) continue;
      p.choke(now);
      this.stalledUntil.set(p, now + SLOT_STALL_PENALTY_MS);
      if (this.optimistic === p.id) this.optimistic = undefined;
      freed = true;
    }
    if (freed) this.fillSlots(now);
  }

  /** full rechoke: rotate slots and the optimistic unchoke */
  private rechoke(now: number): void {
    const interested = this.interested(now);
    const slots = this.config.uploadSlots;
    let plan = planUnchokes(interested, slots, now, MIN_UNCHOKE_MS, this.optimistic);
    const optimisticGone = this.optimistic === undefined || !interested.some((p) => p.id === this.optimistic);
    if (interested.length > slots && slots > 1 && (optimisticGone || now - this.optimisticAt >= OPTIMISTIC_UNCHOKE_INTERVAL_MS)) {
      const regular = planUnchokes(interested, slots, now, MIN_UNCHOKE_MS, undefined);
      if (regular.size >= slots) regular.delete([...regular].pop()!);
      this.optimistic = pickOptimistic(interested as ChokeCandidate[], regular);
      this.optimisticAt = now;
      plan = regular;
      if (this.optimistic !== undefined) plan.add(this.optimistic);
    }
    for (const p of this.peers) {
      if (plan.has(p.id)) p.unchoke(now);
      else p.choke(now);
    }
  }

  /** about once a second */
  tick(now: number): void {
    this.superSeeder.tick(this.peers, now);
    this.chokeStalled(now);
    if (now - this.lastRechokeAt >= RECHOKE_INTERVAL_MS) {
      this.lastRechokeAt = now;
      this.rechoke(now);
    }
    if (this.config.superSeeding === 'auto') this.checkLoneLeecher(now);
  }

  /** 'auto': a lone leecher has nobody to trade with, so it gets plain seeding at full speed */
  private checkLoneLeecher(now: number): void {
    const leechers = this.leechers();
    const lone = leechers.length === 1 ? leechers[0]! : undefined;
    if (!lone?.superSeed) {
      this.loneSince = undefined;
      return;
    }
    this.loneSince ??= now;
    if (now - this.loneSince >= SUPER_SEED_LONE_LEECHER_MS) this.superSeeder.revealAll(lone);
  }

  closeAll(reason: string): void {
    for (const p of [...this.peers]) p.conn.close(reason);
  }

  stats(withPeers = false): TorrentStats {
    const peers = [...this.peers];
    const out: TorrentStats = {
      infoHash: this.key,
      uploaded: this.uploaded,
      blocks: this.blocks,
      peers: peers.length,
      leechers: peers.filter((p) => !p.complete).length,
      superSeeded: peers.filter((p) => p.superSeed).length,
      revealed: this.superSeeder.revealed,
      rejected: this.rejectedCount,
      metadataPieces: this.metadataPieces,
    };
    if (withPeers) {
      out.peerList = peers.map((p) => ({
        ip: p.conn.ip, port: p.conn.port, peerId: p.wire.peerId ?? '', uploaded: p.uploaded, queued: p.queued,
        backlog: p.conn.backlog(), unchoked: p.unchoked, interested: p.wire.peerInterested, superSeeded: p.superSeed !== undefined,
        encryption: p.wire._encryptionMethod ?? 0,
      }));
    }
    return out;
  }

  private bitfield(): Uint8Array {
    if (this.fullBitfield) return this.fullBitfield;
    const n = this.torrent.pieceCount;
    const bits = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
    if (n % 8) bits[bits.length - 1] = (0xff << (8 - (n % 8))) & 0xff;
    this.fullBitfield = bits;
    return bits;
  }
}
