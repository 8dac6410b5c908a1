/**
 * Where swarms live. The interface is what a shared store (e.g. PostgreSQL for several nodes) would have
 * to implement. It is synchronous on purpose: announces are the hot path, so a shared store would
 * answer from a local copy and sync in the background rather than put a round trip in every announce.
 */
import { parseAddress } from './compact.ts';
import {
  MAX_PEERS, MAX_PEERS_PER_IP, MAX_PEERS_PER_SWARM, MAX_SWARMS,
} from './limits.ts';
import { Swarm, SwarmPeer, type SwarmLimits } from './swarm.ts';
import {
  TrackerFailure, type AnnounceRequest, type ListedPeer, type Peer, type PeerFamily, type SwarmCounts,
} from './types.ts';

export interface AnnounceResult extends SwarmCounts {
  /** selected for the announcer: never itself */
  peers: ListedPeer[];
  /** the announcer as stored (or as it would have been, when it was stopped or not stored) */
  peer: Peer;
}

export interface StoreStats {
  swarms: number;
  peers: number;
  seeders: number;
  leechers: number;
}

export interface SwarmStore {
  /** records the announce (tokenAccount: the verified token's account, private torrents) and selects peers */
  announce(request: AnnounceRequest, tokenAccount: string | undefined, family: PeerFamily, now: number): AnnounceResult;
  counts(infoHash: Buffer): SwarmCounts | undefined;
  /** the swarm's live peers (expired ones are dropped first) */
  peers(infoHash: Buffer, now: number): Iterable<Peer>;
  /** drops peers not seen for the TTL and empty swarms */
  sweep(now: number): void;
  stats(): StoreStats;
}

export interface MemorySwarmStoreOptions extends Partial<SwarmLimits> {
  /** ms without an announce after which a peer is dropped */
  peerTtlMs: number;
  maxPeers?: number;
  maxSwarms?: number;
}

const NO_PEERS: ListedPeer[] = [];

export class MemorySwarmStore implements SwarmStore {
  readonly #swarms = new Map<string, Swarm>();
  readonly #limits: SwarmLimits;
  readonly #ttl: number;
  readonly #maxPeers: number;
  readonly #maxSwarms: number;
  #peerCount = 0;

  constructor(options: MemorySwarmStoreOptions) {
    this.#ttl = options.peerTtlMs;
    this.#limits = {
      maxPeersPerIp: options.maxPeersPerIp ?? MAX_PEERS_PER_IP,
      maxPeersPerSwarm: options.maxPeersPerSwarm ?? MAX_PEERS_PER_SWARM,
    };
    this.#maxPeers = options.maxPeers ?? MAX_PEERS;
    this.#maxSwarms = options.maxSwarms ?? MAX_SWARMS;
  }

  announce(request: AnnounceRequest, tokenAccount: string | undefined, family: PeerFamily, now: number): AnnounceResult {
    const hashKey = request.infoHash.toString('latin1');
    const key = `${request.ip}:${request.port}`;
    const seeder = request.left === 0;
    let swarm = this.#swarms.get(hashKey);
    if (swarm === undefined) {
      if (request.event === 'stopped' || this.#swarms.size >= this.#maxSwarms) {
        return { complete: 0, incomplete: 0, downloaded: 0, peers: NO_PEERS, peer: this.#transient(key, request, seeder, now) };
      }
      swarm = new Swarm();
      this.#swarms.set(hashKey, swarm);
    } else {
      this.#peerCount -= swarm.expire(now - this.#ttl);
    }

    let peer = swarm.get(key);
    if (request.event === 'stopped') {
      if (peer !== undefined) {
        swarm.remove(peer);
        this.#peerCount--;
      }
      return { complete: swarm.complete, incomplete: swarm.incomplete, downloaded: swarm.downloaded, peers: NO_PEERS, peer: peer ?? this.#transient(key, request, seeder, now) };
    }
    if (peer !== undefined) {
      swarm.touch(peer, seeder, now);
      const peerIdText = request.peerId.toString('latin1');
      if (peer.peerIdText !== peerIdText) peer.peerIdText = peerIdText;
    } else {
      peer = this.#transient(key, request, seeder, now);
      if (this.#peerCount < this.#maxPeers) {
        const before = swarm.size;
        swarm.add(peer, this.#limits);
        this.#peerCount += swarm.size - before;
      }
    }
    if (tokenAccount !== undefined) peer.tokenAccount = tokenAccount;
    if (request.event === 'completed' && !peer.completed) {
      peer.completed = true;
      swarm.downloaded++;
    }
    const peers: ListedPeer[] = [];
    swarm.select(request.numwant, peer, family, seeder, peers);
    return { complete: swarm.complete, incomplete: swarm.incomplete, downloaded: swarm.downloaded, peers, peer };
  }

  #transient(key: string, request: AnnounceRequest, seeder: boolean, now: number): SwarmPeer {
    const address = parseAddress(request.ip);
    if (address === undefined) throw new TrackerFailure('unsupported peer address');
    return new SwarmPeer(key, request.ip, request.port, address, request.peerId.toString('latin1'), seeder, now);
  }

  counts(infoHash: Buffer): SwarmCounts | undefined {
    const swarm = this.#swarms.get(infoHash.toString('latin1'));
    return swarm && { complete: swarm.complete, incomplete: swarm.incomplete, downloaded: swarm.downloaded };
  }

  peers(infoHash: Buffer, now: number): Iterable<Peer> {
    const swarm = this.#swarms.get(infoHash.toString('latin1'));
    if (swarm === undefined) return [];
    this.#peerCount -= swarm.expire(now - this.#ttl);
    return swarm.values();
  }

  sweep(now: number): void {
    for (const [hashKey, swarm] of this.#swarms) {
      this.#peerCount -= swarm.expire(now - this.#ttl);
      if (swarm.size === 0) this.#swarms.delete(hashKey);
    }
  }

  stats(): StoreStats {
    let seeders = 0;
    let leechers = 0;
    for (const swarm of this.#swarms.values()) {
      seeders += swarm.complete;
      leechers += swarm.incomplete;
    }
    return { swarms: this.#swarms.size, peers: this.#peerCount, seeders, leechers };
  }
}
