/**
 * The built-in seeder: a BitTorrent peer-wire server for the objects the store hands out as torrents.
 * Accepts plaintext and MSE/PE handshakes (webtorrent ≥3.0.7 only speaks PE), dials leechers the tracker
 * learned of (Transmission ignores loopback peers from trackers but accepts incoming connections), and
 * keeps per-torrent state only while peers are connected.
 */
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { BlockReader } from './block-reader.ts';
import { Connection, unmap } from './connection.ts';
import {
  BLOCK_CACHE_BYTES, BLOCK_LENGTH, MAX_OUTSTANDING_REQUESTS, MAX_REQUEST_LENGTH, NEGATIVE_LOOKUP_SIZE,
  NEGATIVE_LOOKUP_TTL_MS, PER_ADDRESS_CAP, READ_CHUNK_LENGTH, REQ2_INDEX_SIZE, SWARM_LINGER_MS, TORRENT_STATS_KEPT, UPLOAD_SLOTS,
} from './limits.ts';
import { Lru } from './lru.ts';
import { Req2Index, handshakeHashes } from './req2.ts';
import { SeederWire } from './seeder-wire.ts';
import { Swarm, type SwarmConfig } from './swarm.ts';
import type { SeedableTorrent, SeederOptions, SeederStats, TorrentStats } from './types.ts';

const TICK_MS = 1_000;
const DIAL_TIMEOUT_MS = 10_000;

export class Seeder {
  private readonly lookup: SeederOptions['lookup'];
  private readonly config: SwarmConfig;
  private readonly perAddressCap: number;
  private readonly reader = new BlockReader(BLOCK_CACHE_BYTES, READ_CHUNK_LENGTH);
  private readonly req2 = new Req2Index(REQ2_INDEX_SIZE);
  /** every 20-byte handshake hash (hex) of a live swarm → the swarm */
  private readonly swarms = new Map<string, Swarm>();
  private readonly pending = new Map<string, Promise<Swarm | undefined>>();
  /** hex → when a lookup found nothing */
  private readonly unknown = new Lru<string, number>(NEGATIVE_LOOKUP_SIZE);
  /** hex → forget() count, so a lookup that started before a forget() is not used after it */
  private readonly forgets = new Map<string, number>();
  private readonly retired = new Lru<string, TorrentStats>(TORRENT_STATS_KEPT);
  private readonly connections = new Set<Connection>();
  /** ip:port:info-hash → outgoing connection attempt (true while connected) */
  private readonly dialed = new Map<string, Promise<boolean>>();
  private readonly perAddress = new Map<string, number>();
  private readonly closedBy: Record<string, number> = {};
  private readonly handshakes = { plain: 0, pePlaintext: 0, peRc4: 0 };
  private uploadedTotal = 0;
  private server: Server | undefined;
  private readonly timer: NodeJS.Timeout;
  readonly peerId: Buffer;

  constructor(opts: SeederOptions) {
    this.lookup = opts.lookup;
    this.peerId = opts.peerId ?? Buffer.concat([Buffer.from('-SB0100-'), randomBytes(12)]);
    if (this.peerId.length !== 20) throw new RangeError('peerId must be 20 bytes');
    const maxRequestLength = opts.maxRequestLength ?? MAX_REQUEST_LENGTH;
    if (maxRequestLength < BLOCK_LENGTH) throw new RangeError(`maxRequestLength must be at least ${BLOCK_LENGTH}`);
    this.perAddressCap = opts.perAddressCap ?? PER_ADDRESS_CAP;
    this.config = {
      lookup: opts.lookup,
      reader: this.reader,
      throttle: opts.throttle,
      peerId: this.peerId,
      uploadSlots: Math.max(1, opts.uploadSlots ?? UPLOAD_SLOTS),
      maxRequestLength,
      maxOutstanding: Math.max(1, opts.maxOutstandingRequests ?? MAX_OUTSTANDING_REQUESTS),
      superSeeding: opts.superSeeding ?? 'auto',
      onUploaded: (bytes) => { this.uploadedTotal += bytes; },
    };
    this.timer = setInterval(() => this.tick(Date.now()), TICK_MS);
    this.timer.unref();
  }

