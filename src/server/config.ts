import type { TorrentFormat } from '../meta/types.ts';

export interface ServerConfig {
  dataDir: string;
  host: string;
  port: number;
  region: string;
  /** virtual-hosted-style requests: Host `<bucket>.<domain>` */
  domain?: string;
  /** base URL written into torrents (web seeds) and presigned links; default http://host:port */
  publicUrl?: string;
  rootAccessKey: string;
  rootSecretKey: string;
  torrentFormat: TorrentFormat;
  /** GetObjectTorrent refuses objects of this size or more (AWS: 5 GB) */
  torrentMaxSize: number;
  trackerUrl?: string;
  extraTrackers: string[];
  insecureSseC: boolean;
  tls?: { cert: string; key: string };
  /** fsync object data before acknowledging a write */
  fsync: boolean;
  /** threads hashing large uploads beside the main thread (0: inline) */
  hashThreads: number;
  /**
   * Piece hashing at write time. Only the benchmarks turn it off (SEEDBUCKET_UNSAFE_NO_PIECE_HASHING=1),
   * to measure what it costs; objects written without it have no torrent.
   */
  pieceHashing: boolean;
  /** the three BitTorrent data paths, each on by default */
  webSeed: boolean;
  tracker: boolean;
  seeder: boolean;
  /** tracker port, HTTP and UDP (default 6969; 0 picks a free one) */
  trackerPort: number;
  /** seeder's peer-wire port (default 6881; 0 picks a free one) */
  peerPort: number;
  /** address the seeder is announced under (default: the host of the public URL) */
  peerHost?: string;
  superSeeding: 'auto' | 'on' | 'off';
  /** lifetime of a private object's presigned web seed and tracker token, seconds (default 24 h, at most 7 days) */
  privateTorrentTtl: number;
  /** bytes per second the server uploads in total (GETs, web seeds, seeder); 0: unlimited */
  uploadLimit: number;
}

export const DEV_ACCESS_KEY = 'seedbucket';
export const DEV_SECRET_KEY = 'seedbucket-dev-secret';
export const AWS_TORRENT_MAX_SIZE = 5_368_709_120;
