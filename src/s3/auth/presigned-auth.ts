import { S3Error } from '../errors.ts';
import { parseAmzDate } from './amz-date.ts';
import { parseSignedHeaders } from './authorization-header.ts';
import { ALGORITHM, MAX_PRESIGNED_EXPIRES, MAX_SKEW_MS, UNSIGNED_PAYLOAD } from './constants.ts';
import { parseCredential } from './credential.ts';
import { invalidPayloadHash, isKnownPayloadHash, payloadModeFor } from './payload-mode.ts';
import type { AuthRequest, AuthResult, CredentialLookup } from './types.ts';
import { lookupCredentials, rejectUnsignedAmzHeaders, requireSignedHost, verifySignature } from './verify-signature.ts';

const queryError = (message: string): S3Error => new S3Error('AuthorizationQueryParametersError', message);

const REQUIRED = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'] as const;

function param(query: Map<string, string[]>, name: string): string | undefined {
  const values = query.get(name);
  if (values === undefined) return undefined;
  if (values.length > 1) throw queryError(`The ${name} parameter may only appear once.`);
  return values[0];
}

/** The presigned payload hash: X-Amz-Content-Sha256 in the query, else a signed header, else unsigned. */
function payloadHashOf(req: AuthRequest, query: Map<string, string[]>, signedHeaders: readonly string[]): string {
  for (const [name, values] of query) {
    if (name.toLowerCase() === 'x-amz-content-sha256') {
      if (values.length > 1) throw queryError(`The ${name} parameter may only appear once.`);
      return values[0] ?? UNSIGNED_PAYLOAD;
    }
  }
  const header = req.headers['x-amz-content-sha256'];
  if (typeof header === 'string' && signedHeaders.includes('x-amz-content-sha256')) return header;
  return UNSIGNED_PAYLOAD;
}

export function presignedAuth(req: AuthRequest, query: Map<string, string[]>, lookup: CredentialLookup, region: string, now: number): AuthResult {
  const values = REQUIRED.map((name) => param(query, name));
  const [algorithm, credentialValue, amzDate, expiresValue, signedHeaderList, signature] = values;
  if (algorithm === undefined || credentialValue === undefined || amzDate === undefined || expiresValue === undefined
    || signedHeaderList === undefined || signature === undefined) {
    throw queryError('Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.');
  }
  if (algorithm !== ALGORITHM) throw queryError(`X-Amz-Algorithm only supports "${ALGORITHM}"`);

  const credential = parseCredential(credentialValue, region, 'query');
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined) throw queryError("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"");
  if (credential.date !== amzDate.slice(0, 8)) {
    throw queryError(`Invalid credential date "${credential.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`);
  }
  if (!/^\d{1,7}$/.test(expiresValue) || Number(expiresValue) > MAX_PRESIGNED_EXPIRES) {
    throw queryError(`X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGNED_EXPIRES}`);
  }
  const expires = Number(expiresValue);
  if (expires < 1) throw queryError('X-Amz-Expires must be non-negative');
  const signedHeaders = parseSignedHeaders(signedHeaderList);
  if (!signedHeaders) throw queryError('X-Amz-SignedHeaders is malformed.');
  requireSignedHost(signedHeaders, 'query');

  if (now > signedAt + expires * 1000) {
    throw new S3Error('AccessDenied', 'Request has expired', {
      'X-Amz-Expires': expiresValue, Expires: new Date(signedAt + expires * 1000).toISOString(), ServerTime: new Date(now).toISOString(),
    });
  }
  // A URL dated in the future would otherwise stay valid for longer than X-Amz-Expires says.
  if (signedAt - now > MAX_SKEW_MS) throw new S3Error('AccessDenied', 'Request is not valid yet');

  const payloadHash = payloadHashOf(req, query, signedHeaders);
  if (!isKnownPayloadHash(payloadHash)) throw invalidPayloadHash();
  rejectUnsignedAmzHeaders(req, signedHeaders);
  const creds = lookupCredentials(lookup, credential.accessKeyId);
  const signingKey = verifySignature(req, {
    signedHeaders, payloadHash, excludeParam: 'X-Amz-Signature', amzDate, credential,
    secretAccessKey: creds.secretAccessKey, signature,
  });
  return {
    principal: { accessKeyId: creds.accessKeyId, accountId: creds.accountId },
    payload: payloadModeFor(payloadHash, req.headers, { seedSignature: signature, signingKey, amzDate, scope: credential.scope }),
    presigned: true,
  };
}
