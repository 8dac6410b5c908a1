/** The built-in tracker's public API. */
export { Tracker, type TrackerOptions, type TrackerStats, type TokenCheck } from './tracker.ts';
export { signTrackerToken, verifyTrackerToken, type TrackerTokenClaims, type TokenVerdict } from './token.ts';
export { MemorySwarmStore, type SwarmStore, type AnnounceResult, type StoreStats } from './swarm-store.ts';
export { parseHttpAnnounce, parseHttpScrape } from './parse-http.ts';
export { parseUdpRequest, type UdpRequest } from './parse-udp.ts';
export {
  TrackerFailure, type AnnounceEvent, type AnnounceRequest, type AnnounceResponse, type ScrapeRequest, type Peer,
  type ListedPeer, type SwarmCounts, type PeerFamily,
} from './types.ts';
export * as trackerLimits from './limits.ts';
