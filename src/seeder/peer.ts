/**
 * A handshaken peer of one torrent: what it has, its request queue, and serving that queue with bounded
 * memory — no block is read for a peer whose output has not drained below WRITE_HIGH_WATER, so a peer
 * that stops reading stalls only itself.
 */
import type { PendingRequest, RespondCallback } from 'bittorrent-protocol';
import type { BlockReader } from './block-reader.ts';
import type { ChokeCandidate } from './choker.ts';
import type { Connection } from './connection.ts';
import { MAX_INVALID_REQUESTS, READS_IN_FLIGHT_PER_PEER, WRITE_HIGH_WATER } from './limits.ts';
import { blockStart, checkRequest } from './request-check.ts';
import type { SeederWire } from './seeder-wire.ts';
import type { SuperSeedPeer, SuperSeedState } from './super-seed.ts';
import type { SeedableTorrent, UploadThrottle } from './types.ts';

/** what a peer needs from its swarm */
export interface PeerHost {
  readonly torrent: SeedableTorrent;
  /** v1 info-hash hex: the block cache key */
  readonly key: string;
  readonly reader: BlockReader;
  readonly throttle: UploadThrottle | undefined;
  readonly maxRequestLength: number;
  readonly maxOutstanding: number;
  /** `bytes` of piece `index` went out to `peer` */
  blockSent(bytes: number, peer: Peer, index: number): void;
  rejected(): void;
}

interface Queued {
  index: number;
  offset: number;
  length: number;
  respond: RespondCallback;
  key: string;
}

const MESSAGE_REJECT = 0x10;

let nextId = 1;

export class Peer implements SuperSeedPeer, ChokeCandidate {
  readonly id = nextId++;
  readonly wire: SeederWire;
  superSeed: SuperSeedState | undefined;
  /** one bit per piece the peer announced */
  private readonly has: Uint8Array;
  haveCount = 0;
  unchoked = false;
  unchokedSince = 0;
  waitingSince = Date.now();
  /** bytes a choked peer may still fetch from its allowed-fast set */
  fastBudget = 0;
  uploaded = 0;
  private queue: Queued[] = [];
  /** index:offset:length of every request queued or being read, to refuse duplicates */
  private readonly pending = new Set<string>();
  private inFlight = 0;
  private inFlightBytes = 0;
  private invalid = 0;

  constructor(readonly conn: Connection, private readonly host: PeerHost) {
    this.wire = conn.wire;
    this.has = new Uint8Array(Math.ceil(host.torrent.pieceCount / 8));
    conn.onDrain = () => this.pump();
    this.wire.on('request', (index: number, offset: number, length: number, respond: RespondCallback) => this.onRequest(index, offset, length, respond));
    this.wire.on('cancel', (index: number, offset: number, length: number) => {
      this.dropQueued((q) => q.index === index && q.offset === offset && q.length === length);
    });
  }

  /** requests queued or being read */
  get queued(): number {
    return this.queue.length + this.inFlight;
  }

  get closed(): boolean {
    return this.conn.closed;
  }

  get complete(): boolean {
    return this.haveCount >= this.host.torrent.pieceCount;
  }

  hasPiece(index: number): boolean {
    return (this.has[index >> 3]! & (0x80 >> (index & 7))) !== 0;
  }

  /** record that the peer has `index`; false if it was known already */
  markHave(index: number): boolean {
    if (index < 0 || index >= this.host.torrent.pieceCount || this.hasPiece(index)) return false;
    this.has[index >> 3]! |= 0x80 >> (index & 7);
    this.haveCount++;
    return true;
  }

  /** every piece the peer has, e.g. before replacing them with a new bitfield */
  *pieces(): Generator<number> {
    for (let i = 0; i < this.host.torrent.pieceCount; i++) if (this.hasPiece(i)) yield i;
  }

  clearHave(): void {
    this.has.fill(0);
    this.haveCount = 0;
  }

  reveal(index: number): void {
    this.wire.have(index);
  }

