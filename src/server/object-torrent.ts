import { isAnonymouslyReadable } from '../access/authorize.ts';
import type { BucketRecord, ObjectRecord, TorrentFormat } from '../meta/types.ts';
import type { InfoInput } from '../torrent/metainfo.ts';
import { torrentName } from '../torrent/torrent-name.ts';

/**
 * The info dict of an object version: the one place that decides it, so GetObjectTorrent, the tracker
 * and the seeder always agree on the info-hash. It depends only on the object version (its id, bytes
 * and key), whether it is anonymously readable, and the torrent format.
 */
export function objectInfo(o: ObjectRecord, bucket: BucketRecord, serverFormat: TorrentFormat): InfoInput {
  // Requester Pays refuses anonymous GETs, so its objects are not anonymously readable whatever their ACL.
  const isPrivate = !isAnonymouslyReadable(o.acl) || bucket.requestPayer === 'Requester';
  // Objects hashed before their bucket switched to hybrid have no v2 hashes: they keep v1 torrents.
  // (A 0-byte object hashed for v2 has an empty piece layer and no pieces root.)
  const format = (bucket.torrentFormat ?? serverFormat) === 'hybrid' && o.hashes.pieceLayer !== undefined ? 'hybrid' : 'v1';
  return {
    name: torrentName(o.key), length: o.size, hashes: o.hashes, format, private: isPrivate, bucket: o.bucket, key: o.key,
    version: o.versionId,
  };
}
