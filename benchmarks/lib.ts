import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import type { UsageRow } from '../src/meta/store.ts';
import { presignUrl } from '../src/s3/presign-url.ts';

export const ACCESS_KEY = 'bench-key';
export const SECRET_KEY = 'bench-secret-0123456789';
const BIN = path.resolve(import.meta.dirname, '../bin/seedbucket.js');

export interface BenchServer {
  url: string; pid: number; dataDir: string; proc: ChildProcess;
  /** every `seedbucket <name> listening on <url>` line: s3, tracker (http + udp), seeder (host:port) */
  endpoints: { name: string; url: string }[];
  /** the usage counters (`seedbucket admin usage`), as the server last flushed them (about once a second) */
  usage(): Promise<UsageRow[]>;
  stop(): Promise<void>;
}

export async function startBenchServer(benchDir: string, args: string[] = [], env: Record<string, string> = {}): Promise<BenchServer> {
  const dataDir = mkdtempSync(path.join(benchDir, 'server-'));
  // BENCH_SERVER_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, profiles the server under load;
  // BENCH_SERVER_ARGS, e.g. `--hash-threads 0`, measures a server option against the default.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const extraArgs = (process.env.BENCH_SERVER_ARGS ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', '0', '--tracker-port', '0', '--peer-port', '0', '--data', dataDir, ...args, ...extraArgs], {
    env: { ...process.env, SEEDBUCKET_ACCESS_KEY: ACCESS_KEY, SEEDBUCKET_SECRET_KEY: SECRET_KEY, SEEDBUCKET_LOG: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const endpoints: { name: string; url: string }[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const m = /^seedbucket (\S+) listening on (\S+)/.exec(out.slice(0, nl));
        out = out.slice(nl + 1);
        if (!m) continue;
        endpoints.push({ name: m[1]!, url: m[2]! });
        if (m[1] === 's3') resolve(m[2]!); // printed last: every face is up
      }
    });
    proc.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return {
    url, pid: proc.pid!, dataDir, proc, endpoints,
    usage: () => new Promise<UsageRow[]>((resolve, reject) => {
      execFile(process.execPath, [BIN, 'admin', 'usage', '--data', dataDir], { env: { ...process.env, SEEDBUCKET_LOG: 'warn' } }, (err, stdout) => {
        if (err) reject(err);
        else resolve(JSON.parse(stdout) as UsageRow[]);
      });
    }),
    async stop() { proc.kill('SIGTERM'); await exited; rmSync(dataDir, { recursive: true, force: true }); },
  };
}

/** Peak resident set size of a process so far (VmHWM), in MiB. */
export function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function signedUrl(server: BenchServer, method: string, bucket: string, key: string, query = ''): string {
  const u = presignUrl({ method, baseUrl: server.url, bucket, key, accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, region: 'us-east-1', expiresSeconds: 3600 });
  return query ? `${u}&${query}` : u;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface HttpResult { status: number; headers: http.IncomingHttpHeaders; body: Buffer; bytes: number }

/** One request; the response body is counted and discarded unless `keepBody`. Bodies go out in 1 MiB writes. */
export function request(method: string, url: string, body?: Buffer, opts: { keepBody?: boolean; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; if (opts.keepBody) chunks.push(c); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), bytes }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (!body) { req.end(); return; }
    let off = 0;
    const step = 1 << 20;
    const pump = () => {
      while (off < body.length) {
        const chunk = body.subarray(off, off + step);
        off += chunk.length;
        if (!req.write(chunk)) { req.once('drain', pump); return; }
      }
      req.end();
    };
    pump();
  });
}

/** A TCP port free on loopback right now (for a reference server that wants its port on the command line). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

export function printTable(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? (Number.isInteger(c) ? String(c) : c.toFixed(2)) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  const line = (r: (string | number)[]) => `| ${r.map((c, i) => String(c).padEnd(widths[i]!)).join(' | ')} |`;
  process.stdout.write(`\n${title}\n${line(header)}\n| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |\n${cells.slice(1).map(line).join('\n')}\n`);
}

export function cleanupDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
