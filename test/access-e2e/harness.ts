// Shared pieces of the access-rule end-to-end tests: accounts made with the real `seedbucket admin`
// CLI against a running server's data directory, SDK clients per account (and anonymous), raw signed
// HTTP(S) requests, and a throwaway self-signed certificate for the HTTPS server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { S3Client, S3ServiceException, type S3ClientConfig } from '@aws-sdk/client-s3';
import { amzDate, sha256Hex, uriEncode, parseErrorXml } from '../helpers/raw.ts';
import { ROOT_ACCESS_KEY, ROOT_SECRET_KEY, type TestServer } from '../helpers/server.ts';
import { loopbackEnv, run, type RunResult } from '../helpers/tools.ts';

export const BIN = path.resolve(import.meta.dirname, '../../bin/seedbucket.js');

export interface Account {
  name: string;
  accountId: string;
  canonicalUserId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** `seedbucket admin <args> --data <dir>` as a separate process, like an operator would run it. */
export function admin(dataDir: string, args: string[], withData = true): Promise<RunResult> {
  return run(process.execPath, [BIN, 'admin', ...args, ...(withData ? ['--data', dataDir] : [])], { timeoutMs: 60_000 });
}

/** Like `admin`, but the command must exit 0; stdout parsed as JSON. */
export async function adminJson<T>(dataDir: string, args: string[]): Promise<T> {
  const r = await admin(dataDir, args);
  assert.equal(r.code, 0, `seedbucket admin ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export async function createAccount(server: TestServer, name: string): Promise<Account> {
  const a = await adminJson<Omit<Account, 'name'> & { name?: string }>(server.dataDir, ['account', 'create', name]);
  assert.match(a.accountId, /^[0-9]{12}$/, `account id ${a.accountId}`);
  assert.match(a.canonicalUserId, /^[0-9a-f]{64}$/, `canonical id ${a.canonicalUserId}`);
  assert.ok(a.accessKeyId && a.secretAccessKey, 'account create prints a key pair');
  return { name, accountId: a.accountId, canonicalUserId: a.canonicalUserId, accessKeyId: a.accessKeyId, secretAccessKey: a.secretAccessKey };
}

/** The root account: the first account `admin account list` shows, with the server's root key. */
export async function rootAccount(server: TestServer): Promise<Account> {
  const list = await adminJson<Array<{ accountId: string; canonicalUserId: string; name: string }>>(server.dataDir, ['account', 'list']);
  const first = list[0];
  assert.ok(first, 'account list is empty');
  return { ...first, accessKeyId: ROOT_ACCESS_KEY, secretAccessKey: ROOT_SECRET_KEY };
}

export interface UsageRow { accountId: string; operation: string; role: 'owner' | 'requester'; requests: number; bytesIn: number; bytesOut: number }

export function usage(dataDir: string, accountId?: string): Promise<UsageRow[]> {
  return adminJson<UsageRow[]>(dataDir, ['usage', ...(accountId ? [accountId] : [])]);
}

/**
 * Polls `seedbucket admin usage` (counters are flushed about once a second) until `ready` holds, at
 * most `timeoutMs`; returns the last rows read either way, for the caller to assert on.
 */
export async function pollUsage(dataDir: string, accountId: string | undefined, ready: (rows: UsageRow[]) => boolean, timeoutMs = 8000): Promise<UsageRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await usage(dataDir, accountId);
    if (ready(rows) || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 300));
  }
}

export function usageRow(rows: UsageRow[], accountId: string, operation: string, role: 'owner' | 'requester'): UsageRow | undefined {
  return rows.find((r) => r.accountId === accountId && r.operation === operation && r.role === role);
}

export interface ClientOptions { ca?: string; overrides?: Partial<S3ClientConfig> }

function baseConfig(server: TestServer, opts: ClientOptions): S3ClientConfig {
  return {
    endpoint: server.url, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    ...(opts.ca ? { requestHandler: { httpsAgent: new https.Agent({ ca: opts.ca, keepAlive: true }) } } : {}),
    ...opts.overrides,
  };
}

/** An aws-sdk-js v3 client signing as `account`. */
export function clientFor(server: TestServer, account: Pick<Account, 'accessKeyId' | 'secretAccessKey'>, opts: ClientOptions = {}): S3Client {
  return new S3Client({ ...baseConfig(server, opts), credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey } });
}

/**
 * An aws-sdk-js v3 client that sends unsigned (anonymous) requests: the signer is a no-op. The
 * credentials are placeholders so the SDK never looks for real ones; they are never sent.
 */
export function anonymousClient(server: TestServer, opts: ClientOptions = {}): S3Client {
  return new S3Client({
    ...baseConfig(server, opts),
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    signer: { sign: async (request) => {
      assert.equal(request.headers['authorization'], undefined);
      return request;
    } },
  });
}

export interface Outcome { ok: boolean; status: number; code: string }

/** Runs an SDK call; a service error becomes { ok: false, status, code } (other errors are rethrown). */
export async function attempt(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    await fn();
    return { ok: true, status: 200, code: '' };
  } catch (e) {
    if (e instanceof S3ServiceException) return { ok: false, status: e.$metadata.httpStatusCode ?? 0, code: e.name };
    throw e;
  }
}

/** The call must fail with this HTTP status and (when the response has a body) this error code. */
export async function expectError(fn: () => Promise<unknown>, status: number, code: string | undefined, what: string): Promise<void> {
  const o = await attempt(fn);
  assert.equal(o.ok, false, `${what}: expected ${status} ${code ?? ''} but it succeeded`);
  assert.equal(o.status, status, `${what}: expected HTTP ${status} (${code ?? ''}), got ${o.status} ${o.code}`);
  if (code !== undefined) assert.equal(o.code, code, `${what}: expected ${code}, got ${o.code}`);
}

export interface RawCall {
  method: string;
  /** path, already percent-encoded, e.g. `/bucket/key` */
  path: string;
  /** decoded name/value pairs */
  query?: Array<[string, string]>;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** null: anonymous */
  account: Pick<Account, 'accessKeyId' | 'secretAccessKey'> | null;
}

export interface RawReply { status: number; headers: IncomingHttpHeaders; body: Buffer; text: string; code: string | undefined }

const hmac = (key: Buffer | string, s: string): Buffer => createHmac('sha256', key).update(s, 'utf8').digest();

/**
 * One real HTTP(S) request, SigV4-signed (header auth, every header signed) unless anonymous. Works for
 * https:// servers (with `ca`) where test/helpers/raw.ts only speaks plain HTTP.
 */
export function rawCall(baseUrl: string, call: RawCall, ca?: string): Promise<RawReply> {
  const u = new URL(baseUrl);
  if (u.hostname !== '127.0.0.1') throw new Error(`refusing non-loopback target ${u.hostname}`);
  const body = call.body === undefined ? Buffer.alloc(0) : Buffer.from(call.body);
  const pairs = (call.query ?? []).map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  const queryString = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  const headers: Record<string, string> = {
    host: u.host, 'x-amz-date': amzDate(new Date()), 'x-amz-content-sha256': sha256Hex(body),
  };
  if (body.length > 0 || ['PUT', 'POST'].includes(call.method)) headers['content-length'] = String(body.length);
  for (const [k, v] of Object.entries(call.headers ?? {})) headers[k.toLowerCase()] = v;
  if (call.account) {
    const names = Object.keys(headers).sort();
    const canonicalHeaders = names.map((k) => `${k}:${headers[k]!.trim().replace(/\s+/g, ' ')}\n`).join('');
    const signed = names.join(';');
    const canonical = [call.method, call.path, queryString, canonicalHeaders, signed, headers['x-amz-content-sha256']].join('\n');
    const day = headers['x-amz-date']!.slice(0, 8);
    const scope = `${day}/us-east-1/s3/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', headers['x-amz-date'], scope, sha256Hex(canonical)].join('\n');
    const kSigning = hmac(hmac(hmac(hmac(`AWS4${call.account.secretAccessKey}`, day), 'us-east-1'), 's3'), 'aws4_request');
    const signature = createHmac('sha256', kSigning).update(toSign, 'utf8').digest('hex');
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${call.account.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}`;
  }
  const options = { host: u.hostname, port: u.port, method: call.method, path: queryString ? `${call.path}?${queryString}` : call.path, headers, agent: false as const };
  return new Promise((resolve, reject) => {
    const req = u.protocol === 'https:' ? https.request({ ...options, ca }) : http.request(options);
    req.setTimeout(30_000, () => req.destroy(new Error(`${call.method} ${call.path} timed out`)));
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', reject);
      res.once('end', () => {
        const b = Buffer.concat(chunks);
        const text = b.toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: b, text, code: parseErrorXml(text)?.Code });
      });
    });
    req.end(body);
  });
}

export const md5b64 = (b: Buffer | string): string => createHash('md5').update(b).digest('base64');

/** SSE-C request headers for a 32-byte key (`copy`: the x-amz-copy-source-… trio). */
export function sseHeaders(key: Buffer, copy = false): Record<string, string> {
  const p = copy ? 'x-amz-copy-source-server-side-encryption-customer-' : 'x-amz-server-side-encryption-customer-';
  return { [`${p}algorithm`]: 'AES256', [`${p}key`]: key.toString('base64'), [`${p}key-md5`]: md5b64(key) };
}

/** A self-signed certificate for 127.0.0.1 (openssl), written into `dir`. */
export function selfSignedCert(dir: string): { cert: string; key: string; pem: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe', env: loopbackEnv() });
  return { cert, key, pem: readFileSync(cert, 'utf8') };
}

export function writeText(file: string, text: string): string {
  writeFileSync(file, text);
  return file;
}

/** AccessControlPolicy XML for PutBucketAcl / PutObjectAcl. */
export type XmlGrantee = { id: string } | { uri: string };
export function policyXml(ownerId: string, grants: Array<{ grantee: XmlGrantee; permission: string }>): string {
  const xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
  const g = grants.map(({ grantee, permission }) => {
    const who = 'id' in grantee
      ? `<Grantee ${xsi} xsi:type="CanonicalUser"><ID>${grantee.id}</ID></Grantee>`
      : `<Grantee ${xsi} xsi:type="Group"><URI>${grantee.uri}</URI></Grantee>`;
    return `<Grant>${who}<Permission>${permission}</Permission></Grant>`;
  }).join('');
  return `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>${ownerId}</ID></Owner>` +
    `<AccessControlList>${g}</AccessControlList></AccessControlPolicy>`;
}

export const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';
export const AUTHENTICATED_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers';
