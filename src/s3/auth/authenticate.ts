import { S3Error } from '../errors.ts';
import { unsupportedMechanism } from './authorization-header.ts';
import { headerAuth } from './header-auth.ts';
import { invalidPayloadHash, isKnownPayloadHash, payloadModeFor } from './payload-mode.ts';
import { presignedAuth } from './presigned-auth.ts';
import { decodedQuery } from './query.ts';
import type { AuthRequest, AuthResult, CredentialLookup } from './types.ts';

/**
 * Authenticates a request: SigV4 Authorization header, SigV4 presigned query, or anonymous.
 * Throws S3Error. The body is not read here; pass the result to `verifiedBody`.
 */
export function authenticate(req: AuthRequest, lookup: CredentialLookup, opts: { region: string; now?: number }): AuthResult {
  const now = opts.now ?? Date.now();
  const query = decodedQuery(req.rawQuery);
  const authorization = req.headers.authorization;
  const queryV4 = query.has('X-Amz-Algorithm') || query.has('X-Amz-Signature') || query.has('X-Amz-Credential');
  const queryV2 = query.has('Signature') && query.has('AWSAccessKeyId');

  if (authorization !== undefined && (queryV4 || queryV2)) {
    throw new S3Error('InvalidArgument',
      'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      { ArgumentName: 'Authorization', ArgumentValue: authorization });
  }
  if (authorization !== undefined) return headerAuth(req, authorization, lookup, opts.region, now);
  if (queryV4) return presignedAuth(req, query, lookup, opts.region, now);
  if (queryV2) throw unsupportedMechanism();
  return anonymous(req);
}

/**
 * Anonymous requests have nothing to verify a signature against, but a declared body hash or an
 * aws-chunked body (STREAMING-UNSIGNED-PAYLOAD-TRAILER) still has to be honoured to decode it.
 */
function anonymous(req: AuthRequest): AuthResult {
  const declared = req.headers['x-amz-content-sha256'];
  if (typeof declared === 'string' && !isKnownPayloadHash(declared)) throw invalidPayloadHash();
  const payload = typeof declared === 'string' ? payloadModeFor(declared, req.headers, undefined) : { type: 'unsigned' as const };
  return { principal: null, payload, presigned: false };
}
