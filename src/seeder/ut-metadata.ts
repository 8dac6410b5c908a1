/**
 * BEP 9 ut_metadata, serving side only: a peer that has just an info-hash (a magnet link) fetches the
 * info dict from us in 16 KiB blocks. Implemented here instead of the ut_metadata package (not installed,
 * and it is mostly the fetching side). Requests beyond a per-peer budget are rejected.
 */
import type { ExtensionConstructor, ExtensionInstance } from 'bittorrent-protocol';
import type Wire from 'bittorrent-protocol';
import { bencode } from '../torrent/bencode.ts';
import { bdecodePrefix } from './bdecode.ts';
import { METADATA_BLOCK_LENGTH, METADATA_REQUESTS_PER_BLOCK } from './limits.ts';

const MSG_REQUEST = 0;
const MSG_DATA = 1;
const MSG_REJECT = 2;

export interface MetadataEvents {
  /** a block was sent */
  served(piece: number): void;
  /** the peer sent something that is not a ut_metadata message */
  malformed(reason: string): void;
}

/** an extension class for wire.use(); `info` is the bencoded info dict */
export function utMetadataServer(info: Buffer, events: MetadataEvents): ExtensionConstructor {
  const blocks = Math.ceil(info.length / METADATA_BLOCK_LENGTH);
  const budget = blocks * METADATA_REQUESTS_PER_BLOCK;

  class UtMetadataServer implements ExtensionInstance {
    private served = 0;

    constructor(private readonly wire: Wire) {}

    onMessage(buf: Uint8Array): void {
      let msgType: unknown;
      let piece: unknown;
      try {
        const { value } = bdecodePrefix(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
        if (!(value instanceof Map)) throw new Error('not a dict');
        msgType = value.get('msg_type');
        piece = value.get('piece');
      } catch (e) {
        events.malformed(`ut_metadata: ${(e as Error).message}`);
        return;
      }
      if (msgType !== MSG_REQUEST) return; // data/reject: we never ask
      if (typeof piece !== 'number') {
        events.malformed('ut_metadata: request without piece');
        return;
      }
      if (!Number.isSafeInteger(piece) || piece < 0 || piece >= blocks || this.served >= budget) {
        this.send({ msg_type: MSG_REJECT, piece: Number.isSafeInteger(piece) ? piece : 0 });
        return;
      }
      this.served++;
      const start = piece * METADATA_BLOCK_LENGTH;
      const block = info.subarray(start, start + METADATA_BLOCK_LENGTH);
      this.send({ msg_type: MSG_DATA, piece, total_size: info.length }, block);
      events.served(piece);
    }

    private send(dict: Record<string, number>, block?: Buffer): void {
      if (!this.wire.peerExtendedMapping.ut_metadata) return; // peer never said it speaks ut_metadata
      const head = bencode(dict);
      this.wire.extended('ut_metadata', block ? Buffer.concat([head, block]) : head);
    }
  }
  Object.defineProperty(UtMetadataServer.prototype, 'name', { value: 'ut_metadata' });
  return UtMetadataServer as unknown as ExtensionConstructor;
}
