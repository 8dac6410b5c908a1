import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Caller } from '../access/principal.ts';
import { authenticate } from '../s3/auth/authenticate.ts';
import type { CredentialLookup } from '../s3/auth/types.ts';
import { resolveAddress, parseQuery } from '../s3/addressing.ts';
import { S3Error, isS3Error } from '../s3/errors.ts';
import { HANDLERS } from '../s3/handlers.ts';
import { corsHeadersFor } from '../s3/ops/bucket-config.ts';
import type { OperationName } from '../s3/operations.ts';
import { routeRequest } from '../s3/router.ts';
import { errorXml } from '../s3/xml.ts';
import { checkAccess } from './access-step.ts';
import type { Reply, RequestContext, Services } from './context.ts';
import { log } from './log.ts';

/** Unread request bodies up to this size are drained after an error answer, to keep the connection usable. */
const DRAIN_LIMIT = 16 * 1024 * 1024;

function newRequestId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

function credentialLookup(services: Services): CredentialLookup {
  return (accessKeyId) => {
    const k = services.meta.getKey(accessKeyId);
    if (!k || k.revoked) return undefined;
    return { accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey, accountId: k.accountId };
  };
}

async function sendReply(ctx: RequestContext, reply: Reply): Promise<void> {
  const { res } = ctx;
  res.statusCode = reply.status ?? 200;
  for (const [k, v] of Object.entries(reply.headers ?? {})) {
    if (v !== undefined) res.setHeader(k, typeof v === 'number' ? String(v) : v);
  }
  if (ctx.charged) res.setHeader('x-amz-request-charged', 'requester');
  for (const [k, v] of Object.entries(corsHeadersFor(ctx))) res.setHeader(k, v);
  const body = reply.body;
  try {
    if (body === undefined || ctx.req.method === 'HEAD') {
      if (body instanceof Readable) body.destroy();
      if (body === undefined && !res.hasHeader('content-length') && res.statusCode !== 204 && res.statusCode !== 304) {
        res.setHeader('content-length', '0');
      }
      res.end();
      return;
    }
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
      if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/xml');
      res.setHeader('content-length', String(buf.length));
      ctx.bytesOut = buf.length;
      res.end(buf);
      return;
    }
    body.on('data', (c: Buffer) => { ctx.bytesOut += c.length; });
    // A pipelined response waits behind the one before it and is never closed by Node if the client
    // hangs up meanwhile: end it with the socket, or the request (and the blobs it pins) lives forever.
    const socket = ctx.req.socket;
    const gone = () => body.destroy(new Error('connection closed'));
    socket.once('close', gone);
    try {
      await pipeline(body, res);
    } finally {
      socket.off('close', gone);
    }
  } finally {
    reply.done?.();
  }
}

