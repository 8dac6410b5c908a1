/**
 * BEP 16 super-seeding for one torrent. A super-seeded peer is told we have nothing, then learns of our
 * pieces one at a time (`have`), at most SUPER_SEED_WINDOW pending at once. A revealed piece stops being
 * pending when another peer announces it (the first peer passed it on), or SUPER_SEED_TIMEOUT_MS after the
 * peer announced it itself with nobody else following (a peer that does not upload must not stall).
 * We reveal the piece the fewest peers have or are being given, so each piece leaves the server about
 * once and the peers trade the rest.
 */
import { SUPER_SEED_TIMEOUT_MS, SUPER_SEED_WINDOW } from './limits.ts';

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
  revealed = 0;

  constructor(
    private readonly pieceCount: number,
    /** per piece: connected peers that have it */
    private readonly availability: Uint32Array,
    private readonly window = SUPER_SEED_WINDOW,
    private readonly timeoutMs = SUPER_SEED_TIMEOUT_MS,
    private readonly random: () => number = Math.random,
  ) {
    this.inFlight = new Uint16Array(pieceCount);
  }

  start(peer: SuperSeedPeer): void {
    peer.superSeed = new SuperSeedState(this.pieceCount);
    this.fill(peer);
  }

  /** `from` announced `index` */
  onHave(from: SuperSeedPeer, index: number, peers: Iterable<SuperSeedPeer>, now: number): void {
    for (const p of peers) {
      if (p === from || !p.superSeed?.pending.has(index)) continue;
      this.settle(p, index);
      this.fill(p);
    }
    const own = from.superSeed;
    if (own?.pending.get(index) === 0) own.pending.set(index, now);
    if (own) this.fill(from); // it may have got a piece elsewhere that we had not revealed yet
  }

  /** expire pieces announced by their peer but by nobody else for timeoutMs */
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
      if (freed) this.fill(p);
    }
  }

  /** the peer leaves super-seeding (disconnect or switch to plain seeding) */
  stop(peer: SuperSeedPeer): void {
    const s = peer.superSeed;
    if (!s) return;
    for (const index of s.pending.keys()) this.inFlight[index]!--;
    s.pending.clear();
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
    this.inFlight[index]!--;
  }

  private fill(peer: SuperSeedPeer): void {
    const s = peer.superSeed;
    if (!s) return;
    while (s.pending.size < this.window) {
      const index = this.pick(peer, s);
      if (index < 0) return;
      s.markRevealed(index);
      s.pending.set(index, 0);
      this.inFlight[index]!++;
      this.revealed++;
      peer.reveal(index);
    }
  }

  /** the least available piece this peer neither has nor was shown; a random start breaks ties */
  private pick(peer: SuperSeedPeer, s: SuperSeedState): number {
    const n = this.pieceCount;
    const start = Math.floor(this.random() * n);
    let best = -1;
    let bestScore = Infinity;
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      if (s.isRevealed(i) || peer.hasPiece(i)) continue;
      const score = this.availability[i]! + this.inFlight[i]!;
      if (score < bestScore) {
        best = i;
        bestScore = score;
        if (score === 0) break;
      }
    }
    return best;
  }
}
