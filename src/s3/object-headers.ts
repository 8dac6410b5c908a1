import type { IncomingHttpHeaders } from 'node:http';
import type { ObjectMetadata, ObjectRecord } from '../meta/types.ts';
import { S3Error } from './errors.ts';

const USER_META_LIMIT = 2048;

function first(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The metadata a PUT, CopyObject (REPLACE) or CreateMultipartUpload stores with the object. */
export function metadataFromHeaders(h: IncomingHttpHeaders): ObjectMetadata {
  const user: Record<string, string> = {};
  let size = 0;
  for (const [name, value] of Object.entries(h)) {
    if (!name.startsWith('x-amz-meta-') || value === undefined) continue;
    const key = name.slice('x-amz-meta-'.length);
    const v = Array.isArray(value) ? value.join(',') : value;
    user[key] = v;
    size += Buffer.byteLength(key) + Buffer.byteLength(v);
  }
  if (size > USER_META_LIMIT) throw new S3Error('MetadataTooLarge');
  const meta: ObjectMetadata = { user };
  const ct = first(h, 'content-type');
  if (ct) meta.contentType = ct;
  // aws-chunked is the transfer framing of this request, not an encoding of the stored object.
  const ce = first(h, 'content-encoding')?.split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'aws-chunked').join(', ');
  if (ce) meta.contentEncoding = ce;
  const cd = first(h, 'content-disposition');
  if (cd) meta.contentDisposition = cd;
  const cl = first(h, 'content-language');
  if (cl) meta.contentLanguage = cl;
  const cc = first(h, 'cache-control');
  if (cc) meta.cacheControl = cc;
  const ex = first(h, 'expires');
  if (ex) meta.expires = ex;
  return meta;
}

/** Headers every GET/HEAD of the object carries. */
export function objectHeaders(o: ObjectRecord): Record<string, string> {
  const h: Record<string, string> = {
    'etag': o.etag,
    'last-modified': new Date(o.lastModified).toUTCString(),
    'accept-ranges': 'bytes',
    'content-type': o.metadata.contentType ?? 'binary/octet-stream',
  };
  const m = o.metadata;
  if (m.contentEncoding) h['content-encoding'] = m.contentEncoding;
  if (m.contentDisposition) h['content-disposition'] = m.contentDisposition;
  if (m.contentLanguage) h['content-language'] = m.contentLanguage;
  if (m.cacheControl) h['cache-control'] = m.cacheControl;
  if (m.expires) h['expires'] = m.expires;
  for (const [k, v] of Object.entries(m.user)) h[`x-amz-meta-${k}`] = v;
  if (o.sse) {
    h['x-amz-server-side-encryption-customer-algorithm'] = o.sse.algorithm;
    h['x-amz-server-side-encryption-customer-key-md5'] = o.sse.keyMd5;
  }
  return h;
}

/** ETag of a single-part object: hex MD5 in quotes. */
export const etagOf = (md5: Buffer): string => `"${md5.toString('hex')}"`;

/** S3 serves Last-Modified with one-second precision; store it that way so conditionals agree. */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000) * 1000;
