import type { ObjectRecord } from '../../meta/types.ts';
import type { Handler, RequestContext } from '../../server/context.ts';
import { buildTorrent, infoHashesOf } from '../../torrent/metainfo.ts';
import { VERSION } from '../../version.ts';
import { S3Error } from '../errors.ts';
import { presignUrl, uriEncode } from '../presign-url.ts';
import { objectInfo } from '../../server/object-torrent.ts';

/**
 * Own tracker first (HTTP, then UDP), then configured extras. A private torrent (BEP 27) lists only our own
 * tracker, its URLs carrying a token that binds them to the caller's account and the info-hash until the
 * torrent's web seed expires too: a third-party tracker gets neither the token (a credential for ours) nor
 * the swarm of an object that is not public. And only its HTTP URL, when there is one: over UDP the token
 * reaches the tracker only as BEP 41 URL data, which Transmission 3.00 does not send — and Transmission
 * puts announce URLs that differ only by scheme into one tier, so it announced over UDP without the token,
 * was refused every time and never found the seeder.
 */
function announceUrls(ctx: RequestContext, privateInfoHash: Buffer | undefined): { announce?: string; announceList?: string[][] } {
  const isPrivate = privateInfoHash !== undefined;
  const { config, bittorrent } = ctx.services;
  const all = bittorrent?.announceUrls ?? [...(config.trackerUrl ? [config.trackerUrl] : []), ...config.extraTrackers];
  const unique = all.filter((t, i) => all.indexOf(t) === i);
  const own = unique.filter((t) => t === config.trackerUrl || !config.extraTrackers.includes(t));
  const token = isPrivate && ctx.caller && bittorrent
    ? bittorrent.trackerToken(privateInfoHash, ctx.caller.accountId, Date.now() + config.privateTorrentTtl * 1000)
    : undefined;
  const carriesToken = own.filter((t) => !t.startsWith('udp:'));
  const urls = isPrivate
    ? (carriesToken.length > 0 ? carriesToken : own).map((t) => (token ? `${t}${t.includes('?') ? '&' : '?'}token=${token}` : t))
    : [...own, ...unique.filter((t) => !own.includes(t))];
  if (urls.length === 0) return {};
  return { announce: urls[0]!, announceList: urls.map((t) => [t]) };
}

/**
 * The object's path-style URL path. Slashes stay readable unless a client would rewrite the URL: WHATWG
 * URL parsers (fetch, browsers) and curl drop `.` and `..` segments, and BEP 19 clients append `name` to
 * a URL that ends in `/`. For such keys every slash is sent as %2F, which the server decodes back.
 * (A key that is exactly `.` or `..` has no URL that survives WHATWG parsing.)
 */
export function objectUrlPath(bucket: string, key: string): string {
  const rewritten = /(^|\/)\.\.?(\/|$)/.test(key) || key.endsWith('/');
  return `/${uriEncode(bucket, false)}/${uriEncode(key, !rewritten)}`;
}

/**
 * BEP 19 web seed: the object's own GET URL (path style), naming the version the torrent describes
 * (`?versionId=`): once the key is overwritten that URL answers 404 NoSuchVersion (web-seed-policy.ts)
 * rather than the new bytes, every piece of which would fail the old torrent's hashes. Presigned with the
 * caller's key when anonymous GETs are refused (a private object, or a Requester Pays bucket); a caller
 * charged for the torrent is charged for the web seed too (x-amz-request-payer=requester, signed into the URL).
 * (libtorrent's SSRF mitigation refuses web seeds with a query string on loopback addresses only.)
 */
function webSeedUrl(ctx: RequestContext, o: ObjectRecord, isPrivate: boolean): string {
  const { config } = ctx.services;
  const path = objectUrlPath(o.bucket, o.key);
  if (!isPrivate) return `${config.publicUrl!}${path}?versionId=${uriEncode(o.versionId, false)}`;
  const key = ctx.services.meta.getKey(ctx.caller!.accessKeyId)!;
  const query: [string, string][] = [['versionId', o.versionId]];
  if (ctx.charged) query.push(['x-amz-request-payer', 'requester']);
  return presignUrl({
    baseUrl: config.publicUrl!, bucket: o.bucket, key: o.key, path, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey,
    region: config.region, expiresSeconds: config.privateTorrentTtl, query,
  });
}

/** RFC 6266: a quoted ASCII fallback, plus filename* when the name is not plain ASCII. */
export function attachmentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  if (ascii === filename) return `attachment; filename="${ascii}"`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${uriEncode(filename, false)}`;
}

export const getObjectTorrent: Handler = async (ctx) => {
  const o = ctx.object!;
  const { config, meta } = ctx.services;
  if (o.sse) {
    throw new S3Error('InvalidRequest', 'Torrents are not available for objects encrypted with a customer-provided key (SSE-C): peers could not be served the bytes without the key.');
  }
  if (o.size >= config.torrentMaxSize) {
    throw new S3Error('InvalidRequest', `Torrent creation is not supported for objects larger than ${config.torrentMaxSize}`);
  }
  if (o.hashes.pieceLength === 0) {
    throw new S3Error('InvalidRequest', 'This object was written by a server running with piece hashing off (a benchmark setting) and has no torrent.');
  }
  const info = objectInfo(o, ctx.bucket!, config.torrentFormat);
  const isPrivate = info.private;
  // Only a private torrent's announce token needs the info-hash before the torrent is built.
  const infoHash = isPrivate ? infoHashesOf(info).infoHash : undefined;
  const built = buildTorrent({
    ...info, ...announceUrls(ctx, infoHash),
    ...(config.webSeed ? { urlList: [webSeedUrl(ctx, o, isPrivate)] } : {}),
    creationDate: Math.floor(o.lastModified / 1000), createdBy: `seedbucket/${VERSION}`,
  });
  // The seeder recognises an encrypted (MSE/PE) handshake for this torrent without a lookup.
  ctx.services.bittorrent?.seeder?.expect(built.infoHash, built.infoHashV2);
  // Remembered so the seeder and tracker can find the object by info-hash; written only when it changes.
  if (!o.infoHash?.equals(built.infoHash) || (built.infoHashV2 && !o.infoHashV2?.equals(built.infoHashV2))) {
    meta.setInfoHashes(o.bucket, o.key, o.versionId, built.infoHash, built.infoHashV2);
  }
  return {
    headers: {
      'content-type': 'application/x-bittorrent',
      'content-disposition': attachmentDisposition(`${info.name}.torrent`),
      'last-modified': new Date(o.lastModified).toUTCString(),
    },
    body: built.torrent,
  };
};

export const getBucketTorrent: Handler = async () => {
  throw new S3Error('RequestTorrentOfBucketError');
};

export const torrentMethodNotAllowed: Handler = async (ctx) => {
  throw new S3Error('MethodNotAllowed', `The specified method is not allowed against this resource: ${ctx.req.method} on ?torrent.`, {
    Method: ctx.req.method ?? '', ResourceType: ctx.address.target === 'bucket' ? 'BUCKET' : 'OBJECT',
  }, { allow: 'GET' });
};
