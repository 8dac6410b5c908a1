/**
 * Shared support for the GetObjectTorrent end-to-end tests (test/torrent-api/*.test.ts): fetch a torrent
 * from the real server, decode it strictly, check its shape, and check every piece hash against the
 * object's bytes as GetObject streams them. Written from the BEPs, independent of src/torrent.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import type { Readable } from 'node:stream';
import {
  GetObjectCommand, GetObjectTorrentCommand, HeadObjectCommand, S3ServiceException, type GetObjectTorrentCommandInput, type S3Client,
} from '@aws-sdk/client-s3';
import type { IncomingHttpHeaders } from 'node:http';
import { bkey, rawValue, strictDecode } from '../helpers/strict-bdecode.ts';
import { DEBIAN_PYTHON, refV2 } from '../torrent/support.ts';
import { run } from '../helpers/tools.ts';
import type { TestServer } from '../helpers/server.ts';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

export const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface ParsedTorrent {
  infoHash: string; name: string; length: number; pieceLength: number; lastPieceLength: number; pieces: string[];
  urlList: string[]; announce: string[]; private?: boolean; created?: Date; createdBy?: string;
  files: Array<{ path: string; name: string; length: number }>;
}
// parse-torrent ships no types; a non-literal specifier keeps tsc from looking for them
const parseTorrentModule = 'parse-torrent';
export const parseTorrent = (await import(parseTorrentModule)).default as (t: Uint8Array) => Promise<ParsedTorrent>;

/** What a decoded .torrent says, with the raw maps kept for exact-key checks. */
export interface Torrent {
  raw: Buffer;
  top: Map<string, unknown>;
  info: Map<string, unknown>;
  /** SHA-1 of the exact `info` bytes, hex */
  infoHash: string;
  /** SHA-256 of the exact `info` bytes, hex (hybrid only) */
  infoHashV2?: string;
  hybrid: boolean;
  name: string;
  length: number;
  pieceLength: number;
  pieces: Buffer;
  bucket: string;
  key: string;
  private: boolean;
  announce: string;
  announceList: string[][];
  urlList: string[];
  creationDate: number;
  createdBy: string;
  /** hybrid: the file's `pieces root` (absent for 0 bytes) */
  piecesRoot?: Buffer;
  /** hybrid: `piece layers[pieces root]` (only for more than one piece) */
  pieceLayer?: Buffer;
}

const str = (v: unknown, what: string): string => {
  assert.ok(Buffer.isBuffer(v), `${what} must be a byte string`);
  return v.toString('utf8');
};
const int = (v: unknown, what: string): number => {
  assert.equal(typeof v, 'number', `${what} must be an integer`);
  return v as number;
};
const keysOf = (m: Map<string, unknown>): string[] => [...m.keys()].map((k) => Buffer.from(k, 'latin1').toString('utf8'));

/**
 * Strictly decode a .torrent (canonical bencode only) and check its shape: exactly the top-level and
 * info keys a seedbucket single-file torrent has, each of the right type.
 */
