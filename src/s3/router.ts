import { S3Error } from './errors.ts';
import type { OperationName } from './operations.ts';

export type Target = 'service' | 'bucket' | 'object';

interface Route {
  method: string;
  target: Target;
  /** query sub-resource that selects the route; '' = none */
  sub: string;
  /** the route applies only when this holds */
  when?: (r: RouteInput) => boolean;
  op: OperationName;
}

export interface RouteInput {
  method: string;
  target: Target;
  query: Map<string, string>;
  headers: Record<string, string | string[] | undefined>;
}

const copySource = (r: RouteInput) => r.headers['x-amz-copy-source'] !== undefined;
const listV2 = (r: RouteInput) => r.query.get('list-type') === '2';

/** The routing table: method × target × sub-resource (× guard) → operation. First match wins. */
const ROUTES: Route[] = [
  { method: 'GET', target: 'service', sub: '', op: 'ListBuckets' },

  { method: 'PUT', target: 'bucket', sub: '', op: 'CreateBucket' },
  { method: 'HEAD', target: 'bucket', sub: '', op: 'HeadBucket' },
  { method: 'DELETE', target: 'bucket', sub: '', op: 'DeleteBucket' },
  { method: 'GET', target: 'bucket', sub: 'location', op: 'GetBucketLocation' },
  { method: 'GET', target: 'bucket', sub: 'uploads', op: 'ListMultipartUploads' },
  { method: 'GET', target: 'bucket', sub: 'acl', op: 'GetBucketAcl' },
  { method: 'PUT', target: 'bucket', sub: 'acl', op: 'PutBucketAcl' },
  { method: 'GET', target: 'bucket', sub: 'requestPayment', op: 'GetBucketRequestPayment' },
  { method: 'PUT', target: 'bucket', sub: 'requestPayment', op: 'PutBucketRequestPayment' },
  { method: 'GET', target: 'bucket', sub: 'cors', op: 'GetBucketCors' },
  { method: 'PUT', target: 'bucket', sub: 'cors', op: 'PutBucketCors' },
  { method: 'DELETE', target: 'bucket', sub: 'cors', op: 'DeleteBucketCors' },
  { method: 'POST', target: 'bucket', sub: 'delete', op: 'DeleteObjects' },
  { method: 'GET', target: 'bucket', sub: 'torrent', op: 'GetBucketTorrent' },
  { method: 'GET', target: 'bucket', sub: 'session', op: 'CreateSession' },
  { method: 'OPTIONS', target: 'bucket', sub: 'torrent', op: 'PreflightRequest' },
  { method: '*', target: 'bucket', sub: 'torrent', op: 'TorrentMethodNotAllowed' },
  { method: 'GET', target: 'bucket', sub: '', when: listV2, op: 'ListObjectsV2' },
  { method: 'GET', target: 'bucket', sub: '', op: 'ListObjects' },

  { method: 'GET', target: 'object', sub: 'torrent', op: 'GetObjectTorrent' },
  // a browser's CORS preflight for GET ?torrent is not a method on the torrent
  { method: 'OPTIONS', target: 'object', sub: 'torrent', op: 'PreflightRequest' },
  { method: '*', target: 'object', sub: 'torrent', op: 'TorrentMethodNotAllowed' },
  { method: 'GET', target: 'object', sub: 'acl', op: 'GetObjectAcl' },
  { method: 'PUT', target: 'object', sub: 'acl', op: 'PutObjectAcl' },
  { method: 'POST', target: 'object', sub: 'uploads', op: 'CreateMultipartUpload' },
  { method: 'POST', target: 'object', sub: 'uploadId', op: 'CompleteMultipartUpload' },
  { method: 'PUT', target: 'object', sub: 'uploadId', when: copySource, op: 'UploadPartCopy' },
  { method: 'PUT', target: 'object', sub: 'uploadId', op: 'UploadPart' },
  { method: 'GET', target: 'object', sub: 'uploadId', op: 'ListParts' },
  { method: 'DELETE', target: 'object', sub: 'uploadId', op: 'AbortMultipartUpload' },
  { method: 'GET', target: 'object', sub: '', op: 'GetObject' },
  { method: 'HEAD', target: 'object', sub: '', op: 'HeadObject' },
  { method: 'PUT', target: 'object', sub: '', when: copySource, op: 'CopyObject' },
  { method: 'PUT', target: 'object', sub: '', op: 'PutObject' },
  { method: 'DELETE', target: 'object', sub: '', op: 'DeleteObject' },

  { method: 'OPTIONS', target: 'bucket', sub: '', op: 'PreflightRequest' },
  { method: 'OPTIONS', target: 'object', sub: '', op: 'PreflightRequest' },
];

/** Query parameters that are arguments, not sub-resources; any other name selects a sub-resource. */
const PARAMETERS = new Set([
  'x-id', 'prefix', 'delimiter', 'marker', 'max-keys', 'encoding-type', 'continuation-token', 'start-after',
  'fetch-owner', 'list-type', 'key-marker', 'upload-id-marker', 'max-uploads', 'max-parts', 'part-number-marker',
  'partNumber', 'versionId', 'response-content-type', 'response-content-language', 'response-expires',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'x-amz-checksum-mode',
  'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature',
  'X-Amz-Content-Sha256', 'X-Amz-Security-Token', 'x-amz-sdk-checksum-algorithm', 'X-Amz-User-Agent',
]);

/** Sub-resources by precedence: `?uploadId&partNumber` is UploadPart, `?uploads` beats nothing, etc. */
const SUB_PRECEDENCE = ['session', 'torrent', 'uploadId', 'uploads', 'acl', 'cors', 'requestPayment', 'location', 'delete'];

export function routeRequest(r: RouteInput): OperationName {
  const subs = [...r.query.keys()].filter((k) => !PARAMETERS.has(k) && !k.toLowerCase().startsWith('x-amz-'));
  let sub = '';
  if (subs.length > 0) {
    const known = SUB_PRECEDENCE.find((s) => subs.includes(s));
    if (!known) throw new S3Error('NotImplemented', `The sub-resource '${subs[0]}' is not implemented.`);
    sub = known;
  }
  for (const route of ROUTES) {
    if (route.target !== r.target || route.sub !== sub) continue;
    if (route.method !== '*' && route.method !== r.method) continue;
    if (route.when && !route.when(r)) continue;
    return route.op;
  }
  if (sub !== '') throw new S3Error('NotImplemented', `${r.method} on the sub-resource '${sub}' is not implemented.`);
  throw new S3Error('MethodNotAllowed');
}
