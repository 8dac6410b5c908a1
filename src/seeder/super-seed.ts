/**
 * BEP 16 super-seeding for one torrent. A super-seeded peer is told we have nothing, then learns of our
 * pieces one at a time (`have`). A revealed piece is pending until another peer announces it (the first
 * peer passed it on), or SUPER_SEED_TIMEOUT_MS after the peer announced it itself with nobody else
 * following (a peer that does not upload must not stall). We reveal the piece the fewest peers have or are
 * being given, so each piece leaves the server about once and the peers trade the rest.
 *
 * How many pieces a peer is shown at once: SUPER_SEED_WINDOW of them not yet sent to it in full (its
 * request pipeline to us: when we have sent a piece's last byte, the next piece is revealed at once, so the
 * upload never waits for the swarm's feedback), and at most SUPER_SEED_UNCONFIRMED pending in all (shown,
 * not yet seen at another peer). Strict BEP 16 — one piece, the next only once another peer has it — is
 * slow in practice: clients report pieces late (aria2 announces what it got in batches of 20 pieces, or
 * every 10 s), so a window of one or two pieces waits on timeouts most of the time.
 *
 * A piece that is already out there (revealed to a peer, or announced by one) is shown to another peer
 * only once it has been out for SUPER_SEED_DUPLICATE_DELAY_MS: near the end, when every piece has gone out
 * once, peers always have room for more, and revealing whatever is least available would send the last
 * pieces again and again instead of letting the swarm pass them on. After the delay a stuck piece (its
 * holder is slow, leaves, or does not upload) still reaches everyone.
 */
import { SUPER_SEED_DUPLICATE_DELAY_MS, SUPER_SEED_TIMEOUT_MS, SUPER_SEED_UNCONFIRMED, SUPER_SEED_WINDOW } from './limits.ts';

export interface SuperSeedPeer {
  superSeed: SuperSeedState | undefined;
  /** the peer has announced this piece */
  hasPiece(index: number): boolean;
  /** send `have` */
  reveal(index: number): void;
}

export class SuperSeedState {
  /** one bit per piece: revealed to this peer */
  readonly revealed: Uint8Array;
  /** pending piece → when the peer itself announced it (0: not yet) */
  readonly pending = new Map<number, number>();
  /** pending piece not yet sent to the peer in full → payload bytes of it sent so far */
  readonly sending = new Map<number, number>();
  revealedCount = 0;

  constructor(pieceCount: number) {
    this.revealed = new Uint8Array(Math.ceil(pieceCount / 8));
  }

  isRevealed(index: number): boolean {
    return (this.revealed[index >> 3]! & (0x80 >> (index & 7))) !== 0;
  }

  markRevealed(index: number): void {
    this.revealed[index >> 3]! |= 0x80 >> (index & 7);
    this.revealedCount++;
  }
}

export class SuperSeeder {
  /** per piece: peers it is pending at */
  private readonly inFlight: Uint16Array;
  /** per piece: when it first went out (revealed, or announced by a peer), ms; 0: not yet */
  private readonly outSince: Float64Array;
  revealed = 0;

  constructor(
    private readonly pieceCount: number,
    /** per piece: connected peers that have it */
    private readonly availability: Uint32Array,
    private readonly window = SUPER_SEED_WINDOW,
    private readonly timeoutMs = SUPER_SEED_TIMEOUT_MS,
    private readonly random: () => number = Math.random,
    private readonly unconfirmed = Math.max(window, SUPER_SEED_UNCONFIRMED),
    private readonly duplicateDelayMs = SUPER_SEED_DUPLICATE_DELAY_MS,
    private readonly clock: () => number = Date.now,
  ) {
    this.inFlight = new Uint16Array(pieceCount);
    this.outSince = new Float64Array(pieceCount);
  }

  start(peer: SuperSeedPeer): void {
    peer.superSeed = new SuperSeedState(this.pieceCount);
    this.fill(peer);
  }

