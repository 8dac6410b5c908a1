/** Shared test fixtures: credentials, an independent signer (@smithy/signature-v4), stream helpers. */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { Readable } from 'node:stream';
import { SignatureV4 } from '@smithy/signature-v4';
import { isS3Error, type S3Error } from '../../src/s3/errors.ts';
import type { AuthRequest, AuthResult, CredentialLookup } from '../../src/s3/auth/types.ts';
import { verifiedBody } from '../../src/s3/auth/payload.ts';

// The example credentials of the AWS S3 SigV4 documentation.
export const AK = 'AKIAIOSFODNN7EXAMPLE';
export const SK = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const ACCOUNT = '111122223333';
export const lookup: CredentialLookup = (id) => (id === AK ? { accessKeyId: AK, secretAccessKey: SK, accountId: ACCOUNT } : undefined);

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const sha256hex = (d: string | Buffer): string => createHash('sha256').update(d).digest('hex');
export const hmacHex = (key: Buffer, s: string): string => createHmac('sha256', key).update(s).digest('hex');
export function signingKeyOf(secret: string, date: string, region: string): Buffer {
  const h = (k: string | Buffer, d: string): Buffer => createHmac('sha256', k).update(d).digest();
  return h(h(h(h(`AWS4${secret}`, date), region), 's3'), 'aws4_request');
}

/** A smithy hash constructor over node:crypto (smithy wants async digests). */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData): string | Buffer =>
  typeof d === 'string' ? d : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);
class NodeSha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: SourceData) { this.h = secret ? createHmac('sha256', bytes(secret)) : createHash('sha256'); }
  update(data: SourceData): void { this.h.update(bytes(data)); }
  async digest(): Promise<Uint8Array> { return new Uint8Array(this.h.digest()); }
  reset(): void {}
}

export function smithySigner(opts: { region?: string; accessKeyId?: string; secret?: string; uriEscapePath?: boolean } = {}): SignatureV4 {
  return new SignatureV4({
    service: 's3', region: opts.region ?? 'us-east-1',
    credentials: { accessKeyId: opts.accessKeyId ?? AK, secretAccessKey: opts.secret ?? SK },
    sha256: NodeSha256, uriEscapePath: opts.uriEscapePath ?? false, applyChecksum: true,
  });
}

/** Strict RFC 3986 component encoding, as the AWS SDKs put keys and query values on the wire. */
export const strictEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** A sloppier client: leaves !'()* bare and writes lower-case escapes. */
export const looseEncode = (s: string): string => encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
export const encodeKeyPath = (key: string): string => key.split('/').map(strictEncode).join('/');

export interface ShapeRequest {
  method: string;
  /** wire path, already encoded (smithy signs it verbatim for S3) */
  path: string;
  /** decoded query values; `null` = bare parameter (`?uploads`) */
  query?: Record<string, string | null>;
  headers?: Record<string, string>;
  encode?: (s: string) => string;
}

const HOST = 'bucket.example.test:9000';

function smithyRequest(r: ShapeRequest, extraHeaders: Record<string, string> = {}) {
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.query ?? {})) query[k] = v ?? '';
  return {
    method: r.method, protocol: 'http:', hostname: 'bucket.example.test', port: 9000, path: r.path, query,
    headers: { host: HOST, ...extraHeaders, ...(r.headers ?? {}) },
  };
}

/** Serialises the query the way a client would put it on the wire (not with our canonicaliser). */
export function wireQuery(query: Record<string, string | string[] | null | undefined>, order: string[], encode: (s: string) => string): string {
  return order.map((k) => {
    const v = query[k];
    if (v === null) return encode(k);
    return `${encode(k)}=${encode(Array.isArray(v) ? (v[0] ?? '') : (v ?? ''))}`;
  }).join('&');
}

const lower = (h: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), String(v)]));

/** Signs with smithy's Authorization-header signing and returns what our server would see. */
export async function signHeader(r: ShapeRequest, opts: { date?: Date; payload?: string; signer?: SignatureV4 } = {}): Promise<AuthRequest> {
  const signed = await (opts.signer ?? smithySigner()).sign(
    smithyRequest(r, { 'x-amz-content-sha256': opts.payload ?? EMPTY_SHA256 }),
    { signingDate: opts.date ?? new Date() },
  );
  const keys = Object.keys(r.query ?? {});
  return { method: r.method, rawPath: r.path, rawQuery: wireQuery(r.query ?? {}, keys, r.encode ?? strictEncode), headers: lower(signed.headers) };
}

