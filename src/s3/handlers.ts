import type { Handler } from '../server/context.ts';
import type { OperationName } from './operations.ts';
import { getBucketAcl, getObjectAcl, putBucketAcl, putObjectAcl } from './ops/acl.ts';
import {
  deleteBucketCors, getBucketCors, getBucketRequestPayment, preflight, putBucketCors, putBucketRequestPayment,
} from './ops/bucket-config.ts';
import { createBucket, createSession, deleteBucket, getBucketLocation, headBucket, listBuckets } from './ops/buckets.ts';
import { copyObject } from './ops/copy-object.ts';
import { deleteObject, deleteObjects } from './ops/delete.ts';
import { getObject, headObject } from './ops/get-object.ts';
import { getBucketTorrent, getObjectTorrent, torrentMethodNotAllowed } from './ops/get-object-torrent.ts';
import { listMultipartUploads, listObjects, listObjectsV2 } from './ops/list.ts';
import {
  abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listParts, uploadPart, uploadPartCopy,
} from './ops/multipart.ts';
import { putObject } from './ops/put-object.ts';

/** One dispatch: every operation of the routing table has exactly one handler. */
export const HANDLERS: Record<OperationName, Handler> = {
  ListBuckets: listBuckets,
  CreateBucket: createBucket,
  HeadBucket: headBucket,
  DeleteBucket: deleteBucket,
  GetBucketLocation: getBucketLocation,
  ListObjects: listObjects,
  ListObjectsV2: listObjectsV2,
  ListMultipartUploads: listMultipartUploads,
  DeleteObjects: deleteObjects,
  GetBucketAcl: getBucketAcl,
  PutBucketAcl: putBucketAcl,
  GetBucketRequestPayment: getBucketRequestPayment,
  PutBucketRequestPayment: putBucketRequestPayment,
  GetBucketCors: getBucketCors,
  PutBucketCors: putBucketCors,
  DeleteBucketCors: deleteBucketCors,
  GetBucketTorrent: getBucketTorrent,
  GetObject: getObject,
  HeadObject: headObject,
  GetObjectTorrent: getObjectTorrent,
  PutObject: putObject,
  CopyObject: copyObject,
  DeleteObject: deleteObject,
  GetObjectAcl: getObjectAcl,
  PutObjectAcl: putObjectAcl,
  CreateMultipartUpload: createMultipartUpload,
  UploadPart: uploadPart,
  UploadPartCopy: uploadPartCopy,
  CompleteMultipartUpload: completeMultipartUpload,
  AbortMultipartUpload: abortMultipartUpload,
  ListParts: listParts,
  CreateSession: createSession,
  PreflightRequest: preflight,
  TorrentMethodNotAllowed: torrentMethodNotAllowed,
};
