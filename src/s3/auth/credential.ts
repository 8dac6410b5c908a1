import { S3Error } from '../errors.ts';
import { SERVICE, TERMINATOR } from './constants.ts';
import { credentialScope } from './signing.ts';

export interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  /** date/region/s3/aws4_request */
  scope: string;
}

/** Header auth and presigned URLs report the same credential faults under different codes. */
export type CredentialSource = 'header' | 'query';

export function credentialError(source: CredentialSource, problem: string, details: Record<string, string> = {}): S3Error {
  return source === 'header'
    ? new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed; ${problem}`, details)
    : new S3Error('AuthorizationQueryParametersError', `Error parsing the X-Amz-Credential parameter; ${problem}`, details);
}

/** Parses `AKID/yyyyMMdd/region/s3/aws4_request` and checks it is addressed to this server. */
export function parseCredential(value: string, expectedRegion: string, source: CredentialSource): CredentialScope {
  const parts = value.split('/');
  const [accessKeyId, date, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKeyId || date === undefined || region === undefined || service === undefined || terminator === undefined) {
    throw credentialError(source, 'the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".');
  }
  if (!/^\d{8}$/.test(date)) {
    throw credentialError(source, `incorrect date format "${date}". This date in the credential must be in the format "yyyyMMdd".`);
  }
  if (region !== expectedRegion) {
    throw credentialError(source, `the region '${region}' is wrong; expecting '${expectedRegion}'`, { Region: expectedRegion });
  }
  if (service !== SERVICE) {
    throw credentialError(source, `incorrect service "${service}". This endpoint belongs to "${SERVICE}".`);
  }
  if (terminator !== TERMINATOR) {
    throw credentialError(source, `incorrect terminal "${terminator}". This endpoint uses "${TERMINATOR}".`);
  }
  return { accessKeyId, date, region, scope: credentialScope(date, region) };
}
