/**
 * Origin offload: 8 leechers start together on one object (256 MiB) while the origin's total upload is
 * capped at 32 MiB/s. For each setup: the time until all 8 have the object, and the bytes the origin sent
 * divided by the object size ("copies"). Goal for seedbucket: ≤ 1.3 copies and ≤ 0.35 × the time of
 * 8 plain HTTP GETs under the same cap (physical limit: 1.0 copy, 0.125 × HTTP).
 *
 *  (a) seedbucket --upload-limit 32MiB, 8 concurrent anonymous GETs of the (public-read) object
 *  (b) seedbucket --upload-limit 32MiB, all paths on (web seed + tracker + seeder), 8 × aria2c
 *  (c) python3-libtorrent seeder capped at 32 MiB/s (peer class filter: loopback peers are capped too),
 *      our tracker (in this process), 8 × aria2c;  (c2) the same with BEP 16 super-seeding
 *  (d) as (b) with --super-seeding off
 *
 * seedbucket's bytes sent come from its own usage counters (`seedbucket admin usage`): GetObject bytesOut
 * (plain GETs and web-seed requests) + BitTorrentSeed bytesOut (the seeder's piece payload); libtorrent's
 * from its total_payload_upload. Protocol overhead (HTTP headers, peer-wire framing) is left out of both.
 * aria2c leechers stay in the swarm until the last one completes (`--seed-time` long, then killed), each
 * completion timestamped by `--on-bt-download-complete`. Everything on 127.0.0.1; one run is cut off at
 * RUN_LIMIT_S. Needs Debian's aria2 and python3-libtorrent (scripts/install-bench-deps.sh).
 *
 *   node --import tsx benchmarks/offload.ts [reps=1] [sizeMiB=256]      OFFLOAD_ROWS=a,b,c,c2,d picks rows
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectTorrentCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { pieceLengthFor } from '../src/torrent/piece-length.ts';
import { Tracker } from '../src/tracker/index.ts';
import { ACCESS_KEY, SECRET_KEY, freePort, median, printTable, request, startBenchServer, type BenchServer } from './lib.ts';

const MiB = 1024 * 1024;
const LEECHERS = 8;
const CAP = 32 * MiB;
const RUN_LIMIT_S = 170;
const PYTHON = '/usr/bin/python3';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const LT_SEED = path.join(HERE, 'lt_capped_seed.py');
const GOAL_COPIES = 1.3;
const GOAL_TIME = 0.35;

interface RunResult {
  /** s until the last leecher completed (RUN_LIMIT_S if not all did) */
  wall: number;
  /** origin bytes sent / object size */
  copies: number;
  done: number;
  /** where the bytes went: e.g. web seed vs seeder copies */
  detail: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function which(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':')) if (d && existsSync(path.join(d, cmd))) return path.join(d, cmd);
  return undefined;
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone */
async function stopProcess(p: ChildProcess, graceMs = 3000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(t);
}

/**
 * 8 aria2c leechers on one .torrent, started together; each stays (seeding) until all are done.
 * Returns each leecher's completion time (s from the start), undefined for those that did not finish.
 */
