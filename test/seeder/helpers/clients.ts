/** Real BitTorrent clients for the seeder tests: Debian's aria2c and python3-libtorrent, and webtorrent (npm). */
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTool, loopbackEnv, run, type Tool } from '../../helpers/tools.ts';

export const aria2 = (): Tool => findTool('aria2c', ['--version'], 'aria2');
/** Debian's python3 with the libtorrent binding (a pyenv python3 earlier on PATH has none) */
export const pythonLt = (): Tool => findTool('python3', ['-c', 'import libtorrent'], 'python3-libtorrent');

export const LT_SWARM = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lt_swarm.py');

/** n free TCP ports on 127.0.0.1 (bound and released: good enough for tests) */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all([...Array(n)].map(() => new Promise<net.Server>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface LtResult {
  done: boolean[];
  seconds: Array<number | null>;
  payload_down: number[];
  payload_up: number[];
  errors: string[];
}

export interface LtLeechOptions {
  torrent?: string;
  magnet?: string;
  dirs: string[];
  peers: Array<[string, number]>;
  mesh?: boolean;
  linger?: boolean;
  encryption?: 'enabled' | 'disabled' | 'forced';
  timeoutSec?: number;
}

/** libtorrent leechers (one session per dir) in one python process; resolves with its report */
export async function ltLeech(python: string, opts: LtLeechOptions): Promise<LtResult> {
  const ports = await freePorts(opts.dirs.length);
  const timeout = opts.timeoutSec ?? 120;
  const cfg = { role: 'leech', torrent: opts.torrent, magnet: opts.magnet, dirs: opts.dirs, ports, peers: opts.peers, mesh: opts.mesh ?? false, linger: opts.linger ?? false, encryption: opts.encryption ?? 'enabled', timeout };
  const r = await run(python, [LT_SWARM, JSON.stringify(cfg)], { timeoutMs: (timeout + 30) * 1000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as LtResult;
  } catch {
    throw new Error(`lt_swarm.py exited ${r.code}: ${r.stdout.slice(-2000)} ${r.stderr.slice(-2000)}`);
  }
}

/** aria2c downloading `torrent` into `dir`; peers come from the torrent's tracker */
export async function aria2Download(aria2c: string, torrent: string, dir: string, opts: { seedTimeMin?: number; timeoutMs?: number } = {}): Promise<{ code: number | null; ms: number; out: string }> {
  const [port] = await freePorts(1);
  const r = await run(aria2c, [
    `--dir=${dir}`, `--seed-time=${opts.seedTimeMin ?? 0}`, '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false',
    '--enable-peer-exchange=false', `--listen-port=${port}`, '--file-allocation=none', '--summary-interval=0',
    '--console-log-level=warn', '--bt-stop-timeout=120', '--allow-overwrite=true', '--bt-hash-check-seed=false',
    '--follow-torrent=false', '--no-conf=true', torrent,
  ], { env: loopbackEnv(), timeoutMs: opts.timeoutMs ?? 180_000 });
  return { code: r.code, ms: r.ms, out: `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}` };
}

export async function tempDir(parent: string, prefix: string): Promise<string> {
  return mkdtemp(path.join(parent, prefix));
}
