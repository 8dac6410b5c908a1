import { createHash, createHmac } from 'node:crypto';
import { uriEncode as uriEncodeBytes } from './auth/uri-encoding.ts';

/** RFC 3986 encoding as SigV4 wants it (everything but A-Z a-z 0-9 - . _ ~), of a string's UTF-8. */
export function uriEncode(s: string, keepSlash: boolean): string {
  return uriEncodeBytes(Buffer.from(s, 'utf8'), keepSlash);
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * A presigned URL for an object, made by the server itself with a caller's key: the web seed of a
 * private object's torrent (GET). It stops working when the key is revoked or READ is taken away.
 */
export function presignUrl(opts: {
  method?: string; baseUrl: string; bucket: string; key: string; accessKeyId: string; secretAccessKey: string;
  region: string; expiresSeconds: number; now?: number;
  /** the encoded request path to sign and send, if not `/<bucket>/<key>` with the key's slashes kept */
  path?: string;
  /** extra query parameters, signed (e.g. x-amz-request-payer) */
  query?: [string, string][];
}): string {
  const base = new URL(opts.baseUrl);
  const path = opts.path ?? `/${uriEncode(opts.bucket, false)}/${uriEncode(opts.key, true)}`;
  const now = new Date(opts.now ?? Date.now());
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${opts.region}/s3/aws4_request`;
  const params: [string, string][] = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${opts.accessKeyId}/${scope}`],
    ['X-Amz-Date', amzDate],
    ['X-Amz-Expires', String(opts.expiresSeconds)],
    ['X-Amz-SignedHeaders', 'host'],
    ...(opts.query ?? []),
  ];
  const query = params.map(([k, v]) => `${uriEncode(k, false)}=${uriEncode(v, false)}`).sort().join('&');
  const canonical = [opts.method ?? 'GET', path, query, `host:${base.host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${opts.secretAccessKey}`, day), opts.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', signingKey).update(toSign).digest('hex');
  // A base URL with a path (`--public-url https://host/s3`) sits behind a proxy that strips that path
  // before the request reaches us: the signature covers the path we will see, the URL carries both.
  const prefix = base.pathname.replace(/\/+$/, '');
  return `${base.protocol}//${base.host}${prefix}${path}?${query}&X-Amz-Signature=${signature}`;
}
