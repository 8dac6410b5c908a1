import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SseCustomer } from '../meta/types.ts';
import { S3Error } from '../s3/errors.ts';
import type { SseCustomerKey } from './sse-c-headers.ts';

function keyHmac(key: Buffer, salt: Buffer): Buffer {
  return createHmac('sha256', salt).update(key).digest();
}

/** What an SSE-C object or upload stores: a randomly salted HMAC-SHA256 of the key, never the key. */
export function sseRecordFor(k: SseCustomerKey): SseCustomer {
  const salt = randomBytes(16);
  return { algorithm: 'AES256', keyHmac: keyHmac(k.key, salt).toString('base64'), salt: salt.toString('base64'), keyMd5: k.keyMd5 };
}

/** Whether `k` is the key `record` was made from. */
export function sseKeyMatches(record: SseCustomer, k: SseCustomerKey): boolean {
  const expected = Buffer.from(record.keyHmac, 'base64');
  const actual = keyHmac(k.key, Buffer.from(record.salt, 'base64'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * A read's key (GetObject, HeadObject, the source of a copy) against the object's record: an SSE-C
 * object without a key → 400 InvalidRequest; a key for an object without SSE-C → 400 InvalidRequest;
 * another key → 403 AccessDenied. Messages are S3's.
 */
export function checkSseCustomerKey(record: SseCustomer | undefined, given: SseCustomerKey | undefined): void {
  if (record === undefined && given === undefined) return;
  if (record === undefined) throw new S3Error('InvalidRequest', 'The encryption parameters are not applicable to this object.');
  if (given === undefined) {
    throw new S3Error('InvalidRequest',
      'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.');
  }
  if (!sseKeyMatches(record, given)) {
    throw new S3Error('AccessDenied', 'Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.');
  }
}

/**
 * UploadPart's key against the upload's record: SSE-C on one side only → 400 InvalidRequest; another
 * key → 400 InvalidRequest (not 403, unlike reads). Messages are S3's.
 */
export function checkSsePartKey(uploadRecord: SseCustomer | undefined, given: SseCustomerKey | undefined): void {
  if (uploadRecord === undefined && given === undefined) return;
  if (uploadRecord === undefined || given === undefined) {
    throw new S3Error('InvalidRequest',
      'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.');
  }
  if (!sseKeyMatches(uploadRecord, given)) {
    throw new S3Error('InvalidRequest', 'The provided encryption parameters did not match the ones used originally.');
  }
}
