import type { Handler, RequestContext } from '../../server/context.ts';
import { S3Error, S3_ERRORS, type S3ErrorCode } from '../errors.ts';
import { readSmallBody } from '../request-body.ts';
import { parseXmlBody, xmlDocument, type XmlNode } from '../xml.ts';

const MAX_DELETE_KEYS = 1000;
/** 1000 keys of up to 1024 bytes, each possibly written as character references */
const MAX_DELETE_BODY = 8 * 1024 * 1024;

function removeObject(ctx: RequestContext, key: string): void {
  const { garbage } = ctx.services.meta.deleteObject(ctx.bucket!.name, key);
  ctx.services.collectGarbage(garbage);
}

export const deleteObject: Handler = async (ctx) => {
  const versionId = ctx.query.get('versionId');
  if (versionId !== undefined && versionId !== 'null') {
    throw new S3Error('InvalidArgument', 'Invalid version id specified', { ArgumentName: 'versionId', ArgumentValue: versionId });
  }
  removeObject(ctx, ctx.address.key!);
  return { status: 204 };
};

/** S3 refuses a multi-object delete without an integrity check of its body; the payload verifier checks the value. */
function requireIntegrityHeader(ctx: RequestContext): void {
  const h = ctx.req.headers;
  const trailer = String(h['x-amz-trailer'] ?? '').toLowerCase();
  const hasChecksum = Object.keys(h).some((n) => n.startsWith('x-amz-checksum-') && n !== 'x-amz-checksum-mode' && n !== 'x-amz-checksum-type');
  if (h['content-md5'] === undefined && !hasChecksum && !trailer.includes('x-amz-checksum-')) {
    throw new S3Error('InvalidRequest', 'Missing required header for this request: Content-MD5');
  }
}

interface DeleteRequest { quiet: boolean; keys: { key: string; versionId?: string }[] }

function parseDeleteRequest(body: string): DeleteRequest {
  const doc = parseXmlBody(body, 'Delete');
  const quietRaw = doc.Quiet;
  if (quietRaw !== undefined && (typeof quietRaw !== 'string' || !/^(true|false)$/i.test(quietRaw.trim()))) throw new S3Error('MalformedXML');
  const objects = doc.Object;
  if (!Array.isArray(objects) || objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw new S3Error('MalformedXML');
  const keys = objects.map((o: unknown) => {
    const rec = (typeof o === 'object' && o !== null ? o : {}) as Record<string, unknown>;
    if (typeof rec.Key !== 'string' || rec.Key === '') throw new S3Error('MalformedXML');
    if (rec.VersionId !== undefined && typeof rec.VersionId !== 'string') throw new S3Error('MalformedXML');
    return { key: rec.Key, ...(rec.VersionId !== undefined ? { versionId: rec.VersionId } : {}) };
  });
  return { quiet: typeof quietRaw === 'string' && quietRaw.trim().toLowerCase() === 'true', keys };
}

function keyError(key: string, versionId?: string): S3ErrorCode | undefined {
  if (Buffer.byteLength(key, 'utf8') > 1024) return 'KeyTooLongError';
  if (!key.isWellFormed()) return 'InvalidArgument';
  if (versionId !== undefined && versionId !== 'null') return 'NoSuchVersion';
  return undefined;
}

export const deleteObjects: Handler = async (ctx) => {
  requireIntegrityHeader(ctx);
  const req = parseDeleteRequest(await readSmallBody(ctx, MAX_DELETE_BODY));
  const deleted: XmlNode[] = [];
  const errors: XmlNode[] = [];
  for (const { key, versionId } of req.keys) {
    const code = keyError(key, versionId);
    if (code) {
      errors.push({ Key: key, VersionId: versionId, Code: code, Message: S3_ERRORS[code][1] });
      continue;
    }
    removeObject(ctx, key);
    if (!req.quiet) deleted.push({ Key: key, VersionId: versionId });
  }
  return { body: xmlDocument('DeleteResult', { Deleted: deleted, Error: errors }) };
};
