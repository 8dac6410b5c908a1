/**
 * MSE/PE names the torrent only as req2 = SHA1('req2' ‖ SKEY), SKEY being the 20-byte info-hash the
 * initiator will handshake with. Hashes are one-way and our torrents are not enumerable, so we remember
 * req2 for every info-hash we have seen (lookups, `Seeder.expect`) and ask the lookup for the rest.
 */
import { createHash } from 'node:crypto';
import { Lru } from './lru.ts';

export function req2Hash(infoHash20: Buffer): Buffer {
  return createHash('sha1').update('req2').update(infoHash20).digest();
}

/** the 20-byte hashes a peer may handshake with: v1, and the truncated v2 of a hybrid torrent */
export function handshakeHashes(t: { infoHash: Buffer; infoHashV2?: Buffer | undefined }): Buffer[] {
  return t.infoHashV2 ? [t.infoHash, t.infoHashV2.subarray(0, 20)] : [t.infoHash];
}

/** req2 (hex) → 20-byte info-hash */
export class Req2Index {
  private readonly lru: Lru<string, Buffer>;

  constructor(size: number) {
    this.lru = new Lru(size);
  }

  add(infoHash20: Buffer): void {
    this.lru.set(req2Hash(infoHash20).toString('hex'), Buffer.from(infoHash20));
  }

  remove(infoHash20: Buffer): void {
    this.lru.delete(req2Hash(infoHash20).toString('hex'));
  }

  resolve(req2Hex: string): Buffer | undefined {
    return this.lru.get(req2Hex);
  }
}
