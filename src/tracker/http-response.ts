/**
 * Bencoded HTTP tracker responses. The compact announce (nearly every request) is written by hand into
 * one buffer; the rare shapes go through the canonical encoder.
 */
import { bencode, type BValue } from '../torrent/bencode.ts';
import type { AnnounceResponse, SwarmCounts } from './types.ts';

/**
 * BEP 23 compact: `peers` (6-byte IPv4 entries) and, when there are any, `peers6` (18-byte IPv6, BEP 7).
 * Keys in bencode order: complete, downloaded, incomplete, interval, min interval, peers, peers6.
 */
export function encodeCompactAnnounce(r: AnnounceResponse): Buffer {
  let v4 = 0;
  let v6 = 0;
  for (const peer of r.peers) {
    if (peer.ipv6) v6 += 18;
    else v4 += 6;
  }
  const head = `d8:completei${r.complete}e10:downloadedi${r.downloaded}e10:incompletei${r.incomplete}e8:intervali${r.interval}e12:min intervali${r.minInterval}e5:peers${v4}:`;
  const head6 = v6 > 0 ? `6:peers6${v6}:` : '';
  const out = Buffer.allocUnsafe(head.length + v4 + head6.length + v6 + 1);
  let at = out.write(head, 0, 'latin1');
  let at6 = at + v4;
  if (v6 > 0) at6 += out.write(head6, at6, 'latin1');
  for (const peer of r.peers) {
    if (peer.ipv6) at6 += peer.writeCompact(out, at6);
    else at += peer.writeCompact(out, at);
  }
  out[at6] = 0x65; // e
  return out;
}

/** BEP 3 dictionary model (`compact=0`): a list of {peer id, ip, port} */
export function encodeDictAnnounce(r: AnnounceResponse, noPeerId: boolean): Buffer {
  const peers: BValue[] = r.peers.map((p) => ({
    ip: p.ip, port: p.port, 'peer id': noPeerId ? undefined : p.peerId,
  }));
  return bencode({
    complete: r.complete, downloaded: r.downloaded, incomplete: r.incomplete,
    interval: r.interval, 'min interval': r.minInterval, peers,
  });
}

/** BEP 48: `files` keyed by raw 20-byte info-hash */
export function encodeScrape(files: ReadonlyMap<Buffer, SwarmCounts>, minInterval: number): Buffer {
  const dict = new Map<Uint8Array, BValue>();
  for (const [hash, c] of files) dict.set(hash, { complete: c.complete, downloaded: c.downloaded, incomplete: c.incomplete });
  return bencode({ files: dict, flags: { min_request_interval: minInterval } });
}

export function encodeFailure(reason: string): Buffer {
  return bencode({ 'failure reason': reason });
}