  /** start accepting peers; resolves with the bound address */
  listen(port: number, host: string): Promise<AddressInfo> {
    if (this.server) throw new Error('already listening');
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve(server.address() as AddressInfo);
      });
    });
  }

  get port(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === 'object' ? a.port : undefined;
  }

  /**
   * Connect out to a leecher (learned from our tracker) and seed `infoHash` to it, plaintext. Resolves true
   * once the peer has handshaken for that torrent, false if the connection could not be made or was refused.
   */
  async dial(ip: string, port: number, infoHash: Buffer): Promise<boolean> {
    const target = `${unmap(ip)}:${port}:${infoHash.subarray(0, 20).toString('hex')}`;
    const live = this.dialed.get(target);
    if (live) return live; // the tracker lists the same leecher on every announce: one connection is enough
    const attempt = this.dialOnce(ip, port, infoHash);
    this.dialed.set(target, attempt);
    const ok = await attempt;
    if (!ok) this.dialed.delete(target);
    return ok;
  }

  private async dialOnce(ip: string, port: number, infoHash: Buffer): Promise<boolean> {
    const target = `${unmap(ip)}:${port}:${infoHash.subarray(0, 20).toString('hex')}`;
    if (!this.reserveAddress(unmap(ip))) return false;
    const swarm = await this.resolve(infoHash.subarray(0, 20));
    if (!swarm) {
      this.releaseAddress(unmap(ip));
      this.count('dial: unknown info-hash');
      return false;
    }
    const socket = net.connect({ host: ip, port, noDelay: true });
    const conn = this.track(socket, new SeederWire('tcpOutgoing', 0), unmap(ip), port);
    const hash20 = Buffer.from(infoHash.subarray(0, 20));
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => conn.close('dial timeout'), DIAL_TIMEOUT_MS);
      conn.onClose(() => {
        clearTimeout(timer);
        this.dialed.delete(target);
        resolve(false);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        conn.wire.handshake(hash20, this.peerId, { fast: true, dht: false });
      });
      conn.wire.once('handshake', (infoHashHex: string) => {
        if (infoHashHex !== hash20.toString('hex')) return conn.close('handshake for another torrent');
        if (!this.allowed(swarm.torrent, conn)) return conn.close('private torrent: peer not allowed');
        const ok = swarm.attach(conn, hash20, true) !== undefined;
        if (ok) this.countHandshake(conn);
        resolve(ok);
      });
    });
  }

  /**
   * The server is about to hand out (or has just seen announced) this torrent: remember its req2 hash so a
   * PE handshake for it is recognised without a lookup. Optional when the lookup has findByReq2.
   */
  expect(infoHash: Buffer, infoHashV2?: Buffer): void {
    for (const h of handshakeHashes({ infoHash, infoHashV2 })) {
      this.req2.add(h);
      this.unknown.delete(h.toString('hex'));
    }
  }

  /** the object behind this info-hash (v1, or v2 full or truncated) was overwritten or deleted: drop its peers */
  forget(infoHash: Buffer): void {
    const hex = infoHash.subarray(0, 20).toString('hex');
    this.forgets.set(hex, (this.forgets.get(hex) ?? 0) + 1);
    const swarm = this.swarms.get(hex);
    this.req2.remove(infoHash.subarray(0, 20));
    if (!swarm) return;
    this.retire(swarm);
    for (const h of handshakeHashes(swarm.torrent)) {
      const other = h.toString('hex');
      this.forgets.set(other, (this.forgets.get(other) ?? 0) + 1);
      this.req2.remove(h);
    }
    swarm.closeAll('torrent forgotten');
  }

  /** connected peers of one torrent (v1 hash), without building full stats: asked on web-seed requests */
  peerCounts(infoHash: Buffer): { peers: number; leechers: number } {
    const swarm = this.swarms.get(infoHash.subarray(0, 20).toString('hex'));
    if (!swarm) return { peers: 0, leechers: 0 };
    return { peers: swarm.peers.size, leechers: swarm.leechers().length };
  }

  /** counters for tests, benchmarks and metrics; `peers: true` adds a line per connected peer */
  stats(opts: { peers?: boolean } = {}): SeederStats {
    const live = new Set(this.swarms.values());
    const torrents = [...live].map((s) => s.stats(opts.peers));
    const liveKeys = new Set(torrents.map((t) => t.infoHash));
    for (const t of this.retired.values()) if (!liveKeys.has(t.infoHash)) torrents.push(t);
    return {
      connections: this.connections.size,
      peers: [...live].reduce((n, s) => n + s.peers.size, 0),
      uploaded: this.uploadedTotal,
      handshakes: { ...this.handshakes },
      closed: { ...this.closedBy },
      torrents,
      cache: { bytes: this.reader.bytes, hits: this.reader.hits, misses: this.reader.misses },
    };
  }

  /** stop listening and close every connection */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const server = this.server;
    this.server = undefined;
    for (const c of [...this.connections]) c.close('seeder closed');
    for (const s of new Set(this.swarms.values())) this.retire(s);
    this.reader.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    const ip = unmap(socket.remoteAddress ?? '');
    if (!this.reserveAddress(ip)) {
      socket.destroy();
      return;
    }
    const conn = this.track(socket, new SeederWire('tcpIncoming', 1), ip);
    const wire = conn.wire;
    /** the torrent a PE handshake named, if any */
    let peSwarm: Swarm | undefined;

    wire.once('crypto-infohash', (req2Hex: string) => {
      void this.resolveReq2(req2Hex).then(({ swarm, hash20 }) => {
        if (conn.closed) return;
        if (!swarm || !hash20) return conn.close('unknown info-hash (PE)');
        peSwarm = swarm;
        wire.setInfoHash(hash20.toString('hex'));
      });
    });
    wire.once('handshake', (infoHashHex: string) => {
      const hash20 = Buffer.from(infoHashHex, 'hex');
      const proceed = (swarm: Swarm | undefined): void => {
        if (conn.closed) return;
        if (!swarm) return conn.close('unknown info-hash');
        if (peSwarm && swarm !== peSwarm) return conn.close('protocol violation: handshake names another torrent than PE');
        if (!this.allowed(swarm.torrent, conn)) return conn.close('private torrent: peer not allowed');
        if (swarm.attach(conn, hash20, false)) this.countHandshake(conn);
      };
      const known = this.swarms.get(infoHashHex);
      if (known && (peSwarm === undefined || peSwarm === known)) {
        proceed(known);
        return;
      }
      wire.pauseParsing(); // the peer may already have sent more; it must wait until we have answered
      void this.resolve(hash20).then((swarm) => {
        proceed(swarm);
        if (!conn.closed) wire.resumeParsing();
      });
    });
  }

  /** plumbing + bookkeeping shared by incoming and outgoing connections */
  private track(socket: Socket, wire: SeederWire, ip: string, dialedPort?: number): Connection {
    const conn = new Connection(socket, wire, dialedPort === undefined ? undefined : { ip, port: dialedPort });
    this.connections.add(conn);
    socket.on('error', () => {}); // reported through conn.close
    conn.onClose((reason) => {
      this.connections.delete(conn);
      this.releaseAddress(ip);
      this.count(reason);
    });
    return conn;
  }

  private allowed(t: SeedableTorrent, conn: Connection): boolean {
    if (!t.private) return true;
    return this.lookup.mayServe?.(t, { ip: conn.ip, port: conn.port }) ?? false;
  }

  private reserveAddress(ip: string): boolean {
    const n = this.perAddress.get(ip) ?? 0;
    if (n >= this.perAddressCap) {
      this.count('per-address cap');
      return false;
    }
    this.perAddress.set(ip, n + 1);
    return true;
  }

  private releaseAddress(ip: string): void {
    const n = (this.perAddress.get(ip) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(ip);
    else this.perAddress.set(ip, n);
  }

  private countHandshake(conn: Connection): void {
    const method = conn.wire._encryptionMethod;
    if (method === 2) this.handshakes.peRc4++;
    else if (method === 1) this.handshakes.pePlaintext++;
    else this.handshakes.plain++;
  }

  private count(reason: string): void {
    const key = reason.replace(/:.*$/, '');
    this.closedBy[key] = (this.closedBy[key] ?? 0) + 1;
  }

  /** the live swarm for a 20-byte handshake hash, looking the torrent up if needed */
  private resolve(hash20: Buffer): Promise<Swarm | undefined> {
    const hex = hash20.toString('hex');
    const live = this.swarms.get(hex);
    if (live) return Promise.resolve(live);
    const miss = this.unknown.peek(hex);
    if (miss !== undefined && Date.now() - miss < NEGATIVE_LOOKUP_TTL_MS) return Promise.resolve(undefined);
    let p = this.pending.get(hex);
    if (!p) {
      const epoch = this.forgets.get(hex) ?? 0;
      p = this.lookup.find(hash20).catch(() => undefined).then((t) => {
        this.pending.delete(hex);
        if ((this.forgets.get(hex) ?? 0) !== epoch) return undefined;
        if (!t || !handshakeHashes(t).some((h) => h.equals(hash20))) {
          this.unknown.set(hex, Date.now());
          return undefined;
        }
        try {
          return this.adopt(t);
        } catch {
          this.unknown.set(hex, Date.now());
          return undefined;
        }
      });
      this.pending.set(hex, p);
    }
    return p;
  }

  /** PE: which of our torrents (and which of its hashes) does SHA1('req2' ‖ hash) name? */
  private async resolveReq2(req2Hex: string): Promise<{ swarm?: Swarm; hash20?: Buffer }> {
    const known = this.req2.resolve(req2Hex);
    if (known) return { swarm: await this.resolve(known), hash20: known };
    if (!this.lookup.findByReq2) return {};
    const t = await this.lookup.findByReq2(Buffer.from(req2Hex, 'hex')).catch(() => undefined);
    if (!t) return {};
    const hashes = handshakeHashes(t);
    for (const h of hashes) this.req2.add(h);
    const hash20 = this.req2.resolve(req2Hex);
    if (!hash20 || !hashes.some((h) => h.equals(hash20))) return {};
    return { swarm: await this.resolve(hash20), hash20 };
  }

  private adopt(t: SeedableTorrent): Swarm {
    const existing = this.swarms.get(t.infoHash.toString('hex'));
    if (existing) return existing;
    validateTorrent(t);
    const swarm = new Swarm(t, this.config);
    for (const h of handshakeHashes(t)) {
      this.swarms.set(h.toString('hex'), swarm);
      this.req2.add(h);
    }
    return swarm;
  }

  private retire(swarm: Swarm): void {
    for (const h of handshakeHashes(swarm.torrent)) {
      if (this.swarms.get(h.toString('hex')) === swarm) this.swarms.delete(h.toString('hex'));
    }
    this.reader.drop(swarm.key);
    // a retired swarm keeps no peer (forget and close drop them right after): its counters, not a stale head count
    this.retired.set(swarm.key, { ...swarm.stats(), peers: 0, leechers: 0, superSeeded: 0 });
  }

  private tick(now: number): void {
    for (const c of [...this.connections]) c.tick(now);
    for (const swarm of new Set(this.swarms.values())) {
      swarm.tick(now);
      if (swarm.peers.size === 0 && now - swarm.lastActiveAt > SWARM_LINGER_MS) this.retire(swarm);
    }
    if (this.forgets.size > NEGATIVE_LOOKUP_SIZE) this.forgets.clear();
  }
}

function validateTorrent(t: SeedableTorrent): void {
  const count = Math.ceil(t.length / t.pieceLength);
  if (t.infoHash.length !== 20 || !(t.pieceLength > 0) || t.pieceCount !== count || (t.infoHashV2 && t.infoHashV2.length !== 32)) {
    throw new Error(`inconsistent torrent ${t.infoHash.toString('hex')}`);
  }
}
