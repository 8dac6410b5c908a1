/** BEP 23 / BEP 7 compact peer entries: 4-byte IPv4 or 16-byte IPv6 address, then the port, big-endian. */

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

/** the compact entry for ip:port, or undefined when `ip` is not an IP address literal */
export function compactPeer(ip: string, port: number): Buffer | undefined {
  if (ip.includes(':')) {
    const out = Buffer.allocUnsafe(18);
    if (!writeIpv6(ip, out, 0)) return undefined;
    out.writeUInt16BE(port, 16);
    return out;
  }
  const out = Buffer.allocUnsafe(6);
  if (!writeIpv4(ip, out, 0)) return undefined;
  out.writeUInt16BE(port, 4);
  return out;
}
