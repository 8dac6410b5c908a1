/**
 * Every S3 operation seedbucket knows, with the access class the one authorization function
 * (src/access/authorize.ts) checks before the handler runs.
 */
export const OPERATIONS = {
  ListBuckets: 'ListAllMyBuckets',
  CreateBucket: 'CreateBucket',
  HeadBucket: 'BucketRead',
  DeleteBucket: 'BucketOwner',
  GetBucketLocation: 'BucketRead',
  ListObjects: 'BucketRead',
  ListObjectsV2: 'BucketRead',
  ListMultipartUploads: 'BucketRead',
  DeleteObjects: 'BucketWrite',
  GetBucketAcl: 'BucketReadAcp',
  PutBucketAcl: 'BucketWriteAcp',
  GetBucketRequestPayment: 'BucketOwner',
  PutBucketRequestPayment: 'BucketOwner',
  GetBucketCors: 'BucketOwner',
  PutBucketCors: 'BucketOwner',
  DeleteBucketCors: 'BucketOwner',
  GetBucketTorrent: 'BucketRead',
  GetObject: 'ObjectRead',
  HeadObject: 'ObjectRead',
  GetObjectTorrent: 'ObjectRead',
  PutObject: 'BucketWrite',
  CopyObject: 'BucketWrite',
  DeleteObject: 'BucketWrite',
  GetObjectAcl: 'ObjectReadAcp',
  PutObjectAcl: 'ObjectWriteAcp',
  CreateMultipartUpload: 'BucketWrite',
  UploadPart: 'BucketWrite',
  UploadPartCopy: 'BucketWrite',
  CompleteMultipartUpload: 'BucketWrite',
  AbortMultipartUpload: 'BucketWrite',
  ListParts: 'BucketWrite',
  CreateSession: 'None',
  PreflightRequest: 'None',
  TorrentMethodNotAllowed: 'None',
} as const;

export type OperationName = keyof typeof OPERATIONS;
