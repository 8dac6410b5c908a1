/**
 * PUT and GET throughput of seedbucket for 1 MiB, 64 MiB and 1 GiB objects with 1 and 8 concurrent
 * clients, against references measured in the same run, alternating: a plain node:http server
 * storing the same bytes as files (the HTTP cost without S3), and bare fs streams (no network at all).
 * For PUT also that plain server computing the MD5 and piece SHA-1s a torrent-making PUT cannot skip
 * (what is left of the gap to plain HTTP once the hashing is priced in). Also the server's peak RSS.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { spawn } from 'node:child_process';
import { median, peakRssMiB, printTable, request, signedUrl, startBenchServer, timed } from './lib.ts';

const MiB = 1024 * 1024;

async function fsWrite(file: string, data: Buffer): Promise<void> {
  const ws = createWriteStream(file);
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    let off = 0;
    const pump = () => {
      while (off < data.length) {
        const c = data.subarray(off, off + MiB);
        off += c.length;
        if (!ws.write(c)) { ws.once('drain', pump); return; }
      }
      ws.end(resolve);
    };
    pump();
  });
  const fh = await open(file, 'r');
  await fh.sync();
  await fh.close();
}

async function fsRead(file: string): Promise<void> {
  await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), new Writable({ write(_c, _e, cb) { cb(); } }));
}

async function startPlainServer(dir: string, args: string[] = []): Promise<{ url: string; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'plain-http-server.ts'), dir, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (c: Buffer) => { const m = /listening on (\S+)/.exec(c.toString()); if (m) resolve(m[1]!); });
    proc.once('exit', (code) => reject(new Error(`plain server exited ${code}`)));
  });
  return { url, stop: async () => { proc.kill('SIGTERM'); await new Promise((r) => proc.once('exit', r)); } };
}

export async function s3Throughput(benchDir: string, reps: number, sizesMiB: number[]): Promise<void> {
  const server = await startBenchServer(benchDir);
  const plain = await startPlainServer(mkdtempSync(path.join(benchDir, 'plain-')));
  const hashingPlain = await startPlainServer(mkdtempSync(path.join(benchDir, 'plain-hash-')), ['--hash']);
  const bucket = 'bench';
  await request('PUT', signedUrl(server, 'PUT', bucket, ''));
  const refDir = mkdtempSync(path.join(benchDir, 'ref-'));
  const rows: (string | number)[][] = [];
  try {
    for (const sizeMiB of sizesMiB) {
      const data = randomBytes(sizeMiB * MiB);
      for (const conc of [1, 8]) {
        const put: number[] = []; const get: number[] = []; const refPut: number[] = []; const refGet: number[] = [];
        const httpPut: number[] = []; const httpGet: number[] = []; const hashPut: number[] = [];
        for (let r = 0; r < reps; r++) {
          const ids = Array.from({ length: conc }, (_, i) => `o${sizeMiB}-${conc}-${r}-${i}`);
          refPut.push(await timed(() => Promise.all(ids.map((id) => fsWrite(path.join(refDir, id), data)))));
          put.push(await timed(() => Promise.all(ids.map(async (id) => {
            const res = await request('PUT', signedUrl(server, 'PUT', bucket, id), data);
            if (res.status !== 200) throw new Error(`PUT ${res.status}`);
          }))));
          httpPut.push(await timed(() => Promise.all(ids.map(async (id) => {
            const res = await request('PUT', `${plain.url}/${id}`, data);
            if (res.status !== 200) throw new Error(`plain PUT ${res.status}`);
          }))));
          hashPut.push(await timed(() => Promise.all(ids.map(async (id) => {
            const res = await request('PUT', `${hashingPlain.url}/${id}`, data);
            if (res.status !== 200) throw new Error(`plain+hash PUT ${res.status}`);
          }))));
          refGet.push(await timed(() => Promise.all(ids.map((id) => fsRead(path.join(refDir, id))))));
          httpGet.push(await timed(() => Promise.all(ids.map(async (id) => {
            const res = await request('GET', `${plain.url}/${id}`);
            if (res.status !== 200 || res.bytes !== data.length) throw new Error(`plain GET ${res.status}`);
          }))));
          get.push(await timed(() => Promise.all(ids.map(async (id) => {
            const res = await request('GET', signedUrl(server, 'GET', bucket, id));
            if (res.status !== 200 || res.bytes !== data.length) throw new Error(`GET ${res.status} ${res.bytes}`);
          }))));
          for (const id of ids) {
            rmSync(path.join(refDir, id), { force: true });
            await request('DELETE', `${plain.url}/${id}`);
            await request('DELETE', `${hashingPlain.url}/${id}`);
            await request('DELETE', signedUrl(server, 'DELETE', bucket, id));
          }
        }
        const total = (sizeMiB * conc);
        const mibs = (s: number) => total / s;
        // Each ratio is the median of the ratios within one repetition (measured seconds apart), so load
        // from elsewhere on a shared machine hits both sides of a ratio alike.
        const ratio = (ref: number[], ours: number[]) => median(ref.map((r, i) => r / ours[i]!));
        rows.push([`${sizeMiB} MiB`, conc,
          mibs(median(put)), mibs(median(httpPut)), ratio(httpPut, put), mibs(median(refPut)), ratio(refPut, put), mibs(median(hashPut)), ratio(hashPut, put),
          mibs(median(get)), mibs(median(httpGet)), ratio(httpGet, get), mibs(median(refGet)), ratio(refGet, get)]);
      }
    }
    rows.push(['peak server RSS (MiB)', '', peakRssMiB(server.pid), '', '', '', '', '', '', '', '', '', '', '']);
  } finally {
    await server.stop();
    await plain.stop();
    await hashingPlain.stop();
    rmSync(refDir, { recursive: true, force: true });
  }
  printTable(`S3 PUT/GET throughput, MiB/s, median of ${reps}; ratios = seedbucket / reference, median of per-repetition ratios (goal ≥ 0.8 for large objects)`,
    ['object', 'clients', 'PUT', 'plain HTTP PUT', 'ratio', 'fs write', 'ratio', 'plain HTTP + MD5 + SHA-1 PUT', 'ratio', 'GET', 'plain HTTP GET', 'ratio', 'fs read', 'ratio'], rows);
}
