// The behaviour every MetadataStore must have, registered against any implementation:
//   runMetadataStoreContract('sqlite', (slot) => ..., cleanup)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { MetadataStore } from '../../src/meta/store.ts';
import type {
  Acl, BucketRecord, MultipartUploadRecord, ObjectRecord, PartRecord,
} from '../../src/meta/types.ts';

/**
 * `open()` returns a fresh, empty store. `open(slot)` opens the storage named by `slot`: empty on the
 * first call, and on later calls (after the previous store on that slot was closed) the same storage
 * again, so a test can close a store and reopen it. `cleanup` runs once after all tests.
 */
export type OpenStore = (slot?: string) => MetadataStore | Promise<MetadataStore>;

const OWNER = '111111111111';
const OWNER_CID = 'a'.repeat(64);
const OTHER = '222222222222';

const acl = (owner = OWNER_CID): Acl => ({ owner, grants: [{ grantee: { type: 'CanonicalUser', id: owner }, permission: 'FULL_CONTROL' }] });

function bucket(name: string, over: Partial<BucketRecord> = {}): BucketRecord {
  return {
    name, ownerAccountId: OWNER, createdAt: 1_700_000_000_000, region: 'us-east-1', acl: acl(),
    requestPayer: 'BucketOwner', cors: null, torrentFormat: null, ...over,
  };
}

let seq = 0;
const uniq = (tag: string): string => `${tag}-${++seq}`;

/** A minimal object record: no optional field set. */
function object(bucketName: string, key: string, blobIds: string[] = [uniq('blob')]): ObjectRecord {
  return {
    bucket: bucketName, key, versionId: uniq('v'), size: 10 * blobIds.length, etag: '"0123456789abcdef0123456789abcdef"',
    lastModified: 1_700_000_001_000, metadata: { user: {} }, ownerAccountId: OWNER, acl: acl(),
    segments: blobIds.map((blobId) => ({ blobId, length: 10 })), hashes: { pieceLength: 16384, pieces: Buffer.alloc(20, 7) },
  };
}

function upload(bucketName: string, key: string, uploadId = uniq('up')): MultipartUploadRecord {
  return { uploadId, bucket: bucketName, key, initiated: 1_700_000_002_000, ownerAccountId: OWNER, metadata: { user: {} }, acl: acl() };
}

function part(uploadId: string, partNumber: number, blobId = uniq('pblob')): PartRecord {
  return {
    uploadId, partNumber, size: 5, etag: `"etag-${partNumber}"`, lastModified: 1_700_000_003_000,
    segment: { blobId, length: 5 },
    partHashes: { pieceLength: 16384, predictedOffset: (partNumber - 1) * 5, pieces: Buffer.alloc(0) },
  };
}

const sorted = (xs: string[]): string[] => [...xs].sort();
const keysOf = (recs: { key: string }[]): string[] => recs.map((r) => r.key);
const utf8Order = (keys: string[]): string[] => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