export function decodeTorrent(raw: Buffer): Torrent {
  const top = strictDecode(raw);
  assert.ok(top instanceof Map, 'a torrent is a dict');
  const info = top.get('info');
  assert.ok(info instanceof Map, 'info is a dict');
  const infoRaw = rawValue(raw, 'info');
  const hybrid = info.has('meta version');
  const length = int(info.get('length'), 'info.length');
  const pieceLength = int(info.get('piece length'), 'info.piece length');
  assert.ok(pieceLength >= 16 * KiB && (pieceLength & (pieceLength - 1)) === 0, `piece length ${pieceLength} is a power of two ≥ 16 KiB`);
  const pieces = info.get('pieces');
  assert.ok(Buffer.isBuffer(pieces));
  assert.equal(pieces.length, 20 * Math.ceil(length / pieceLength), 'pieces: 20 bytes per piece');

  const isPrivate = info.has('private');
  if (isPrivate) assert.equal(info.get('private'), 1, 'private is exactly i1e when present');
  const expectedInfo = ['length', 'name', 'piece length', 'pieces', 'x-amz-bucket', 'x-amz-key', 'x-seedbucket-version'];
  if (isPrivate) expectedInfo.push('private');
  if (hybrid) expectedInfo.push('file tree', 'meta version');
  assert.deepEqual(keysOf(info).sort(), expectedInfo.sort(), 'info keys');

  const name = str(info.get('name'), 'info.name');
  let piecesRoot: Buffer | undefined;
  let pieceLayer: Buffer | undefined;
  if (hybrid) {
    assert.equal(info.get('meta version'), 2);
    const tree = info.get('file tree');
    assert.ok(tree instanceof Map && tree.size === 1, 'file tree holds one file');
    const entry = tree.get(bkey(name));
    assert.ok(entry instanceof Map && entry.size === 1, 'file tree is { name: { "": {...} } }');
    const file = entry.get('');
    assert.ok(file instanceof Map);
    assert.equal(file.get('length'), length, 'file tree length');
    if (length > 0) {
      piecesRoot = file.get('pieces root') as Buffer;
      assert.ok(Buffer.isBuffer(piecesRoot) && piecesRoot.length === 32, 'pieces root: 32 bytes');
      assert.deepEqual(keysOf(file).sort(), ['length', 'pieces root']);
    } else {
      assert.deepEqual(keysOf(file), ['length'], 'an empty file has no pieces root');
    }
  }
  const expectedTop = ['announce', 'announce-list', 'created by', 'creation date', 'info', 'url-list'];
  if (hybrid && length > pieceLength) {
    expectedTop.push('piece layers');
    const layers = top.get('piece layers');
    assert.ok(layers instanceof Map && layers.size === 1, 'piece layers: one entry');
    pieceLayer = layers.get(piecesRoot!.toString('latin1')) as Buffer;
    assert.ok(Buffer.isBuffer(pieceLayer), 'piece layers is keyed by the pieces root');
    assert.equal(pieceLayer.length, 32 * Math.ceil(length / pieceLength));
  }
  assert.deepEqual(keysOf(top).sort(), expectedTop.sort(), 'top-level keys');

  const announceList = top.get('announce-list');
  assert.ok(Array.isArray(announceList) && announceList.length >= 1);
  const urlList = top.get('url-list');
  assert.ok(Array.isArray(urlList), 'url-list is a list');
  const t: Torrent = {
    raw, top, info, hybrid, name, length, pieceLength, pieces,
    infoHash: createHash('sha1').update(infoRaw).digest('hex'),
    bucket: str(info.get('x-amz-bucket'), 'x-amz-bucket'),
    key: str(info.get('x-amz-key'), 'x-amz-key'),
    private: isPrivate,
    announce: str(top.get('announce'), 'announce'),
    announceList: announceList.map((tier, i) => {
      assert.ok(Array.isArray(tier) && tier.length >= 1, `announce-list tier ${i}`);
      return tier.map((u: unknown) => str(u, 'tracker URL'));
    }),
    urlList: urlList.map((u: unknown) => str(u, 'url-list entry')),
    creationDate: int(top.get('creation date'), 'creation date'),
    createdBy: str(top.get('created by'), 'created by'),
  };
  if (hybrid) t.infoHashV2 = createHash('sha256').update(infoRaw).digest('hex');
  if (piecesRoot) t.piecesRoot = piecesRoot;
  if (pieceLayer) t.pieceLayer = pieceLayer;
  return t;
}

/** The exact bytes of `info` (for comparing torrents of one object version). */
export function infoBytes(t: Torrent): Buffer {
  return rawValue(t.raw, 'info');
}

/** Fetch a torrent with the SDK, also capturing the raw response headers. */
export async function getTorrent(
  client: S3Client, input: GetObjectTorrentCommandInput,
): Promise<{ torrent: Torrent; body: Buffer; headers: IncomingHttpHeaders; requestCharged: string | undefined }> {
  let headers: IncomingHttpHeaders = {};
  const cmd = new GetObjectTorrentCommand(input);
  cmd.middlewareStack.add((next) => async (args) => {
    const out = await next(args);
    headers = (out.response as { headers: IncomingHttpHeaders }).headers;
    return out;
  }, { step: 'deserialize', name: 'captureTorrentHeaders' });
  const res = await client.send(cmd);
  const body = Buffer.from(await res.Body!.transformToByteArray());
  return { torrent: decodeTorrent(body), body, headers, requestCharged: res.RequestCharged };
}

/** The S3 error a promise rejects with: code (the SDK's name), HTTP status and message. */
export async function s3Error(p: Promise<unknown>): Promise<{ code: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof S3ServiceException, `expected an S3 error, got ${String(e)}`);
    return { code: e.name, status: e.$metadata.httpStatusCode, message: e.message };
  }
  assert.fail('expected the request to fail');
}

/**
 * Stream `source` (the object's bytes) and check every v1 piece hash of `t` against it, piece by piece,
 * holding at most one piece. Optionally copies the bytes to `saveTo` (for libtorrent's hash check) and,
 * for hybrid torrents, checks the v2 piece layer and pieces root (then the bytes are kept: small objects only).
 * Returns the byte count and the MD5 (hex) of what streamed.
 */
