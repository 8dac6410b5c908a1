/**
 * One info-hash's peers. Peers are keyed by ip:port, never by IP alone (NATs, loopback tests).
 *
 * `#peers` is kept in least-recently-announced-first order (a re-announce moves the peer to the end),
 * so expiry and every "drop the oldest" rule look only at the front. `#list` is the same peers densely
 * packed for cheap random selection (swap-remove on delete).
 */
import { PeerEndpoint, type RawAddress } from './compact.ts';
import type { ListedPeer, Peer, PeerFamily, SwarmCounts } from './types.ts';

export class SwarmPeer extends PeerEndpoint implements Peer {
  /** latin1, one character per byte: 20 bytes of string instead of a pooled Buffer per peer */
  peerIdText: string;
  seeder: boolean;
  tokenAccount: string | undefined = undefined;
  lastSeen: number;
  /** counted once in `downloaded` */
  completed = false;
  index = -1;

  constructor(readonly key: string, ip: string, port: number, address: RawAddress, peerIdText: string, seeder: boolean, now: number) {
    super(ip, port, address);
    this.peerIdText = peerIdText;
    this.seeder = seeder;
    this.lastSeen = now;
  }

  override get peerId(): Buffer {
    return Buffer.from(this.peerIdText, 'latin1');
  }
}

export interface SwarmLimits {
  maxPeersPerIp: number;
  maxPeersPerSwarm: number;
}

export class Swarm implements SwarmCounts {
  readonly #peers = new Map<string, SwarmPeer>();
  readonly #list: SwarmPeer[] = [];
  readonly #perIp = new Map<string, number>();
  complete = 0;
  incomplete = 0;
  downloaded = 0;

  get size(): number {
    return this.#list.length;
  }

  get(key: string): SwarmPeer | undefined {
    return this.#peers.get(key);
  }

  values(): IterableIterator<SwarmPeer> {
    return this.#peers.values();
  }

  /** a new peer; first makes room under the per-IP and per-swarm caps by dropping the oldest */
  add(peer: SwarmPeer, limits: SwarmLimits): void {
    const fromIp = this.#perIp.get(peer.ip) ?? 0;
    if (fromIp >= limits.maxPeersPerIp) {
      for (const old of this.#peers.values()) {
        if (old.ip === peer.ip) { this.remove(old); break; }
      }
    }
    if (this.#list.length >= limits.maxPeersPerSwarm) {
      const oldest = this.#peers.values().next();
      if (!oldest.done) this.remove(oldest.value);
    }
    this.#peers.set(peer.key, peer);
    this.#perIp.set(peer.ip, (this.#perIp.get(peer.ip) ?? 0) + 1);
    peer.index = this.#list.length;
    this.#list.push(peer);
    if (peer.seeder) this.complete++;
    else this.incomplete++;
  }

  /** a re-announce: refreshes the peer and moves it to the back of the expiry order */
  touch(peer: SwarmPeer, seeder: boolean, now: number): void {
    if (peer.seeder !== seeder) {
      if (seeder) { this.complete++; this.incomplete--; } else { this.complete--; this.incomplete++; }
      peer.seeder = seeder;
    }
    peer.lastSeen = now;
    this.#peers.delete(peer.key);
    this.#peers.set(peer.key, peer);
  }

  remove(peer: SwarmPeer): void {
    if (this.#peers.get(peer.key) !== peer) return;
    this.#peers.delete(peer.key);
    const n = (this.#perIp.get(peer.ip) ?? 1) - 1;
    if (n === 0) this.#perIp.delete(peer.ip);
    else this.#perIp.set(peer.ip, n);
    const last = this.#list.pop()!;
    if (last !== peer) {
      this.#list[peer.index] = last;
      last.index = peer.index;
    }
    peer.index = -1;
    if (peer.seeder) this.complete--;
    else this.incomplete--;
  }

  /** drops peers last seen before `cutoff`; returns how many */
  expire(cutoff: number): number {
    let dropped = 0;
    for (const peer of this.#peers.values()) {
      if (peer.lastSeen >= cutoff) break;
      this.remove(peer);
      dropped++;
    }
    return dropped;
  }

  /**
   * Up to `count` peers from a random starting point, skipping `self`, peers of the wrong family, and
   * (for a seeder asking) other seeders, which it has no use for.
   */
  select(count: number, self: SwarmPeer | undefined, family: PeerFamily, forSeeder: boolean, out: ListedPeer[]): void {
    const n = this.#list.length;
    if (count <= 0 || n === 0) return;
    const start = n > count + 1 ? Math.floor(Math.random() * n) : 0;
    let taken = 0;
    for (let i = 0; i < n && taken < count; i++) {
      const peer = this.#list[(start + i) % n]!;
      if (peer === self) continue;
      if (forSeeder && peer.seeder) continue;
      if (family !== 'any' && peer.ipv6 !== (family === 'ipv6')) continue;
      out.push(peer);
      taken++;
    }
  }
}
