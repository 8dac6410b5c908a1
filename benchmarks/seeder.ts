/**
 * The built-in seeder against libtorrent, on this machine, in one run:
 *  1. CPU seconds per GiB uploaded by the seeder process while 4 python3-libtorrent leechers (one process,
 *     not trading with each other) download the same 256 MiB object from it alone: our seeder (a child
 *     process running this file with --child) vs a python3-libtorrent seeder. Goal: ≤ 1.5× libtorrent.
 *  2. Memory: our seeder with 500 idle handshaken connections + 50 downloading ones → peak RSS. Goal < 300 MB.
 * CPU comes from /proc/<pid>/stat (utime + stime) for both seeders alike. Needs Debian's python3-libtorrent.
 *
 *   node --import tsx benchmarks/seeder.ts [reps]     (or seederBench(dir, reps) from benchmarks/run.ts)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Seeder } from '../src/seeder/seeder.ts';
import type { SeedableTorrent } from '../src/seeder/types.ts';
import { buildTorrent } from '../src/torrent/metainfo.ts';
import { PieceHasher } from '../src/torrent/piece-hasher.ts';
import { freePort, median, peakRssMiB, printTable } from './lib.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SIZE = 256 * MiB;
const PIECE_LENGTH = 256 * 1024;
const LEECHERS = 4;
const PYTHON = '/usr/bin/python3';
const HERE = fileURLToPath(import.meta.url);
const LT_SWARM = path.resolve(path.dirname(HERE), '../test/seeder/helpers/lt_swarm.py');
const CLK_TCK = 100;

interface Prepared { dir: string; name: string; file: string; torrentFile: string; infoFile: string }

/** a random object, its .torrent (as GetObjectTorrent builds it) and the bare info dict for the child */
async function prepare(benchDir: string): Promise<Prepared> {
  const dir = mkdtempSync(path.join(benchDir, 'seeder-'));
  const name = 'object.bin';
  const file = path.join(dir, name);
  const hasher = new PieceHasher(PIECE_LENGTH, { v2: false });
  const fh = await open(file, 'w');
  for (let off = 0; off < SIZE; off += 4 * MiB) {
    const chunk = randomBytes(4 * MiB);
    hasher.update(chunk);
    await fh.write(chunk);
  }
  await fh.close();
  const input = { name, length: SIZE, hashes: hasher.digest(), format: 'v1' as const, private: false, bucket: 'bench', key: name, creationDate: 1_700_000_000, createdBy: 'seedbucket/bench' };
  const built = buildTorrent(input);
  const torrentFile = path.join(dir, 'object.torrent');
  writeFileSync(torrentFile, built.torrent);
  // info = the bytes after "4:info" up to the key that follows it ("13:x-amz-…" is inside info; top level ends with url-list/…)
  const at = built.torrent.indexOf('4:info') + 6;
  const info = extractValue(built.torrent, at);
  if (!createHash('sha1').update(info).digest().equals(built.infoHash)) throw new Error('info extraction failed');
  const infoFile = path.join(dir, 'object.info');
  writeFileSync(infoFile, info);
  return { dir, name, file, torrentFile, infoFile };
}

/** the bencoded value starting at `at` */
function extractValue(buf: Buffer, at: number): Buffer {
  let pos = at;
  const skip = (): void => {
    const c = buf[pos]!;
    if (c === 0x69) { pos = buf.indexOf(0x65, pos) + 1; return; }
    if (c === 0x6c || c === 0x64) { pos++; while (buf[pos] !== 0x65) skip(); pos++; return; }
    const colon = buf.indexOf(0x3a, pos);
    pos = colon + 1 + Number(buf.toString('latin1', pos, colon));
  };
  skip();
  return buf.subarray(at, pos);
}

