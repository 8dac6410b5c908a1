/**
 * HTTP announce and scrape queries (BEP 3, BEP 23, BEP 48) → AnnounceRequest / ScrapeRequest.
 * Tolerant of what real clients send; a malformed request throws TrackerFailure (sent back as an HTTP 200
 * with a bencoded `failure reason`, as trackers do).
 */
import { MAX_SCRAPE_HASHES, NUMWANT_DEFAULT, NUMWANT_MAX } from './limits.ts';
import { forEachParam, percentDecode, percentDecodeText } from './percent-decode.ts';
import { normalizeIp } from './compact.ts';
import { TrackerFailure, type AnnounceEvent, type AnnounceRequest, type ScrapeRequest } from './types.ts';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Decimal counter → number clamped to [0, MAX_SAFE_INTEGER]; -1 when it is negative, NaN when it is not
 * an integer. Never overflows: `left` can be up to 2^63 (some clients send 2^63-1 for "unknown").
 */
export function parseCounter(s: string, start: number, end: number): number {
  let i = start;
  const negative = s.charCodeAt(i) === 0x2d;
  if (negative) i++;
  if (i >= end) return NaN;
  let n = 0;
  for (; i < end; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return NaN;
    if (n < MAX_SAFE) n = n * 10 + d;
  }
  if (negative) return n === 0 ? 0 : -1;
  return n > MAX_SAFE ? MAX_SAFE : n;
}

function parseEvent(raw: string | undefined): AnnounceEvent {
  switch (raw) {
    case 'started': case 'stopped': case 'completed': return raw;
    default: return 'update'; // absent, '', 'empty' (some clients), BEP 21 'paused', anything else
  }
}

export function resolveNumwant(raw: number, event: AnnounceEvent): number {
  if (event === 'stopped') return 0;
  if (Number.isNaN(raw) || raw < 0) return NUMWANT_DEFAULT;
  return raw > NUMWANT_MAX ? NUMWANT_MAX : raw;
}

/** `left` as the request carries it (NaN: absent, -1: negative) → the AnnounceRequest rule */
export function resolveLeft(raw: number, event: AnnounceEvent): number {
  if (raw >= 0) return raw;
  return event === 'completed' ? 0 : MAX_SAFE;
}

const nonNegative = (raw: number): number => (raw < 0 ? 0 : raw);

/** `rawQuery` is everything after `?` (without `#…`); `remoteAddress` the socket's */
export function parseHttpAnnounce(rawQuery: string, remoteAddress: string): AnnounceRequest {
  let infoHash: Buffer | undefined;
  let peerId: Buffer | undefined;
  let port = NaN;
  let uploaded = 0;
  let downloaded = 0;
  let left = NaN;
  let leftSeen = false;
  let eventRaw: string | undefined;
  let numwant = NaN;
  let compact = true;
  let noPeerId = false;
  let key: string | undefined;
  let token: string | undefined;
  let bad: string | undefined;

  forEachParam(rawQuery, (name, start, end) => {
    switch (name) {
      case 'info_hash':
        if (infoHash === undefined) infoHash = percentDecode(rawQuery, start, end) ?? Buffer.alloc(0);
        break;
      case 'peer_id':
        if (peerId === undefined) peerId = percentDecode(rawQuery, start, end) ?? Buffer.alloc(0);
        break;
      case 'port':
        port = parseCounter(rawQuery, start, end);
        break;
      case 'uploaded':
        if (start < end) uploaded = parseCounter(rawQuery, start, end);
        if (Number.isNaN(uploaded)) bad ??= 'invalid uploaded';
        break;
      case 'downloaded':
        if (start < end) downloaded = parseCounter(rawQuery, start, end);
        if (Number.isNaN(downloaded)) bad ??= 'invalid downloaded';
        break;
      case 'left':
        leftSeen = start < end;
        left = parseCounter(rawQuery, start, end);
        break;
      case 'event':
        eventRaw = rawQuery.slice(start, end);
        break;
      case 'numwant':
        numwant = parseCounter(rawQuery, start, end);
        break;
      case 'compact':
        compact = !(end - start === 1 && rawQuery.charCodeAt(start) === 0x30);
        break;
      case 'no_peer_id':
        noPeerId = end - start === 1 && rawQuery.charCodeAt(start) === 0x31;
        break;
      case 'key':
        key = percentDecodeText(rawQuery, start, end);
        break;
      case 'token':
        token = percentDecodeText(rawQuery, start, end);
        break;
      // ip, ipv4, ipv6, trackerid, supportcrypto, requirecrypto, corrupt, redundant…: ignored
    }
  });

  if (infoHash === undefined) throw new TrackerFailure('missing info_hash');
  if (infoHash.length !== 20) throw new TrackerFailure('invalid info_hash');
  if (peerId === undefined) throw new TrackerFailure('missing peer_id');
  if (peerId.length !== 20) throw new TrackerFailure('invalid peer_id');
  if (!(port >= 1 && port <= 65535)) throw new TrackerFailure('invalid port');
  if (bad !== undefined) throw new TrackerFailure(bad);
  if (leftSeen && Number.isNaN(left)) throw new TrackerFailure('invalid left');
  const event = parseEvent(eventRaw);
  const request: AnnounceRequest = {
    infoHash, peerId, ip: normalizeIp(remoteAddress), port,
    uploaded: nonNegative(uploaded), downloaded: nonNegative(downloaded),
    left: resolveLeft(left, event), event, numwant: resolveNumwant(numwant, event), compact, noPeerId,
  };
  if (key !== undefined) request.key = key;
  if (token !== undefined) request.token = token;
  return request;
}

/** every `info_hash` (up to MAX_SCRAPE_HASHES; the rest are left out of the answer) and the `token` */
export function parseHttpScrape(rawQuery: string): ScrapeRequest {
  const infoHashes: Buffer[] = [];
  let token: string | undefined;
  forEachParam(rawQuery, (name, start, end) => {
    if (name === 'info_hash') {
      const hash = percentDecode(rawQuery, start, end);
      if (hash === undefined || hash.length !== 20) throw new TrackerFailure('invalid info_hash');
      if (infoHashes.length < MAX_SCRAPE_HASHES) infoHashes.push(hash);
    } else if (name === 'token') {
      token = percentDecodeText(rawQuery, start, end);
    }
  });
  if (infoHashes.length === 0) throw new TrackerFailure('scrape needs at least one info_hash (no full scrape)');
  return token === undefined ? { infoHashes } : { infoHashes, token };
}