export async function verifyPieces(t: Torrent, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: { saveTo?: string } = {}): Promise<{ bytes: number; md5: string }> {
  const md5 = createHash('md5');
  const out = opts.saveTo ? createWriteStream(opts.saveTo) : undefined;
  const kept: Buffer[] = [];
  let piece = 0;
  let inPiece = 0;
  let bytes = 0;
  let sha1 = createHash('sha1');
  const endPiece = () => {
    const want = t.pieces.subarray(piece * 20, piece * 20 + 20);
    const got = sha1.digest();
    assert.ok(got.equals(want), `piece ${piece} of ${t.pieces.length / 20}: SHA-1 ${got.toString('hex')} ≠ torrent's ${want.toString('hex')}`);
    piece++;
    inPiece = 0;
    sha1 = createHash('sha1');
  };
  try {
    for await (const c of source) {
      let chunk = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      md5.update(chunk);
      bytes += chunk.length;
      if (t.hybrid) kept.push(Buffer.from(chunk));
      if (out && !out.write(chunk)) await once(out, 'drain');
      while (chunk.length > 0) {
        const take = Math.min(chunk.length, t.pieceLength - inPiece);
        sha1.update(chunk.subarray(0, take));
        inPiece += take;
        chunk = chunk.subarray(take);
        if (inPiece === t.pieceLength) endPiece();
      }
    }
    if (inPiece > 0) endPiece();
    if (out) { out.end(); await once(out, 'finish'); }
  } catch (e) {
    // a failed check leaves the response unread: release it now rather than have it abort later
    (source as Partial<Readable>).destroy?.();
    out?.destroy();
    throw e;
  }
  assert.equal(bytes, t.length, 'object size = info.length');
  assert.equal(piece, t.pieces.length / 20, 'every piece was checked');
  if (t.hybrid) {
    const ref = refV2(Buffer.concat(kept), t.pieceLength);
    assert.equal(t.piecesRoot?.toString('hex'), ref.piecesRoot?.toString('hex'), 'v2 pieces root');
    if (t.length > t.pieceLength) assert.ok(t.pieceLayer!.equals(ref.pieceLayer), 'v2 piece layer');
  }
  return { bytes, md5: md5.digest('hex') };
}

/** GetObject's body, streamed. */
export async function objectStream(client: S3Client, bucket: string, key: string): Promise<Readable> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return res.Body as Readable;
}

/**
 * The checks every torrent of an object must pass: it names this bucket and key, its length and piece
 * hashes are the object's bytes, its creation date is the object's Last-Modified, its trackers and
 * creator are ours.
 */
export async function checkTorrentOfObject(
  client: S3Client, t: Torrent, bucket: string, key: string, opts: { saveTo?: string; format?: 'v1' | 'hybrid' } = {},
): Promise<void> {
  assert.equal(t.bucket, bucket, 'x-amz-bucket');
  assert.equal(t.key, key, 'x-amz-key round-trips the full key');
  assert.equal(t.hybrid, (opts.format ?? 'v1') === 'hybrid', `format ${opts.format ?? 'v1'}`);
  assert.equal(t.createdBy, `seedbucket/${PACKAGE_VERSION}`);
  assert.deepEqual(t.announceList[0], [t.announce], 'our own tracker is the first tier');
  assert.equal(t.urlList.length, 1, 'one web seed');
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  assert.equal(t.length, head.ContentLength);
  assert.equal(t.creationDate, Math.floor(head.LastModified!.getTime() / 1000), 'creation date = Last-Modified');
  const streamed = await verifyPieces(t, await objectStream(client, bucket, key), opts.saveTo ? { saveTo: opts.saveTo } : {});
  if (!head.ETag!.includes('-')) assert.equal(`"${streamed.md5}"`, head.ETag, 'the bytes checked are the object (ETag)');
}

// ---- external tools ---------------------------------------------------------------------------------

const LT_WEBSEED = path.join(import.meta.dirname, 'lt_webseed.py');

export interface WebSeedResult { torrent: string; finished: boolean; state: string; total_done: number; errors: string[] }

/** libtorrent downloads each torrent from the server alone (one session, loopback only); see lt_webseed.py */
export async function ltWebSeedDownload(jobs: Array<{ torrent: string; save: string }>, work: string, timeoutSeconds = 60): Promise<WebSeedResult[]> {
  const jobsFile = path.join(work, `webseed-jobs-${Date.now()}.json`);
  writeFileSync(jobsFile, JSON.stringify(jobs));
  const r = await run(DEBIAN_PYTHON, [LT_WEBSEED, jobsFile, String(timeoutSeconds)], { timeoutMs: (timeoutSeconds + 60) * 1000 });
  assert.equal(r.code, 0, `lt_webseed.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as WebSeedResult[];
}

export function transmissionShow(file: string): { status: number | null; out: string } {
  const r = spawnSync('transmission-show', [file], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `seedbucket admin …` against a running server's data directory; returns the printed JSON. */
export async function admin<T = Record<string, string>>(server: TestServer, ...args: string[]): Promise<T> {
  const bin = path.resolve(import.meta.dirname, '../../bin/seedbucket.js');
  const r = await run(process.execPath, [bin, 'admin', ...args, '--data', server.dataDir], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `seedbucket admin ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface Account { accountId: string; canonicalUserId: string; accessKeyId: string; secretAccessKey: string }

/** RFC 6266 / 5987: the filename a Content-Disposition names, `filename*` preferred. */
export function dispositionFilename(cd: string): { filename: string; ascii: string } {
  assert.match(cd, /^attachment; /, 'Content-Disposition: attachment');
  const ascii = /filename="([^"]*)"/.exec(cd);
  assert.ok(ascii, `a quoted filename in ${cd}`);
  const ext = /filename\*=UTF-8''([A-Za-z0-9!#$&+.^_`|~%-]+)$/.exec(cd);
  return { filename: ext ? decodeURIComponent(ext[1]!) : ascii[1]!, ascii: ascii[1]! };
}
