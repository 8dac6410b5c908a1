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
  /**
   * Piece hashing at write time. Only the benchmarks turn it off (SEEDBUCKET_UNSAFE_NO_PIECE_HASHING=1),
   * to measure what it costs; objects written without it have no torrent.
   */
  pieceHashing: boolean;
  /** bytes per second the server uploads in total (GETs, web seeds, seeder); 0: unlimited */
  uploadLimit: number;
}

export const DEV_ACCESS_KEY = 'seedbucket';
export const DEV_SECRET_KEY = 'seedbucket-dev-secret';
export const AWS_TORRENT_MAX_SIZE = 5_368_709_120;
