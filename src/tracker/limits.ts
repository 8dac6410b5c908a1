/** The tracker's documented numbers, in one place. All can be overridden through TrackerOptions. */

/**
 * Re-announce interval (s). Shorter than the usual 1800 s because the server also seeds: the built-in
 * seeder learns new leechers from this tracker (and must dial out to Transmission, which drops loopback
 * peers learned from trackers), and swarms here are small and short-lived. 120 s costs ~1 request per
 * peer per 2 minutes, far below what one process handles.
 */
export const DEFAULT_INTERVAL_S = 120;
/** BEP 3 `min interval` (s): clients must not re-announce faster (manual "update tracker") */
export const DEFAULT_MIN_INTERVAL_S = 30;
/** a peer that has not announced for this many intervals is dropped (one lost announce is tolerated) */
export const PEER_TTL_INTERVALS = 2;

export const NUMWANT_DEFAULT = 50;
export const NUMWANT_MAX = 200;

/**
 * Peers from one IP address per swarm. Many real downloaders share one NAT address (and every test runs
 * on 127.0.0.1), so peers are keyed by ip:port; the cap stops one address from filling a swarm. Over it,
 * that address's least recently announced peer is dropped.
 */
export const MAX_PEERS_PER_IP = 64;
/** per swarm; over it the least recently announced peer is dropped */
export const MAX_PEERS_PER_SWARM = 10_000;
/** over all swarms (~350 bytes of heap each, measured: ~175 MB); over it new peers are answered but not stored */
export const MAX_PEERS = 500_000;
/** info-hashes with peers; over it announces for new info-hashes are answered but not stored */
export const MAX_SWARMS = 100_000;

/** info-hashes answered per HTTP scrape (the rest are left out); BEP 15 fits 74 in one UDP packet */
export const MAX_SCRAPE_HASHES = 100;
export const MAX_UDP_SCRAPE_HASHES = 74;
/** UDP responses stay below this (no IP fragmentation): caps IPv6 announces at 76 peers */
export const MAX_UDP_RESPONSE_BYTES = 1400;

/**
 * BEP 15 connection IDs are HMACs over (client IP, time window); the current and the previous window
 * are accepted, so an ID lives 60 to 120 s (clients reuse one for up to 60 s; the BEP asks trackers to
 * accept it for up to 2 minutes).
 */
export const CONNECTION_ID_WINDOW_MS = 60_000;

/** how often expired peers and empty swarms are swept (announces also expire their own swarm lazily) */
export const SWEEP_INTERVAL_MS = 30_000;
