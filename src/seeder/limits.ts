/**
 * Every number the seeder enforces, in one place. bittorrent-protocol@5 enforces none of these itself:
 * it waits for any 32-bit message length, queues every request without looking at index/offset/length,
 * and never bounds `peerRequests` (stack-and-style §A.1), so a single peer could make us buffer 4 GiB or
 * read the whole object for it. The guards live in seeder-wire.ts and request-check.ts.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** BEP 3 block size: what every client requests. */
export const BLOCK_LENGTH = 16 * KiB;
/** Default cap on one request's length; larger ones are rejected (BEP 3 says close above 128 KiB). */
export const MAX_REQUEST_LENGTH = 128 * KiB;
/** Default queued requests per peer, advertised as `reqq` in the extension handshake; more are rejected. */
export const MAX_OUTSTANDING_REQUESTS = 250;
/** Default unchoked peers per torrent (the last slot rotates as the optimistic unchoke). */
export const UPLOAD_SLOTS = 8;
/** Default connections from one IP address: several are fine (NAT, loopback tests), not hundreds. */
export const PER_ADDRESS_CAP = 32;

/**
 * Largest message we accept (after the 4-byte length). Peers only ever send us short control messages,
 * a bitfield (one bit per piece: 1 MiB covers 8 Mi pieces) and extension messages; we never request, so
 * `piece` messages are not expected. Anything longer closes the connection before a byte is buffered.
 */
export const MAX_MESSAGE_LENGTH = 1 * MiB;
/** Bytes a wire may hold unparsed (a message up to MAX_MESSAGE_LENGTH plus the socket chunk that completes it). */
export const MAX_BUFFERED_INPUT = MAX_MESSAGE_LENGTH + 128 * KiB;

/**
 * Per-peer write budget: no new block is read for a peer while this many bytes wait in its socket and
 * wire buffers (plus blocks being read), so a peer that stops reading costs at most this much memory.
 */
export const WRITE_HIGH_WATER = 512 * KiB;
/**
 * If a peer's unsent output grows past this (rejects, haves: messages we send without reading blocks),
 * we stop reading its socket until it drains; TCP then pushes back on the sender.
 */
export const INPUT_PAUSE_BACKLOG = 1 * MiB;
/** Blocks being read for one peer at a time. */
export const READS_IN_FLIGHT_PER_PEER = 8;
/** A peer with unsent output that does not drain for this long is dropped. */
export const WRITE_STALL_TIMEOUT_MS = 120_000;

/** From accept to a complete BitTorrent handshake (PE included). */
export const HANDSHAKE_TIMEOUT_MS = 30_000;
/** No message (not even a keep-alive, which clients send every ~2 min) for this long closes the connection. */
export const IDLE_TIMEOUT_MS = 5 * 60_000;
/** Invalid requests (bounds, length) tolerated from one peer before it is dropped. */
export const MAX_INVALID_REQUESTS = 64;

/** Rechoke period: slots are re-assigned this often (and at once when a slot frees up). */
export const RECHOKE_INTERVAL_MS = 10_000;
/** Optimistic unchoke rotation (BEP 3 folklore: every 30 s). */
export const OPTIMISTIC_UNCHOKE_INTERVAL_MS = 30_000;
/** A regular slot is kept at least this long before it may rotate to a waiting peer. */
export const MIN_UNCHOKE_MS = 20_000;
/**
 * An unchoked peer that has been sent no block for this long (it asks for nothing, or does not read what it
 * asked for) is choked and its slot given to another peer; else a few peers that sit on their slots starve
 * everyone else (test/swarm/hostile.test.ts). Real clients ask within a round trip of being unchoked.
 */
export const SLOT_STALL_MS = 2_000;
/** ... and it gets no slot again for this long, unless nobody else wants one. */
export const SLOT_STALL_PENALTY_MS = 60_000;

/** BEP 6 allowed-fast set size for choked peers (libtorrent sends 5, BEP 6 suggests 10). */
export const ALLOWED_FAST_SET_SIZE = 5;

/** BEP 9 metadata block. */
export const METADATA_BLOCK_LENGTH = 16 * KiB;
/** ut_metadata requests served per peer, as a multiple of the metadata's block count (then rejected). */
export const METADATA_REQUESTS_PER_BLOCK = 4;

/**
 * BEP 16: pieces a super-seeded peer may hold revealed but not yet seen at another peer. Measured with 4
 * leechers × 32 MiB (128 pieces) on loopback: window 2 / timeout 3 s gave libtorrent 1.05 copies in 2.6 s
 * but aria2c 1.11 copies in 54 s (aria2 drops a seed it has nothing left to fetch from, and trades slowly);
 * window 8 / 0.5 s gave libtorrent 1.17 copies in 1.5 s and aria2c 1.24–1.27 in 6.5 s (plain: 2.0 and 4.0).
 */
export const SUPER_SEED_WINDOW = 8;
/**
 * BEP 16: if no other peer announces a revealed piece this long after the peer itself announced it
 * (its own `have`), the piece stops counting against the window and the next one is revealed.
 */
export const SUPER_SEED_TIMEOUT_MS = 500;
/**
 * BEP 16: pieces a super-seeded peer may hold shown but not yet seen at another peer, those already sent
 * in full included (SUPER_SEED_WINDOW counts only the ones still being sent). Above aria2's batch of 20
 * (it reports new pieces as one bitfield once 20 have piled up, else every 10 s), so it reports before
 * it runs dry. benchmarks/offload.ts (8 aria2c, 256 MiB, server capped at 32 MiB/s): strict window 2 /
 * 3 s took 75–95 s (1.09 copies); with this and the duplicate delay 8.3–9.4 s, 1.06–1.18 copies.
 */
export const SUPER_SEED_UNCONFIRMED = 32;
/** BEP 16: a piece already out at a peer is shown to another one only after this long (see super-seed.ts). */
export const SUPER_SEED_DUPLICATE_DELAY_MS = 1_000;

/** Read-ahead unit: blocks are served from aligned chunks of min(piece length, this) read in one call. */
export const READ_CHUNK_LENGTH = 256 * KiB;
/** Shared cache of recently read chunks (all torrents). */
export const BLOCK_CACHE_BYTES = 32 * MiB;

/** req2 → info-hash entries kept for PE handshakes (≈100 bytes each). */
export const REQ2_INDEX_SIZE = 100_000;
/** Unknown info-hashes remembered, so a flood of bogus handshakes does not reach the lookup each time. */
export const NEGATIVE_LOOKUP_SIZE = 10_000;
export const NEGATIVE_LOOKUP_TTL_MS = 30_000;
/** Torrents whose counters stats() still reports after their last peer left. */
export const TORRENT_STATS_KEPT = 1_000;
/** 'auto': a super-seeded peer that has been the only leecher this long is switched to plain seeding. */
export const SUPER_SEED_LONE_LEECHER_MS = 10_000;
/** A torrent's state (looked-up torrent, counters) is kept this long after its last peer left. */
export const SWARM_LINGER_MS = 60_000;
