/**
 * BEP 6 canonical allowed-fast set: pieces a choked peer may still request. Derived from the peer's /24
 * and the info-hash, so every connection from one network gets the same set (no gain from reconnecting).
 * IPv6 is not covered by BEP 6: no set.
 */
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';

export function allowedFastSet(ip: string, infoHash: Buffer, pieceCount: number, k: number): number[] {
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  if (!isIPv4(v4) || pieceCount === 0) return [];
  const want = Math.min(k, pieceCount);
  const octets = v4.split('.').map(Number);
  let x: Buffer = Buffer.concat([Buffer.from([octets[0]!, octets[1]!, octets[2]!, 0]), infoHash]);
  const set: number[] = [];
  while (set.length < want) {
    x = createHash('sha1').update(x).digest();
    for (let i = 0; i < 5 && set.length < want; i++) {
      const index = x.readUInt32BE(i * 4) % pieceCount;
      if (!set.includes(index)) set.push(index);
    }
  }
  return set;
}
