import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../errors.ts';
import { formatAmzDate, parseAmzDate, parseHttpDate } from './amz-date.ts';
import { parseAuthorizationHeader } from './authorization-header.ts';
import { EMPTY_SHA256, MAX_SKEW_MS } from './constants.ts';
import { credentialError, parseCredential } from './credential.ts';
import { invalidPayloadHash, isKnownPayloadHash, payloadModeFor } from './payload-mode.ts';
import type { AuthRequest, AuthResult, CredentialLookup } from './types.ts';
import { lookupCredentials, rejectUnsignedAmzHeaders, requireSignedHost, verifySignature } from './verify-signature.ts';

const single = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

interface RequestTime { amzDate: string; ms: number; raw: string; header: 'x-amz-date' | 'date' }

/** x-amz-date wins over Date; the string to sign always uses the ISO basic form. */
function requestTime(headers: IncomingHttpHeaders): RequestTime {
  const amz = single(headers['x-amz-date']);
  if (amz !== undefined) {
    const ms = parseAmzDate(amz);
    if (ms !== undefined) return { amzDate: amz, ms, raw: amz, header: 'x-amz-date' };
  } else {
    const date = single(headers.date);
    const ms = date === undefined ? undefined : parseHttpDate(date);
    if (date !== undefined && ms !== undefined) return { amzDate: formatAmzDate(ms), ms, raw: date, header: 'date' };
  }
  throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * S3 requires x-amz-content-sha256 on every SigV4 request. Generic SigV4 signers omit it and
 * sign the body's hash instead; for a request without a body that hash is known, so accept it.
 */
function payloadHashOf(headers: IncomingHttpHeaders): string {
  const value = single(headers['x-amz-content-sha256']);
  if (value === undefined) {
    if (hasBody(headers)) throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    return EMPTY_SHA256;
  }
  if (!isKnownPayloadHash(value)) throw invalidPayloadHash();
  return value;
}

export function headerAuth(req: AuthRequest, authorization: string, lookup: CredentialLookup, region: string, now: number): AuthResult {
  const parts = parseAuthorizationHeader(authorization);
  const credential = parseCredential(parts.credential, region, 'header');
  requireSignedHost(parts.signedHeaders, 'header');

  const time = requestTime(req.headers);
  if (time.header === 'date' && !parts.signedHeaders.some((h) => h.toLowerCase() === 'date')) {
    throw credentialError('header', "the request date must be a signed header ('x-amz-date' or 'date').");
  }
  if (credential.date !== time.amzDate.slice(0, 8)) {
    throw credentialError('header', `Invalid credential date "${credential.date}". This date is not the same as X-Amz-Date: "${time.amzDate.slice(0, 8)}".`);
  }
  if (Math.abs(now - time.ms) > MAX_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', undefined, {
      RequestTime: time.raw, ServerTime: new Date(now).toISOString(), MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
  }

  const payloadHash = payloadHashOf(req.headers);
  rejectUnsignedAmzHeaders(req, parts.signedHeaders);
  const creds = lookupCredentials(lookup, credential.accessKeyId);
  const signingKey = verifySignature(req, {
    signedHeaders: parts.signedHeaders, payloadHash, amzDate: time.amzDate, credential,
    secretAccessKey: creds.secretAccessKey, signature: parts.signature,
  });
  return {
    principal: { accessKeyId: creds.accessKeyId, accountId: creds.accountId },
    payload: payloadModeFor(payloadHash, req.headers, { seedSignature: parts.signature, signingKey, amzDate: time.amzDate, scope: credential.scope }),
    presigned: false,
  };
}
