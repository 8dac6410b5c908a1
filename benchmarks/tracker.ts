/**
 * HTTP announce throughput: our tracker vs Debian's opentracker, same machine, same wrk load
 * (`wrk -t2 -c50 -d5s`, benchmarks/tracker-announce.lua over 1000 registered info-hashes), runs
 * alternating, median of `reps`. Needs the Debian packages `wrk` and `opentracker`.
 *
 * Our tracker runs in a child process (`node --import tsx benchmarks/tracker.ts serve HASHFILE`), so its
 * RSS is its own and it competes with wrk for the CPUs as opentracker does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { cleanupDir, freePort, median, peakRssMiB, printTable } from './lib.ts';

const HASHES = 1000;
const WRK_ARGS = ['-t2', '-c50', '-d5s'];
const LUA = path.resolve(import.meta.dirname, 'tracker-announce.lua');

interface WrkResult {
  requests: number; duration_us: number; connect_errors: number; read_errors: number; write_errors: number;
  timeouts: number; non2xx: number; p50_us: number; p99_us: number;
}

function requireTool(name: string, pkg: string): string {
  const p = `/usr/bin/${name}`;
  if (!existsSync(p)) throw new Error(`${name} missing: apt-get install ${pkg}`);
  return p;
}

function waitForLine(proc: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms: ${out}`)), timeoutMs);
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = pattern.exec(out);
      if (m) { clearTimeout(timer); resolve(m); }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${out}`)); });
  });
}

async function waitForHttp(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/announce', agent: false }, (res) => { res.resume(); resolve(true); });
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing answers on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** one announce through the Lua script's format, checked for a peer list (no failure reason) */
async function checkAnnounce(port: number, hashHex: string): Promise<void> {
  const escaped = Buffer.from(hashHex, 'hex').toString('hex').replace(/../g, '%$&');
  const body = await new Promise<string>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, agent: false, path: `/announce?info_hash=${escaped}&peer_id=-WR0410-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=0&compact=1&numwant=50` }, (res) => {
      let s = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => { s += c; });
      res.on('end', () => resolve(s));
    }).on('error', reject);
  });
  if (!body.includes('5:peers') || body.includes('failure reason')) throw new Error(`bad announce response from :${port}: ${body.slice(0, 200)}`);
}

