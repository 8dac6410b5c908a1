/** BEP 15 response packets. */
import { MAX_UDP_RESPONSE_BYTES } from './limits.ts';
import { ACTION_ANNOUNCE, ACTION_CONNECT, ACTION_ERROR, ACTION_SCRAPE } from './parse-udp.ts';
import type { AnnounceResponse, SwarmCounts } from './types.ts';

const INT32_MAX = 0x7fffffff;
const int32 = (n: number): number => (n > INT32_MAX ? INT32_MAX : n);

export function encodeUdpConnect(transactionId: number, connectionId: Buffer): Buffer {
  const out = Buffer.allocUnsafe(16);
  out.writeUInt32BE(ACTION_CONNECT, 0);
  out.writeUInt32BE(transactionId, 4);
  connectionId.copy(out, 8);
  return out;
}

/** peers of the socket's family only (the entry size tells the client which); fits MAX_UDP_RESPONSE_BYTES */
export function encodeUdpAnnounce(transactionId: number, response: AnnounceResponse, ipv6: boolean): Buffer {
  const entry = ipv6 ? 18 : 6;
  const room = Math.floor((MAX_UDP_RESPONSE_BYTES - 20) / entry);
  let count = 0;
  for (const peer of response.peers) if (peer.ipv6 === ipv6 && count < room) count++;
  const out = Buffer.allocUnsafe(20 + count * entry);
  out.writeUInt32BE(ACTION_ANNOUNCE, 0);
  out.writeUInt32BE(transactionId, 4);
  out.writeUInt32BE(int32(response.interval), 8);
  out.writeUInt32BE(int32(response.incomplete), 12);
  out.writeUInt32BE(int32(response.complete), 16);
  let offset = 20;
  for (const peer of response.peers) {
    if (peer.ipv6 !== ipv6) continue;
    if (offset >= out.length) break;
    offset += peer.writeCompact(out, offset);
  }
  return out;
}

export function encodeUdpScrape(transactionId: number, entries: readonly SwarmCounts[]): Buffer {
  const out = Buffer.allocUnsafe(8 + 12 * entries.length);
  out.writeUInt32BE(ACTION_SCRAPE, 0);
  out.writeUInt32BE(transactionId, 4);
  entries.forEach((e, i) => {
    out.writeUInt32BE(int32(e.complete), 8 + 12 * i);
    out.writeUInt32BE(int32(e.downloaded), 12 + 12 * i);
    out.writeUInt32BE(int32(e.incomplete), 16 + 12 * i);
  });
  return out;
}

export function encodeUdpError(transactionId: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const out = Buffer.allocUnsafe(8 + text.length);
  out.writeUInt32BE(ACTION_ERROR, 0);
  out.writeUInt32BE(transactionId, 4);
  text.copy(out, 8);
  return out;
}