/** utime + stime of a process, seconds */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** start a process and wait for its first stdout line that parses as JSON */
async function startChild(cmd: string, args: string[], timeoutMs = 60_000): Promise<{ proc: ChildProcess; first: Record<string, unknown>; lines: AsyncIterator<string> }> {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  for (;;) {
    const next = await Promise.race([lines.next(), new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`${cmd}: no answer in ${timeoutMs} ms`)), timeoutMs))]);
    if (next.done) throw new Error(`${cmd} exited before it was ready`);
    try {
      return { proc, first: JSON.parse(next.value) as Record<string, unknown>, lines };
    } catch { /* not JSON: keep reading */ }
  }
}

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.stdin?.end();
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** 4 libtorrent leechers (one process) download from `port`; returns seconds until the last finished */
async function leech(prep: Prepared, port: number, benchDir: string): Promise<number> {
  const dirs = [...Array(LEECHERS)].map((_, i) => mkdtempSync(path.join(benchDir, `leech${i}-`)));
  const ports = await Promise.all(dirs.map(() => freePort()));
  const cfg = { role: 'leech', torrent: prep.torrentFile, dirs, ports, peers: [['127.0.0.1', port]], mesh: false, linger: false, encryption: 'disabled', timeout: 300 };
  try {
    const { first } = await startChild(PYTHON, [LT_SWARM, JSON.stringify(cfg)], 330_000);
    const done = first.done as boolean[] | undefined;
    if (!done?.every(Boolean)) throw new Error(`leechers did not finish: ${JSON.stringify(first)}`);
    return Math.max(...(first.seconds as number[]));
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

interface Sample { cpu: number; uploaded: number; seconds: number }

async function runOurs(prep: Prepared, benchDir: string): Promise<Sample> {
  const { proc, first } = await startChild(process.execPath, ['--import', 'tsx', HERE, '--child', JSON.stringify({ file: prep.file, info: prep.infoFile, mode: 'cpu' })]);
  try {
    const before = cpuSeconds(proc.pid!);
    const seconds = await leech(prep, first.port as number, benchDir);
    const cpu = cpuSeconds(proc.pid!) - before;
    return { cpu, uploaded: LEECHERS * SIZE, seconds };
  } finally {
    await stopChild(proc);
  }
}

async function runLibtorrent(prep: Prepared, benchDir: string): Promise<Sample> {
  const port = await freePort();
  const cfg = { role: 'seed', torrent: prep.torrentFile, dirs: [prep.dir], ports: [port], encryption: 'enabled' };
  const { proc } = await startChild(PYTHON, [LT_SWARM, JSON.stringify(cfg)]);
  try {
    const before = cpuSeconds(proc.pid!);
    const seconds = await leech(prep, port, benchDir);
    return { cpu: cpuSeconds(proc.pid!) - before, uploaded: LEECHERS * SIZE, seconds };
  } finally {
    await stopChild(proc);
  }
}

/** 500 idle handshaken peers + 50 that keep downloading, from 20 loopback addresses (per-address cap 32) */
async function runMemory(prep: Prepared): Promise<{ peakMiB: number; rssMiB: number; connected: number; downloadedMiB: number }> {
  const { proc, first } = await startChild(process.execPath, ['--import', 'tsx', HERE, '--child', JSON.stringify({ file: prep.file, info: prep.infoFile, mode: 'memory' })]);
  const sockets: net.Socket[] = [];
  let downloaded = 0;
  try {
    const port = first.port as number;
    const infoHash = createHash('sha1').update(readFileSync(prep.infoFile)).digest();
    const handshake = Buffer.concat([Buffer.from('\x13BitTorrent protocol', 'latin1'), Buffer.from([0, 0, 0, 0, 0, 0x10, 0, 0x04]), infoHash]);
    const open = async (i: number, active: boolean): Promise<void> => {
      const s = net.connect({ host: '127.0.0.1', port, localAddress: `127.0.1.${1 + (i % 20)}` });
      sockets.push(s);
      s.on('error', () => {});
      await new Promise((r) => s.once('connect', r));
      s.write(Buffer.concat([handshake, Buffer.concat([Buffer.from('-BM0001-'), randomBytes(12)])]));
      if (active) activeDownloader(s, (n) => { downloaded += n; });
      else s.resume();
    };
    for (let i = 0; i < 500; i++) await open(i, false);
    for (let i = 500; i < 550; i++) await open(i, true);
    await new Promise((r) => setTimeout(r, 15_000));
    const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
    const connected = sockets.filter((s) => !s.destroyed).length;
    return { peakMiB: peakRssMiB(proc.pid!), rssMiB: rss, connected, downloadedMiB: downloaded / MiB };
  } finally {
    for (const s of sockets) s.destroy();
    await stopChild(proc);
  }
}

/** after the handshake: interested, then 16 block requests in flight forever (random pieces) */
function activeDownloader(s: net.Socket, got: (bytes: number) => void): void {
  const blocks = SIZE / (16 * 1024);
  const request = (): Buffer => {
    const b = Math.floor(Math.random() * blocks);
    const m = Buffer.alloc(17);
    m.writeUInt32BE(13, 0);
    m[4] = 6;
    m.writeUInt32BE(Math.floor(b / 16), 5);
    m.writeUInt32BE((b % 16) * 16 * 1024, 9);
    m.writeUInt32BE(16 * 1024, 13);
    return m;
  };
  let buf: Buffer = Buffer.alloc(0);
  let handshook = false;
  s.on('data', (c: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, c]) : c;
    if (!handshook) {
      if (buf.length < 68) return;
      handshook = true;
      buf = buf.subarray(68);
      s.write(Buffer.from([0, 0, 0, 1, 2])); // interested
    }
    while (buf.length >= 4) {
      const len = buf.readUInt32BE(0);
      if (buf.length < 4 + len) break;
      const id = buf[4];
      if (id === 1) s.write(Buffer.concat([...Array(16)].map(request))); // unchoke
      if (id === 7) { got(len - 9); s.write(request()); }
      if (id === 0x10) setTimeout(() => { if (!s.destroyed) s.write(request()); }, 200); // rejected (choked): ask later
      buf = buf.subarray(4 + len);
    }
  });
}

