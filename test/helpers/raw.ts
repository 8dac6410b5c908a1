import { createHash, createHmac } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import { ROOT_ACCESS_KEY, ROOT_SECRET_KEY } from './server.ts';

/**
 * Hand-signed (SigV4, header auth) raw HTTP requests, for what the SDK will not send as is:
 * exact paths (`..`, `//`), malformed bodies, aws-chunked fixtures, anonymous requests, and for
 * inspecting error responses byte for byte. Written from the SigV4 spec, independent of the server.
 */
export interface Credentials { accessKeyId: string; secretAccessKey: string }
export const ROOT_CREDENTIALS: Credentials = { accessKeyId: ROOT_ACCESS_KEY, secretAccessKey: ROOT_SECRET_KEY };

export interface RawRequest {
  method: string;
  /** the request path exactly as sent (already percent-encoded), e.g. `/bucket/a%20b` */
  path: string;
  /** decoded name/value pairs (encoded here), or a raw query string sent as is */
  query?: Array<[string, string]> | string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** x-amz-content-sha256; default: SHA-256 of body */
  payloadHash?: string;
  /** null = anonymous (no Authorization) */
  credentials?: Credentials | null;
  date?: Date;
  region?: string;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** RFC 3986 unreserved characters stay; everything else is %XX (UTF-8), as SigV4 requires. */
export function uriEncode(s: string, keepSlash = false): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `/bucket/<key>` with the key encoded the way SDKs do (slashes kept). */
export const objectPath = (bucket: string, key: string): string => `/${uriEncode(bucket)}/${uriEncode(key, true)}`;

function parseRawQuery(q: string): Array<[string, string]> {
  if (q === '') return [];
  return q.split('&').filter((p) => p !== '').map((p) => {
    const eq = p.indexOf('=');
    const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, '%20'));
    return eq === -1 ? [dec(p), ''] : [dec(p.slice(0, eq)), dec(p.slice(eq + 1))];
  });
}

export const sha256Hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const hmac = (key: Buffer | string, s: string): Buffer => createHmac('sha256', key).update(s, 'utf8').digest();

export function amzDate(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * The headers to send for `req` against `host` (host:port): x-amz-date, x-amz-content-sha256,
 * Authorization (unless anonymous), plus the caller's headers. All of them are signed.
 */
export function signHeaders(req: RawRequest, host: string): { headers: Record<string, string>; queryString: string } {
  const pairs = typeof req.query === 'string' ? parseRawQuery(req.query) : (req.query ?? []);
  const canonicalQuery = pairs.map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`).join('&');
  const queryString = typeof req.query === 'string' ? req.query : canonicalQuery;
  const date = req.date ?? new Date();
  const body = req.body ?? '';
  const headers: Record<string, string> = {
    host,
    'x-amz-date': amzDate(date),
    'x-amz-content-sha256': req.payloadHash ?? sha256Hex(body),
  };
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  if (req.credentials === null) return { headers, queryString };
  const creds = req.credentials ?? ROOT_CREDENTIALS;
  const region = req.region ?? 'us-east-1';
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((k) => `${k}:${headers[k]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalRequest = [req.method, req.path, canonicalQuery, canonicalHeaders, signedHeaders, headers['x-amz-content-sha256']].join('\n');
  const day = headers['x-amz-date']!.slice(0, 8);
  const scope = `${day}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', headers['x-amz-date'], scope, sha256Hex(canonicalRequest)].join('\n');
  const kDate = hmac(`AWS4${creds.secretAccessKey}`, day);
  const kSigning = hmac(hmac(hmac(kDate, region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers, queryString };
}

/** Start a signed request without a body yet (for streaming writes); the caller writes and ends it. */
export function startRawRequest(baseUrl: string, req: RawRequest): http.ClientRequest {
  const u = new URL(baseUrl);
  if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') throw new Error(`refusing non-loopback target ${u.hostname}`);
  const { headers, queryString } = signHeaders(req, u.host);
  return http.request({
    host: u.hostname, port: u.port, method: req.method, path: queryString ? `${req.path}?${queryString}` : req.path, headers,
    agent: false,
  });
}

/** Send a signed (or anonymous) request and read the whole response. Times out after `timeoutMs`. */
export function rawRequest(baseUrl: string, req: RawRequest, timeoutMs = 60_000): Promise<RawResponse> {
  const body = req.body === undefined ? undefined : Buffer.from(req.body);
  const withLength: RawRequest = { ...req, headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...req.headers } };
  return new Promise((resolve, reject) => {
    const r = startRawRequest(baseUrl, withLength);
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`raw ${req.method} ${req.path} timed out`)));
    r.once('error', reject);
    r.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', reject);
      res.once('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text: b.toString('utf8') });
      });
    });
    r.end(body);
  });
}

export interface S3ErrorBody { Code?: string; Message?: string; RequestId?: string; Resource?: string; [k: string]: string | undefined }

/** The children of `<Error>` in an S3 error body (flat, entity-decoded), or undefined if it is not one. */
export function parseErrorXml(text: string): S3ErrorBody | undefined {
  const m = /<Error>([\s\S]*)<\/Error>/.exec(text);
  if (!m) return undefined;
  const out: S3ErrorBody = {};
  for (const el of m[1]!.matchAll(/<([A-Za-z0-9]+)>([\s\S]*?)<\/\1>/g)) out[el[1]!] = decodeXmlEntities(el[2]!);
  return out;
}

export function decodeXmlEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|lt|gt|amp|quot|apos);/g, (_m, e: string) => {
    switch (e) {
      case 'lt': return '<';
      case 'gt': return '>';
      case 'amp': return '&';
      case 'quot': return '"';
      case 'apos': return "'";
      default: return String.fromCodePoint(e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    }
  });
}
