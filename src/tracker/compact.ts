/** BEP 23 / BEP 7 compact peer entries: 4-byte IPv4 or 16-byte IPv6 address, then the port, big-endian. */
import type { ListedPeer } from './types.ts';

/** `::ffff:1.2.3.4` (a dual-stack socket's view of an IPv4 peer) → `1.2.3.4`; anything else unchanged */
export function normalizeIp(address: string): string {
  if (address.length > 7 && address.charCodeAt(0) === 0x3a && address.startsWith('::ffff:') && address.indexOf('.') > 0) {
    return address.slice(7);
  }
  return address;
}

function writeIpv4(ip: string, out: Buffer, offset: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= ip.length; i++) {
    const c = i === ip.length ? 0x2e : ip.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || value > 255 || part > 3) return false;
      out[offset + part++] = value;
      value = 0;
      digits = 0;
    } else {
      const d = c - 0x30;
      if (d < 0 || d > 9 || digits === 3) return false;
      value = value * 10 + d;
      digits++;
    }
  }
  return part === 4;
}

function writeIpv6(ip: string, out: Buffer, offset: number): boolean {
  const zone = ip.indexOf('%');
  const text = zone === -1 ? ip : ip.slice(0, zone);
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const words: number[] = [];
  const pushAll = (parts: string[]): boolean => {
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (p.includes('.') && i === parts.length - 1) {
        const v4 = Buffer.allocUnsafe(4);
        if (!writeIpv4(p, v4, 0)) return false;
        words.push(v4.readUInt16BE(0), v4.readUInt16BE(2));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return false;
        words.push(parseInt(p, 16));
      }
    }
    return true;
  };
  if (!pushAll(head)) return false;
  const headWords = words.length;
  if (!pushAll(tail)) return false;
  const missing = 8 - words.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return false;
  const all = [...words.slice(0, headWords), ...new Array<number>(missing).fill(0), ...words.slice(headWords)];
  all.forEach((w, i) => out.writeUInt16BE(w, offset + 2 * i));
  return true;
}

/** an IPv4 address as a uint32, an IPv6 address as 16 latin1 characters; undefined if `ip` is no IP literal */
export type RawAddress = number | string;

export function parseAddress(ip: string): RawAddress | undefined {
  if (ip.includes(':')) {
    const out = Buffer.allocUnsafe(16);
    return writeIpv6(ip, out, 0) ? out.toString('latin1') : undefined;
  }
  const out = Buffer.allocUnsafe(4);
  return writeIpv4(ip, out, 0) ? out.readUInt32BE(0) : undefined;
}

/**
 * A listable peer address. Kept as a number (IPv4) or a short string (IPv6) rather than a Buffer: a
 * small Buffer is a slice of Node's shared 8 KiB pool plus a ~100-byte object, per stored peer.
 */
export class PeerEndpoint implements ListedPeer {
  readonly ipv6: boolean;
  readonly #address: RawAddress;

  constructor(readonly ip: string, readonly port: number, address: RawAddress) {
    this.#address = address;
    this.ipv6 = typeof address === 'string';
  }

  get peerId(): Buffer | undefined {
    return undefined;
  }

  writeCompact(out: Buffer, offset: number): number {
    const address = this.#address;
    if (typeof address === 'number') {
      out.writeUInt32BE(address, offset);
      out.writeUInt16BE(this.port, offset + 4);
      return 6;
    }
    out.write(address, offset, 'latin1');
    out.writeUInt16BE(this.port, offset + 16);
    return 18;
  }
}

/** the compact entry for ip:port, or undefined when `ip` is not an IP address literal */
export function compactPeer(ip: string, port: number): Buffer | undefined {
  const address = parseAddress(ip);
  if (address === undefined) return undefined;
  const endpoint = new PeerEndpoint(ip, port, address);
  const out = Buffer.allocUnsafe(endpoint.ipv6 ? 18 : 6);
  endpoint.writeCompact(out, 0);
  return out;
}