export function runMetadataStoreContract(name: string, open: OpenStore, cleanup?: () => void): void {
  /** Runs `fn` on a fresh store and closes it, even when `fn` throws. */
  async function withStore(fn: (s: MetadataStore) => void | Promise<void>): Promise<void> {
    const s = await open();
    try {
      await fn(s);
    } finally {
      s.close();
    }
  }

  describe(`MetadataStore contract: ${name}`, () => {
    if (cleanup) after(cleanup);

    // ---- accounts and keys

    it('createAccount makes an account and a working key, found every way', () => withStore((s) => {
      const { account, key } = s.createAccount('alice');
      assert.equal(account.name, 'alice');
      assert.match(account.accountId, /^\d{12}$/);
      assert.match(account.canonicalUserId, /^[0-9a-f]{64}$/);
      assert.equal(key.accountId, account.accountId);
      assert.equal(key.revoked, false);
      assert.ok(key.secretAccessKey.length >= 20);
      assert.deepEqual(s.getKey(key.accessKeyId), key);
      assert.deepEqual(s.getAccount(account.accountId), account);
      assert.deepEqual(s.getAccountByCanonicalId(account.canonicalUserId), account);
      assert.equal(s.getAccount('999999999999'), undefined);
      assert.equal(s.getAccountByCanonicalId('f'.repeat(64)), undefined);
      assert.equal(s.getKey('SBAKNOSUCHKEY0000000'), undefined);

      const bob = s.createAccount('bob');
      assert.notEqual(bob.account.accountId, account.accountId);
      assert.notEqual(bob.account.canonicalUserId, account.canonicalUserId);
      assert.notEqual(bob.key.accessKeyId, key.accessKeyId);
      assert.deepEqual(s.listAccounts(), [account, bob.account]);
    }));

    it('ensureRootAccount is idempotent and follows a changed root secret', () => withStore((s) => {
      const root = s.ensureRootAccount('ROOTKEY', 'secret-1');
      assert.deepEqual(s.ensureRootAccount('ROOTKEY', 'secret-1'), root);
      assert.deepEqual(s.listAccounts(), [root]);
      const key = s.getKey('ROOTKEY');
      assert.equal(key?.accountId, root.accountId);
      assert.equal(key?.secretAccessKey, 'secret-1');
      assert.equal(key?.revoked, false);

      assert.deepEqual(s.ensureRootAccount('ROOTKEY', 'secret-2'), root);
      assert.equal(s.getKey('ROOTKEY')?.secretAccessKey, 'secret-2');
      // accounts made later do not displace the root
      s.createAccount('later');
      assert.deepEqual(s.ensureRootAccount('ROOTKEY', 'secret-2'), root);
      assert.equal(s.listAccounts().length, 2);
    }));

    it('createKey adds a key; revokeKey revokes exactly that one', () => withStore((s) => {
      const { account, key: first } = s.createAccount('alice');
      const second = s.createKey(account.accountId);
      assert.notEqual(second.accessKeyId, first.accessKeyId);
      assert.notEqual(second.secretAccessKey, first.secretAccessKey);
      assert.equal(second.accountId, account.accountId);
      assert.deepEqual(s.getKey(second.accessKeyId), second);

      assert.equal(s.revokeKey(first.accessKeyId), true);
      assert.equal(s.getKey(first.accessKeyId)?.revoked, true);
      assert.equal(s.getKey(second.accessKeyId)?.revoked, false);
      assert.equal(s.revokeKey('SBAKNOSUCHKEY0000000'), false);
    }));

    it('addUsage accumulates per (account, operation, role); usage filters by account', () => withStore((s) => {
      s.addUsage({ accountId: OWNER, operation: 'GetObject', role: 'owner', requests: 1, bytesIn: 0, bytesOut: 100 });
      s.addUsage({ accountId: OWNER, operation: 'GetObject', role: 'owner', requests: 2, bytesIn: 5, bytesOut: 50 });
      s.addUsage({ accountId: OWNER, operation: 'GetObject', role: 'requester', requests: 1, bytesIn: 0, bytesOut: 7 });
      s.addUsage({ accountId: OTHER, operation: 'PutObject', role: 'owner', requests: 1, bytesIn: 42, bytesOut: 0 });
      const byRole = (a: { role: string }, b: { role: string }) => a.role.localeCompare(b.role);
      assert.deepEqual(s.usage(OWNER).sort(byRole), [
        { accountId: OWNER, operation: 'GetObject', role: 'owner', requests: 3, bytesIn: 5, bytesOut: 150 },
        { accountId: OWNER, operation: 'GetObject', role: 'requester', requests: 1, bytesIn: 0, bytesOut: 7 },
      ]);
      assert.deepEqual(s.usage(OTHER), [{ accountId: OTHER, operation: 'PutObject', role: 'owner', requests: 1, bytesIn: 42, bytesOut: 0 }]);
      assert.equal(s.usage().length, 3);
      assert.deepEqual(s.usage('333333333333'), []);
    }));

    // ---- buckets

    it('createBucket refuses a taken name, whoever asks; getBucket round-trips every field', () => withStore((s) => {
      const rec = bucket('full', {
        region: 'eu-west-1', requestPayer: 'Requester', torrentFormat: 'hybrid',
        acl: { owner: OWNER_CID, grants: [{ grantee: { type: 'Group', uri: 'http://acs.amazonaws.com/groups/global/AllUsers' }, permission: 'READ' }] },
        cors: [{ id: 'r1', allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: ['x-a'], exposeHeaders: ['etag'], maxAgeSeconds: 60 }],
      });
      assert.equal(s.createBucket(rec), true);
      assert.deepEqual(s.getBucket('full'), rec);
      assert.equal(s.createBucket(bucket('full', { ownerAccountId: OTHER })), false);
      assert.equal(s.getBucket('full')?.ownerAccountId, OWNER);
      assert.equal(s.getBucket('nope'), undefined);

      assert.equal(s.createBucket(bucket('plain')), true);
      assert.deepEqual(s.getBucket('plain'), bucket('plain'));
    }));

    it('listBuckets lists the owner\'s buckets by name', () => withStore((s) => {
      for (const n of ['zeta', 'alpha', 'mid']) assert.equal(s.createBucket(bucket(n)), true);
      assert.equal(s.createBucket(bucket('others', { ownerAccountId: OTHER })), true);
      assert.deepEqual(s.listBuckets(OWNER).map((b) => b.name), ['alpha', 'mid', 'zeta']);
      assert.deepEqual(s.listBuckets(OTHER), [bucket('others', { ownerAccountId: OTHER })]);
      assert.deepEqual(s.listBuckets('333333333333'), []);
    }));

    it('updateBucket changes only the patched fields, and null clears cors and torrentFormat', () => withStore((s) => {
      s.createBucket(bucket('b'));
      s.createBucket(bucket('untouched'));
      const cors = [{ allowedOrigins: ['https://x.test'], allowedMethods: ['PUT'], allowedHeaders: [], exposeHeaders: [] }];
      s.updateBucket('b', { cors, torrentFormat: 'v1' });
      assert.deepEqual(s.getBucket('b'), bucket('b', { cors, torrentFormat: 'v1' }));
      s.updateBucket('b', { requestPayer: 'Requester' });
      assert.deepEqual(s.getBucket('b'), bucket('b', { cors, torrentFormat: 'v1', requestPayer: 'Requester' }));
      const newAcl = acl('b'.repeat(64));
      s.updateBucket('b', { acl: newAcl, cors: null, torrentFormat: null });
      assert.deepEqual(s.getBucket('b'), bucket('b', { requestPayer: 'Requester', acl: newAcl }));
      assert.deepEqual(s.getBucket('untouched'), bucket('untouched'));
    }));

    it('deleteBucket refuses while objects or uploads remain', () => withStore((s) => {
      s.createBucket(bucket('b'));
      s.putObject(object('b', 'k'));
      assert.equal(s.deleteBucket('b'), false);
      assert.ok(s.getBucket('b'));
      s.deleteObject('b', 'k');
      const u = upload('b', 'k');
      s.createUpload(u);
      assert.equal(s.deleteBucket('b'), false);
      assert.ok(s.getBucket('b'));
      s.abortUpload(u.uploadId);
      assert.equal(s.deleteBucket('b'), true);
      assert.equal(s.getBucket('b'), undefined);
      assert.deepEqual(s.listBuckets(OWNER), []);
      // the name is free again
      assert.equal(s.createBucket(bucket('b', { ownerAccountId: OTHER })), true);
    }));

    // ---- objects

    it('putObject/getObject round-trip every field', () => withStore((s) => {
      const rec: ObjectRecord = {
        ...object('b', 'dir/file.bin', ['blob-a', 'blob-b']),
        size: 30,
        segments: [{ blobId: 'blob-a', length: 20, iv: 'AAAAAAAAAAAAAAAAAAAAAA==' }, { blobId: 'blob-b', length: 10, iv: 'AQEBAQEBAQEBAQEBAQEBAQ==' }],
        metadata: {
          contentType: 'text/plain; charset=utf-8', contentEncoding: 'gzip', contentDisposition: 'attachment; filename="ü.txt"',
          contentLanguage: 'de', cacheControl: 'no-cache', expires: 'Wed, 21 Oct 2015 07:28:00 GMT',
          user: { 'x-name': 'välue', empty: '' },
        },
        ownerAccountId: OTHER,
        acl: {
          owner: OWNER_CID,
          grants: [
            { grantee: { type: 'CanonicalUser', id: OWNER_CID }, permission: 'FULL_CONTROL' },
            { grantee: { type: 'Group', uri: 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers' }, permission: 'READ_ACP' },
          ],
        },
        partsCount: 2,
        hashes: { pieceLength: 16384, pieces: Buffer.from([...Array(40).keys()]), piecesRoot: Buffer.alloc(32, 0xab), pieceLayer: Buffer.alloc(64, 0xcd) },
        sse: { algorithm: 'AES256', keyHmac: 'hmac', salt: 'salt', keyMd5: 'md5==' },
        checksums: { CRC32: 'AAAAAA==', SHA256: 'abc=' },
      };
      assert.deepEqual(s.putObject(rec), []);
      assert.deepEqual(s.getObject('b', 'dir/file.bin'), rec);

      const minimal = object('b', 'minimal');
      s.putObject(minimal);
      // optional fields stay absent rather than coming back as undefined or null
      assert.deepEqual(s.getObject('b', 'minimal'), minimal);
      assert.equal(s.getObject('b', 'missing'), undefined);
      assert.equal(s.getObject('other-bucket', 'minimal'), undefined);
    }));

    it('putObject over a key returns the old version\'s blobs as garbage, keeping reused ones', () => withStore((s) => {
      assert.deepEqual(s.pendingGarbage(), []);
      s.putObject(object('b', 'k', ['old-1', 'old-2', 'kept']));
      assert.ok(s.isBlobReferenced('old-1'));
      const next = object('b', 'k', ['new-1', 'kept']);
      assert.deepEqual(sorted(s.putObject(next)), ['old-1', 'old-2']);
      assert.deepEqual(s.getObject('b', 'k'), next);
      assert.equal(s.isBlobReferenced('old-1'), false);
      assert.equal(s.isBlobReferenced('old-2'), false);
      assert.equal(s.isBlobReferenced('kept'), true);
      assert.equal(s.isBlobReferenced('new-1'), true);
      assert.deepEqual(sorted(s.pendingGarbage()), ['old-1', 'old-2']);
      // same key in another bucket is another object
      assert.deepEqual(s.putObject(object('b2', 'k', ['elsewhere'])), []);
      assert.deepEqual(s.getObject('b', 'k'), next);
    }));

    it('deleteObject removes the object and returns its blobs; a second delete finds nothing', () => withStore((s) => {
      s.putObject(object('b', 'k', ['d-1', 'd-2']));
      s.putObject(object('b', 'k2', ['other']));
      const res = s.deleteObject('b', 'k');
      assert.equal(res.deleted, true);
      assert.deepEqual(sorted(res.garbage), ['d-1', 'd-2']);
      assert.equal(s.getObject('b', 'k'), undefined);
      assert.equal(s.isBlobReferenced('d-1'), false);
      assert.deepEqual(sorted(s.pendingGarbage()), ['d-1', 'd-2']);
      assert.deepEqual(s.deleteObject('b', 'k'), { deleted: false, garbage: [] });
      assert.ok(s.getObject('b', 'k2'));
      assert.ok(s.isBlobReferenced('other'));
    }));

    it('keys are exact: case, unicode normalisation, dot segments and 1024-byte keys stay distinct', () => withStore((s) => {
      const long = 'x'.repeat(1021) + '\u00e9' + 'y';
      assert.equal(Buffer.byteLength(long), 1024);
      const keys = [
        'Key', 'key', 'KEY',
        'caf\u00e9', 'cafe\u0301', // NFC vs NFD
        'a/b', 'a/../a/b', '../a/b', 'a//b', './a/b', 'a/b/',
        ' key', 'key ', 'k\u0000ey', long, long.slice(0, -1) + 'z',
      ];
      for (const k of keys) s.putObject(object('b', k, [`blob:${k}`]));
      for (const k of keys) {
        const o = s.getObject('b', k);
        assert.equal(o?.key, k, JSON.stringify(k));
        assert.equal(o?.segments[0]?.blobId, `blob:${k}`);
      }
      assert.equal(s.listObjects('b', { prefix: '', limit: 100 }).length, keys.length);
      assert.equal(s.getObject('b', 'cafe'), undefined);
      assert.equal(s.getObject('b', 'a/b/c'), undefined);
    }));

    it('listObjects returns keys in UTF-8 byte order', () => withStore((s) => {
      // UTF-16 order would put the emoji before U+FFFD and U+E000; UTF-8 byte order puts it last
      const keys = ['b', 'B', 'a', 'a/b', 'a b', 'ab', 'a-', '\u00e9', '\u{1F600}', '\uFFFD', '\uE000', 'z', '0', '~'];
      for (const k of [...keys].reverse()) s.putObject(object('b', k));
      s.putObject(object('other', 'a'));
      const expected = utf8Order(keys);
      assert.notDeepEqual(expected, [...keys].sort());
      assert.deepEqual(keysOf(s.listObjects('b', { prefix: '', limit: 1000 })), expected);
      assert.deepEqual(keysOf(s.listObjects('b', { prefix: '', limit: 3 })), expected.slice(0, 3));
      assert.deepEqual(s.listObjects('empty', { prefix: '', limit: 10 }), []);
      // records come back whole
      const first = s.listObjects('b', { prefix: '', limit: 1 })[0];
      assert.deepEqual(first, s.getObject('b', first!.key));
    }));

    it('listObjects: prefix, after (strictly greater) and limit', () => withStore((s) => {
      const keys = ['photos/', 'photos/2023/a.jpg', 'photos/2023/b.jpg', 'photos/2024/c.jpg', 'photos/d.jpg', 'photosx', 'photo', 'q', 'ph'];
      for (const k of keys) s.putObject(object('b', k));
      const list = (q: Parameters<MetadataStore['listObjects']>[1]) => keysOf(s.listObjects('b', q));

      assert.deepEqual(list({ prefix: 'photos/', limit: 100 }), ['photos/', 'photos/2023/a.jpg', 'photos/2023/b.jpg', 'photos/2024/c.jpg', 'photos/d.jpg']);
      assert.deepEqual(list({ prefix: 'photos/2023/', limit: 100 }), ['photos/2023/a.jpg', 'photos/2023/b.jpg']);
      assert.deepEqual(list({ prefix: 'nothing', limit: 100 }), []);
      assert.deepEqual(list({ prefix: 'photos/', limit: 2 }), ['photos/', 'photos/2023/a.jpg']);
      // paging by the last key returned
      assert.deepEqual(list({ prefix: 'photos/', after: 'photos/2023/a.jpg', limit: 2 }), ['photos/2023/b.jpg', 'photos/2024/c.jpg']);
      assert.deepEqual(list({ prefix: 'photos/', after: 'photos/2024/c.jpg', limit: 2 }), ['photos/d.jpg']);
      assert.deepEqual(list({ prefix: 'photos/', after: 'photos/d.jpg', limit: 2 }), []);
      // after a key that does not exist
      assert.deepEqual(list({ prefix: 'photos/', after: 'photos/2023/a', limit: 100 }).slice(0, 1), ['photos/2023/a.jpg']);
      // after before the prefix: starts at the prefix; after equal to the prefix excludes that key
      assert.deepEqual(list({ prefix: 'photos/', after: 'a', limit: 1 }), ['photos/']);
      assert.deepEqual(list({ prefix: 'photos/', after: 'photos/', limit: 1 }), ['photos/2023/a.jpg']);
      // after past the prefix
      assert.deepEqual(list({ prefix: 'photos/', after: 'photosa', limit: 10 }), []);
      assert.deepEqual(list({ prefix: '', after: 'photosx', limit: 10 }), ['q']);
    }));

    it('listObjects: fromBytes skips past a common prefix (inclusive)', () => withStore((s) => {
      const keys = ['d/a', 'd/sub/1', 'd/sub/2', 'd/sub/3', 'd/sub0', 'd/z', 'e'];
      for (const k of keys) s.putObject(object('b', k));
      const past = (p: string) => Buffer.concat([Buffer.from(p), Buffer.from([0xff])]);
      const list = (q: Parameters<MetadataStore['listObjects']>[1]) => keysOf(s.listObjects('b', q));
      assert.deepEqual(list({ prefix: 'd/', fromBytes: past('d/sub/'), limit: 10 }), ['d/sub0', 'd/z']);
      assert.deepEqual(list({ prefix: '', fromBytes: past('d/'), limit: 10 }), ['e']);
      assert.deepEqual(list({ prefix: 'd/', fromBytes: Buffer.from('d/sub/2'), limit: 2 }), ['d/sub/2', 'd/sub/3']);
      // fromBytes before the prefix does not widen it
      assert.deepEqual(list({ prefix: 'd/sub/', fromBytes: Buffer.from('a'), limit: 10 }), ['d/sub/1', 'd/sub/2', 'd/sub/3']);
    }));

    it('setInfoHashes makes the version findable by v1 hash, v2 hash (full or first 20 bytes) and req2', () => withStore((s) => {
      const rec = object('b', 'torrent-me');
      s.putObject(rec);
      s.putObject(object('b', 'bystander'));
      const v1 = Buffer.alloc(20, 0x11);
      const v2 = Buffer.concat([Buffer.alloc(20, 0x22), Buffer.alloc(12, 0x33)]);
      assert.equal(s.getObjectByInfoHash(v1), undefined);
      s.setInfoHashes('b', 'torrent-me', rec.versionId, v1, v2);

      const got = s.getObject('b', 'torrent-me');
      assert.deepEqual(got, { ...rec, infoHash: v1, infoHashV2: v2 });
      assert.deepEqual(s.getObjectByInfoHash(v1), got);
      assert.deepEqual(s.getObjectByInfoHash(v2.subarray(0, 20)), got);
      assert.deepEqual(s.getObjectByInfoHash(v2), got);
      const req2 = createHash('sha1').update('req2').update(v1).digest();
      assert.deepEqual(s.getObjectByReq2(req2), got);
      assert.equal(s.getObjectByInfoHash(Buffer.alloc(20, 0x44)), undefined);
      assert.equal(s.getObjectByReq2(createHash('sha1').update('req2').update(v2).digest()), undefined);

      // v1 only: no v2 hash is recorded
      const other = object('b', 'v1-only');
      s.putObject(other);
      const v1b = Buffer.alloc(20, 0x55);
      s.setInfoHashes('b', 'v1-only', other.versionId, v1b);
      assert.deepEqual(s.getObjectByInfoHash(v1b), { ...other, infoHash: v1b });
    }));

    it('setInfoHashes for a stale version changes nothing; a new version drops the old hashes', () => withStore((s) => {
      const first = object('b', 'k');
      s.putObject(first);
      const v1 = Buffer.alloc(20, 0x61);
      s.setInfoHashes('b', 'k', 'not-the-version', v1);
      assert.equal(s.getObjectByInfoHash(v1), undefined);
      assert.equal(s.getObject('b', 'k')?.infoHash, undefined);

      s.setInfoHashes('b', 'k', first.versionId, v1, Buffer.alloc(32, 0x62));
      assert.equal(s.getObjectByInfoHash(v1)?.versionId, first.versionId);
      const second = object('b', 'k');
      s.putObject(second);
      assert.deepEqual(s.getObject('b', 'k'), second);
      assert.equal(s.getObjectByInfoHash(v1), undefined);
      assert.equal(s.getObjectByInfoHash(Buffer.alloc(20, 0x62)), undefined);
      assert.equal(s.getObjectByReq2(createHash('sha1').update('req2').update(v1).digest()), undefined);
      s.setInfoHashes('b', 'k', first.versionId, v1);
      assert.equal(s.getObjectByInfoHash(v1), undefined);
    }));

    it('updateObjectAcl replaces the ACL of the named version only, and forgets its torrent', () => withStore((s) => {
      const rec = object('b', 'k');
      s.putObject(rec);
      const v1 = Buffer.alloc(20, 0x71);
      s.setInfoHashes('b', 'k', rec.versionId, v1);
      const newAcl: Acl = { owner: OWNER_CID, grants: [{ grantee: { type: 'Group', uri: 'http://acs.amazonaws.com/groups/global/AllUsers' }, permission: 'READ' }] };

      assert.equal(s.updateObjectAcl('b', 'k', 'wrong-version', newAcl), false);
      assert.deepEqual(s.getObject('b', 'k'), { ...rec, infoHash: v1 });
      assert.equal(s.updateObjectAcl('b', 'missing', rec.versionId, newAcl), false);

      assert.equal(s.updateObjectAcl('b', 'k', rec.versionId, newAcl), true);
      // the torrent's private flag follows the ACL, so the old info-hash no longer names this version
      assert.deepEqual(s.getObject('b', 'k'), { ...rec, acl: newAcl });
      assert.equal(s.getObjectByInfoHash(v1), undefined);
    }));

    // ---- multipart

    it('createUpload/getUpload round-trip; listUploads orders by key bytes then upload id', () => withStore((s) => {
      const full: MultipartUploadRecord = {
        ...upload('b', 'k\u00e9y', 'u-full'),
        metadata: { contentType: 'image/png', user: { a: '1' } },
        sse: { algorithm: 'AES256', keyHmac: 'h', salt: 's', keyMd5: 'm' },
      };
      s.createUpload(full);
      assert.deepEqual(s.getUpload('u-full'), full);
      assert.equal(s.getUpload('u-missing'), undefined);

      const ups = [upload('b', 'b', 'u2'), upload('b', 'b', 'u1'), upload('b', 'a', 'u9'), upload('b', '\u{1F600}', 'u3'), upload('b', '\uFFFD', 'u4')];
      for (const u of ups) s.createUpload(u);
      s.createUpload(upload('other', 'a', 'u-other'));
      assert.deepEqual(s.getUpload('u1'), ups[1]);
      const listed = s.listUploads('b', { prefix: '', limit: 100 });
      assert.deepEqual(listed.map((u) => [u.key, u.uploadId]), [
        ['a', 'u9'], ['b', 'u1'], ['b', 'u2'], ['k\u00e9y', 'u-full'], ['\uFFFD', 'u4'], ['\u{1F600}', 'u3'],
      ]);
      assert.deepEqual(listed[3], full);
      assert.deepEqual(s.listUploads('b', { prefix: '', limit: 2 }).map((u) => u.uploadId), ['u9', 'u1']);
    }));

    it('listUploads: prefix, key and upload-id markers, fromBytes', () => withStore((s) => {
      const ups = [
        upload('b', 'd/a', 'u1'), upload('b', 'd/a', 'u2'), upload('b', 'd/a', 'u3'),
        upload('b', 'd/sub/x', 'u4'), upload('b', 'd/sub/y', 'u5'), upload('b', 'd/z', 'u6'), upload('b', 'e', 'u7'),
      ];
      for (const u of ups) s.createUpload(u);
      const ids = (q: Parameters<MetadataStore['listUploads']>[1]) => s.listUploads('b', q).map((u) => u.uploadId);

      assert.deepEqual(ids({ prefix: 'd/', limit: 100 }), ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']);
      assert.deepEqual(ids({ prefix: 'd/sub/', limit: 100 }), ['u4', 'u5']);
      assert.deepEqual(ids({ prefix: 'x', limit: 100 }), []);
      // key-marker alone: every upload of that key is skipped
      assert.deepEqual(ids({ prefix: '', keyMarker: 'd/a', limit: 100 }), ['u4', 'u5', 'u6', 'u7']);
      // key-marker with upload-id-marker: the rest of that key's uploads, then later keys
      assert.deepEqual(ids({ prefix: '', keyMarker: 'd/a', uploadIdMarker: 'u1', limit: 3 }), ['u2', 'u3', 'u4']);
      assert.deepEqual(ids({ prefix: '', keyMarker: 'd/a', uploadIdMarker: 'u3', limit: 100 }), ['u4', 'u5', 'u6', 'u7']);
      // a marker before the prefix starts at the prefix
      assert.deepEqual(ids({ prefix: 'd/sub/', keyMarker: 'a', limit: 100 }), ['u4', 'u5']);
      assert.deepEqual(ids({ prefix: 'd/', keyMarker: 'd/z', limit: 100 }), []);
      // fromBytes skips a common prefix
      const past = Buffer.concat([Buffer.from('d/sub/'), Buffer.from([0xff])]);
      assert.deepEqual(ids({ prefix: 'd/', fromBytes: past, limit: 100 }), ['u6']);
      assert.deepEqual(ids({ prefix: '', fromBytes: Buffer.from('d/sub/y'), limit: 100 }), ['u5', 'u6', 'u7']);
    }));

    it('putPart/getPart round-trip; replacing a part returns the old blob', () => withStore((s) => {
      const u = upload('b', 'k');
      s.createUpload(u);
      const p1: PartRecord = {
        ...part(u.uploadId, 1, 'p1-a'),
        segment: { blobId: 'p1-a', length: 5, iv: 'AgICAgICAgICAgICAgICAg==' },
        partHashes: { pieceLength: 4, predictedOffset: 0, pieces: Buffer.alloc(20, 1), pieceLayer: Buffer.alloc(32, 2) },
      };
      assert.deepEqual(s.putPart(p1), []);
      assert.deepEqual(s.getPart(u.uploadId, 1), p1);
      assert.ok(s.isBlobReferenced('p1-a'));
      const p2 = part(u.uploadId, 2, 'p2-a');
      assert.deepEqual(s.putPart(p2), []);
      assert.deepEqual(s.getPart(u.uploadId, 2), p2);
      assert.equal(s.getPart(u.uploadId, 3), undefined);
      assert.equal(s.getPart('other-upload', 1), undefined);

      const p1b = { ...part(u.uploadId, 1, 'p1-b'), size: 7 };
      assert.deepEqual(s.putPart(p1b), ['p1-a']);
      assert.deepEqual(s.getPart(u.uploadId, 1), p1b);
      assert.equal(s.isBlobReferenced('p1-a'), false);
      assert.ok(s.isBlobReferenced('p1-b'));
      assert.deepEqual(s.pendingGarbage(), ['p1-a']);
      // the same blob again is not garbage
      assert.deepEqual(s.putPart(p1b), []);
      assert.ok(s.isBlobReferenced('p1-b'));
    }));

    it('putPart to an upload that is gone hands its own blob back and records nothing', () => withStore((s) => {
      assert.deepEqual(s.putPart(part('never-created', 1, 'orphan-1')), ['orphan-1']);
      assert.equal(s.getPart('never-created', 1), undefined);
      assert.equal(s.isBlobReferenced('orphan-1'), false);

      const u = upload('b', 'k');
      s.createUpload(u);
      s.abortUpload(u.uploadId);
      assert.deepEqual(s.putPart(part(u.uploadId, 1, 'orphan-2')), ['orphan-2']);
      assert.equal(s.getPart(u.uploadId, 1), undefined);
      assert.equal(s.isBlobReferenced('orphan-2'), false);
    }));

    it('listParts pages by part number', () => withStore((s) => {
      const u = upload('b', 'k');
      const v = upload('b', 'k');
      s.createUpload(u);
      s.createUpload(v);
      for (const n of [10, 2, 5, 1, 3]) s.putPart(part(u.uploadId, n));
      s.putPart(part(v.uploadId, 4));
      const nums = (after: number, limit: number) => s.listParts(u.uploadId, after, limit).map((p) => p.partNumber);
      assert.deepEqual(nums(0, 100), [1, 2, 3, 5, 10]);
      assert.deepEqual(nums(0, 2), [1, 2]);
      assert.deepEqual(nums(2, 2), [3, 5]);
      assert.deepEqual(nums(5, 2), [10]);
      assert.deepEqual(nums(10, 2), []);
      assert.deepEqual(nums(4, 1), [5]);
      assert.deepEqual(s.listParts(u.uploadId, 0, 1), [s.getPart(u.uploadId, 1)]);
      assert.deepEqual(s.listParts('missing', 0, 10), []);
    }));

    it('abortUpload returns every part blob, removes the upload, then answers undefined', () => withStore((s) => {
      const u = upload('b', 'k');
      const keep = upload('b', 'k');
      s.createUpload(u);
      s.createUpload(keep);
      s.putPart(part(u.uploadId, 1, 'a-1'));
      s.putPart(part(u.uploadId, 2, 'a-2'));
      s.putPart(part(u.uploadId, 3, 'a-3'));
      s.putPart(part(keep.uploadId, 1, 'keep-1'));

      assert.deepEqual(sorted(s.abortUpload(u.uploadId)!), ['a-1', 'a-2', 'a-3']);
      assert.equal(s.getUpload(u.uploadId), undefined);
      assert.deepEqual(s.listParts(u.uploadId, 0, 10), []);
      assert.equal(s.getPart(u.uploadId, 1), undefined);
      for (const id of ['a-1', 'a-2', 'a-3']) assert.equal(s.isBlobReferenced(id), false);
      assert.deepEqual(sorted(s.pendingGarbage()), ['a-1', 'a-2', 'a-3']);
      assert.equal(s.abortUpload(u.uploadId), undefined);
      assert.equal(s.abortUpload('never-created'), undefined);

      assert.deepEqual(s.getUpload(keep.uploadId), keep);
      assert.ok(s.isBlobReferenced('keep-1'));
      assert.deepEqual(s.listUploads('b', { prefix: '', limit: 10 }), [keep]);
      assert.deepEqual(s.abortUpload(keep.uploadId), ['keep-1']);
      // an upload without parts aborts with no garbage
      const empty = upload('b', 'e');
      s.createUpload(empty);
      assert.deepEqual(s.abortUpload(empty.uploadId), []);
    }));

    it('completeUpload publishes the object; unused parts and the replaced object become garbage', () => withStore((s) => {
      s.putObject(object('b', 'k', ['prev-1', 'prev-2']));
      const u = upload('b', 'k');
      s.createUpload(u);
      s.putPart(part(u.uploadId, 1, 'c-1'));
      s.putPart(part(u.uploadId, 2, 'c-2'));
      s.putPart(part(u.uploadId, 3, 'c-3'));
      const rec: ObjectRecord = { ...object('b', 'k', ['c-1', 'c-3']), partsCount: 2 };

      assert.deepEqual(sorted(s.completeUpload(u.uploadId, rec)!), ['c-2', 'prev-1', 'prev-2']);
      assert.deepEqual(s.getObject('b', 'k'), rec);
      assert.equal(s.getUpload(u.uploadId), undefined);
      assert.deepEqual(s.listParts(u.uploadId, 0, 10), []);
      assert.ok(s.isBlobReferenced('c-1'));
      assert.ok(s.isBlobReferenced('c-3'));
      for (const id of ['c-2', 'prev-1', 'prev-2']) assert.equal(s.isBlobReferenced(id), false);
      assert.deepEqual(sorted(s.pendingGarbage()), ['c-2', 'prev-1', 'prev-2']);
      // a second completion finds the upload gone and changes nothing
      assert.equal(s.completeUpload(u.uploadId, object('b', 'k', ['c-2'])), undefined);
      assert.deepEqual(s.getObject('b', 'k'), rec);
    }));

    it('completeUpload refuses (undefined, nothing changed) when a listed part was re-uploaded or never existed', () => withStore((s) => {
      const u = upload('b', 'k');
      s.createUpload(u);
      s.putPart(part(u.uploadId, 1, 'r-1'));
      s.putPart(part(u.uploadId, 2, 'r-2'));
      s.putPart(part(u.uploadId, 2, 'r-2b'));

      assert.equal(s.completeUpload(u.uploadId, object('b', 'k', ['r-1', 'r-2'])), undefined);
      assert.equal(s.completeUpload(u.uploadId, object('b', 'k', ['r-1', 'unknown'])), undefined);
      assert.equal(s.getObject('b', 'k'), undefined);
      assert.deepEqual(s.getUpload(u.uploadId), u);
      assert.deepEqual(s.listParts(u.uploadId, 0, 10).map((p) => p.segment.blobId), ['r-1', 'r-2b']);
      assert.ok(s.isBlobReferenced('r-1'));
      assert.deepEqual(s.pendingGarbage(), ['r-2']);

      // with the current parts it goes through
      const rec = object('b', 'k', ['r-1', 'r-2b']);
      assert.deepEqual(s.completeUpload(u.uploadId, rec), []);
      assert.deepEqual(s.getObject('b', 'k'), rec);
    }));

    // ---- blob bookkeeping

    it('forgetGarbage drops exactly the named ids; unknown blobs are unreferenced', () => withStore((s) => {
      assert.equal(s.isBlobReferenced('never-seen'), false);
      s.putObject(object('b', 'k1', ['g-1']));
      s.putObject(object('b', 'k2', ['g-2']));
      s.putObject(object('b', 'k3', ['g-3']));
      s.deleteObject('b', 'k1');
      s.deleteObject('b', 'k2');
      s.deleteObject('b', 'k3');
      assert.deepEqual(sorted(s.pendingGarbage()), ['g-1', 'g-2', 'g-3']);
      s.forgetGarbage(['g-2']);
      assert.deepEqual(sorted(s.pendingGarbage()), ['g-1', 'g-3']);
      s.forgetGarbage(['g-1', 'g-3', 'not-garbage']);
      assert.deepEqual(s.pendingGarbage(), []);
      s.forgetGarbage([]);
      assert.deepEqual(s.pendingGarbage(), []);
    }));

    // ---- durability

    it('everything survives close and reopen', async () => {
      const slot = uniq('reopen');
      const v1 = Buffer.alloc(20, 0x99);
      const obj: ObjectRecord = { ...object('b', 'dir/ü', ['dur-1']), checksums: { CRC32: 'AAAAAA==' } };
      const up = upload('b', 'pending');
      const p1 = part(up.uploadId, 1, 'dur-p1');
      let account;
      let key;
      let root;

      const first = await open(slot);
      try {
        root = first.ensureRootAccount('ROOTKEY', 'root-secret');
        ({ account, key } = first.createAccount('alice'));
        first.revokeKey(key.accessKeyId);
        first.addUsage({ accountId: account.accountId, operation: 'PutObject', role: 'owner', requests: 2, bytesIn: 9, bytesOut: 0 });
        first.createBucket(bucket('b'));
        first.updateBucket('b', { torrentFormat: 'hybrid' });
        first.putObject(object('b', 'gone', ['dur-garbage']));
        first.deleteObject('b', 'gone');
        first.putObject(obj);
        first.setInfoHashes('b', 'dir/ü', obj.versionId, v1);
        first.createUpload(up);
        first.putPart(p1);
      } finally {
        first.close();
      }

      const again = await open(slot);
      try {
        assert.deepEqual(again.ensureRootAccount('ROOTKEY', 'root-secret'), root);
        assert.deepEqual(again.listAccounts(), [root, account]);
        assert.deepEqual(again.getKey(key.accessKeyId), { ...key, revoked: true });
        assert.deepEqual(again.usage(account.accountId), [
          { accountId: account.accountId, operation: 'PutObject', role: 'owner', requests: 2, bytesIn: 9, bytesOut: 0 },
        ]);
        assert.deepEqual(again.getBucket('b'), bucket('b', { torrentFormat: 'hybrid' }));
        assert.deepEqual(again.getObject('b', 'dir/ü'), { ...obj, infoHash: v1 });
        assert.equal(again.getObjectByInfoHash(v1)?.key, 'dir/ü');
        assert.equal(again.getObject('b', 'gone'), undefined);
        assert.deepEqual(again.getUpload(up.uploadId), up);
        assert.deepEqual(again.listParts(up.uploadId, 0, 10), [p1]);
        assert.ok(again.isBlobReferenced('dur-1'));
        assert.ok(again.isBlobReferenced('dur-p1'));
        assert.deepEqual(again.pendingGarbage(), ['dur-garbage']);
      } finally {
        again.close();
      }
      const fresh = await open();
      try {
        assert.deepEqual(fresh.listAccounts(), []);
        assert.equal(fresh.getBucket('b'), undefined);
      } finally {
        fresh.close();
      }
    });
  });
}
