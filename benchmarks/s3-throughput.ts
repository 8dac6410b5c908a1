/**
 * PUT and GET throughput of seedbucket against plain fs streams writing and reading the same bytes
 * (with the same fsync) in the same run, for 1 MiB, 64 MiB and 1 GiB objects with 1 and 8 concurrent
 * clients; and the server's peak RSS.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
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

export async function s3Throughput(benchDir: string, reps: number, sizesMiB: number[]): Promise<void> {
  const server = await startBenchServer(benchDir);
  const bucket = 'bench';
  await request('PUT', signedUrl(server, 'PUT', bucket, ''));
  const refDir = mkdtempSync(path.join(benchDir, 'ref-'));
  const rows: (string | number)[][] = [];
  try {
    for (const sizeMiB of sizesMiB) {
      const data = randomBytes(sizeMiB * MiB);
      for (const conc of [1, 8]) {
        const put: number[] = []; const get: number[] = []; const refPut: number[] = []; const refGet: number[] = [];
        for (let r = 0; r < reps; r++) {
          const ids = Array.from({ length: conc }, (_, i) => `o${sizeMiB}-${conc}-${r}-${i}`);
          refPut.push(await timed(() => Promise.all(ids.map((id) => fsWrite(path.join(refDir, id), data)))));
          put.push(await timed(() => Promise.all(ids.map(async (id) => {
            const res = await request('PUT', signedUrl(server, 'PUT', bucket, id), data);
            if (res.status !== 200) throw new Error(`PUT ${res.status}`);
          }))));
          refGet.push(await timed(() => Promise.all(ids.map((id) => fsRead(path.join(refDir, id))))));
          get.push(await timed(() => Promise.all(ids.map(async (id) => {
            const res = await request('GET', signedUrl(server, 'GET', bucket, id));
            if (res.status !== 200 || res.bytes !== data.length) throw new Error(`GET ${res.status} ${res.bytes}`);
          }))));
          for (const id of ids) {
            rmSync(path.join(refDir, id), { force: true });
            await request('DELETE', signedUrl(server, 'DELETE', bucket, id));
          }
        }
        const total = (sizeMiB * conc);
        const mibs = (s: number) => total / s;
        rows.push([`${sizeMiB} MiB`, conc,
          mibs(median(put)), mibs(median(refPut)), median(refPut) / median(put),
          mibs(median(get)), mibs(median(refGet)), median(refGet) / median(get)]);
      }
    }
    rows.push(['peak server RSS (MiB)', '', peakRssMiB(server.pid), '', '', '', '', '']);
  } finally {
    await server.stop();
    rmSync(refDir, { recursive: true, force: true });
  }
  printTable(`S3 PUT/GET throughput, MiB/s, median of ${reps} (ratio = seedbucket / fs streams; goal ≥ 0.8 for large objects)`,
    ['object', 'clients', 'PUT', 'fs write', 'PUT ratio', 'GET', 'fs read', 'GET ratio'], rows);
}
