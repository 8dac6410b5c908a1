import type {
  AccessKey, Account, BucketRecord, MultipartUploadRecord, ObjectRecord, PartRecord,
} from './types.ts';

export interface ListObjectsQuery {
  prefix: string;
  /** return keys strictly greater than this (UTF-8 byte order) */
  after?: string;
  /** return keys greater than or equal to these raw bytes (used to skip past a common prefix) */
  fromBytes?: Buffer;
  limit: number;
}

export interface ListUploadsQuery {
  prefix: string;
  keyMarker?: string;
  uploadIdMarker?: string;
  /** return uploads whose key is greater than or equal to these raw bytes (used to skip past a common prefix) */
  fromBytes?: Buffer;
  limit: number;
}

export interface UsageRow {
  accountId: string;
  operation: string;
  role: 'owner' | 'requester';
  requests: number;
  bytesIn: number;
  bytesOut: number;
}

/**
 * Everything the server knows besides object bytes. Writes that make data visible are one
 * transaction each; they return the blob ids that no longer belong to anything, which the caller
 * hands to the BlobStore for removal (and then calls `forgetGarbage`).
 */
export interface MetadataStore {
  // accounts and keys
  createAccount(name: string): { account: Account; key: AccessKey };
  ensureRootAccount(accessKeyId: string, secretAccessKey: string): Account;
  getAccount(accountId: string): Account | undefined;
  getAccountByCanonicalId(canonicalUserId: string): Account | undefined;
  listAccounts(): Account[];
  createKey(accountId: string): AccessKey;
  revokeKey(accessKeyId: string): boolean;
  getKey(accessKeyId: string): AccessKey | undefined;
  addUsage(row: UsageRow): void;
  usage(accountId?: string): UsageRow[];

  // buckets
  /** false when the name is taken (by anyone) */
  createBucket(rec: BucketRecord): boolean;
  getBucket(name: string): BucketRecord | undefined;
  listBuckets(ownerAccountId: string): BucketRecord[];
  updateBucket(name: string, patch: Partial<Pick<BucketRecord, 'acl' | 'requestPayer' | 'cors' | 'torrentFormat'>>): void;
  /** false when the bucket still has objects or uploads */
  deleteBucket(name: string): boolean;

  // objects
  getObject(bucket: string, key: string): ObjectRecord | undefined;
  /** by v1 info-hash or the first 20 bytes of the v2 one (as peers handshake with it) */
  getObjectByInfoHash(infoHash: Buffer): ObjectRecord | undefined;
  /** by SHA1('req2' ‖ v1 info-hash): how an MSE/PE handshake names its torrent */
  getObjectByReq2(req2: Buffer): ObjectRecord | undefined;
  putObject(rec: ObjectRecord): string[];
  updateObjectAcl(bucket: string, key: string, versionId: string, acl: ObjectRecord['acl']): boolean;
  setInfoHashes(bucket: string, key: string, versionId: string, v1: Buffer, v2?: Buffer): void;
  deleteObject(bucket: string, key: string): { deleted: boolean; garbage: string[] };
  listObjects(bucket: string, q: ListObjectsQuery): ObjectRecord[];

  // multipart
  createUpload(rec: MultipartUploadRecord): void;
  getUpload(uploadId: string): MultipartUploadRecord | undefined;
  listUploads(bucket: string, q: ListUploadsQuery): MultipartUploadRecord[];
  putPart(part: PartRecord): string[];
  getPart(uploadId: string, partNumber: number): PartRecord | undefined;
  listParts(uploadId: string, afterPartNumber: number, limit: number): PartRecord[];
  /** garbage: blobs of the aborted upload's parts */
  abortUpload(uploadId: string): string[] | undefined;
  /**
   * The object takes over the blobs of the parts in its segments; other parts of the upload and the replaced
   * object become garbage. undefined (nothing changed) when the upload is gone or a part in `rec.segments`
   * is no longer one of its parts (aborted, completed or re-uploaded meanwhile).
   */
  completeUpload(uploadId: string, rec: ObjectRecord): string[] | undefined;

  // blob bookkeeping
  isBlobReferenced(blobId: string): boolean;
  pendingGarbage(): string[];
  forgetGarbage(blobIds: string[]): void;
  close(): void;
}
