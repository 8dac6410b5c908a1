import { S3Error } from '../s3/errors.ts';

/**
 * x-amz-expected-bucket-owner: absent → passes; not a 12-digit account id (including empty) → 400
 * InvalidBucketOwnerAWSAccountID, message with the value in brackets as S3 writes it; another account → 403
 * AccessDenied.
 */
export function checkExpectedBucketOwner(headerValue: string | undefined, bucketOwnerAccountId: string): void {
  if (headerValue === undefined) return;
  if (!/^[0-9]{12}$/.test(headerValue)) {
    throw new S3Error('InvalidBucketOwnerAWSAccountID',
      `The value of the expected bucket owner parameter must be an AWS Account ID... [${headerValue}]`);
  }
  if (headerValue !== bucketOwnerAccountId) throw new S3Error('AccessDenied');
}
