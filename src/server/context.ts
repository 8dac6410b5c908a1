import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Caller } from '../access/principal.ts';
import type { MetadataStore } from '../meta/store.ts';
import type { BucketRecord, ObjectRecord } from '../meta/types.ts';
import type { AuthResult } from '../s3/auth/types.ts';
import type { Address } from '../s3/addressing.ts';
import type { OperationName } from '../s3/operations.ts';
import type { BlobStore } from '../storage/blob-store.ts';
import type { ServerConfig } from './config.ts';

export interface Services {
  config: ServerConfig;
  meta: MetadataStore;
  blobs: BlobStore;
  /** hand blobs nothing references any more to the blob store, then forget them */
  collectGarbage(blobIds: string[]): void;
  /** writes in flight, so shutdown can wait for them */
  inflight: Set<Promise<unknown>>;
  usage: import('./usage.ts').UsageMeter;
  uploadBudget: import('./upload-budget.ts').UploadBudget;
  /** tracker and seeder; set once they listen */
  bittorrent?: import('./bittorrent.ts').BitTorrentFaces;
}

export interface RequestContext {
  services: Services;
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  op: OperationName;
  address: Address;
  rawPath: string;
  rawQuery: string;
  query: Map<string, string>;
  auth: AuthResult;
  caller: Caller;
  /** loaded by the access step for every bucket-level and object-level operation */
  bucket?: BucketRecord;
  /** loaded by the access step for operations on an existing object (reads, ACLs) */
  object?: ObjectRecord;
  /** x-amz-request-charged: requester */
  charged: boolean;
  /** bytes of payload sent, for usage accounting */
  bytesOut: number;
  /** bytes of request body received, for usage accounting */
  bytesIn: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string | number | string[] | undefined>;
  body?: string | Buffer | Readable;
  /** called when the body has been fully sent or the response was abandoned */
  done?: () => void;
}

export type Handler = (ctx: RequestContext) => Promise<Reply>;

/** bucket and key of an object-level operation (the router guarantees them) */
export function objectAddress(ctx: RequestContext): { bucket: string; key: string } {
  return { bucket: ctx.address.bucket!, key: ctx.address.key! };
}
