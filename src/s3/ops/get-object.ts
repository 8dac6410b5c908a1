import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checkSseCustomerKey } from '../../access/sse-c.ts';
import type { ObjectRecord } from '../../meta/types.ts';
import type { Handler, Reply, RequestContext } from '../../server/context.ts';
import { readObjectRange } from '../../server/object-io.ts';
import { checkObjectVersion, deferWebSeed, webSeedCutoff } from '../../server/web-seed-policy.ts';
import { S3Error } from '../errors.ts';
import { objectHeaders } from '../object-headers.ts';
import { sseKeyFor } from './put-object.ts';

const OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

const etagList = (v: string) => v.split(',').map((s) => s.trim().replace(/^W\//, ''));
const matches = (v: string, etag: string) => etagList(v).some((e) => e === '*' || e === etag || `"${e}"` === etag);

function parseDate(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** RFC 7232 order, as S3 applies it: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since. */
export function checkConditions(ctx: RequestContext, o: ObjectRecord, prefix = ''): void {
  const ifMatch = header(ctx, `${prefix}if-match`);
  const ifNoneMatch = header(ctx, `${prefix}if-none-match`);
  const ifUnmodified = parseDate(header(ctx, `${prefix}if-unmodified-since`));
  const ifModified = parseDate(header(ctx, `${prefix}if-modified-since`));
  const notModified = () => new S3Error('NotModified', undefined, {}, { etag: o.etag, 'last-modified': new Date(o.lastModified).toUTCString() });
  if (ifMatch !== undefined) {
    if (!matches(ifMatch, o.etag)) throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
  } else if (ifUnmodified !== undefined && o.lastModified > ifUnmodified) {
    throw new S3Error('PreconditionFailed', undefined, { Condition: 'If-Unmodified-Since' });
  }
  if (ifNoneMatch !== undefined) {
    if (matches(ifNoneMatch, o.etag)) {
      if (prefix) throw new S3Error('PreconditionFailed', undefined, { Condition: 'x-amz-copy-source-If-None-Match' });
      throw notModified();
    }
  } else if (ifModified !== undefined && o.lastModified <= ifModified && ifModified <= Date.now()) {
    if (prefix) throw new S3Error('PreconditionFailed', undefined, { Condition: 'x-amz-copy-source-If-Modified-Since' });
    throw notModified();
  }
}

/** A single byte range, or undefined for the whole object (also for syntax S3 ignores). */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (!value) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) throw rangeError(size);
    start = Math.max(0, size - suffix);
    end = size;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size : Math.min(size, Number(m[2]) + 1);
    if (m[2] !== '' && Number(m[2]) < start) return undefined;
  }
  if (start >= size) throw rangeError(size);
  return { start, end };
}

const rangeError = (size: number) => new S3Error('InvalidRange', undefined, { RangeRequested: '', ActualObjectSize: String(size) }, { 'content-range': `bytes */${size}` });

/** The part's byte range for GET ?partNumber=N. */
function partRange(o: ObjectRecord, partNumber: string): { start: number; end: number } {
  const n = Number(partNumber);
  const parts = o.partsCount ? o.segments : [{ length: o.size, blobId: '' }];
  if (!Number.isInteger(n) || n < 1 || n > 10000) throw new S3Error('InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive.');
  if (n > parts.length) throw new S3Error('InvalidPartNumber');
  let start = 0;
  for (let i = 0; i < n - 1; i++) start += parts[i]!.length;
  return { start, end: start + parts[n - 1]!.length };
}

async function getOrHead(ctx: RequestContext, withBody: boolean): Promise<Reply> {
  const o = ctx.object!;
  checkObjectVersion(ctx, o);
  // Through sseKeyFor: a customer key is refused over plain HTTP on reads too, as S3 refuses it.
  const sseKey = sseKeyFor(ctx, undefined, 'read');
  checkSseCustomerKey(o.sse, sseKey);
  checkConditions(ctx, o);
  const headers: Record<string, string | number> = objectHeaders(o);
  for (const [param, name] of Object.entries(OVERRIDES)) {
    const v = ctx.query.get(param);
    if (v === undefined) continue;
    if (!ctx.caller) throw new S3Error('InvalidRequest', 'Request specific response headers cannot be used for anonymous GET requests.');
    headers[name] = v;
  }
  if (o.partsCount) headers['x-amz-mp-parts-count'] = o.partsCount;
  const partNumber = ctx.query.get('partNumber');
  let range = partNumber !== undefined ? partRange(o, partNumber) : parseRange(header(ctx, 'range'), o.size);
  if (partNumber !== undefined && range && range.start === 0 && range.end === o.size && o.size === 0) range = undefined;
  let status = 200;
  let start = 0;
  let end = o.size;
  if (range) {
    status = 206;
    ({ start, end } = range);
    headers['content-range'] = `bytes ${start}-${end - 1}/${o.size}`;
  }
  // A full-object checksum describes the whole body only: S3 leaves it out of ranged and part responses
  // (clients in checksum mode ENABLED would otherwise fail validation of a 206 body).
  if (o.checksums && ctx.req.headers['x-amz-checksum-mode'] === 'ENABLED' && !o.partsCount && !range) {
    for (const [alg, v] of Object.entries(o.checksums)) headers[`x-amz-checksum-${alg.toLowerCase()}`] = v;
  }
  headers['content-length'] = end - start;
  if (!withBody || end === start) return { status, headers };
  deferWebSeed(ctx, o);
  const stages: Array<Readable | Transform> = [readObjectRange(ctx.services.blobs, o.segments, start, end, sseKey)];
  const { uploadBudget } = ctx.services;
  if (uploadBudget.limited) stages.push(uploadBudget.throttle());
  const cutoff = webSeedCutoff(ctx, o);
  if (cutoff) stages.push(cutoff); // last: it decides as late as possible
  if (stages.length === 1) return { status, headers, body: stages[0]! };
  // pipeline, not pipe: a client hanging up must also end the read (and release the blobs it pins).
  pipeline(stages).catch(() => {});
  return { status, headers, body: stages[stages.length - 1]! };
}

export const getObject: Handler = (ctx) => getOrHead(ctx, true);
export const headObject: Handler = (ctx) => getOrHead(ctx, false);
