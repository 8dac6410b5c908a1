/** The records the metadata store keeps, in S3's nouns. */

export type CannedAcl =
  | 'private' | 'public-read' | 'public-read-write' | 'authenticated-read'
  | 'bucket-owner-read' | 'bucket-owner-full-control';

export type Permission = 'READ' | 'WRITE' | 'READ_ACP' | 'WRITE_ACP' | 'FULL_CONTROL';

export type Grantee =
  | { type: 'CanonicalUser'; id: string }
  | { type: 'Group'; uri: 'http://acs.amazonaws.com/groups/global/AllUsers' | 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers' };

export interface Grant { grantee: Grantee; permission: Permission }

export interface Acl {
  /** canonical user id of the owner */
  owner: string;
  grants: Grant[];
}

export interface Account {
  accountId: string;        // 12 digits
  canonicalUserId: string;  // 64 hex
  name: string;
  createdAt: number;        // ms since epoch
}

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  revoked: boolean;
  createdAt: number;
}

export type TorrentFormat = 'v1' | 'hybrid';

export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export interface BucketRecord {
  name: string;
  ownerAccountId: string;
  createdAt: number;
  region: string;
  acl: Acl;
  requestPayer: 'BucketOwner' | 'Requester';
  cors: CorsRule[] | null;
  torrentFormat: TorrentFormat | null;   // null: the server's default
}

/** A contiguous run of an object's bytes held in one blob of the BlobStore. */
export interface Segment {
  blobId: string;
  /** bytes of this segment (CTR encryption keeps plaintext and ciphertext the same length). */
  length: number;
  /** SSE-C: base64 IV of this segment's AES-256-CTR stream */
  iv?: string;
}

/**
 * Piece hashes of an object version, computed while it was written.
 * `pieces` is the concatenation of SHA-1 digests (20 bytes each), as in a v1 info dict.
 * `pieceLayer` (hybrid only) is the concatenation of SHA-256 piece-layer hashes (32 bytes each);
 * `piecesRoot` the BEP 52 merkle root of the file.
 */
export interface PieceHashes {
  pieceLength: number;
  pieces: Buffer;
  piecesRoot?: Buffer;
  pieceLayer?: Buffer;
}

export interface SseCustomer {
  algorithm: 'AES256';
  /** salted HMAC of the customer key, to check later requests; the key itself is never stored */
  keyHmac: string;
  salt: string;
  /** base64 MD5 of the customer key, echoed in responses */
  keyMd5: string;
}

export interface ObjectMetadata {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  /** x-amz-meta-* without the prefix, lower-cased names */
  user: Record<string, string>;
}

export interface ObjectRecord {
  bucket: string;
  key: string;
  /** internal id of this version; changes on every write of the key */
  versionId: string;
  size: number;
  etag: string;              // with quotes, as sent in ETag headers
  lastModified: number;      // ms since epoch (whole seconds, as S3 serves them)
  metadata: ObjectMetadata;
  ownerAccountId: string;
  acl: Acl;
  segments: Segment[];
  partsCount?: number;       // multipart objects
  hashes: PieceHashes;       // v1 always; v2 fields when computed
  sse?: SseCustomer;
  checksums?: Record<string, string>;  // e.g. { CRC32: 'base64' }
  /** info-hashes of the torrent last issued for this version (set by GetObjectTorrent) */
  infoHash?: Buffer;
  infoHashV2?: Buffer;
}

export interface MultipartUploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
  ownerAccountId: string;
  metadata: ObjectMetadata;
  acl: Acl;
  sse?: SseCustomer;
}

export interface PartRecord {
  uploadId: string;
  partNumber: number;
  size: number;
  etag: string;
  lastModified: number;
  segment: Segment;
  /** piece hashes made while the part streamed in, on a grid anchored at `hashedAtOffset` */
  partHashes: PartPieceHashes;
}

/**
 * Hashes of one part, made before its final offset in the object is known: the part was hashed
 * on the piece grid it would have at `predictedOffset`. Completion reuses them when the real
 * offset matches, and hashes only the pieces that straddle part boundaries.
 */
export interface PartPieceHashes {
  pieceLength: number;
  predictedOffset: number;
  /** SHA-1 of each whole piece lying inside the part on that grid */
  pieces: Buffer;
  /** SHA-256 piece-layer hash of each of those pieces (hybrid) */
  pieceLayer?: Buffer;
}
