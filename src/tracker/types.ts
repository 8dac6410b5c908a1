/**
 * One request shape for every transport: parse-http.ts and parse-udp.ts produce these, the tracker and
 * the swarm store consume them.
 */

/** BEP 3 events; an absent/empty event (and BEP 21 `paused`) is a regular `update` announce. */
export type AnnounceEvent = 'started' | 'stopped' | 'completed' | 'update';

/**
 * Transfer counters are plain numbers clamped to [0, Number.MAX_SAFE_INTEGER]: they are only reported
 * back, and the one that drives behaviour, `left`, only matters as "zero or not".
 */
export interface AnnounceRequest {
  /** 20 raw bytes */
  infoHash: Buffer;
  /** 20 raw bytes */
  peerId: Buffer;
  /** the socket's remote address (an `ip` parameter is ignored: it would let anyone list third parties); IPv4-mapped IPv6 is unmapped */
  ip: string;
  /** the peer's listen port, 1..65535 */
  port: number;
  uploaded: number;
  downloaded: number;
  /**
   * bytes still missing; values up to 2^63 are clamped to MAX_SAFE_INTEGER. A missing or negative `left`
   * means "unknown", parsed as MAX_SAFE_INTEGER (a leecher), except with event=completed, parsed as 0.
   */
  left: number;
  event: AnnounceEvent;
  /** peers wanted, already defaulted (50) and capped (200); 0 for event=stopped is honoured */
  numwant: number;
  /** BEP 23; true unless the client sent compact=0 */
  compact: boolean;
  /** leave `peer id` out of the dictionary model */
  noPeerId: boolean;
  key?: string;
  /** the `token=` query parameter of the announce URL (HTTP query or BEP 41 UDP URL data): private torrents */
  token?: string;
}

export interface ScrapeRequest {
  infoHashes: Buffer[];
  /** as for announces; a private info-hash is only scraped with a valid token for it */
  token?: string;
}

export interface Peer {
  readonly ip: string;
  readonly port: number;
  peerId?: Buffer;
  seeder: boolean;
  /** the account of the valid token this peer last announced with (private torrents only) */
  tokenAccount?: string;
}

/** a peer ready to be listed */
export interface ListedPeer {
  readonly ip: string;
  readonly port: number;
  readonly peerId?: Buffer | undefined;
  /** its compact entry is 18 bytes (BEP 7), else 6 (BEP 23) */
  readonly ipv6: boolean;
  /** writes the compact entry at `offset`; returns its length */
  writeCompact(out: Buffer, offset: number): number;
}

export interface SwarmCounts {
  /** seeders */
  complete: number;
  /** leechers */
  incomplete: number;
  /** `completed` events seen (once per peer) */
  downloaded: number;
}

export interface AnnounceResponse extends SwarmCounts {
  interval: number;
  minInterval: number;
  peers: readonly ListedPeer[];
}

/** which address family a transport can hand out: UDP answers in the family of the socket (BEP 15) */
export type PeerFamily = 'any' | 'ipv4' | 'ipv6';

/** a refusal sent back as `failure reason` (HTTP) or an error packet (UDP) */
export class TrackerFailure extends Error {
  override readonly name = 'TrackerFailure';
}
