/** The seeder's contract with the rest of the server: what it serves, how it finds it, what it reports. */

export interface SeedableTorrent {
  /** v1, 20 bytes */
  infoHash: Buffer;
  /** SHA-256, 32 bytes (hybrid torrents; peers handshake with its first 20 bytes) */
  infoHashV2?: Buffer;
  /** the bencoded info dict (served over BEP 9 ut_metadata) */
  info: Buffer;
  length: number;
  pieceLength: number;
  pieceCount: number;
  private: boolean;
  /** read object bytes [offset, offset+length) — backed by the object store */
  read(offset: number, length: number): Promise<Buffer>;
}

export interface TorrentLookup {
  /** looked up when a peer connects (by v1 hash or the first 20 bytes of the v2 hash): no per-object state exists until a peer asks */
  find(infoHash20: Buffer): Promise<SeedableTorrent | undefined>;
  /**
   * MSE/PE (webtorrent ≥3.0.7 encrypts every outgoing connection): the initiator names its torrent only as
   * req2 = SHA1('req2' ‖ infoHash20). The seeder first checks the info-hashes it has recently seen or been
   * told about (`Seeder.expect`); this resolves the rest, e.g. from a stored `req2` column. Optional.
   */
  findByReq2?(req2: Buffer): Promise<SeedableTorrent | undefined>;
  /** private torrents are served only to peers that announced to our tracker with a valid token */
  mayServe?(t: SeedableTorrent, peer: { ip: string; port: number }): boolean;
  /**
   * Leechers our tracker currently lists for this torrent. Lets superSeeding 'auto' start super-seeding with
   * the first peer of a swarm that is about to grow, instead of waiting until a second peer has connected.
   * Optional: without it only connected peers count.
   */
  leechers?(t: SeedableTorrent): number;
}

/** one budget shared with HTTP GETs and web seeds */
export interface UploadThrottle {
  take(bytes: number): Promise<void>;
}

export type SuperSeedingMode = 'auto' | 'on' | 'off';

export interface SeederOptions {
  lookup: TorrentLookup;
  throttle?: UploadThrottle;
  /** unchoked peers per torrent (one of them the optimistic unchoke); default UPLOAD_SLOTS */
  uploadSlots?: number;
  /** largest block a peer may request; default MAX_REQUEST_LENGTH (128 KiB), at least 16 KiB */
  maxRequestLength?: number;
  /** queued requests per peer (advertised as `reqq`); default MAX_OUTSTANDING_REQUESTS */
  maxOutstandingRequests?: number;
  /** connections from one IP address; default PER_ADDRESS_CAP */
  perAddressCap?: number;
  /** BEP 16; default 'auto' */
  superSeeding?: SuperSeedingMode;
  /** 20 bytes; default '-SB0100-' + 12 random bytes */
  peerId?: Buffer;
}

export interface TorrentStats {
  /** v1 info-hash, hex */
  infoHash: string;
  /** piece payload bytes sent (protocol overhead excluded) */
  uploaded: number;
  /** blocks sent */
  blocks: number;
  /** connected peers that completed the handshake */
  peers: number;
  /** of those, peers still missing pieces */
  leechers: number;
  /** of those, peers being super-seeded */
  superSeeded: number;
  /** pieces revealed to super-seeded peers (`have` messages) */
  revealed: number;
  /** requests refused with reject_request (or dropped, for peers without the fast extension) */
  rejected: number;
  /** ut_metadata pieces sent */
  metadataPieces: number;
  /** per connected peer, with stats({ peers: true }) */
  peerList?: PeerStats[];
}

export interface PeerStats {
  ip: string;
  port: number;
  /** hex */
  peerId: string;
  uploaded: number;
  /** requests queued or being read */
  queued: number;
  /** bytes waiting in our output buffers */
  backlog: number;
  unchoked: boolean;
  interested: boolean;
  superSeeded: boolean;
  /** 1 = plaintext, 2 = RC4 (after a PE handshake), 0 = plain BitTorrent handshake */
  encryption: number;
}

export interface SeederStats {
  /** sockets open, including those still handshaking */
  connections: number;
  /** handshaken peers over all torrents */
  peers: number;
  /** piece payload bytes sent over all torrents since start (survives forget/close of a swarm) */
  uploaded: number;
  /** peers attached, by how they handshook: plain BitTorrent, PE then plaintext, PE with RC4 */
  handshakes: { plain: number; pePlaintext: number; peRc4: number };
  /** connections refused or closed: per-address cap, unknown info-hash, protocol violations, … by reason */
  closed: Record<string, number>;
  /** one entry per torrent that has or had peers (the most recent TORRENT_STATS_KEPT) */
  torrents: TorrentStats[];
  /** block cache: bytes held and hit ratio */
  cache: { bytes: number; hits: number; misses: number };
}
