import { corsConfigurationXml, parseCorsConfiguration } from '../../access/cors.ts';
import { evaluateCors } from '../../access/cors-match.ts';
import { corsPreflightRefusal } from '../../access/cors-match.ts';
import { parseRequestPayment, requestPaymentXml } from '../../access/request-payer.ts';
import type { Handler, RequestContext } from '../../server/context.ts';
import { S3Error } from '../errors.ts';
import { readSmallBody } from '../request-body.ts';

const CONFIG_BODY_LIMIT = 64 * 1024;

export const getBucketRequestPayment: Handler = async (ctx) => ({ body: requestPaymentXml(ctx.bucket!.requestPayer) });

export const putBucketRequestPayment: Handler = async (ctx) => {
  const payer = parseRequestPayment(await readSmallBody(ctx, CONFIG_BODY_LIMIT));
  ctx.services.meta.updateBucket(ctx.bucket!.name, { requestPayer: payer });
  return {};
};

export const getBucketCors: Handler = async (ctx) => {
  const rules = ctx.bucket!.cors;
  if (!rules) throw new S3Error('NoSuchCORSConfiguration', undefined, { BucketName: ctx.bucket!.name });
  return { body: corsConfigurationXml(rules) };
};

export const putBucketCors: Handler = async (ctx) => {
  const rules = parseCorsConfiguration(await readSmallBody(ctx, CONFIG_BODY_LIMIT));
  ctx.services.meta.updateBucket(ctx.bucket!.name, { cors: rules });
  return {};
};

export const deleteBucketCors: Handler = async (ctx) => {
  ctx.services.meta.updateBucket(ctx.bucket!.name, { cors: null });
  return { status: 204 };
};

function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** CORS headers for a request on a bucket with rules (actual requests; preflights go through `preflight`). */
export function corsHeadersFor(ctx: RequestContext): Record<string, string> {
  if (!ctx.bucket || header(ctx, 'origin') === undefined) return {};
  return evaluateCors(ctx.bucket.cors, {
    method: ctx.req.method ?? 'GET', origin: header(ctx, 'origin'),
    accessControlRequestMethod: undefined, accessControlRequestHeaders: undefined,
  }, ctx.address.target === 'object' ? 'OBJECT' : 'BUCKET');
}

/** OPTIONS preflight, answered from the bucket's CORS rules without authentication (browsers send none). */
export const preflight: Handler = async (ctx) => {
  const resourceType = ctx.address.target === 'object' ? 'OBJECT' : 'BUCKET';
  const bucket = ctx.services.meta.getBucket(ctx.address.bucket!);
  if (!bucket) throw corsPreflightRefusal('no-bucket', header(ctx, 'access-control-request-method'), resourceType);
  const headers = evaluateCors(bucket.cors, {
    method: 'OPTIONS', origin: header(ctx, 'origin'),
    accessControlRequestMethod: header(ctx, 'access-control-request-method'),
    accessControlRequestHeaders: header(ctx, 'access-control-request-headers'),
  }, resourceType);
  return { headers };
};
