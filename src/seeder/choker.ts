/**
 * Which interested peers of a torrent get an upload slot. As a seed we have nothing to trade for, so
 * slots go round-robin (libtorrent's default for seeding): a peer keeps its slot at least MIN_UNCHOKE_MS,
 * then yields it to whoever has waited longest. One slot is the optimistic unchoke, rotated at random
 * every OPTIMISTIC_UNCHOKE_INTERVAL_MS, so a newcomer gets bytes without waiting for the rotation.
 */
export interface ChokeCandidate {
  id: number;
  /** has an upload slot now */
  unchoked: boolean;
  /** when it got its current slot (if unchoked) */
  unchokedSince: number;
  /** when it last lost a slot, or connected */
  waitingSince: number;
}

/**
 * The peers (ids) to unchoke among `interested`; everyone else interested is choked.
 * `optimistic` is the current optimistic unchoke, if still wanted.
 */
export function planUnchokes(interested: readonly ChokeCandidate[], slots: number, now: number, minUnchokeMs: number, optimistic: number | undefined): Set<number> {
  if (interested.length <= slots) return new Set(interested.map((p) => p.id));
  const regularSlots = slots > 1 ? slots - 1 : slots;
  const regular = interested.filter((p) => p.id !== optimistic || slots === 1);
  const rank = (p: ChokeCandidate): [number, number] =>
    p.unchoked && now - p.unchokedSince < minUnchokeMs
      ? [0, p.unchokedSince] // keeps its slot: earliest holders first
      : p.unchoked
        ? [2, p.unchokedSince] // served its turn: behind everyone waiting
        : [1, p.waitingSince]; // waiting: longest wait first
  regular.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    return ra[0] - rb[0] || ra[1] - rb[1] || a.id - b.id;
  });
  const chosen = new Set(regular.slice(0, regularSlots).map((p) => p.id));
  if (slots > 1 && optimistic !== undefined && interested.some((p) => p.id === optimistic)) chosen.add(optimistic);
  return chosen;
}

/** a new optimistic unchoke: a random interested peer without a regular slot */
export function pickOptimistic(interested: readonly ChokeCandidate[], regular: ReadonlySet<number>, random: () => number = Math.random): number | undefined {
  const pool = interested.filter((p) => !regular.has(p.id));
  if (pool.length === 0) return undefined;
  return pool[Math.floor(random() * pool.length)]!.id;
}
