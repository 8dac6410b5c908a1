/**
 * The built-in tracker: HTTP (`GET /announce`, `GET /scrape`) and UDP (BEP 15) over one swarm store.
 * Only info-hashes the server issued are tracked (`lookup`); private ones need a valid token
 * (`verifyToken`); the server's own seeder is listed for every object it holds (`seederPeers`).
 *
 * Mount `handleHttp` into another HTTP server, or `listen()` for a standalone HTTP + UDP tracker.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { PeerEndpoint, normalizeIp, parseAddress } from './compact.ts';
import { ConnectionIds } from './connection-id.ts';
import { encodeCompactAnnounce, encodeDictAnnounce, encodeFailure, encodeScrape } from './http-response.ts';
import {
  DEFAULT_INTERVAL_S, DEFAULT_MIN_INTERVAL_S, PEER_TTL_INTERVALS, SWEEP_INTERVAL_MS,
} from './limits.ts';
import { parseHttpAnnounce, parseHttpScrape } from './parse-http.ts';
import { MemorySwarmStore, type StoreStats, type SwarmStore } from './swarm-store.ts';
import {
  TrackerFailure, type AnnounceEvent, type AnnounceRequest, type AnnounceResponse, type ListedPeer, type Peer,
  type PeerFamily, type ScrapeRequest, type SwarmCounts,
} from './types.ts';
import { UdpTransport } from './udp-transport.ts';

export type TokenCheck = { ok: true; accountId: string } | { ok: false; reason: string };

export interface TrackerOptions {
  /** the torrent behind an info-hash, if the server issued it; anything else gets a failure reason */
  lookup(infoHash: Buffer): { private: boolean } | undefined;
  /** where the server itself seeds this info-hash: always listed (first) for every announcer but itself */
  seederPeers?(infoHash: Buffer): readonly { ip: string; port: number }[];
  /** private torrents: checks the announce URL's `token`; without this option private announces are refused */
  verifyToken?(token: string | undefined, infoHash: Buffer): TokenCheck;
  /** after every successful announce (so the seeder can dial out to new leechers), with a copy of the peer */
  onAnnounce?(infoHash: Buffer, peer: Peer, event: AnnounceEvent): void;
  /** unexpected errors (socket errors, a throwing onAnnounce); default: process.emitWarning */
  onError?(error: unknown): void;
  /** seconds; default DEFAULT_INTERVAL_S (120) */
  interval?: number;
  /** seconds; default DEFAULT_MIN_INTERVAL_S (30) */
  minInterval?: number;
  /** seconds without an announce before a peer is dropped; default PEER_TTL_INTERVALS × interval (240) */
  peerTtl?: number;
  maxPeersPerIp?: number;
  maxPeersPerSwarm?: number;
  maxPeers?: number;
  maxSwarms?: number;
  /** replaces the in-memory store (the limits above then belong to it) */
  store?: SwarmStore;
  /** HMAC key for UDP connection IDs; share it between nodes behind one address. Default: random */
  connectionIdSecret?: Buffer;
  /** ms clock, for tests */
  now?: () => number;
}

export interface TrackerStats extends StoreStats {
  httpAnnounces: number;
  udpAnnounces: number;
  scrapes: number;
  /** requests answered with a failure reason / UDP error (refused connection IDs included) */
  failures: number;
  udpConnects: number;
  refusedConnectionIds: number;
}

const SEEDER_CACHE_MAX = 1024;

/** a plain copy: stored entries are live, and keep the peer id as a string behind a getter */
function snapshot(p: Peer): Peer {
  const peer: Peer = { ip: p.ip, port: p.port, seeder: p.seeder };
  const peerId = p.peerId;
  if (peerId !== undefined) peer.peerId = peerId;
  if (p.tokenAccount !== undefined) peer.tokenAccount = p.tokenAccount;
  return peer;
}
const TEXT_PLAIN = 'text/plain';

export class Tracker {
  readonly interval: number;
  readonly minInterval: number;
  readonly #options: TrackerOptions;
  readonly #store: SwarmStore;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  readonly #udp: UdpTransport;
  readonly #sweeper: NodeJS.Timeout;
  readonly #seederEntries = new Map<string, ListedPeer>();
  #server: http.Server | undefined;
  #port = 0;
  readonly #counters = { httpAnnounces: 0, udpAnnounces: 0, scrapes: 0, failures: 0 };

