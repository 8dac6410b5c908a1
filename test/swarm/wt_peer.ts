/**
 * One webtorrent 3 leecher in its own process, for the swarm tests (a child process so several clients can
 * run at once without sharing the test's event loop, and so it can be killed).
 *
 *   node --import tsx test/swarm/wt_peer.ts '<json config>'
 *
 * config: { torrent?: path, magnet?: uri, dir, timeoutMs, webSeeds?: boolean (default true), peers?: ['ip:port'] }
 * Peers come from the torrent's trackers (and its web seed) and `peers`; DHT, LSD, PEX, UPnP, NAT-PMP and uTP are off.
 * webtorrent ≥3.0.7 opens every peer connection with an MSE/PE handshake.
 * Prints one JSON line: done, ms, downloaded, webDown / btDown (payload by wire type), wires, error.
 */
import { readFileSync } from 'node:fs';

interface Wire { type: string; downloaded: number; remoteAddress?: string }
interface Torrent {
  on(event: 'done' | 'ready' | 'metadata', cb: () => void): void;
  on(event: 'error' | 'warning', cb: (e: Error | string) => void): void;
  on(event: 'wire', cb: (wire: Wire, addr?: string) => void): void;
  on(event: 'infoHash', cb: () => void): void;
  addPeer(addr: string): boolean;
  wires: Wire[];
  downloaded: number;
  infoHash: string;
}
interface Client {
  on(event: 'error', cb: (e: Error | string) => void): void;
  add(id: Buffer | string, opts: { path: string }): Torrent;
  destroy(cb: () => void): void;
}
type ClientCtor = new (opts: Record<string, unknown>) => Client;

interface Config { torrent?: string; magnet?: string; dir: string; timeoutMs?: number; webSeeds?: boolean; peers?: string[] }

const cfg = JSON.parse(process.argv[2] ?? '{}') as Config;
// webtorrent ships no types; a non-literal specifier keeps tsc from looking for them
const specifier: string = 'webtorrent';
const WebTorrent = ((await import(specifier)) as { default: ClientCtor }).default;
const client = new WebTorrent({
  dht: false, lsd: false, utPex: false, natUpnp: false, natPmp: false, utp: false, webSeeds: cfg.webSeeds ?? true,
});

const started = Date.now();
const seen = new Map<Wire, { type: string; addr: string; max: number }>();
const poll = (t: Torrent | undefined): void => {
  for (const w of t?.wires ?? []) {
    const e = seen.get(w) ?? { type: w.type, addr: w.remoteAddress ?? '', max: 0 };
    e.max = Math.max(e.max, w.downloaded);
    seen.set(w, e);
  }
};
const warnings: string[] = [];
let torrent: Torrent | undefined;
// wires close and leave torrent.wires as peers come and go: sample their counters as the download runs
const ticker = setInterval(() => poll(torrent), 100);

const result = await new Promise<{ done: boolean; error?: string }>((resolve) => {
  const timer = setTimeout(() => resolve({ done: false, error: `timeout after ${cfg.timeoutMs ?? 60_000} ms` }), cfg.timeoutMs ?? 60_000);
  const fail = (e: Error | string): void => { clearTimeout(timer); resolve({ done: false, error: String(e) }); };
  client.on('error', fail);
  torrent = client.add(cfg.torrent ? readFileSync(cfg.torrent) : cfg.magnet!, { path: cfg.dir });
  const added = torrent;
  torrent.on('infoHash', () => { for (const p of cfg.peers ?? []) added.addPeer(p); });
  torrent.on('error', fail);
  torrent.on('warning', (w) => { if (warnings.length < 20) warnings.push(String(w)); });
  torrent.on('wire', (w) => { seen.set(w, { type: w.type, addr: w.remoteAddress ?? '', max: 0 }); });
  torrent.on('done', () => { clearTimeout(timer); poll(torrent); resolve({ done: true }); });
});
poll(torrent);
clearInterval(ticker);

const wires = [...seen.values()];
const out = {
  ...result, ms: Date.now() - started, downloaded: torrent?.downloaded ?? 0,
  webDown: wires.filter((w) => w.type === 'webSeed').reduce((n, w) => n + w.max, 0),
  btDown: wires.filter((w) => w.type !== 'webSeed').reduce((n, w) => n + w.max, 0),
  wires: wires.map((w) => ({ type: w.type, addr: w.addr, downloaded: w.max })).slice(0, 20),
  warnings,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
client.destroy(() => process.exit(0));
setTimeout(() => process.exit(0), 3000).unref();
