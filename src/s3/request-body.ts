import { verifiedBody } from './auth/payload.ts';
import type { Readable } from 'node:stream';
import type { RequestContext } from '../server/context.ts';
import { S3Error } from './errors.ts';

/** The request's payload, decoded and verified (aws-chunked, signatures, checksums). */
export function payloadOf(ctx: RequestContext): ReturnType<typeof verifiedBody> {
  // The client waits for this before sending a body it announced with Expect: 100-continue, so a request
  // refused by routing, authentication or access checks never has its body sent at all.
  if (/100-continue/i.test(String(ctx.req.headers.expect ?? '')) && !ctx.res.headersSent) ctx.res.writeContinue();
  return verifiedBody(ctx.req, { method: ctx.req.method ?? 'GET', rawPath: ctx.rawPath, rawQuery: ctx.rawQuery, headers: ctx.req.headers, rawHeaders: ctx.req.rawHeaders }, ctx.auth);
}

/** Small XML bodies (configuration, Delete, CompleteMultipartUpload): read fully, with a cap. */
export async function readSmallBody(ctx: RequestContext, limit: number): Promise<string> {
  const { body } = payloadOf(ctx);
  return (await collect(body, limit)).toString('utf8');
}

export async function collect(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += (c as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new S3Error('MaxMessageLengthExceeded');
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Declared payload size: x-amz-decoded-content-length for aws-chunked, else Content-Length. */
export function declaredSize(ctx: RequestContext): number | undefined {
  const h = ctx.req.headers;
  const raw = (h['x-amz-decoded-content-length'] as string | undefined) ?? h['content-length'];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw new S3Error('InvalidArgument', 'Content-Length is not a number.');
  return Number(raw);
}
