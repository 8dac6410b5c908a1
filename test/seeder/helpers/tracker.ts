/**
 * A minimal in-test HTTP tracker (BEP 3 + BEP 23 compact): every announce gets the other known peers,
 * the seeder first. Enough for aria2c, which cannot be handed a peer on the command line.
 * Loopback only; the path is /announce, which libtorrent's SSRF mitigation insists on for 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface TrackedPeer { ip: string; port: number; left: number; at: number }

export interface TestTracker {
  url: string;
  /** listed first in every answer (our seeder); may be set after start */
  seeder: { ip: string; port: number } | undefined;
  /** info-hash hex → peers that announced */
  swarms: Map<string, Map<string, TrackedPeer>>;
  announces: number;
  leechers(infoHash: Buffer): number;
  close(): Promise<void>;
}

/** raw query values: info_hash and peer_id are percent-encoded binary, which URLSearchParams would mangle */
function rawQuery(url: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const q = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  for (const part of q.split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const bytes: number[] = [];
    const v = part.slice(eq + 1);
    for (let i = 0; i < v.length; i++) {
      if (v[i] === '%' && i + 2 < v.length) { bytes.push(parseInt(v.slice(i + 1, i + 3), 16)); i += 2; } else if (v[i] === '+') bytes.push(0x20); else bytes.push(v.charCodeAt(i));
    }
    out.set(part.slice(0, eq), Buffer.from(bytes));
  }
  return out;
}

function compact(peers: Iterable<{ ip: string; port: number }>): Buffer {
  const out: Buffer[] = [];
  for (const p of peers) {
    const b = Buffer.alloc(6);
    p.ip.split('.').forEach((o, i) => { b[i] = Number(o); });
    b.writeUInt16BE(p.port, 4);
    out.push(b);
  }
  return Buffer.concat(out);
}

export async function startTracker(seeder?: { ip: string; port: number }): Promise<TestTracker> {
  const state0: { seeder: { ip: string; port: number } | undefined } = { seeder };
  const swarms = new Map<string, Map<string, TrackedPeer>>();
  const state = { announces: 0 };
  const server = http.createServer((req, res) => {
    const q = rawQuery(req.url ?? '');
    const infoHash = q.get('info_hash');
    const port = Number(q.get('port')?.toString() ?? 0);
    if (!req.url?.startsWith('/announce') || !infoHash || infoHash.length !== 20 || !port) {
      res.end('d14:failure reason11:bad requeste');
      return;
    }
    state.announces++;
    const hex = infoHash.toString('hex');
    const swarm = swarms.get(hex) ?? new Map<string, TrackedPeer>();
    swarms.set(hex, swarm);
    const ip = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const id = `${ip}:${port}`;
    if (q.get('event')?.toString() === 'stopped') swarm.delete(id);
    else swarm.set(id, { ip, port, left: Number(q.get('left')?.toString() ?? 1), at: Date.now() });
    const others = [...(state0.seeder ? [state0.seeder] : []), ...[...swarm.values()].filter((p) => `${p.ip}:${p.port}` !== id)];
    const peers = compact(others);
    res.setHeader('content-type', 'text/plain');
    res.end(Buffer.concat([Buffer.from(`d8:intervali5e12:min intervali2e5:peers${peers.length}:`), peers, Buffer.from('e')]));
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/announce`,
    get seeder() { return state0.seeder; },
    set seeder(v) { state0.seeder = v; },
    swarms,
    get announces() { return state.announces; },
    leechers: (infoHash) => [...(swarms.get(infoHash.toString('hex'))?.values() ?? [])].filter((p) => p.left > 0).length,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
