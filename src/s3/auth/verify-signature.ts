import { S3Error } from '../errors.ts';
import { canonicalRequests } from './canonical-request.ts';
import type { CredentialScope, CredentialSource } from './credential.ts';
import { credentialError } from './credential.ts';
import { deriveSigningKey, signatureMatches, stringToSign } from './signing.ts';
import type { AuthRequest, CredentialLookup, Credentials } from './types.ts';

export function lookupCredentials(lookup: CredentialLookup, accessKeyId: string): Credentials {
  const creds = lookup(accessKeyId);
  if (!creds) throw new S3Error('InvalidAccessKeyId', undefined, { AWSAccessKeyId: accessKeyId });
  return creds;
}

export function requireSignedHost(signedHeaders: readonly string[], source: CredentialSource): void {
  if (signedHeaders.some((h) => h.toLowerCase() === 'host')) return;
  if (source === 'header') throw credentialError('header', "'host' must be a signed header.");
  throw new S3Error('AuthorizationQueryParametersError', "X-Amz-SignedHeaders must include 'host'.");
}

/**
 * As S3 does: any x-amz-* header must be covered by the signature, otherwise a party on the
 * path could add e.g. x-amz-copy-source or x-amz-acl to a signed request.
 */
export function rejectUnsignedAmzHeaders(req: AuthRequest, signedHeaders: readonly string[]): void {
  const signed = new Set(signedHeaders.map((h) => h.toLowerCase()));
  const unsigned = Object.keys(req.headers).filter((h) => h.startsWith('x-amz-') && !signed.has(h));
  if (unsigned.length > 0) {
    throw new S3Error('AccessDenied', 'There were headers present in the request which were not signed', { HeadersNotSigned: unsigned.join(', ') });
  }
}

export interface SignatureInput {
  signedHeaders: readonly string[];
  payloadHash: string;
  excludeParam?: string;
  amzDate: string;
  credential: CredentialScope;
  secretAccessKey: string;
  signature: string;
}

/** Verifies the request signature; returns the signing key (chunk signatures chain from it). */
export function verifySignature(req: AuthRequest, input: SignatureInput): Buffer {
  const key = deriveSigningKey(input.secretAccessKey, input.credential.date, input.credential.region);
  const candidates = canonicalRequests(req, input);
  let matched = false;
  // Every candidate is checked (no early exit) so timing does not reveal which form matched.
  for (const canonical of candidates) {
    if (signatureMatches(key, stringToSign(input.amzDate, input.credential.scope, canonical), input.signature)) matched = true;
  }
  if (!matched) {
    const canonical = candidates[0] ?? '';
    throw new S3Error('SignatureDoesNotMatch', undefined, {
      AWSAccessKeyId: input.credential.accessKeyId,
      StringToSign: stringToSign(input.amzDate, input.credential.scope, canonical),
      SignatureProvided: input.signature,
      CanonicalRequest: canonical,
    });
  }
  return key;
}