  /** `from` announced `index` */
  onHave(from: SuperSeedPeer, index: number, peers: Iterable<SuperSeedPeer>, now: number): void {
    if (this.outSince[index] === 0) this.outSince[index] = this.clock();
    for (const p of peers) {
      if (p === from || !p.superSeed?.pending.has(index)) continue;
      this.settle(p, index);
      this.fill(p);
    }
    const own = from.superSeed;
    if (own?.pending.get(index) === 0) own.pending.set(index, now);
    if (own) this.fill(from); // it may have got a piece elsewhere that we had not revealed yet
  }

  /**
   * `bytes` of revealed piece `index` (`pieceBytes` long) went out to `peer`: once all of it has, the
   * piece no longer holds the peer's pipeline and the next one may be revealed.
   */
  onSent(peer: SuperSeedPeer, index: number, bytes: number, pieceBytes: number): void {
    const s = peer.superSeed;
    const sent = s?.sending.get(index);
    if (!s || sent === undefined) return;
    if (sent + bytes < pieceBytes) {
      s.sending.set(index, sent + bytes);
      return;
    }
    s.sending.delete(index);
    this.fill(peer);
  }

  /**
   * Expire pieces announced by their peer but by nobody else for timeoutMs; peers with room for more get
   * another look (pieces that were out too recently to show them may be due now).
   */
  tick(peers: Iterable<SuperSeedPeer>, now: number): void {
    for (const p of peers) {
      const s = p.superSeed;
      if (!s) continue;
      let freed = false;
      for (const [index, since] of s.pending) {
        if (since > 0 && now - since >= this.timeoutMs) {
          this.settle(p, index);
          freed = true;
        }
      }
      if (freed || s.sending.size < this.window) this.fill(p);
    }
  }

  /** the peer leaves super-seeding (disconnect or switch to plain seeding) */
  stop(peer: SuperSeedPeer): void {
    const s = peer.superSeed;
    if (!s) return;
    for (const index of s.pending.keys()) this.inFlight[index]!--;
    s.pending.clear();
    s.sending.clear();
    peer.superSeed = undefined;
  }

  /** switch a peer to plain seeding: reveal every piece not revealed yet (`have` is all we can still send) */
  revealAll(peer: SuperSeedPeer): void {
    const s = peer.superSeed;
    if (!s) return;
    this.stop(peer);
    for (let i = 0; i < this.pieceCount; i++) {
      if (!s.isRevealed(i) && !peer.hasPiece(i)) peer.reveal(i);
    }
  }

  private settle(peer: SuperSeedPeer, index: number): void {
    peer.superSeed!.pending.delete(index);
    peer.superSeed!.sending.delete(index);
    this.inFlight[index]!--;
  }

  private fill(peer: SuperSeedPeer): void {
    const s = peer.superSeed;
    if (!s) return;
    while (s.sending.size < this.window && s.pending.size < this.unconfirmed) {
      const index = this.pick(peer, s);
      if (index < 0) return;
      s.markRevealed(index);
      s.pending.set(index, 0);
      s.sending.set(index, 0);
      if (this.outSince[index] === 0) this.outSince[index] = this.clock();
      this.inFlight[index]!++;
      this.revealed++;
      peer.reveal(index);
    }
  }

  /**
   * The least available piece this peer neither has nor was shown, leaving out pieces that went out less
   * than duplicateDelayMs ago; a random start breaks ties.
   */
  private pick(peer: SuperSeedPeer, s: SuperSeedState): number {
    const n = this.pieceCount;
    const start = Math.floor(this.random() * n);
    const recent = this.clock() - this.duplicateDelayMs;
    let best = -1;
    let bestScore = Infinity;
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      if (s.isRevealed(i) || peer.hasPiece(i)) continue;
      const score = this.availability[i]! + this.inFlight[i]!;
      if (score > 0 && this.outSince[i]! > recent) continue;
      if (score < bestScore) {
        best = i;
        bestScore = score;
        if (score === 0) break;
      }
    }
    return best;
  }
}
