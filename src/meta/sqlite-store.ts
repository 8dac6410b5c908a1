import { createHash, randomBytes, randomInt } from 'node:crypto';
import Database from 'better-sqlite3';
import type { ListObjectsQuery, ListUploadsQuery, MetadataStore, UsageRow } from './store.ts';
import type {
  AccessKey, Account, BucketRecord, MultipartUploadRecord, ObjectRecord, PartRecord,
} from './types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  account_id TEXT PRIMARY KEY, canonical_id TEXT UNIQUE NOT NULL, name TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS access_keys (
  access_key_id TEXT PRIMARY KEY, secret TEXT NOT NULL, account_id TEXT NOT NULL REFERENCES accounts(account_id),
  revoked INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS usage (
  account_id TEXT NOT NULL, operation TEXT NOT NULL, role TEXT NOT NULL,
  requests INTEGER NOT NULL, bytes_in INTEGER NOT NULL, bytes_out INTEGER NOT NULL,
  PRIMARY KEY (account_id, operation, role));
CREATE TABLE IF NOT EXISTS buckets (
  name TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at INTEGER NOT NULL, region TEXT NOT NULL,
  acl TEXT NOT NULL, request_payer TEXT NOT NULL, cors TEXT, torrent_format TEXT);
CREATE TABLE IF NOT EXISTS objects (
  bucket TEXT NOT NULL, key BLOB NOT NULL, version_id TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
  last_modified INTEGER NOT NULL, owner TEXT NOT NULL, metadata TEXT NOT NULL, acl TEXT NOT NULL,
  segments TEXT NOT NULL, parts_count INTEGER, piece_length INTEGER NOT NULL, pieces BLOB NOT NULL,
  pieces_root BLOB, piece_layer BLOB, sse TEXT, checksums TEXT, info_hash BLOB, info_hash_v2 BLOB,
  PRIMARY KEY (bucket, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
  upload_id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key BLOB NOT NULL, initiated INTEGER NOT NULL,
  owner TEXT NOT NULL, metadata TEXT NOT NULL, acl TEXT NOT NULL, sse TEXT);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads(bucket, key, upload_id);
CREATE TABLE IF NOT EXISTS parts (
  upload_id TEXT NOT NULL, part_number INTEGER NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL,
  last_modified INTEGER NOT NULL, blob_id TEXT NOT NULL, blob_length INTEGER NOT NULL, part_hashes TEXT NOT NULL,
  blob_iv TEXT, PRIMARY KEY (upload_id, part_number)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (blob_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS garbage (blob_id TEXT PRIMARY KEY) WITHOUT ROWID;
`;

interface ObjectRow {
  bucket: string; key: Buffer; version_id: string; size: number; etag: string; last_modified: number;
  owner: string; metadata: string; acl: string; segments: string; parts_count: number | null;
  piece_length: number; pieces: Buffer; pieces_root: Buffer | null; piece_layer: Buffer | null;
  sse: string | null; checksums: string | null; info_hash: Buffer | null; info_hash_v2: Buffer | null;
}

interface PartRow {
  upload_id: string; part_number: number; size: number; etag: string; last_modified: number;
  blob_id: string; blob_length: number; part_hashes: string; blob_iv: string | null;
}

interface UploadRow {
  upload_id: string; bucket: string; key: Buffer; initiated: number; owner: string; metadata: string; acl: string; sse: string | null;
}

interface BucketRow {
  name: string; owner: string; created_at: number; region: string; acl: string; request_payer: string;
  cors: string | null; torrent_format: string | null;
}

const keyBytes = (key: string): Buffer => Buffer.from(key, 'utf8');

function toObject(r: ObjectRow): ObjectRecord {
  const hashes: ObjectRecord['hashes'] = { pieceLength: r.piece_length, pieces: r.pieces };
  if (r.pieces_root) hashes.piecesRoot = r.pieces_root;
  if (r.piece_layer) hashes.pieceLayer = r.piece_layer;
  const rec: ObjectRecord = {
    bucket: r.bucket, key: r.key.toString('utf8'), versionId: r.version_id, size: r.size, etag: r.etag,
    lastModified: r.last_modified, metadata: JSON.parse(r.metadata), ownerAccountId: r.owner, acl: JSON.parse(r.acl),
    segments: JSON.parse(r.segments), hashes,
  };
  if (r.parts_count !== null) rec.partsCount = r.parts_count;
  if (r.sse) rec.sse = JSON.parse(r.sse);
  if (r.checksums) rec.checksums = JSON.parse(r.checksums);
  if (r.info_hash) rec.infoHash = r.info_hash;
  if (r.info_hash_v2) rec.infoHashV2 = r.info_hash_v2;
  return rec;
}

function toPart(r: PartRow): PartRecord {
  const h = JSON.parse(r.part_hashes) as { pieceLength: number; predictedOffset: number; pieces: string; pieceLayer?: string };
  return {
    uploadId: r.upload_id, partNumber: r.part_number, size: r.size, etag: r.etag, lastModified: r.last_modified,
    segment: { blobId: r.blob_id, length: r.blob_length, ...(r.blob_iv !== null ? { iv: r.blob_iv } : {}) },
    partHashes: {
      pieceLength: h.pieceLength, predictedOffset: h.predictedOffset, pieces: Buffer.from(h.pieces, 'base64'),
      ...(h.pieceLayer !== undefined ? { pieceLayer: Buffer.from(h.pieceLayer, 'base64') } : {}),
    },
  };
}

function toUpload(r: UploadRow): MultipartUploadRecord {
  const u: MultipartUploadRecord = {
    uploadId: r.upload_id, bucket: r.bucket, key: r.key.toString('utf8'), initiated: r.initiated,
    ownerAccountId: r.owner, metadata: JSON.parse(r.metadata), acl: JSON.parse(r.acl),
  };
  if (r.sse) u.sse = JSON.parse(r.sse);
  return u;
}

function toBucket(r: BucketRow): BucketRecord {
  return {
    name: r.name, ownerAccountId: r.owner, createdAt: r.created_at, region: r.region, acl: JSON.parse(r.acl),
    requestPayer: r.request_payer as BucketRecord['requestPayer'], cors: r.cors ? JSON.parse(r.cors) : null,
    torrentFormat: (r.torrent_format as BucketRecord['torrentFormat']) ?? null,
  };
}

const toAccount = (r: { account_id: string; canonical_id: string; name: string; created_at: number }): Account => ({
  accountId: r.account_id, canonicalUserId: r.canonical_id, name: r.name, createdAt: r.created_at,
});

const toKey = (r: { access_key_id: string; secret: string; account_id: string; revoked: number; created_at: number }): AccessKey => ({
  accessKeyId: r.access_key_id, secretAccessKey: r.secret, accountId: r.account_id, revoked: r.revoked !== 0, createdAt: r.created_at,
});

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function newAccessKeyId(): string {
  let s = 'SBAK';
  for (let i = 0; i < 16; i++) s += KEY_ALPHABET[randomInt(KEY_ALPHABET.length)];
  return s;
}

/**
 * A write transaction that takes the write lock when it begins (BEGIN IMMEDIATE). A deferred one that
 * reads first and writes later cannot wait for another process's write (the admin CLI's, say): SQLite
 * answers SQLITE_BUSY at once instead of using the busy timeout, and the call fails "database is locked".
 */
function immediate<T>(db: Database.Database, fn: () => T): () => T {
  return () => db.transaction(fn).immediate();
}

/** The embedded default: one SQLite file in WAL mode. */
export class SqliteMetadataStore implements MetadataStore {
  readonly #db: Database.Database;
  readonly #s: Record<string, Database.Statement>;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    // NORMAL is durable against a killed process (the WAL is in the OS page cache); FULL would add an fsync per commit.
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    // Databases made before parts kept the IV of their SSE-C encryption.
    const partColumns = this.#db.prepare('PRAGMA table_info(parts)').all() as { name: string }[];
    if (!partColumns.some((c) => c.name === 'blob_iv')) this.#db.exec('ALTER TABLE parts ADD COLUMN blob_iv TEXT');
    const objectColumns = this.#db.prepare('PRAGMA table_info(objects)').all() as { name: string }[];
    if (!objectColumns.some((c) => c.name === 'req2')) this.#db.exec('ALTER TABLE objects ADD COLUMN req2 BLOB');
    // Peers name a torrent by its v1 info-hash, by the first 20 bytes of its v2 one, or (MSE/PE) only by
    // SHA1('req2' ‖ info-hash): one index each way in.
    this.#db.exec(`
      CREATE INDEX IF NOT EXISTS objects_info_hash ON objects(info_hash) WHERE info_hash IS NOT NULL;
      CREATE INDEX IF NOT EXISTS objects_info_hash_v2_20 ON objects(substr(info_hash_v2, 1, 20)) WHERE info_hash_v2 IS NOT NULL;
      CREATE INDEX IF NOT EXISTS objects_req2 ON objects(req2) WHERE req2 IS NOT NULL;`);
    const p = (sql: string) => this.#db.prepare(sql);
    this.#s = {
      getObject: p('SELECT * FROM objects WHERE bucket = ? AND key = ?'),
      getByInfoHash: p('SELECT * FROM objects WHERE info_hash = ? UNION ALL SELECT * FROM objects WHERE substr(info_hash_v2, 1, 20) = ? LIMIT 1'),
      getByReq2: p('SELECT * FROM objects WHERE req2 = ? LIMIT 1'),
      insertObject: p(`INSERT OR REPLACE INTO objects (bucket, key, version_id, size, etag, last_modified, owner, metadata, acl,
        segments, parts_count, piece_length, pieces, pieces_root, piece_layer, sse, checksums, info_hash, info_hash_v2)
        VALUES (@bucket, @key, @version_id, @size, @etag, @last_modified, @owner, @metadata, @acl, @segments, @parts_count,
        @piece_length, @pieces, @pieces_root, @piece_layer, @sse, @checksums, NULL, NULL)`),
      deleteObject: p('DELETE FROM objects WHERE bucket = ? AND key = ?'),
      listAfter: p('SELECT * FROM objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT ?'),
      listFrom: p('SELECT * FROM objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT ?'),
      addBlob: p('INSERT OR IGNORE INTO blobs (blob_id) VALUES (?)'),
      dropBlob: p('DELETE FROM blobs WHERE blob_id = ?'),
      hasBlob: p('SELECT 1 FROM blobs WHERE blob_id = ?'),
      addGarbage: p('INSERT OR IGNORE INTO garbage (blob_id) VALUES (?)'),
      dropGarbage: p('DELETE FROM garbage WHERE blob_id = ?'),
      allGarbage: p('SELECT blob_id FROM garbage'),
      getPart: p('SELECT * FROM parts WHERE upload_id = ? AND part_number = ?'),
      insertPart: p(`INSERT OR REPLACE INTO parts (upload_id, part_number, size, etag, last_modified, blob_id, blob_length, part_hashes, blob_iv)
        VALUES (@upload_id, @part_number, @size, @etag, @last_modified, @blob_id, @blob_length, @part_hashes, @blob_iv)`),
      partsOf: p('SELECT * FROM parts WHERE upload_id = ? AND part_number > ? ORDER BY part_number LIMIT ?'),
      allPartsOf: p('SELECT * FROM parts WHERE upload_id = ?'),
      deleteParts: p('DELETE FROM parts WHERE upload_id = ?'),
      getUpload: p('SELECT * FROM uploads WHERE upload_id = ?'),
      deleteUpload: p('DELETE FROM uploads WHERE upload_id = ?'),
      getBucket: p('SELECT * FROM buckets WHERE name = ?'),
    };
  }

  // ---- accounts and keys

  createAccount(name: string): { account: Account; key: AccessKey } {
    return immediate(this.#db, () => {
      const account = this.#insertAccount(name);
      return { account, key: this.createKey(account.accountId) };
    })();
  }

  #insertAccount(name: string): Account {
    for (;;) {
      const accountId = String(randomInt(1e11, 1e12)).padStart(12, '0');
      if (this.getAccount(accountId)) continue;
      const account: Account = {
        accountId, canonicalUserId: createHash('sha256').update(randomBytes(32)).digest('hex'), name, createdAt: Date.now(),
      };
      this.#db.prepare('INSERT INTO accounts (account_id, canonical_id, name, created_at) VALUES (?, ?, ?, ?)')
        .run(account.accountId, account.canonicalUserId, account.name, account.createdAt);
      return account;
    }
  }

  ensureRootAccount(accessKeyId: string, secretAccessKey: string): Account {
    return immediate(this.#db, () => {
      const first = this.#db.prepare('SELECT * FROM accounts ORDER BY created_at, rowid LIMIT 1').get() as Parameters<typeof toAccount>[0] | undefined;
      const root = first ? toAccount(first) : this.#insertAccount('root');
      const existing = this.getKey(accessKeyId);
      if (!existing) {
        this.#db.prepare('INSERT INTO access_keys (access_key_id, secret, account_id, revoked, created_at) VALUES (?, ?, ?, 0, ?)')
          .run(accessKeyId, secretAccessKey, root.accountId, Date.now());
      } else if (existing.accountId === root.accountId && existing.secretAccessKey !== secretAccessKey) {
        this.#db.prepare('UPDATE access_keys SET secret = ? WHERE access_key_id = ?').run(secretAccessKey, accessKeyId);
      }
      return root;
    })();
  }

  getAccount(accountId: string): Account | undefined {
    const r = this.#db.prepare('SELECT * FROM accounts WHERE account_id = ?').get(accountId) as Parameters<typeof toAccount>[0] | undefined;
    return r && toAccount(r);
  }

  getAccountByCanonicalId(canonicalUserId: string): Account | undefined {
    const r = this.#db.prepare('SELECT * FROM accounts WHERE canonical_id = ?').get(canonicalUserId) as Parameters<typeof toAccount>[0] | undefined;
    return r && toAccount(r);
  }

  listAccounts(): Account[] {
    return (this.#db.prepare('SELECT * FROM accounts ORDER BY created_at, rowid').all() as Parameters<typeof toAccount>[0][]).map(toAccount);
  }

  createKey(accountId: string): AccessKey {
    const key: AccessKey = {
      accessKeyId: newAccessKeyId(), secretAccessKey: randomBytes(30).toString('base64').replace(/[+/]/g, 'x'),
      accountId, revoked: false, createdAt: Date.now(),
    };
    this.#db.prepare('INSERT INTO access_keys (access_key_id, secret, account_id, revoked, created_at) VALUES (?, ?, ?, 0, ?)')
      .run(key.accessKeyId, key.secretAccessKey, accountId, key.createdAt);
    return key;
  }

  revokeKey(accessKeyId: string): boolean {
    return this.#db.prepare('UPDATE access_keys SET revoked = 1 WHERE access_key_id = ?').run(accessKeyId).changes > 0;
  }

  getKey(accessKeyId: string): AccessKey | undefined {
    const r = this.#db.prepare('SELECT * FROM access_keys WHERE access_key_id = ?').get(accessKeyId) as Parameters<typeof toKey>[0] | undefined;
    return r && toKey(r);
  }

  addUsage(row: UsageRow): void {
    this.#db.prepare(`INSERT INTO usage (account_id, operation, role, requests, bytes_in, bytes_out) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (account_id, operation, role) DO UPDATE SET requests = requests + excluded.requests,
      bytes_in = bytes_in + excluded.bytes_in, bytes_out = bytes_out + excluded.bytes_out`)
      .run(row.accountId, row.operation, row.role, row.requests, row.bytesIn, row.bytesOut);
  }

  usage(accountId?: string): UsageRow[] {
    const rows = (accountId
      ? this.#db.prepare('SELECT * FROM usage WHERE account_id = ? ORDER BY operation, role').all(accountId)
      : this.#db.prepare('SELECT * FROM usage ORDER BY account_id, operation, role').all()) as
      { account_id: string; operation: string; role: 'owner' | 'requester'; requests: number; bytes_in: number; bytes_out: number }[];
    return rows.map((r) => ({
      accountId: r.account_id, operation: r.operation, role: r.role, requests: r.requests, bytesIn: r.bytes_in, bytesOut: r.bytes_out,
    }));
  }

  // ---- buckets

  createBucket(rec: BucketRecord): boolean {
    const res = this.#db.prepare(`INSERT OR IGNORE INTO buckets (name, owner, created_at, region, acl, request_payer, cors, torrent_format)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(rec.name, rec.ownerAccountId, rec.createdAt, rec.region, JSON.stringify(rec.acl),
      rec.requestPayer, rec.cors ? JSON.stringify(rec.cors) : null, rec.torrentFormat);
    return res.changes > 0;
  }

  getBucket(name: string): BucketRecord | undefined {
    const r = this.#s.getBucket!.get(name) as BucketRow | undefined;
    return r && toBucket(r);
  }

  listBuckets(ownerAccountId: string): BucketRecord[] {
    return (this.#db.prepare('SELECT * FROM buckets WHERE owner = ? ORDER BY name').all(ownerAccountId) as BucketRow[]).map(toBucket);
  }

  updateBucket(name: string, patch: Partial<Pick<BucketRecord, 'acl' | 'requestPayer' | 'cors' | 'torrentFormat'>>): void {
    if (patch.acl !== undefined) this.#db.prepare('UPDATE buckets SET acl = ? WHERE name = ?').run(JSON.stringify(patch.acl), name);
    if (patch.requestPayer !== undefined) this.#db.prepare('UPDATE buckets SET request_payer = ? WHERE name = ?').run(patch.requestPayer, name);
    if (patch.cors !== undefined) this.#db.prepare('UPDATE buckets SET cors = ? WHERE name = ?').run(patch.cors ? JSON.stringify(patch.cors) : null, name);
    if (patch.torrentFormat !== undefined) this.#db.prepare('UPDATE buckets SET torrent_format = ? WHERE name = ?').run(patch.torrentFormat, name);
  }

  deleteBucket(name: string): boolean {
    return immediate(this.#db, () => {
      if (this.#db.prepare('SELECT 1 FROM objects WHERE bucket = ? LIMIT 1').get(name)) return false;
      if (this.#db.prepare('SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1').get(name)) return false;
      this.#db.prepare('DELETE FROM buckets WHERE name = ?').run(name);
      return true;
    })();
  }

  // ---- objects

  getObject(bucket: string, key: string): ObjectRecord | undefined {
    const r = this.#s.getObject!.get(bucket, keyBytes(key)) as ObjectRow | undefined;
    return r && toObject(r);
  }

  getObjectByInfoHash(infoHash: Buffer): ObjectRecord | undefined {
    const h20 = infoHash.subarray(0, 20);
    const r = this.#s.getByInfoHash!.get(h20, h20) as ObjectRow | undefined;
    return r && toObject(r);
  }

  getObjectByReq2(req2: Buffer): ObjectRecord | undefined {
    const r = this.#s.getByReq2!.get(req2) as ObjectRow | undefined;
    return r && toObject(r);
  }

  #garbageOf(bucket: string, key: string): string[] {
    const old = this.#s.getObject!.get(bucket, keyBytes(key)) as ObjectRow | undefined;
    if (!old) return [];
    return (JSON.parse(old.segments) as ObjectRecord['segments']).map((s) => s.blobId);
  }

  #markGarbage(ids: string[]): void {
    for (const id of ids) {
      this.#s.dropBlob!.run(id);
      this.#s.addGarbage!.run(id);
    }
  }

  #insertObject(rec: ObjectRecord): void {
    this.#s.insertObject!.run({
      bucket: rec.bucket, key: keyBytes(rec.key), version_id: rec.versionId, size: rec.size, etag: rec.etag,
      last_modified: rec.lastModified, owner: rec.ownerAccountId, metadata: JSON.stringify(rec.metadata),
      acl: JSON.stringify(rec.acl), segments: JSON.stringify(rec.segments), parts_count: rec.partsCount ?? null,
      piece_length: rec.hashes.pieceLength, pieces: rec.hashes.pieces, pieces_root: rec.hashes.piecesRoot ?? null,
      piece_layer: rec.hashes.pieceLayer ?? null, sse: rec.sse ? JSON.stringify(rec.sse) : null,
      checksums: rec.checksums ? JSON.stringify(rec.checksums) : null,
    });
    for (const s of rec.segments) this.#s.addBlob!.run(s.blobId);
  }

  putObject(rec: ObjectRecord): string[] {
    return immediate(this.#db, () => {
      const newIds = new Set(rec.segments.map((s) => s.blobId));
      const garbage = this.#garbageOf(rec.bucket, rec.key).filter((id) => !newIds.has(id));
      this.#insertObject(rec);
      this.#markGarbage(garbage);
      return garbage;
    })();
  }

  updateObjectAcl(bucket: string, key: string, versionId: string, acl: ObjectRecord['acl']): boolean {
    return this.#db.prepare('UPDATE objects SET acl = ?, info_hash = NULL, info_hash_v2 = NULL, req2 = NULL WHERE bucket = ? AND key = ? AND version_id = ?')
      .run(JSON.stringify(acl), bucket, keyBytes(key), versionId).changes > 0;
  }

  setInfoHashes(bucket: string, key: string, versionId: string, v1: Buffer, v2?: Buffer): void {
    const req2 = createHash('sha1').update('req2').update(v1).digest();
    this.#db.prepare('UPDATE objects SET info_hash = ?, info_hash_v2 = ?, req2 = ? WHERE bucket = ? AND key = ? AND version_id = ?')
      .run(v1, v2 ?? null, req2, bucket, keyBytes(key), versionId);
  }

  deleteObject(bucket: string, key: string): { deleted: boolean; garbage: string[] } {
    return immediate(this.#db, () => {
      const garbage = this.#garbageOf(bucket, key);
      const deleted = this.#s.deleteObject!.run(bucket, keyBytes(key)).changes > 0;
      this.#markGarbage(garbage);
      return { deleted, garbage };
    })();
  }

  listObjects(bucket: string, q: ListObjectsQuery): ObjectRecord[] {
    const prefix = keyBytes(q.prefix);
    let from: Buffer = prefix;
    let inclusive = true;
    if (q.fromBytes && Buffer.compare(q.fromBytes, from) > 0) from = q.fromBytes;
    if (q.after !== undefined) {
      const after = keyBytes(q.after);
      if (Buffer.compare(after, from) >= 0) { from = after; inclusive = false; }
    }
    const rows = (inclusive ? this.#s.listFrom! : this.#s.listAfter!).all(bucket, from, q.limit) as ObjectRow[];
    const out: ObjectRecord[] = [];
    for (const r of rows) {
      if (prefix.length > 0 && (r.key.length < prefix.length || r.key.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0)) break;
      out.push(toObject(r));
    }
    return out;
  }

  // ---- multipart

  createUpload(rec: MultipartUploadRecord): void {
    this.#db.prepare('INSERT INTO uploads (upload_id, bucket, key, initiated, owner, metadata, acl, sse) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(rec.uploadId, rec.bucket, keyBytes(rec.key), rec.initiated, rec.ownerAccountId, JSON.stringify(rec.metadata),
        JSON.stringify(rec.acl), rec.sse ? JSON.stringify(rec.sse) : null);
  }

  getUpload(uploadId: string): MultipartUploadRecord | undefined {
    const r = this.#s.getUpload!.get(uploadId) as UploadRow | undefined;
    return r && toUpload(r);
  }

  listUploads(bucket: string, q: ListUploadsQuery): MultipartUploadRecord[] {
    const prefix = keyBytes(q.prefix);
    const from = q.fromBytes && Buffer.compare(q.fromBytes, prefix) > 0 ? q.fromBytes : prefix;
    const rows = (q.keyMarker !== undefined
      ? this.#db.prepare(`SELECT * FROM uploads WHERE bucket = ? AND (key > ? OR (key = ? AND upload_id > ?)) AND key >= ?
          ORDER BY key, upload_id LIMIT ?`).all(bucket, keyBytes(q.keyMarker), keyBytes(q.keyMarker), q.uploadIdMarker ?? '\uffff', from, q.limit)
      : this.#db.prepare('SELECT * FROM uploads WHERE bucket = ? AND key >= ? ORDER BY key, upload_id LIMIT ?').all(bucket, from, q.limit)) as UploadRow[];
    const out: MultipartUploadRecord[] = [];
    for (const r of rows) {
      if (prefix.length > 0 && (r.key.length < prefix.length || r.key.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0)) break;
      out.push(toUpload(r));
    }
    return out;
  }

  putPart(part: PartRecord): string[] {
    return immediate(this.#db, () => {
      if (!this.#s.getUpload!.get(part.uploadId)) return [part.segment.blobId];
      const old = this.#s.getPart!.get(part.uploadId, part.partNumber) as PartRow | undefined;
      this.#s.insertPart!.run({
        upload_id: part.uploadId, part_number: part.partNumber, size: part.size, etag: part.etag, last_modified: part.lastModified,
        blob_id: part.segment.blobId, blob_length: part.segment.length, blob_iv: part.segment.iv ?? null,
        part_hashes: JSON.stringify({
          pieceLength: part.partHashes.pieceLength, predictedOffset: part.partHashes.predictedOffset,
          pieces: part.partHashes.pieces.toString('base64'),
          ...(part.partHashes.pieceLayer ? { pieceLayer: part.partHashes.pieceLayer.toString('base64') } : {}),
        }),
      });
      this.#s.addBlob!.run(part.segment.blobId);
      const garbage = old && old.blob_id !== part.segment.blobId ? [old.blob_id] : [];
      this.#markGarbage(garbage);
      return garbage;
    })();
  }

  getPart(uploadId: string, partNumber: number): PartRecord | undefined {
    const r = this.#s.getPart!.get(uploadId, partNumber) as PartRow | undefined;
    return r && toPart(r);
  }

  listParts(uploadId: string, afterPartNumber: number, limit: number): PartRecord[] {
    return (this.#s.partsOf!.all(uploadId, afterPartNumber, limit) as PartRow[]).map(toPart);
  }

  abortUpload(uploadId: string): string[] | undefined {
    return immediate(this.#db, () => {
      if (!this.#s.getUpload!.get(uploadId)) return undefined;
      const garbage = (this.#s.allPartsOf!.all(uploadId) as PartRow[]).map((p) => p.blob_id);
      this.#s.deleteParts!.run(uploadId);
      this.#s.deleteUpload!.run(uploadId);
      this.#markGarbage(garbage);
      return garbage;
    })();
  }

  completeUpload(uploadId: string, rec: ObjectRecord): string[] | undefined {
    return immediate(this.#db, () => {
      if (!this.#s.getUpload!.get(uploadId)) return undefined;
      const partBlobs = (this.#s.allPartsOf!.all(uploadId) as PartRow[]).map((p) => p.blob_id);
      const current = new Set(partBlobs);
      if (rec.segments.some((s) => !current.has(s.blobId))) return undefined;
      const used = new Set(rec.segments.map((s) => s.blobId));
      const unusedParts = partBlobs.filter((id) => !used.has(id));
      const replaced = this.#garbageOf(rec.bucket, rec.key).filter((id) => !used.has(id));
      this.#s.deleteParts!.run(uploadId);
      this.#s.deleteUpload!.run(uploadId);
      this.#insertObject(rec);
      const garbage = [...unusedParts, ...replaced];
      this.#markGarbage(garbage);
      return garbage;
    })();
  }

  // ---- blob bookkeeping

  isBlobReferenced(blobId: string): boolean {
    return this.#s.hasBlob!.get(blobId) !== undefined;
  }

  pendingGarbage(): string[] {
    return (this.#s.allGarbage!.all() as { blob_id: string }[]).map((r) => r.blob_id);
  }

  forgetGarbage(blobIds: string[]): void {
    immediate(this.#db, () => { for (const id of blobIds) this.#s.dropGarbage!.run(id); })();
  }

  close(): void {
    this.#db.close();
  }
}
