import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from '../s3/errors.ts';
import { header } from './headers.ts';

export interface SseCustomerKey {
  /** 32 bytes, except on reads (see parseSseCustomerHeaders) */
  key: Buffer;
  /** base64 MD5 of `key` */
  keyMd5: string;
}

export const SSE_C_PREFIX = 'x-amz-server-side-encryption-customer-';
export const SSE_C_COPY_SOURCE_PREFIX = 'x-amz-copy-source-server-side-encryption-customer-';
const MUST_PROVIDE = 'Requests specifying Server Side Encryption with Customer provided keys must provide';
// S3 names this header in every SSE-C argument error, the copy-source ones included.
const ARGUMENT = { ArgumentName: 'x-amz-server-side-encryption' };

function invalidArgument(message: string, extra: Record<string, string> = {}): S3Error {
  return new S3Error('InvalidArgument', message, { ...ARGUMENT, ...extra });
}

function decodeBase64(s: string): Buffer | undefined {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  return Buffer.from(s, 'base64');
}

/**
 * Reads and checks the SSE-C header trio (`prefix` selects the copy-source trio); undefined when none is
 * present. Errors are S3's, in S3's order: SSE-C beside x-amz-server-side-encryption; no algorithm; an
 * algorithm other than AES256 (InvalidEncryptionAlgorithmError); no key; no MD5; an MD5 that is not the
 * key's; a key that is not 32 bytes. With mode 'read' a key of the wrong length is returned as it is, since
 * S3 answers it on reads as a wrong key (403 from checkSseCustomerKey), not as an invalid one.
 */
export function parseSseCustomerHeaders(
  headers: IncomingHttpHeaders, prefix: string = SSE_C_PREFIX, mode: 'write' | 'read' = 'write',
): SseCustomerKey | undefined {
  const algorithm = header(headers, `${prefix}algorithm`);
  const key = header(headers, `${prefix}key`);
  const md5 = header(headers, `${prefix}key-md5`);
  if (algorithm === undefined && key === undefined && md5 === undefined) return undefined;

  const sse = header(headers, 'x-amz-server-side-encryption');
  if (prefix === SSE_C_PREFIX && sse !== undefined) {
    throw invalidArgument('Server Side Encryption with Customer provided key is incompatible with the encryption method specified',
      { ArgumentValue: sse });
  }
  if (algorithm === undefined) throw invalidArgument(`${MUST_PROVIDE} a valid encryption algorithm.`);
  if (algorithm !== 'AES256') {
    throw new S3Error('InvalidEncryptionAlgorithmError', 'The Encryption request you specified is not valid. Supported value: AES256.',
      { ...ARGUMENT, ArgumentValue: algorithm });
  }
  if (key === undefined) throw invalidArgument(`${MUST_PROVIDE} an appropriate secret key.`);
  if (md5 === undefined) throw invalidArgument(`${MUST_PROVIDE} the client calculated MD5 of the secret key.`);

  const keyBytes = decodeBase64(key.trim());
  if (keyBytes === undefined) throw invalidArgument('The secret key was invalid for the specified algorithm.');
  const computed = createHash('md5').update(keyBytes).digest();
  const given = decodeBase64(md5.trim());
  if (given === undefined || !given.equals(computed)) {
    throw invalidArgument('The calculated MD5 hash of the key did not match the hash that was provided.');
  }
  if (keyBytes.length !== 32 && mode === 'write') throw invalidArgument('The secret key was invalid for the specified algorithm.');
  return { key: keyBytes, keyMd5: computed.toString('base64') };
}
