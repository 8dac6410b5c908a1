/**
 * BEP 15 UDP tracker requests → the shared request shapes, with BEP 41 URL data (the announce URL's path
 * and query, e.g. `/announce?token=…`, so private-torrent tokens work over UDP too).
 *
 * Returns undefined for datagrams that get no answer at all (too short to carry a transaction ID, connect
 * without the protocol magic); throws TrackerFailure for requests answered with an error packet.
 * Connection IDs are checked by the caller (it knows the clock and the secret).
 */
import { normalizeIp } from './compact.ts';
import { MAX_UDP_SCRAPE_HASHES } from './limits.ts';
import { resolveLeft, resolveNumwant } from './parse-http.ts';
import { forEachParam, percentDecodeText } from './percent-decode.ts';
import { TrackerFailure, type AnnounceEvent, type AnnounceRequest, type ScrapeRequest } from './types.ts';

/** 0x41727101980, the connect request's protocol_id, as two 32-bit halves */
const PROTOCOL_ID_HIGH = 0x417;
const PROTOCOL_ID_LOW = 0x27101980;

export const ACTION_CONNECT = 0;
export const ACTION_ANNOUNCE = 1;
export const ACTION_SCRAPE = 2;
export const ACTION_ERROR = 3;

const ANNOUNCE_LENGTH = 98;
const EVENTS: readonly AnnounceEvent[] = ['update', 'completed', 'started', 'stopped'];

// BEP 41 option types
const OPTION_END = 0;
const OPTION_NOP = 1;
const OPTION_URL_DATA = 2;

export type UdpRequest =
  | { action: 'connect'; transactionId: number }
  | { action: 'announce'; transactionId: number; connectionId: Buffer; announce: AnnounceRequest }
  | { action: 'scrape'; transactionId: number; connectionId: Buffer; scrape: ScrapeRequest };

/** int64 → number: -1 when negative, clamped to MAX_SAFE_INTEGER */
function readCounter(packet: Buffer, offset: number): number {
  const high = packet.readInt32BE(offset);
  if (high < 0) return -1;
  if (high >= 0x200000) return Number.MAX_SAFE_INTEGER;
  return high * 0x1_0000_0000 + packet.readUInt32BE(offset + 4);
}

/** concatenated BEP 41 URLData; unknown option types carry a length byte and are skipped; truncation ends the list */
export function readUrlData(packet: Buffer, offset: number): string {
  let url = '';
  let i = offset;
  while (i < packet.length) {
    const type = packet[i]!;
    if (type === OPTION_END) break;
    if (type === OPTION_NOP) { i++; continue; }
    const length = packet[i + 1];
    if (length === undefined || i + 2 + length > packet.length) break;
    if (type === OPTION_URL_DATA) url += packet.toString('latin1', i + 2, i + 2 + length);
    i += 2 + length;
  }
  return url;
}

/** the `token` query parameter of BEP 41 URL data (`/announce?token=…`) */
export function tokenFromUrlData(url: string): string | undefined {
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  const query = url.slice(q + 1);
  let token: string | undefined;
  forEachParam(query, (name, start, end) => {
    if (name === 'token' && token === undefined) token = percentDecodeText(query, start, end);
  });
  return token;
}

function parseAnnounce(packet: Buffer, remoteAddress: string): AnnounceRequest {
  if (packet.length < ANNOUNCE_LENGTH) throw new TrackerFailure('announce packet too short');
  const port = packet.readUInt16BE(96);
  if (port === 0) throw new TrackerFailure('invalid port');
  const event = EVENTS[packet.readUInt32BE(80)] ?? 'update';
  const uploaded = readCounter(packet, 72);
  const downloaded = readCounter(packet, 56);
  const request: AnnounceRequest = {
    infoHash: Buffer.from(packet.subarray(16, 36)),
    peerId: Buffer.from(packet.subarray(36, 56)),
    ip: normalizeIp(remoteAddress), // the packet's IP field is ignored, like HTTP's `ip`
    port,
    uploaded: uploaded < 0 ? 0 : uploaded,
    downloaded: downloaded < 0 ? 0 : downloaded,
    left: resolveLeft(readCounter(packet, 64), event),
    event,
    numwant: resolveNumwant(packet.readInt32BE(92), event),
    compact: true,
    noPeerId: true,
    key: packet.readUInt32BE(88).toString(16).padStart(8, '0'),
  };
  if (packet.length > ANNOUNCE_LENGTH) {
    const token = tokenFromUrlData(readUrlData(packet, ANNOUNCE_LENGTH));
    if (token !== undefined) request.token = token;
  }
  return request;
}

function parseScrape(packet: Buffer): ScrapeRequest {
  const count = Math.min(Math.floor((packet.length - 16) / 20), MAX_UDP_SCRAPE_HASHES);
  if (count === 0) throw new TrackerFailure('scrape needs at least one info_hash');
  const infoHashes: Buffer[] = [];
  for (let i = 0; i < count; i++) infoHashes.push(Buffer.from(packet.subarray(16 + 20 * i, 36 + 20 * i)));
  return { infoHashes };
}

export function parseUdpRequest(packet: Buffer, remoteAddress: string): UdpRequest | undefined {
  if (packet.length < 16) return undefined;
  const action = packet.readUInt32BE(8);
  const transactionId = packet.readUInt32BE(12);
  if (action === ACTION_CONNECT) {
    if (packet.readUInt32BE(0) !== PROTOCOL_ID_HIGH || packet.readUInt32BE(4) !== PROTOCOL_ID_LOW) return undefined;
    return { action: 'connect', transactionId };
  }
  const connectionId = Buffer.from(packet.subarray(0, 8));
  if (action === ACTION_ANNOUNCE) return { action: 'announce', transactionId, connectionId, announce: parseAnnounce(packet, remoteAddress) };
  if (action === ACTION_SCRAPE) return { action: 'scrape', transactionId, connectionId, scrape: parseScrape(packet) };
  throw new TrackerFailure(`unknown action ${action}`);
}
