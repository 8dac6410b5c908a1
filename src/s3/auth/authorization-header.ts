import { S3Error } from '../errors.ts';
import { ALGORITHM } from './constants.ts';

export interface AuthorizationParts {
  credential: string;
  signedHeaders: string[];
  signature: string;
}

export function unsupportedMechanism(): S3Error {
  return new S3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.');
}

const malformed = (problem: string): S3Error =>
  new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${problem}`);

/** Splits a SignedHeaders list; empty names are a malformed list. */
export function parseSignedHeaders(list: string): string[] | undefined {
  const names = list.split(';');
  return names.some((n) => n === '' || /\s/.test(n)) ? undefined : names;
}

/**
 * `AWS4-HMAC-SHA256 Credential=AK/date/region/s3/aws4_request, SignedHeaders=a;b, Signature=hex`
 * (components separated by ',' with optional spaces, in any order).
 */
export function parseAuthorizationHeader(value: string): AuthorizationParts {
  const trimmed = value.trim();
  const space = trimmed.search(/\s/);
  const scheme = space === -1 ? trimmed : trimmed.slice(0, space);
  if (scheme !== ALGORITHM) throw unsupportedMechanism();

  const components = new Map<string, string>();
  for (const piece of trimmed.slice(space === -1 ? trimmed.length : space).split(',')) {
    const item = piece.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = eq === -1 ? item : item.slice(0, eq).trim();
    if (eq === -1 || components.has(key) || !['Credential', 'SignedHeaders', 'Signature'].includes(key)) {
      throw malformed(`the authorization component "${item}" is malformed.`);
    }
    components.set(key, item.slice(eq + 1).trim());
  }
  const credential = components.get('Credential');
  const signedHeaders = components.get('SignedHeaders');
  const signature = components.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw malformed('the authorization header requires three components: Credential, SignedHeaders, and Signature.');
  }
  const names = parseSignedHeaders(signedHeaders);
  if (!names) throw malformed('the SignedHeaders component is malformed.');
  return { credential, signedHeaders: names, signature };
}
