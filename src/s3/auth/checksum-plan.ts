import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../errors.ts';
import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, checksumHeader, decodeBase64, decodeChecksum, UNSUPPORTED_ALGORITHMS } from './checksums.ts';
import { decodedQuery } from './query.ts';
import type { AuthRequest, AuthResult } from './types.ts';

/** What the body must be checked against, read from the request headers before the body. */
export interface ChecksumPlan {
  /** Content-MD5, decoded */
  md5?: Buffer;
  flexible?: {
    algorithm: ChecksumAlgorithm;
    /** from the x-amz-checksum-* header; undefined when it comes in the trailer or was not given */
    expected?: Buffer;
    /** the value arrives as this trailing header */
    trailer?: string;
  };
}

const multiple = (): S3Error =>
  new S3Error('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');

const unsupported = (name: string): S3Error =>
  new S3Error('InvalidRequest', `The checksum algorithm of ${name} is not supported.`);

/** x-amz-checksum-* headers that configure checksums rather than carry one. */
const NOT_A_VALUE = new Set(['x-amz-checksum-type', 'x-amz-checksum-algorithm', 'x-amz-checksum-mode']);

const str = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

function algorithmOfName(name: string): ChecksumAlgorithm | undefined {
  return CHECKSUM_ALGORITHMS.find((a) => checksumHeader(a) === name);
}

function contentMd5(headers: IncomingHttpHeaders): Buffer | undefined {
  const value = str(headers['content-md5']);
  if (value === undefined) return undefined;
  const md5 = decodeBase64(value.trim(), 16);
  if (!md5) throw new S3Error('InvalidDigest', 'The Content-MD5 you specified is not valid.');
  return md5;
}

function headerChecksum(headers: IncomingHttpHeaders): ChecksumPlan['flexible'] {
  const names = Object.keys(headers).filter((h) => h.startsWith('x-amz-checksum-') && !NOT_A_VALUE.has(h));
  if (names.length > 1) throw multiple();
  const name = names[0];
  if (name === undefined) return undefined;
  const algorithm = algorithmOfName(name);
  if (!algorithm) throw unsupported(name);
  const expected = decodeChecksum(algorithm, (str(headers[name]) ?? '').trim());
  if (!expected) throw new S3Error('InvalidRequest', `Value for ${name} header is invalid.`);
  return { algorithm, expected };
}

function trailerChecksum(headers: IncomingHttpHeaders): ChecksumPlan['flexible'] {
  const announced = (str(headers['x-amz-trailer']) ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  if (announced.length > 1) throw multiple();
  const name = announced[0];
  if (name === undefined) return undefined;
  const algorithm = algorithmOfName(name);
  if (!algorithm) throw new S3Error('InvalidRequest', `The value specified in the x-amz-trailer header is not supported: ${name}`);
  return { algorithm, trailer: name };
}

/** x-amz-sdk-checksum-algorithm alone asks the server to compute (and report) that checksum. */
function requestedAlgorithm(headers: IncomingHttpHeaders): ChecksumAlgorithm | undefined {
  const value = str(headers['x-amz-sdk-checksum-algorithm']);
  if (value === undefined) return undefined;
  const upper = value.trim().toUpperCase();
  const algorithm = CHECKSUM_ALGORITHMS.find((a) => a === upper);
  if (algorithm) return algorithm;
  if (UNSUPPORTED_ALGORITHMS.includes(upper)) throw unsupported(upper);
  throw new S3Error('InvalidRequest', 'Value for x-amz-sdk-checksum-algorithm header is invalid.');
}

/**
 * A presigned URL carries the x-amz-* "headers" it was signed with as query parameters (the SDK
 * puts x-amz-checksum-crc32 / x-amz-sdk-checksum-algorithm there); they bind the upload like headers.
 */
function checksumParams(rawQuery: string): IncomingHttpHeaders {
  const params: IncomingHttpHeaders = {};
  for (const [name, values] of decodedQuery(rawQuery)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-amz-checksum-') || lower === 'x-amz-sdk-checksum-algorithm') params[lower] = values.join(',');
  }
  return params;
}

/** Throws S3Error for malformed or contradictory checksum headers. */
export function checksumPlan(req: AuthRequest, auth: AuthResult): ChecksumPlan {
  const headers = auth.presigned ? { ...checksumParams(req.rawQuery), ...req.headers } : req.headers;
  const payload = auth.payload;
  const plan: ChecksumPlan = {};
  const md5 = contentMd5(headers);
  if (md5) plan.md5 = md5;

  const fromHeader = headerChecksum(headers);
  const fromTrailer = payload.type === 'streaming' && payload.trailer ? trailerChecksum(headers) : undefined;
  if (fromHeader && fromTrailer) throw multiple();
  const requested = requestedAlgorithm(headers);
  const flexible = fromHeader ?? fromTrailer ?? (requested ? { algorithm: requested } : undefined);
  if (requested && flexible && flexible.algorithm !== requested) {
    throw new S3Error('InvalidRequest', 'Value for x-amz-sdk-checksum-algorithm header is invalid.');
  }
  if (flexible) plan.flexible = flexible;
  return plan;
}