function runWrk(wrk: string, port: number, hashFile: string, seconds?: string): Promise<WrkResult> {
  const args = [...WRK_ARGS.map((a) => (seconds && a.startsWith('-d') ? `-d${seconds}` : a)), '--timeout', '5s', '-s', LUA, `http://127.0.0.1:${port}`, '--', hashFile];
  return new Promise((resolve, reject) => {
    const proc = spawn(wrk, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
    proc.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    proc.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    proc.once('close', (code) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{"requests"'));
      if (code !== 0 || !line) { reject(new Error(`wrk exited ${code}: ${out}\n${err}`)); return; }
      resolve(JSON.parse(line) as WrkResult);
    });
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function trackerBench(benchDir: string, reps: number): Promise<void> {
  const wrk = requireTool('wrk', 'wrk');
  const opentracker = requireTool('opentracker', 'opentracker');
  const dir = mkdtempSync(path.join(benchDir, 'tracker-'));
  const procs: ChildProcess[] = [];
  try {
    const hashes = Array.from({ length: HASHES }, () => randomBytes(20).toString('hex'));
    const hashFile = path.join(dir, 'hashes.txt');
    writeFileSync(hashFile, `${hashes.join('\n')}\n`);
    // opentracker chroots to -d and drops to nobody: the whitelist is relative to it and world-readable
    const chroot = mkdtempSync(path.join(dir, 'ot-'));
    writeFileSync(path.join(chroot, 'whitelist.txt'), `${hashes.join('\n')}\n`);
    chmodSync(chroot, 0o755);
    chmodSync(path.join(chroot, 'whitelist.txt'), 0o644);

    const ours = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, 'serve', hashFile], { cwd: path.resolve(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(ours);
    const oursPort = Number((await waitForLine(ours, /tracker listening (\d+)/, 30_000))[1]);
    const otPort = await freePort();
    const ot = spawn(opentracker, ['-i', '127.0.0.1', '-p', String(otPort), '-P', String(otPort), '-d', chroot, '-w', 'whitelist.txt'], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(ot);
    await waitForHttp(otPort, 10_000);
    await checkAnnounce(oursPort, hashes[0]!);
    await checkAnnounce(otPort, hashes[0]!);

    const targets = [
      { name: 'seedbucket tracker', port: oursPort, pid: ours.pid!, runs: [] as WrkResult[], rss: [] as number[] },
      { name: 'opentracker (Debian)', port: otPort, pid: ot.pid!, runs: [] as WrkResult[], rss: [] as number[] },
    ];
    for (const t of targets) await runWrk(wrk, t.port, hashFile, '1s'); // warm-up (JIT, peer tables)
    for (let rep = 0; rep < reps; rep++) {
      for (const t of rep % 2 === 0 ? targets : [...targets].reverse()) {
        t.runs.push(await runWrk(wrk, t.port, hashFile));
        t.rss.push(rssMiB(t.pid));
      }
    }
    const rate = (r: WrkResult): number => r.requests / (r.duration_us / 1e6);
    const rows = targets.map((t) => {
      const rates = t.runs.map(rate);
      const errors = t.runs.reduce((n, r) => n + r.connect_errors + r.write_errors + r.timeouts + r.non2xx, 0);
      return [
        t.name, rates.map((x) => Math.round(x)).join(' / '), Math.round(median(rates)),
        (median(t.runs.map((r) => r.p50_us)) / 1000).toFixed(2), (median(t.runs.map((r) => r.p99_us)) / 1000).toFixed(2),
        (t.rss.at(-1) ?? NaN).toFixed(1), peakRssMiB(t.pid).toFixed(1), errors,
      ];
    });
    const ratio = median(targets[0]!.runs.map(rate)) / median(targets[1]!.runs.map(rate));
    printTable(
      `Tracker: HTTP announces/s, wrk ${WRK_ARGS.join(' ')}, ${HASHES} info-hashes, median of ${reps} (ours / opentracker = ${ratio.toFixed(2)})`,
      ['tracker', 'req/s (runs)', 'median req/s', 'p50 ms', 'p99 ms', 'RSS after MiB', 'peak RSS MiB', 'errors*'],
      rows,
    );
    process.stdout.write('* connect/write errors, timeouts, non-2xx; opentracker closes every connection, which wrk counts as read errors (not included)\n');
  } finally {
    await Promise.all(procs.map(stop));
    cleanupDir(dir);
  }
}

/** the child: a tracker knowing the info-hashes in HASHFILE, on a free port of 127.0.0.1 */
async function serve(hashFile: string): Promise<void> {
  const { Tracker } = await import('../src/tracker/tracker.ts');
  const known = new Set(readFileSync(hashFile, 'utf8').split('\n').filter((l) => l.length === 40));
  const publicTorrent = { private: false };
  const tracker = new Tracker({ lookup: (h) => (known.has(h.toString('hex')) ? publicTorrent : undefined) });
  const { port } = await tracker.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`tracker listening ${port}\n`);
  process.once('SIGTERM', () => { void tracker.close().then(() => process.exit(0)); });
}

if (process.argv[2] === 'serve' && process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) {
  await serve(process.argv[3] ?? '');
} else if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === import.meta.filename) {
  const benchDir = mkdtempSync(path.join(process.env.BENCH_DIR ?? '/tmp', 'seedbucket-bench-'));
  try {
    await trackerBench(benchDir, Number(process.env.BENCH_REPS ?? 3));
  } finally {
    cleanupDir(benchDir);
  }
}
