/**
 * A bittorrent-protocol Wire on a real socket, as the far end of wire-level tests: plaintext, or MSE/PE
 * the way webtorrent ≥3.0.7 opens connections (peEnabled 1 = plaintext allowed, 2 = RC4 only).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import Wire, { type ExtensionConstructor, type ExtensionInstance } from 'bittorrent-protocol';
import { bencode } from '../../../src/torrent/bencode.ts';

export interface ClientWire {
  wire: Wire;
  socket: net.Socket;
  /** events seen, in order (name or name:arg) */
  log: string[];
  /** ut_metadata messages received */
  metadata: Buffer[];
  closed: Promise<void>;
  isClosed(): boolean;
  destroy(): void;
}

export interface ConnectOptions {
  port: number;
  infoHash: Buffer;
  pe?: 0 | 1 | 2;
  fast?: boolean;
  /** send nothing: just open the socket */
  raw?: boolean;
}

/** connect; resolves once the socket is open (the handshake is under way) */
export async function connectWire(opts: ConnectOptions): Promise<ClientWire> {
  const socket = net.connect({ host: '127.0.0.1', port: opts.port });
  socket.on('error', () => {});
  const wire = new Wire('tcpOutgoing', opts.pe ?? 0);
  const log: string[] = [];
  const metadata: Buffer[] = [];
  let closed = false;
  const closedP = new Promise<void>((resolve) => socket.once('close', () => { closed = true; resolve(); }));
  class MetadataProbe implements ExtensionInstance {
    onMessage(buf: Uint8Array): void { metadata.push(Buffer.from(buf)); }
  }
  Object.defineProperty(MetadataProbe.prototype, 'name', { value: 'ut_metadata' });
  wire.use(MetadataProbe as unknown as ExtensionConstructor);
  for (const ev of ['have-all', 'have-none', 'unchoke', 'choke', 'crypto-handshake']) wire.on(ev, () => log.push(ev));
  wire.on('have', (i: number) => log.push(`have:${i}`));
  wire.on('bitfield', () => log.push('bitfield'));
  wire.on('allowed-fast', (i: number) => log.push(`allowed-fast:${i}`));
  wire.on('reject', (i: number, o: number, l: number) => log.push(`reject:${i}:${o}:${l}`));
  wire.on('extended', (ext: string | number) => { if (ext === 'handshake') log.push('extended-handshake'); });
  wire.on('handshake', () => log.push('handshake'));
  socket.pipe(wire as unknown as NodeJS.WritableStream);
  wire.pipe(socket);
  await once(socket, 'connect');
  const peerId = Buffer.concat([Buffer.from('-TW0001-'), randomBytes(12)]);
  if (!opts.raw) {
    if (opts.pe) {
      wire.once('crypto-handshake', () => wire.handshake(opts.infoHash, peerId, { fast: opts.fast ?? true }));
      wire.startEncryption(opts.infoHash.toString('hex'));
    } else {
      wire.handshake(opts.infoHash, peerId, { fast: opts.fast ?? true });
    }
  }
  return {
    wire, socket, log, metadata, closed: closedP, isClosed: () => closed,
    destroy: () => { socket.destroy(); wire.destroy(); },
  };
}

/** resolves when `pred` holds, polling; rejects after `ms` */
export async function waitFor(pred: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** request one block; resolves with the bytes or rejects with the wire's error (reject, choke…) */
export function requestBlock(wire: Wire, index: number, offset: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    wire.request(index, offset, length, (err, block) => (err ? reject(err) : resolve(Buffer.from(block!))));
  });
}

/** ask for one ut_metadata block */
export function requestMetadata(wire: Wire, piece: number): void {
  wire.extended('ut_metadata', bencode({ msg_type: 0, piece }));
}
