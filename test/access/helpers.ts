import assert from 'node:assert/strict';
import { S3Error } from '../../src/s3/errors.ts';
import type { S3ErrorCode } from '../../src/s3/errors.ts';

/** assert.throws validator: an S3Error with this code, and the message / details when given. */
export function s3Error(code: S3ErrorCode, message?: string, details?: Record<string, string>): (e: unknown) => true {
  return (e: unknown) => {
    assert.ok(e instanceof S3Error, `expected S3Error ${code}, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message !== undefined) assert.equal(e.message, message);
    if (details !== undefined) assert.deepEqual(e.details, details);
    return true;
  };
}

/** A canonical user id: 64 hex digits made of one repeated digit. */
export const cid = (digit: string): string => digit.repeat(64);
