import { S3Error } from '../s3/errors.ts';
import type { Caller } from './principal.ts';
import { S3_XMLNS, XML_DECLARATION, onlyChild, parseXml } from './xml.ts';

export type RequestPayer = 'BucketOwner' | 'Requester';

export interface Payment {
  payer: 'owner' | 'requester';
  /** true: the response carries `x-amz-request-charged: requester` */
  charged: boolean;
}

/**
 * Who pays for a request. On a Requester Pays bucket the owner pays its own requests; anyone else must
 * send `x-amz-request-payer: requester` (compared case-insensitively) and is charged; without it, or
 * anonymously, the request is 403 AccessDenied. On other buckets the owner pays and the header is ignored.
 */
export function whoPays(
  bucketRequestPayer: RequestPayer, caller: Caller, bucketOwnerAccountId: string, requestPayerHeader: string | undefined,
): Payment {
  if (bucketRequestPayer === 'BucketOwner') return { payer: 'owner', charged: false };
  if (caller !== null && caller.accountId === bucketOwnerAccountId) return { payer: 'owner', charged: false };
  if (caller === null || requestPayerHeader?.trim().toLowerCase() !== 'requester') throw new S3Error('AccessDenied');
  return { payer: 'requester', charged: true };
}

/** PutBucketRequestPayment body: exactly one Payer of BucketOwner or Requester, else 400 MalformedXML. */
export function parseRequestPayment(xml: string): RequestPayer {
  const root = parseXml(xml);
  if (!root || root.name !== 'RequestPaymentConfiguration') throw new S3Error('MalformedXML');
  const payer = onlyChild(root, 'Payer');
  if (payer === undefined || payer === 'many' || root.children.length !== 1) throw new S3Error('MalformedXML');
  if (payer.text !== 'BucketOwner' && payer.text !== 'Requester') throw new S3Error('MalformedXML');
  return payer.text;
}

/** GetBucketRequestPayment body. */
export function requestPaymentXml(payer: RequestPayer): string {
  return `${XML_DECLARATION}<RequestPaymentConfiguration xmlns="${S3_XMLNS}"><Payer>${payer}</Payer></RequestPaymentConfiguration>`;
}
