/** Tracker test support: a tracker on 127.0.0.1, a raw HTTP announce client and a BEP 15 UDP client. */
import dgram from 'node:dgram';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { strictDecode } from '../helpers/strict-bdecode.ts';
import { Tracker, type TrackerOptions } from '../../src/tracker/tracker.ts';

export const SECRET = 'tracker-test-secret';

/** every byte escaped: what a careful client sends */
export function escapeAll(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) s += `%${b.toString(16).padStart(2, '0').toUpperCase()}`;
  return s;
}

/** unreserved bytes raw, the rest escaped (libtorrent's style) */
export function escapeMinimal(bytes: Buffer): string {
  let s = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    s += /[A-Za-z0-9._~-]/.test(c) ? c : `%${b.toString(16).padStart(2, '0')}`;
  }
  return s;
}

export interface Harness {
  tracker: Tracker;
  port: number;
  known: Map<string, { private: boolean }>;
  /** adds a tracked info-hash */
  register(infoHash: Buffer, isPrivate?: boolean): void;
  clock: { now: number };
  close(): Promise<void>;
}

export async function startTracker(options: Partial<TrackerOptions> = {}): Promise<Harness> {
  const known = new Map<string, { private: boolean }>();
  const clock = { now: Date.now() };
  const tracker = new Tracker({
    lookup: (h) => known.get(h.toString('hex')),
    now: () => clock.now,
    ...options,
  });
  const { port } = await tracker.listen({ port: 0, host: '127.0.0.1' });
  return {
    tracker, port, known, clock,
    register: (h, isPrivate = false) => { known.set(h.toString('hex'), { private: isPrivate }); },
    close: () => tracker.close(),
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

export async function httpGet(port: number, pathAndQuery: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathAndQuery, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export interface AnnounceParams {
  infoHash: Buffer;
  peerId?: Buffer;
  port: number;
  left?: number | string;
  event?: string;
  numwant?: number;
  compact?: 0 | 1;
  token?: string;
  extra?: string;
}

export function announceQuery(p: AnnounceParams): string {
  const parts = [
    `info_hash=${escapeAll(p.infoHash)}`,
    `peer_id=${escapeAll(p.peerId ?? randomBytes(20))}`,
    `port=${p.port}`, 'uploaded=0', 'downloaded=0',
  ];
  if (p.left !== undefined) parts.push(`left=${p.left}`);
  if (p.event !== undefined) parts.push(`event=${p.event}`);
  if (p.numwant !== undefined) parts.push(`numwant=${p.numwant}`);
  if (p.compact !== undefined) parts.push(`compact=${p.compact}`);
  if (p.token !== undefined) parts.push(`token=${p.token}`);
  if (p.extra !== undefined) parts.push(p.extra);
  return parts.join('&');
}

export type Decoded = Map<string, unknown>;

export async function httpAnnounce(port: number, p: AnnounceParams): Promise<Decoded> {
  const { status, body } = await httpGet(port, `/announce?${announceQuery(p)}`);
  if (status !== 200) throw new Error(`HTTP ${status}`);
  return strictDecode(body) as Decoded;
}

export function failureOf(d: Decoded): string | undefined {
  const f = d.get('failure reason');
  return f === undefined ? undefined : (f as Buffer).toString('utf8');
}

/** compact `peers` → ["ip:port", …] */
export function compactPeers(d: Decoded): string[] {
  const raw = d.get('peers');
  if (!(raw instanceof Buffer)) throw new Error('no compact peers');
  const out: string[] = [];
  for (let i = 0; i + 6 <= raw.length; i += 6) out.push(`${raw[i]}.${raw[i + 1]}.${raw[i + 2]}.${raw[i + 3]}:${raw.readUInt16BE(i + 4)}`);
  return out;
}

/** a BEP 15 client over one udp4 socket; every request times out after 3 s */
export class UdpClient {
  readonly socket = dgram.createSocket('udp4');
  #waiters = new Map<number, (msg: Buffer) => void>();

  constructor(private readonly port: number) {
    this.socket.on('message', (msg) => {
      if (msg.length < 8) return;
      const w = this.#waiters.get(msg.readUInt32BE(4));
      if (w) { this.#waiters.delete(msg.readUInt32BE(4)); w(msg); }
    });
  }

  /** `address`: any loopback address (127.0.0.0/8), to act as another host */
  async ready(address = '127.0.0.1'): Promise<void> {
    await new Promise<void>((resolve) => this.socket.bind(0, address, resolve));
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  request(packet: Buffer): Promise<Buffer> {
    const tx = packet.readUInt32BE(12);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.#waiters.delete(tx); reject(new Error('udp timeout')); }, 3000);
      this.#waiters.set(tx, (msg) => { clearTimeout(timer); resolve(msg); });
      this.socket.send(packet, this.port, '127.0.0.1');
    });
  }

  async connect(): Promise<Buffer> {
    const p = Buffer.alloc(16);
    p.writeUInt32BE(0x417, 0);
    p.writeUInt32BE(0x27101980, 4);
    p.writeUInt32BE(0, 8);
    p.writeUInt32BE(randomBytes(4).readUInt32BE(0), 12);
    const r = await this.request(p);
    if (r.readUInt32BE(0) !== 0) throw new Error(`connect: action ${r.readUInt32BE(0)}`);
    return r.subarray(8, 16);
  }

  announcePacket(connectionId: Buffer, a: { infoHash: Buffer; peerId?: Buffer; port: number; left?: bigint; event?: number; numwant?: number; urlData?: string }): Buffer {
    const url = a.urlData === undefined ? Buffer.alloc(0) : Buffer.from(a.urlData, 'latin1');
    const options: Buffer[] = [];
    for (let i = 0; i < url.length; i += 255) {
      const chunk = url.subarray(i, i + 255);
      options.push(Buffer.from([2, chunk.length]), chunk);
    }
    const p = Buffer.alloc(98);
    connectionId.copy(p, 0);
    p.writeUInt32BE(1, 8);
    p.writeUInt32BE(randomBytes(4).readUInt32BE(0), 12);
    a.infoHash.copy(p, 16);
    (a.peerId ?? randomBytes(20)).copy(p, 36);
    p.writeBigInt64BE(0n, 56);
    p.writeBigInt64BE(a.left ?? 1000n, 64);
    p.writeBigInt64BE(0n, 72);
    p.writeUInt32BE(a.event ?? 2, 80);
    p.writeUInt32BE(0, 84);
    p.writeUInt32BE(0x1234, 88);
    p.writeInt32BE(a.numwant ?? -1, 92);
    p.writeUInt16BE(a.port, 96);
    return Buffer.concat([p, ...options, ...(options.length ? [Buffer.from([0])] : [])]);
  }

  scrapePacket(connectionId: Buffer, hashes: Buffer[]): Buffer {
    const p = Buffer.alloc(16);
    connectionId.copy(p, 0);
    p.writeUInt32BE(2, 8);
    p.writeUInt32BE(randomBytes(4).readUInt32BE(0), 12);
    return Buffer.concat([p, ...hashes]);
  }

  close(): void {
    this.socket.close();
  }
}

export function udpError(msg: Buffer): string | undefined {
  return msg.readUInt32BE(0) === 3 ? msg.toString('utf8', 8) : undefined;
}

/** peers of an IPv4 UDP announce response */
export function udpPeers(msg: Buffer): string[] {
  const out: string[] = [];
  for (let i = 20; i + 6 <= msg.length; i += 6) out.push(`${msg[i]}.${msg[i + 1]}.${msg[i + 2]}.${msg[i + 3]}:${msg.readUInt16BE(i + 4)}`);
  return out;
}