/** Presigns with smithy; X-Amz-Content-Sha256 is hoisted into the query as the S3 presigner does. */
export async function presign(r: ShapeRequest, opts: { date?: Date; expiresIn?: number; signer?: SignatureV4 } = {}): Promise<AuthRequest> {
  const signed = await (opts.signer ?? smithySigner()).presign(
    smithyRequest(r, { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' }),
    { signingDate: opts.date ?? new Date(), expiresIn: opts.expiresIn ?? 900 },
  );
  const query = { ...(r.query ?? {}), ...signed.query } as Record<string, string | null>;
  for (const k of Object.keys(r.query ?? {})) if (r.query?.[k] === null) query[k] = null;
  return {
    method: r.method, rawPath: r.path,
    rawQuery: wireQuery(query, Object.keys(query), r.encode ?? strictEncode),
    headers: lower(signed.headers),
  };
}

/** A copy of `buf` with the byte at `at` XOR-ed with `mask`. */
export function flip(buf: Buffer, at: number, mask = 1): Buffer {
  const out = Buffer.from(buf);
  out[at] = (out[at] ?? 0) ^ mask;
  return out;
}

/** Runs `fn` and returns the S3Error code it throws (fails the test if it throws anything else). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isS3Error(e)) return e.code;
    throw e;
  }
  return 'no error';
}

// ---- aws-chunked bodies, built independently of the decoder under test ----

export interface ChunkSigning { key: Buffer; amzDate: string; scope: string; seed: string }

/** `sizes` are the data chunk sizes (the final 0-chunk is added). Returns the body and signatures. */
export function buildChunked(data: Buffer, sizes: number[], opts: {
  signing?: ChunkSigning;
  trailers?: Array<[string, string]>;
  signTrailer?: boolean;
  /** send the final chunk's empty-data CRLF before the trailers (the AWS docs' layout) */
  blankBeforeTrailers?: boolean;
} = {}): { body: Buffer; signatures: string[] } {
  const parts: Buffer[] = [];
  const signatures: string[] = [];
  let prev = opts.signing?.seed ?? '';
  const header = (size: number, chunk: Buffer): string => {
    if (!opts.signing) return `${size.toString(16)}\r\n`;
    const { key, amzDate, scope } = opts.signing;
    prev = hmacHex(key, `AWS4-HMAC-SHA256-PAYLOAD\n${amzDate}\n${scope}\n${prev}\n${EMPTY_SHA256}\n${sha256hex(chunk)}`);
    signatures.push(prev);
    return `${size.toString(16)};chunk-signature=${prev}\r\n`;
  };
  let at = 0;
  for (const size of sizes) {
    const chunk = data.subarray(at, at + size);
    at += size;
    parts.push(Buffer.from(header(size, chunk)), chunk, Buffer.from('\r\n'));
  }
  if (at !== data.length) throw new Error('sizes do not cover data');
  parts.push(Buffer.from(header(0, Buffer.alloc(0))));
  if (!opts.trailers) {
    parts.push(Buffer.from('\r\n'));
  } else {
    if (opts.blankBeforeTrailers) parts.push(Buffer.from('\r\n'));
    let text = opts.trailers.map(([n, v]) => `${n}:${v}\r\n`).join('');
    if (opts.signTrailer && opts.signing) {
      const { key, amzDate, scope } = opts.signing;
      const canonical = opts.trailers.map(([n, v]) => `${n}:${v}\n`).join('');
      const sig = hmacHex(key, `AWS4-HMAC-SHA256-TRAILER\n${amzDate}\n${scope}\n${prev}\n${sha256hex(canonical)}`);
      signatures.push(sig);
      text += `x-amz-trailer-signature:${sig}\r\n`;
    }
    parts.push(Buffer.from(text + '\r\n'));
  }
  return { body: Buffer.concat(parts), signatures };
}

/** Splits `buf` into pieces of the given sizes (cycled), or random sizes 1..max with a seeded PRNG. */
export function split(buf: Buffer, sizes: number[] | { max: number; seed: number }): Buffer[] {
  const out: Buffer[] = [];
  let rnd = Array.isArray(sizes) ? 0 : sizes.seed;
  let i = 0;
  for (let at = 0; at < buf.length;) {
    let n: number;
    if (Array.isArray(sizes)) {
      n = sizes[i++ % sizes.length] ?? 1;
    } else {
      rnd = (rnd * 1103515245 + 12345) % 2147483648;
      n = 1 + (rnd % sizes.max);
    }
    out.push(buf.subarray(at, at + n));
    at += n;
  }
  return out;
}

export interface BodyOutcome { data: Buffer; ended: boolean; error?: S3Error | Error; checksum?: { algorithm: string; value: string } }

/** Feeds `pieces` through verifiedBody and records what the consumer sees. */
export function runBody(pieces: Buffer[], req: AuthRequest, auth: AuthResult): Promise<BodyOutcome> {
  const source = Readable.from(pieces);
  const vb = verifiedBody(source, req, auth);
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    let ended = false;
    let error: Error | undefined;
    vb.body.on('data', (c: Buffer) => chunks.push(c));
    vb.body.on('end', () => { ended = true; });
    vb.body.on('error', (e) => { error = e; });
    vb.body.on('close', () => {
      // let any stray 'end' after an error surface before reporting
      setImmediate(() => {
        const checksum = vb.checksum();
        resolve({ data: Buffer.concat(chunks), ended, ...(error ? { error } : {}), ...(checksum ? { checksum } : {}) });
      });
    });
  });
}

export const errCode = (o: BodyOutcome): string | undefined => (o.error && isS3Error(o.error) ? o.error.code : o.error?.message);