function sendError(ctx: RequestContext, err: S3Error): void {
  const { res, req } = ctx;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = err.status;
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  // As S3 does: a script on an allowed origin can read why its request failed (the bucket is looked up
  // here when the request failed before the access step found it, e.g. a bad signature).
  // A refused preflight is itself the CORS answer.
  if (ctx.op !== 'PreflightRequest') {
    const bucket = ctx.bucket ?? (ctx.address.bucket ? ctx.services.meta.getBucket(ctx.address.bucket) : undefined);
    if (bucket) for (const [k, v] of Object.entries(corsHeadersFor({ ...ctx, bucket }))) res.setHeader(k, v);
  }
  if (err.status === 304) {
    res.end();
    return;
  }
  const resource = ctx.rawPath;
  const body = Buffer.from(errorXml(err.code, err.message, resource, ctx.requestId, err.details), 'utf8');
  res.setHeader('content-type', 'application/xml');
  res.setHeader('content-length', String(body.length));
  if (!req.complete) {
    // A small unread body is read and dropped so the client sees this answer instead of a reset; a large
    // one closes the connection rather than receive it (clients using Expect: 100-continue never send it).
    const expectsContinue = /100-continue/i.test(String(req.headers.expect ?? ''));
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (!expectsContinue && Number.isFinite(declared) && declared <= DRAIN_LIMIT) req.resume();
    else res.setHeader('connection', 'close');
  }
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

async function handleRequest(services: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId();
  res.setHeader('x-amz-request-id', requestId);
  res.setHeader('x-amz-id-2', requestId);
  res.setHeader('server', 'seedbucket');
  const url = req.url ?? '/';
  const qi = url.indexOf('?');
  const rawPath = qi === -1 ? url : url.slice(0, qi);
  const rawQuery = qi === -1 ? '' : url.slice(qi + 1);
  const ctx: RequestContext = {
    services, req, res, requestId, op: 'ListBuckets' as OperationName, address: { target: 'service', virtualHost: false },
    rawPath, rawQuery, query: new Map(), auth: { principal: null, payload: { type: 'unsigned' }, presigned: false },
    caller: null, charged: false, bytesOut: 0, bytesIn: 0,
  };
  const started = Date.now();
  try {
    ctx.query = parseQuery(rawQuery);
    ctx.address = resolveAddress(req.headers.host, rawPath, services.config.domain);
    ctx.op = routeRequest({ method: req.method ?? 'GET', target: ctx.address.target, query: ctx.query, headers: req.headers });
    if (ctx.op !== 'PreflightRequest') {
      ctx.auth = authenticate({ method: req.method ?? 'GET', rawPath, rawQuery, headers: req.headers, rawHeaders: req.rawHeaders, localPort: req.socket.localPort }, credentialLookup(services), {
        region: services.config.region,
      });
      ctx.caller = callerOf(services, ctx.auth.principal);
    }
    checkAccess(ctx);
    const reply = await HANDLERS[ctx.op](ctx);
    await sendReply(ctx, reply);
  } catch (e) {
    const err = isS3Error(e) ? e : internalError(e, ctx);
    sendError(ctx, err);
  } finally {
    ctx.bytesIn = bytesInSinceLastRequest(req);
    recordUsage(ctx);
    log.debug({ id: requestId, op: ctx.op, method: req.method, url, status: res.statusCode, ms: Date.now() - started });
  }
}

/**
 * Bytes of each connection already counted for earlier requests on it (keep-alive).
 * Counted off the socket: a 'data' listener on req would put the body in flowing mode before the handler
 * reads it. The baseline is where the previous request on the connection ended, not where this handler
 * started: by then Node has usually read the headers and a small body off the socket already.
 */
const countedBytes = new WeakMap<object, number>();

function bytesInSinceLastRequest(req: IncomingMessage): number {
  const socket = req.socket;
  const read = socket.bytesRead;
  const n = read - (countedBytes.get(socket) ?? 0);
  countedBytes.set(socket, read);
  return n;
}

/** Charge the request to whoever pays: the requester on Requester Pays buckets, else the bucket owner (or the caller, for requests on no bucket). */
function recordUsage(ctx: RequestContext): void {
  const payer = ctx.charged ? ctx.caller?.accountId : (ctx.bucket?.ownerAccountId ?? ctx.caller?.accountId);
  if (!payer) return;
  ctx.services.usage.record(payer, ctx.op, ctx.charged ? 'requester' : 'owner', ctx.bytesIn, ctx.bytesOut);
}

function internalError(e: unknown, ctx: RequestContext): S3Error {
  const code = (e as NodeJS.ErrnoException)?.code;
  // A client that hangs up mid-body is not a server fault.
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET' || code === 'ERR_STREAM_DESTROYED') {
    return new S3Error('IncompleteBody');
  }
  log.error({ id: ctx.requestId, op: ctx.op, err: e instanceof Error ? e.stack : String(e) }, 'internal error');
  return new S3Error('InternalError');
}

function callerOf(services: Services, principal: { accessKeyId: string; accountId: string } | null): Caller {
  if (!principal) return null;
  const account = services.meta.getAccount(principal.accountId);
  if (!account) throw new S3Error('InvalidAccessKeyId');
  return { accountId: account.accountId, canonicalUserId: account.canonicalUserId, accessKeyId: principal.accessKeyId };
}

export function createS3Server(services: Services): http.Server {
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    // handleRequest answers every error itself; this catches a failure of that answer (a bug), which
    // would otherwise end the process as an unhandled rejection.
    const p = handleRequest(services, req, res).catch((e: unknown) => {
      log.error({ err: e, url: req.url }, 'request failed while answering an error');
      res.destroy();
    });
    services.inflight.add(p);
    p.finally(() => services.inflight.delete(p));
  };
  const { tls } = services.config;
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, listener) : http.createServer(listener);
  // Answer 100 Continue only once the handler starts reading the body (payloadOf), not before checks ran.
  server.on('checkContinue', listener);
  // Large uploads take longer than Node's default 300 s request timeout; idle sockets still time out.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  server.timeout = 120_000;
  return server;
}
