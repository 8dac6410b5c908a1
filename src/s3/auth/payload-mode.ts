import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../errors.ts';
import { STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER, UNSIGNED_PAYLOAD } from './constants.ts';
import type { PayloadMode } from './types.ts';

/** What chunk signatures chain from; absent for anonymous requests. */
export interface StreamSigning { seedSignature: string; signingKey: Buffer; amzDate: string; scope: string }

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** True if `value` is something x-amz-content-sha256 may carry (checked before the signature). */
export function isKnownPayloadHash(value: string): boolean {
  return SHA256_HEX.test(value) || value === UNSIGNED_PAYLOAD || value === STREAMING_SIGNED
    || value === STREAMING_SIGNED_TRAILER || value === STREAMING_UNSIGNED_TRAILER;
}

/** AWS's answer to any other value (SigV4a's ECDSA variants included: we only speak HMAC). */
export function invalidPayloadHash(): S3Error {
  return new S3Error('InvalidArgument',
    'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, '
    + 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.', { ArgumentName: 'x-amz-content-sha256' });
}

function decodedLength(headers: IncomingHttpHeaders): number | undefined {
  const raw = headers['x-amz-decoded-content-length'];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new S3Error('InvalidArgument', 'x-amz-decoded-content-length is not a valid length.', { ArgumentName: 'x-amz-decoded-content-length' });
  }
  return n;
}

/**
 * The PayloadMode a payload-hash value (x-amz-content-sha256, or its presigned equivalent) selects.
 * Signed streaming needs the request's signing context; without one (anonymous) it is refused.
 */
export function payloadModeFor(value: string, headers: IncomingHttpHeaders, signing: StreamSigning | undefined): PayloadMode {
  if (value === UNSIGNED_PAYLOAD) return { type: 'unsigned' };
  if (SHA256_HEX.test(value)) return { type: 'sha256', sha256: value.toLowerCase() };
  const length = decodedLength(headers);
  const withLength = length === undefined ? {} : { decodedLength: length };
  if (value === STREAMING_UNSIGNED_TRAILER) return { type: 'streaming', signed: false, trailer: true, ...withLength };
  if (value === STREAMING_SIGNED || value === STREAMING_SIGNED_TRAILER) {
    if (!signing) throw new S3Error('AccessDenied', `${value} requires a signed request.`);
    return { type: 'streaming', signed: true, trailer: value === STREAMING_SIGNED_TRAILER, ...withLength, ...signing };
  }
  throw invalidPayloadHash();
}