export async function seederBench(benchDir: string, reps: number): Promise<void> {
  mkdirSync(benchDir, { recursive: true });
  const prep = await prepare(benchDir);
  try {
    const ours: Sample[] = [];
    const lt: Sample[] = [];
    for (let r = 0; r < reps; r++) { // alternate, so drift on a shared machine hits both alike
      ours.push(await runOurs(prep, benchDir));
      lt.push(await runLibtorrent(prep, benchDir));
    }
    const perGiB = (s: Sample[]): number => median(s.map((x) => x.cpu / (x.uploaded / GiB)));
    const ratio = perGiB(ours) / perGiB(lt);
    const mem = await runMemory(prep);
    printTable(`Seeder: ${LEECHERS} libtorrent leechers × ${SIZE / MiB} MiB from the seeder alone (median of ${reps}); memory with 500 idle + 50 active peers`, ['measure', 'seedbucket', 'libtorrent 2.0', 'ratio', 'goal'], [
      ['seeder CPU s per GiB uploaded', perGiB(ours), perGiB(lt), ratio, '≤ 1.5×'],
      ['wall s until the last leecher finished', median(ours.map((x) => x.seconds)), median(lt.map((x) => x.seconds)), median(ours.map((x) => x.seconds)) / median(lt.map((x) => x.seconds)), '-'],
      ['RSS MiB, 500 idle + 50 active peers (peak / now)', `${mem.peakMiB.toFixed(1)} / ${mem.rssMiB.toFixed(1)}`, '-', '-', '< 300 MB'],
      ['  connections still open / MiB served to the 50 in 15 s', `${mem.connected} / ${mem.downloadedMiB.toFixed(0)}`, '-', '-', '550'],
    ]);
  } finally {
    rmSync(prep.dir, { recursive: true, force: true });
  }
}

/** --child: serve one object until stdin closes, printing {"port"} when listening */
async function child(cfg: { file: string; info: string; mode: 'cpu' | 'memory' }): Promise<void> {
  const info = readFileSync(cfg.info);
  const fh = await open(cfg.file, 'r');
  const torrent: SeedableTorrent = {
    infoHash: createHash('sha1').update(info).digest(), info, length: SIZE, pieceLength: PIECE_LENGTH, pieceCount: SIZE / PIECE_LENGTH, private: false,
    async read(offset, length) {
      const buf = Buffer.allocUnsafe(length);
      await fh.read(buf, 0, length, offset);
      return buf;
    },
  };
  const seeder = new Seeder({ lookup: { find: async (h) => (h.equals(torrent.infoHash) ? torrent : undefined) }, superSeeding: 'off' });
  const { port } = await seeder.listen(0, '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  for await (const line of createInterface({ input: process.stdin })) void line; // until the parent closes stdin
  await seeder.close();
  await fh.close();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const at = process.argv.indexOf('--child');
  if (at >= 0) {
    await child(JSON.parse(process.argv[at + 1]!) as { file: string; info: string; mode: 'cpu' | 'memory' });
  } else {
    const dir = path.resolve(process.env.BENCH_DIR ?? '.bench');
    try {
      await seederBench(dir, Number(process.argv[2] ?? 3));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