  constructor(options: TrackerOptions) {
    this.#options = options;
    this.interval = options.interval ?? DEFAULT_INTERVAL_S;
    this.minInterval = options.minInterval ?? Math.min(DEFAULT_MIN_INTERVAL_S, this.interval);
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? ((err) => process.emitWarning(err instanceof Error ? err : String(err), 'TrackerWarning'));
    this.#store = options.store ?? new MemorySwarmStore({
      peerTtlMs: (options.peerTtl ?? PEER_TTL_INTERVALS * this.interval) * 1000,
      ...(options.maxPeersPerIp !== undefined && { maxPeersPerIp: options.maxPeersPerIp }),
      ...(options.maxPeersPerSwarm !== undefined && { maxPeersPerSwarm: options.maxPeersPerSwarm }),
      ...(options.maxPeers !== undefined && { maxPeers: options.maxPeers }),
      ...(options.maxSwarms !== undefined && { maxSwarms: options.maxSwarms }),
    });
    const ids = new ConnectionIds(options.connectionIdSecret ?? randomBytes(32));
    this.#udp = new UdpTransport({
      announce: (request, family) => {
        const response = this.announce(request, family);
        this.#counters.udpAnnounces++;
        return response;
      },
      scrapeCounts: (request) => this.#scrapeCounts(request),
    }, ids, this.#now, this.#onError);
    this.#sweeper = setInterval(() => this.#store.sweep(this.#now()), SWEEP_INTERVAL_MS).unref();
  }

  /** records an announce and answers it; throws TrackerFailure for refusals */
  announce(request: AnnounceRequest, family: PeerFamily = 'any'): AnnounceResponse {
    const torrent = this.#options.lookup(request.infoHash);
    if (torrent === undefined) throw new TrackerFailure('unregistered torrent');
    let account: string | undefined;
    if (torrent.private) {
      const check = this.#options.verifyToken?.(request.token, request.infoHash)
        ?? { ok: false, reason: 'private torrent: no token verifier configured' };
      if (!check.ok) throw new TrackerFailure(check.reason);
      account = check.accountId;
    }
    const result = this.#store.announce(request, account, family, this.#now());
    let peers: readonly ListedPeer[] = result.peers;
    let complete = result.complete;
    const seeders = this.#options.seederPeers?.(request.infoHash);
    if (seeders !== undefined && seeders.length > 0) {
      complete += seeders.length;
      if (request.numwant > 0) peers = this.#withSeeders(seeders, request, family, result.peers);
    }
    if (this.#options.onAnnounce !== undefined) {
      try {
        this.#options.onAnnounce(request.infoHash, snapshot(result.peer), request.event);
      } catch (err) {
        this.#onError(err);
      }
    }
    return { complete, incomplete: result.incomplete, downloaded: result.downloaded, interval: this.interval, minInterval: this.minInterval, peers };
  }

  #withSeeders(seeders: readonly { ip: string; port: number }[], request: AnnounceRequest, family: PeerFamily, selected: readonly ListedPeer[]): ListedPeer[] {
    const out: ListedPeer[] = [];
    for (const { ip, port } of seeders) {
      if (port === request.port && ip === request.ip) continue;
      const entry = this.#seederEntry(ip, port);
      if (entry === undefined || (family !== 'any' && entry.ipv6 !== (family === 'ipv6'))) continue;
      out.push(entry);
    }
    for (const peer of selected) out.push(peer);
    return out;
  }

  #seederEntry(ip: string, port: number): ListedPeer | undefined {
    const key = `${ip}:${port}`;
    let entry = this.#seederEntries.get(key);
    if (entry === undefined) {
      const address = parseAddress(ip);
      if (address === undefined) return undefined;
      if (this.#seederEntries.size >= SEEDER_CACHE_MAX) this.#seederEntries.clear();
      entry = new PeerEndpoint(ip, port, address);
      this.#seederEntries.set(key, entry);
    }
    return entry;
  }

  /** counts for the tracked info-hashes the request may see (private ones need a valid token); others left out */
  scrape(request: ScrapeRequest): Map<Buffer, SwarmCounts> {
    this.#counters.scrapes++;
    const files = new Map<Buffer, SwarmCounts>();
    const seen = new Set<string>();
    for (const hash of request.infoHashes) {
      const key = hash.toString('latin1');
      if (seen.has(key)) continue;
      seen.add(key);
      const counts = this.#visibleCounts(hash, request.token);
      if (counts !== undefined) files.set(hash, counts);
    }
    return files;
  }

  #scrapeCounts(request: ScrapeRequest): SwarmCounts[] {
    this.#counters.scrapes++;
    return request.infoHashes.map((hash) => this.#visibleCounts(hash, request.token) ?? { complete: 0, incomplete: 0, downloaded: 0 });
  }

  #visibleCounts(infoHash: Buffer, token: string | undefined): SwarmCounts | undefined {
    const torrent = this.#options.lookup(infoHash);
    if (torrent === undefined) return undefined;
    if (torrent.private && this.#options.verifyToken?.(token, infoHash).ok !== true) return undefined;
    const counts = this.#store.counts(infoHash) ?? { complete: 0, incomplete: 0, downloaded: 0 };
    const seeders = this.#options.seederPeers?.(infoHash).length ?? 0;
    return { ...counts, complete: counts.complete + seeders };
  }

  /**
   * Answers `GET /announce` and `GET /scrape` (any query) and returns true; returns false without
   * touching `res` for every other path. Failures are HTTP 200 with a bencoded `failure reason`.
   */
  handleHttp(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const isAnnounce = path === '/announce';
    if (!isAnnounce && path !== '/scrape') return false;
    const query = q === -1 ? '' : url.slice(q + 1);
    let body: Buffer;
    let status = 200;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        status = 405;
        res.setHeader('Allow', 'GET, HEAD');
        throw new TrackerFailure('method not allowed');
      }
      if (isAnnounce) {
        const request = parseHttpAnnounce(query, req.socket.remoteAddress ?? '');
        const response = this.announce(request, 'any');
        this.#counters.httpAnnounces++;
        body = request.compact ? encodeCompactAnnounce(response) : encodeDictAnnounce(response, request.noPeerId);
      } else {
        body = encodeScrape(this.scrape(parseHttpScrape(query)), this.minInterval);
      }
    } catch (err) {
      this.#counters.failures++;
      if (!(err instanceof TrackerFailure)) this.#onError(err);
      body = encodeFailure(err instanceof TrackerFailure ? err.message : 'internal error');
    }
    res.writeHead(status, { 'Content-Type': TEXT_PLAIN, 'Content-Length': body.length });
    res.end(body);
    return true;
  }

  /**
   * A standalone tracker: HTTP and UDP on the same port number (port 0: a free one for both). With no host
   * (or `::`), HTTP is dual-stack and UDP gets a udp4 and a udp6 socket.
   */
  async listen(options: { port?: number; host?: string } = {}): Promise<{ port: number }> {
    if (this.#server !== undefined) throw new Error('tracker already listening');
    const { host } = options;
    for (let attempt = 0; ; attempt++) {
      const server = http.createServer({ noDelay: true, requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
        if (!this.handleHttp(req, res)) {
          const body = encodeFailure('not found');
          res.writeHead(404, { 'Content-Type': TEXT_PLAIN, 'Content-Length': body.length });
          res.end(body);
        }
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port ?? 0, host, () => { server.off('error', reject); resolve(); });
      });
      const port = (server.address() as { port: number }).port;
      try {
        await this.#udp.bind(port, host);
      } catch (err) {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        // an ephemeral TCP port may be taken on the UDP side: pick another
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE' && !options.port && attempt < 20) continue;
        throw err;
      }
      server.on('error', this.#onError);
      this.#server = server;
      this.#port = port;
      return { port };
    }
  }

  /** the port `listen` bound (HTTP and UDP), 0 before */
  get port(): number {
    return this.#port;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    const server = this.#server;
    this.#server = undefined;
    await this.#udp.close();
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  }

  /** the announced peers of a swarm (not the server's own seeders), as copies */
  peersOf(infoHash: Buffer): Peer[] {
    const out: Peer[] = [];
    for (const p of this.#store.peers(infoHash, this.#now())) out.push(snapshot(p));
    return out;
  }

  /**
   * Private torrents: whether a peer at `ip` (and `port`, if given: an incoming connection's source port
   * is usually not its listen port) announced with a valid token and has not expired or stopped.
   */
  hasAuthorizedPeer(infoHash: Buffer, ip: string, port?: number): boolean {
    const address = normalizeIp(ip);
    for (const p of this.#store.peers(infoHash, this.#now())) {
      if (p.tokenAccount !== undefined && p.ip === address && (port === undefined || p.port === port)) return true;
    }
    return false;
  }

  stats(): TrackerStats {
    return {
      ...this.#store.stats(),
      ...this.#counters,
      failures: this.#counters.failures + this.#udp.counters.failures + this.#udp.counters.refusedConnectionIds,
      udpConnects: this.#udp.counters.connects,
      refusedConnectionIds: this.#udp.counters.refusedConnectionIds,
    };
  }
}