export async function aria2Swarm(dir: string, torrentFile: string, size: number): Promise<(number | undefined)[]> {
  const aria2c = which('aria2c');
  if (!aria2c) throw new Error('aria2c not found (apt-get install aria2)');
  const log = path.join(dir, 'done.log');
  const hook = path.join(dir, 'done.sh');
  writeFileSync(hook, `#!/bin/sh\nprintf '%s %s\\n' "$(date +%s%N)" "$3" >> '${log}'\n`);
  chmodSync(hook, 0o755);
  const outs = Array.from({ length: LEECHERS }, (_, i) => path.join(dir, `leecher-${i}`));
  const ports: number[] = [];
  while (ports.length < LEECHERS) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const procs: ChildProcess[] = [];
  const tails: string[] = outs.map(() => '');
  const t0 = Date.now();
  for (let i = 0; i < LEECHERS; i++) {
    mkdirSync(outs[i]!, { recursive: true });
    const p = spawn(aria2c, [
      '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false', '--disable-ipv6=true',
      '--file-allocation=none', '--summary-interval=0', '--console-log-level=warn', '--bt-tracker-connect-timeout=5',
      '--bt-tracker-timeout=10', '--auto-save-interval=0', '--allow-overwrite=true',
      '--seed-time=60', '--seed-ratio=0.0', // stay in the swarm; killed once the last one is done
      `--on-bt-download-complete=${hook}`, `--dir=${outs[i]}`, `--listen-port=${ports[i]}`, torrentFile,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (c: Buffer) => { tails[i] = (tails[i] + c.toString()).slice(-2000); };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    procs.push(p);
  }
  const times: (number | undefined)[] = new Array(LEECHERS).fill(undefined);
  const deadline = t0 + RUN_LIMIT_S * 1000;
  try {
    while (Date.now() < deadline) {
      await sleep(100);
      if (existsSync(log)) {
        for (const line of readFileSync(log, 'utf8').split('\n')) {
          const m = /^(\d+) (.*)$/.exec(line);
          if (!m) continue;
          const i = outs.findIndex((o) => m[2]!.startsWith(`${o}/`));
          if (i >= 0 && times[i] === undefined) times[i] = (Number(BigInt(m[1]!) / 1_000_000n) - t0) / 1000;
        }
      }
      if (times.every((t) => t !== undefined)) break;
      if (procs.every((p) => p.exitCode !== null)) break;
    }
  } finally {
    await Promise.all(procs.map((p) => stopProcess(p)));
  }
  for (let i = 0; i < LEECHERS; i++) {
    if (times[i] === undefined) {
      process.stderr.write(`offload: leecher ${i} did not finish; aria2c said: ${tails[i]!.trim().slice(-400)}\n`);
      continue;
    }
    const file = path.join(outs[i]!, readdirName(outs[i]!));
    if (statSync(file).size !== size) throw new Error(`leecher ${i}: ${statSync(file).size} bytes, expected ${size}`);
  }
  return times;
}

function readdirName(dir: string): string {
  const names = readdirSync(dir).filter((n) => !n.endsWith('.aria2'));
  if (names.length !== 1) throw new Error(`${dir}: expected one file, found ${names.join(', ')}`);
  return names[0]!;
}

function wallOf(times: (number | undefined)[]): { wall: number; done: number } {
  const done = times.filter((t) => t !== undefined) as number[];
  return { wall: done.length === times.length ? Math.max(...done) : RUN_LIMIT_S, done: done.length };
}

function s3(server: BenchServer): S3Client {
  return new S3Client({
    endpoint: server.url, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY },
  });
}

/** a capped seedbucket holding the object as bench/obj (public-read), with its .torrent written to `dir` */
async function seedbucketWithObject(benchDir: string, dir: string, data: Buffer, args: string[]): Promise<{ server: BenchServer; torrentFile: string }> {
  const server = await startBenchServer(benchDir, ['--upload-limit', `${CAP / MiB}MiB`, ...args]);
  try {
    const client = s3(server);
    await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
    await client.send(new PutObjectCommand({ Bucket: 'bench', Key: 'obj', Body: data, ACL: 'public-read' }));
    const t = await client.send(new GetObjectTorrentCommand({ Bucket: 'bench', Key: 'obj' }));
    const torrentFile = path.join(dir, 'obj.torrent');
    writeFileSync(torrentFile, await t.Body!.transformToByteArray());
    client.destroy();
    return { server, torrentFile };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

/** bytes out per usage operation since `before` */
async function egress(server: BenchServer, before: Map<string, number>): Promise<Map<string, number>> {
  await sleep(2500); // the seeder's counters are sampled and the usage flushed once a second
  const out = new Map<string, number>();
  for (const r of await server.usage()) out.set(r.operation, (out.get(r.operation) ?? 0) + r.bytesOut);
  for (const [op, b] of before) out.set(op, (out.get(op) ?? 0) - b);
  return out;
}

async function usageMap(server: BenchServer): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const r of await server.usage()) m.set(r.operation, (m.get(r.operation) ?? 0) + r.bytesOut);
  return m;
}

/** (a) 8 plain GETs at once under the cap */
async function httpRun(benchDir: string, data: Buffer): Promise<RunResult> {
  const dir = mkdtempSync(path.join(benchDir, 'http-'));
  const { server } = await seedbucketWithObject(benchDir, dir, data, []);
  try {
    const before = await usageMap(server);
    const url = `${server.url}/bench/obj`;
    const t0 = process.hrtime.bigint();
    const got = await Promise.all(Array.from({ length: LEECHERS }, async () => {
      const res = await request('GET', url);
      if (res.status !== 200 || res.bytes !== data.length) throw new Error(`GET: ${res.status}, ${res.bytes} bytes`);
      return Number(process.hrtime.bigint() - t0) / 1e9;
    }));
    const sent = (await egress(server, before)).get('GetObject') ?? 0;
    const received = LEECHERS * data.length;
    if (Math.abs(sent - received) > MiB) process.stderr.write(`offload: GetObject counted ${sent} bytes, clients received ${received}\n`);
    return { wall: Math.max(...got), copies: sent / data.length, done: LEECHERS, detail: `${(received / data.length).toFixed(2)} received by clients` };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** (b), (d): seedbucket, 8 aria2c */
async function seedbucketSwarm(benchDir: string, data: Buffer, args: string[]): Promise<RunResult> {
  const dir = mkdtempSync(path.join(benchDir, 'sb-'));
  const { server, torrentFile } = await seedbucketWithObject(benchDir, dir, data, args);
  try {
    const before = await usageMap(server);
    const times = await aria2Swarm(dir, torrentFile, data.length);
    const out = await egress(server, before);
    const web = out.get('GetObject') ?? 0;
    const bt = out.get('BitTorrentSeed') ?? 0;
    return { ...wallOf(times), copies: (web + bt) / data.length, detail: `web seed ${(web / data.length).toFixed(2)} + seeder ${(bt / data.length).toFixed(2)}; done at ${fmtTimes(times)}` };
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function fmtTimes(times: (number | undefined)[]): string {
  return [...times].sort((a, b) => (a ?? Infinity) - (b ?? Infinity)).map((t) => (t === undefined ? '-' : t.toFixed(1))).join('/');
}

/** (c), (c2): a capped python3-libtorrent seeder + our tracker, 8 aria2c */
async function libtorrentSwarm(benchDir: string, data: Buffer, superSeeding: boolean): Promise<RunResult> {
  const dir = mkdtempSync(path.join(benchDir, 'lt-'));
  const seedDir = path.join(dir, 'seed');
  mkdirSync(seedDir);
  const file = path.join(seedDir, 'obj');
  writeFileSync(file, data);
  const torrentFile = path.join(dir, 'obj.torrent');
  const tracker = new Tracker({ lookup: () => ({ private: false }) });
  const { port: trackerPort } = await tracker.listen({ port: 0, host: '127.0.0.1' });
  const seeder = spawn(PYTHON, [LT_SEED, JSON.stringify({
    file, torrent: torrentFile, piece_length: pieceLengthFor(data.length), tracker: `http://127.0.0.1:${trackerPort}/announce`,
    port: 0, rate: CAP, super_seeding: superSeeding,
  })], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: seeder.stdout! })[Symbol.asyncIterator]();
  try {
    const first = await lines.next();
    if (first.done || !('listening' in JSON.parse(first.value))) throw new Error(`libtorrent seeder: ${first.value}`);
    await sleep(500); // its first announce
    const times = await aria2Swarm(dir, torrentFile, data.length);
    seeder.stdin!.end();
    const last = await lines.next();
    const up = (JSON.parse(last.value) as { payload_up: number }).payload_up;
    return { ...wallOf(times), copies: up / data.length, detail: `done at ${fmtTimes(times)}` };
  } finally {
    seeder.stdin!.destroy();
    await stopProcess(seeder);
    await tracker.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Setup { id: string; label: string; run(benchDir: string, data: Buffer): Promise<RunResult> }

const SETUPS: Setup[] = [
  { id: 'a', label: '(a) seedbucket, 8 plain HTTP GETs', run: httpRun },
  { id: 'b', label: '(b) seedbucket, web seed + tracker + seeder, 8 aria2c', run: (d, x) => seedbucketSwarm(d, x, []) },
  { id: 'c', label: '(c) libtorrent 2.0.8 seeder, 8 aria2c', run: (d, x) => libtorrentSwarm(d, x, false) },
  { id: 'c2', label: '(c2) libtorrent 2.0.8 seeder, super-seeding, 8 aria2c', run: (d, x) => libtorrentSwarm(d, x, true) },
  { id: 'd', label: '(d) seedbucket, --super-seeding off, 8 aria2c', run: (d, x) => seedbucketSwarm(d, x, ['--super-seeding', 'off']) },
];

export async function offloadBench(benchDir: string, reps: number, sizeMiB: number): Promise<void> {
  const only = (process.env.OFFLOAD_ROWS ?? 'a,b,c,c2,d').split(',');
  const setups = SETUPS.filter((s) => only.includes(s.id));
  const data = randomBytes(sizeMiB * MiB);
  const results = new Map<string, RunResult[]>(setups.map((s) => [s.id, []]));
  // Setups alternate within each repetition, so drift on a shared machine hits all alike.
  for (let r = 0; r < reps; r++) {
    for (const s of setups) {
      const res = await s.run(benchDir, data);
      results.get(s.id)!.push(res);
      process.stderr.write(`offload: ${s.label}: ${res.wall.toFixed(1)} s, ${res.copies.toFixed(2)} copies, ${res.done}/${LEECHERS} done (${res.detail})\n`);
    }
  }
  const httpWall = results.has('a') ? median(results.get('a')!.map((x) => x.wall)) : (LEECHERS * sizeMiB) / (CAP / MiB);
  const rows = setups.map((s) => {
    const rs = results.get(s.id)!;
    const wall = median(rs.map((x) => x.wall));
    const copies = median(rs.map((x) => x.copies));
    const incomplete = rs.some((x) => x.done < LEECHERS) ? ` (${rs.map((x) => x.done).join('/')} of ${LEECHERS} done)` : '';
    const isHttp = s.id === 'a';
    return [
      s.label, `${wall.toFixed(1)}${incomplete}`, copies.toFixed(2), (wall / httpWall).toFixed(3),
      isHttp ? '-' : copies <= GOAL_COPIES ? 'yes' : 'NO', isHttp ? '-' : wall / httpWall <= GOAL_TIME ? 'yes' : 'NO',
      rs.map((x) => `${x.wall.toFixed(1)} s ${x.copies.toFixed(2)}x`).join('; '),
    ];
  });
  printTable(
    `Origin offload: ${LEECHERS} leechers, ${sizeMiB} MiB, origin upload capped at ${CAP / MiB} MiB/s, median of ${reps} (${os.cpus().length} CPUs, loopback)`,
    ['setup', 'wall s', 'copies sent', 'wall / HTTP', `≤ ${GOAL_COPIES} copies`, `≤ ${GOAL_TIME} × HTTP`, 'runs'],
    rows,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const reps = Number(process.argv[2] ?? 1);
  const sizeMiB = Number(process.argv[3] ?? 256);
  const benchDir = mkdtempSync(path.join(path.resolve(process.env.BENCH_DIR ?? os.tmpdir()), 'seedbucket-offload-'));
  try {
    await offloadBench(benchDir, reps, sizeMiB);
  } finally {
    rmSync(benchDir, { recursive: true, force: true });
  }
}
