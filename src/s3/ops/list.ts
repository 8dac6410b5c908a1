import type { MultipartUploadRecord, ObjectRecord } from '../../meta/types.ts';
import type { Handler, RequestContext } from '../../server/context.ts';
import { S3Error } from '../errors.ts';
import { encodingOf, maxParam, optionalParam, type ListEncoding } from '../list-params.ts';
import { takePage, walkEntries, type Entry, type ListSource } from '../listing.ts';
import { ownerXml } from '../owner-xml.ts';
import { xmlDocument, type XmlNode } from '../xml.ts';

function objectSource(ctx: RequestContext, prefix: string): ListSource<ObjectRecord, string> {
  const bucket = ctx.bucket!.name;
  return {
    fetch: (seek, limit) => ctx.services.meta.listObjects(bucket, { prefix, limit, ...seek }),
    keyOf: (o) => o.key,
    cursorOf: (o) => o.key,
  };
}

function contentsXml(o: ObjectRecord, enc: ListEncoding, owner?: XmlNode): XmlNode {
  const checksum = o.partsCount ? undefined : Object.keys(o.checksums ?? {})[0];
  return {
    Key: enc.encode(o.key),
    LastModified: new Date(o.lastModified).toISOString(),
    ETag: o.etag,
    ChecksumAlgorithm: checksum,
    ChecksumType: checksum ? 'FULL_OBJECT' : undefined,
    Size: o.size,
    Owner: owner,
    StorageClass: 'STANDARD',
  };
}

interface ObjectPage {
  contents: XmlNode[];
  prefixes: XmlNode[];
  truncated: boolean;
  /** key or common prefix the page ends on */
  last?: string;
}

function listPage(ctx: RequestContext, o: {
  prefix: string; delimiter?: string; start?: string; max: number; enc: ListEncoding; withOwner: boolean;
}): ObjectPage {
  const entries = walkEntries(objectSource(ctx, o.prefix), {
    prefix: o.prefix, wanted: o.max,
    ...(o.delimiter ? { delimiter: o.delimiter } : {}),
    ...(o.start !== undefined ? { start: { cursor: o.start, key: o.start } } : {}),
  });
  const { page, truncated } = takePage(entries, o.max);
  const owner = ownerXml(ctx);
  return {
    contents: page.flatMap((e) => e.kind === 'item' ? [contentsXml(e.item, o.enc, o.withOwner ? owner(e.item.ownerAccountId) : undefined)] : []),
    prefixes: page.flatMap((e) => e.kind === 'prefix' ? [{ Prefix: o.enc.encode(e.key) }] : []),
    truncated,
    ...(page.length > 0 ? { last: page[page.length - 1]!.key } : {}),
  };
}

/** The parameters every listing reads: encoding-type, the page size, prefix and delimiter. */
function listParams(ctx: RequestContext, maxName: string) {
  return {
    enc: encodingOf(ctx),
    max: maxParam(ctx, maxName),
    prefix: ctx.query.get('prefix') ?? '',
    delimiter: optionalParam(ctx, 'delimiter'),
  };
}

export const listObjects: Handler = async (ctx) => {
  const { enc, max, prefix, delimiter } = listParams(ctx, 'max-keys');
  const marker = optionalParam(ctx, 'marker');
  const p = listPage(ctx, { prefix, max, enc, withOwner: true, ...(delimiter ? { delimiter } : {}), ...(marker !== undefined ? { start: marker } : {}) });
  return {
    body: xmlDocument('ListBucketResult', {
      Name: ctx.bucket!.name,
      Prefix: enc.encode(prefix),
      Marker: enc.encode(marker ?? ''),
      // S3 sends NextMarker only with a delimiter; without one the client resumes from the last Key.
      NextMarker: delimiter && p.truncated ? enc.encode(p.last!) : undefined,
      MaxKeys: max,
      Delimiter: delimiter ? enc.encode(delimiter) : undefined,
      EncodingType: enc.type,
      IsTruncated: p.truncated,
      Contents: p.contents,
      CommonPrefixes: p.prefixes,
    }),
  };
};

/** Continuation tokens are opaque to clients: a version byte and the key or prefix the page ended on. */
const TOKEN_VERSION = 1;

function continuationToken(last: string): string {
  return Buffer.concat([Buffer.from([TOKEN_VERSION]), Buffer.from(last, 'utf8')]).toString('base64');
}

