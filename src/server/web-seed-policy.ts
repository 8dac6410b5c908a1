import type { ObjectRecord } from '../meta/types.ts';
import { S3Error } from '../s3/errors.ts';
import type { RequestContext } from './context.ts';

/** What a deferred web-seed request is told: come back later, and meanwhile trade with the swarm. */
export const WEB_SEED_RETRY_AFTER_S = 10;

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
  const bt = ctx.services.bittorrent;
  if (!bt?.seeder || !o.infoHash) return;
  if (ctx.caller && !ctx.auth.presigned) return;
  const { leechers, seeders } = bt.swarmOf(o);
  if (leechers >= 2 || (leechers >= 1 && seeders >= 1)) {
    throw new S3Error('SlowDown', 'This object is being shared over BitTorrent: get its pieces from the swarm, or retry later.', {},
      { 'retry-after': String(WEB_SEED_RETRY_AFTER_S) });
  }
}