  choke(now: number): void {
    if (!this.unchoked) return;
    this.unchoked = false;
    this.waitingSince = now;
    this.wire.choke(); // with the fast extension the library rejects what is queued, except allowed-fast pieces
    const still = new Set(this.wire.peerRequests.map((r) => `${r.piece}:${r.offset}:${r.length}`));
    this.dropQueued((q) => !still.has(q.key));
  }

  private dropQueued(drop: (q: Queued) => boolean): void {
    this.queue = this.queue.filter((q) => {
      if (!drop(q)) return true;
      this.pending.delete(q.key);
      return false;
    });
  }

  unchoke(now: number): void {
    if (this.unchoked) return;
    this.unchoked = true;
    this.unchokedSince = now;
    this.wire.unchoke();
  }

  private onRequest(index: number, offset: number, length: number, respond: RespondCallback): void {
    if (this.closed) return;
    // the library's record of this request: it has just pushed it (refuse() must remove exactly this one)
    const entry = this.wire.peerRequests[this.wire.peerRequests.length - 1];
    const t = this.host.torrent;
    const invalid = checkRequest(t, index, offset, length, this.host.maxRequestLength);
    if (invalid !== undefined) {
      this.refuse(entry, index, offset, length);
      // BEP 3 peers without the fast extension cannot be told no: a bad request closes the connection
      if (!this.wire.hasFast || ++this.invalid > MAX_INVALID_REQUESTS) this.conn.close(`invalid request: ${invalid}`);
      return;
    }
    const key = `${index}:${offset}:${length}`;
    if (
      this.pending.has(key) // a duplicate: the library matches answers by index/offset/length, so one must go
      || (this.superSeed && !this.superSeed.isRevealed(index))
      || this.queue.length + this.inFlight >= this.host.maxOutstanding
    ) {
      return this.refuse(entry, index, offset, length);
    }
    if (!this.unchoked) {
      // the library passes requests of a choked peer on only for its allowed-fast pieces
      if (this.fastBudget < length) return this.refuse(entry, index, offset, length);
      this.fastBudget -= length;
    }
    this.pending.add(key);
    this.queue.push({ index, offset, length, respond, key });
    this.pump();
  }

  /**
   * reject_request with the fast extension; without it the request is just dropped. Not through the
   * library's reject()/respond(), which remove the first request with the same index/offset/length —
   * with a duplicate that is the one we are still serving.
   */
  private refuse(entry: PendingRequest | undefined, index: number, offset: number, length: number): void {
    this.host.rejected();
    const at = entry ? this.wire.peerRequests.indexOf(entry) : -1;
    if (at >= 0) this.wire.peerRequests.splice(at, 1);
    if (this.wire.hasFast) this.wire._message(MESSAGE_REJECT, [index, offset, length], null);
  }

  private pump(): void {
    while (
      this.queue.length > 0 && !this.closed && this.inFlight < READS_IN_FLIGHT_PER_PEER
      && this.conn.backlog() + this.inFlightBytes < WRITE_HIGH_WATER
    ) {
      const q = this.queue.shift()!;
      this.inFlight++;
      this.inFlightBytes += q.length;
      void this.serve(q);
    }
  }

  private async serve(q: Queued): Promise<void> {
    const t = this.host.torrent;
    try {
      const block = await this.host.reader.read(t, this.host.key, blockStart(t, q.index, q.offset), q.length);
      if (this.host.throttle) await this.host.throttle.take(q.length);
      if (this.closed) return;
      const before = this.wire.uploaded;
      q.respond(null, block); // a no-op if the request was cancelled or rejected by a choke meanwhile
      if (this.wire.uploaded !== before) {
        this.uploaded += q.length;
        this.host.blockSent(q.length, this, q.index);
      }
    } catch {
      if (!this.closed) {
        this.host.rejected();
        q.respond(new Error('read failed')); // the library removes it and rejects (fast) or drops it
      }
    } finally {
      this.pending.delete(q.key);
      this.inFlight--;
      this.inFlightBytes -= q.length;
      this.pump();
    }
  }
}
