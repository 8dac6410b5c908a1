import { Transform, type TransformCallback } from 'node:stream';
import type { ObjectRecord } from '../meta/types.ts';
import { S3Error } from '../s3/errors.ts';
import type { RequestContext } from './context.ts';

/** What a deferred web-seed request is told: come back later, and meanwhile trade with the swarm. */
export const WEB_SEED_RETRY_AFTER_S = 10;
/** How often a web-seed response that is still streaming looks whether a swarm has formed meanwhile. */
export const WEB_SEED_RECHECK_MS = 100;

/**
 * BEP 19 clients fetch from a web seed without limit (aria2 asks for the whole object at once), so a
 * web seed that always answers turns every leecher into a full download from the server. Once a swarm
 * exists, the seeder (super-seeding) hands out the first copy and peers trade the rest; web-seed
 * requests are then answered 503 with Retry-After. A lone downloader, or an object with no seeder
 * running, still gets the web seed at full speed.
 *
 * Only requests that look like a web seed's are deferred: anonymous or presigned GETs of an object whose
 * torrent was issued. Header-signed SDK downloads (awscli's ranged GETs included) are never refused.
 */
export function deferWebSeed(ctx: RequestContext, o: ObjectRecord): void {
  if (webSeedLike(ctx, o) && swarmFormed(ctx, o)) {
    throw new S3Error('SlowDown', 'This object is being shared over BitTorrent: get its pieces from the swarm, or retry later.', {},
      { 'retry-after': String(WEB_SEED_RETRY_AFTER_S) });
  }
}

/**
 * The other half of deferWebSeed: a web-seed response that began before the swarm formed ends once it
 * has. Leechers that start together send their first GETs before the tracker has seen two of them, and
 * aria2 asks for the whole object, so each early GET would otherwise stream the object from its start to
 * that leecher alone — the same first pieces to each — until it drops the connection (8 aria2c on
 * 256 MiB at 32 MiB/s: 0.1–0.2 copies). The client sees the body end early and retries (503) or takes
 * the rest from the swarm. Returns undefined for requests deferWebSeed would never refuse.
 */
export function webSeedCutoff(ctx: RequestContext, o: ObjectRecord): Transform | undefined {
  if (!webSeedLike(ctx, o)) return undefined;
  let checkedAt = Date.now();
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      const now = Date.now();
      if (now - checkedAt >= WEB_SEED_RECHECK_MS) {
        checkedAt = now;
        if (swarmFormed(ctx, o)) {
          cb(new S3Error('SlowDown', 'This object is now being shared over BitTorrent: get the rest of it from the swarm.'));
          return;
        }
      }
      cb(null, chunk);
    },
  });
}

function webSeedLike(ctx: RequestContext, o: ObjectRecord): boolean {
  const bt = ctx.services.bittorrent;
  if (!bt?.seeder || !o.infoHash) return false;
  return !ctx.caller || ctx.auth.presigned;
}

function swarmFormed(ctx: RequestContext, o: ObjectRecord): boolean {
  const { leechers, seeders } = ctx.services.bittorrent!.swarmOf(o);
  return leechers >= 2 || (leechers >= 1 && seeders >= 1);
}

/**
 * GET and HEAD of `?versionId=`. A web seed names the object version its torrent describes (see
 * GetObjectTorrent). After an overwrite that URL must not return the new bytes: every piece of them fails
 * the old torrent's hashes (libtorrent then bans the web seed, having downloaded garbage). As on an
 * unversioned S3 bucket, `null` names the current version; any other id but the current one is 404
 * NoSuchVersion, checked before preconditions and ranges as S3 does.
 */
export function checkObjectVersion(ctx: RequestContext, o: ObjectRecord): void {
  const wanted = ctx.query.get('versionId');
  if (wanted === undefined || wanted === 'null' || wanted === o.versionId) return;
  throw new S3Error('NoSuchVersion', undefined, { Key: o.key, VersionId: wanted });
}