function parseContinuationToken(token: string): string {
  const bytes = Buffer.from(token, 'base64');
  const bad = () => new S3Error('InvalidArgument', 'The continuation token provided is incorrect',
    { ArgumentName: 'continuation-token', ArgumentValue: token });
  if (bytes.length < 2 || bytes[0] !== TOKEN_VERSION || bytes.toString('base64') !== token) throw bad();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(1));
  } catch {
    throw bad();
  }
}

export const listObjectsV2: Handler = async (ctx) => {
  const { enc, max, prefix, delimiter } = listParams(ctx, 'max-keys');
  const token = ctx.query.get('continuation-token');
  const startAfter = optionalParam(ctx, 'start-after');
  const start = token !== undefined ? parseContinuationToken(token) : startAfter;
  const p = listPage(ctx, {
    prefix, max, enc, withOwner: ctx.query.get('fetch-owner') === 'true',
    ...(delimiter ? { delimiter } : {}), ...(start !== undefined ? { start } : {}),
  });
  return {
    body: xmlDocument('ListBucketResult', {
      Name: ctx.bucket!.name,
      Prefix: enc.encode(prefix),
      StartAfter: startAfter !== undefined ? enc.encode(startAfter) : undefined,
      ContinuationToken: token,
      NextContinuationToken: p.truncated ? continuationToken(p.last!) : undefined,
      KeyCount: p.contents.length + p.prefixes.length,
      MaxKeys: max,
      Delimiter: delimiter ? enc.encode(delimiter) : undefined,
      EncodingType: enc.type,
      IsTruncated: p.truncated,
      Contents: p.contents,
      CommonPrefixes: p.prefixes,
    }),
  };
};

type UploadCursor = { key: string; uploadId?: string };

function uploadSource(ctx: RequestContext, prefix: string): ListSource<MultipartUploadRecord, UploadCursor> {
  const bucket = ctx.bucket!.name;
  return {
    fetch: (seek, limit) => ctx.services.meta.listUploads(bucket, {
      prefix, limit,
      ...('after' in seek ? { keyMarker: seek.after.key, ...(seek.after.uploadId !== undefined ? { uploadIdMarker: seek.after.uploadId } : {}) } : {}),
      ...('fromBytes' in seek ? { fromBytes: seek.fromBytes } : {}),
    }),
    keyOf: (u) => u.key,
    cursorOf: (u) => ({ key: u.key, uploadId: u.uploadId }),
  };
}

export const listMultipartUploads: Handler = async (ctx) => {
  const { enc, max, prefix, delimiter } = listParams(ctx, 'max-uploads');
  const keyMarker = optionalParam(ctx, 'key-marker');
  // S3 ignores upload-id-marker without key-marker.
  const uploadIdMarker = keyMarker !== undefined ? optionalParam(ctx, 'upload-id-marker') : undefined;
  const entries = walkEntries(uploadSource(ctx, prefix), {
    prefix, wanted: max,
    ...(delimiter ? { delimiter } : {}),
    // A key-marker with an upload-id-marker points at an upload, never at a common prefix.
    ...(keyMarker === undefined ? {} : uploadIdMarker === undefined
      ? { start: { cursor: { key: keyMarker }, key: keyMarker } }
      : { start: { cursor: { key: keyMarker, uploadId: uploadIdMarker } } }),
  });
  const { page, truncated } = takePage(entries, max);
  const last: Entry<MultipartUploadRecord> | undefined = page[page.length - 1];
  const owner = ownerXml(ctx);
  return {
    body: xmlDocument('ListMultipartUploadsResult', {
      Bucket: ctx.bucket!.name,
      KeyMarker: enc.encode(keyMarker ?? ''),
      UploadIdMarker: uploadIdMarker ?? '',
      NextKeyMarker: truncated && last ? enc.encode(last.key) : undefined,
      NextUploadIdMarker: truncated && last?.kind === 'item' ? last.item.uploadId : undefined,
      Delimiter: delimiter ? enc.encode(delimiter) : undefined,
      Prefix: enc.encode(prefix),
      MaxUploads: max,
      EncodingType: enc.type,
      IsTruncated: truncated,
      Upload: page.flatMap((e) => e.kind === 'item' ? [{
        Key: enc.encode(e.item.key),
        UploadId: e.item.uploadId,
        Initiator: owner(e.item.ownerAccountId),
        Owner: owner(e.item.ownerAccountId),
        StorageClass: 'STANDARD',
        Initiated: new Date(e.item.initiated).toISOString(),
      }] : []),
      CommonPrefixes: page.flatMap((e) => e.kind === 'prefix' ? [{ Prefix: enc.encode(e.key) }] : []),
    }),
  };
};
