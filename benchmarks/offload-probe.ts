/**
 * Diagnostics for benchmarks/offload.ts (b): the same run with seedbucket in this process, printing the
 * seeder's counters once a second (MiB sent that second by the seeder / in finished web-seed responses,
 * copies so far, peers, super-seeded, reveals, rejects, per peer: queued requests + c(hoked) u(ninterested)),
 * each web-seed GET (start-end, status, range, bytes), and the swarm as the web-seed policy sees it.
 * Not part of the benchmark table. PROBE_WEB_SEED=0: torrents without a web seed.
 *
 *   node --import tsx benchmarks/offload-probe.ts [sizeMiB=256] [superSeeding=auto]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, GetObjectTorrentCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ServerConfig } from '../src/server/config.ts';
import { startServer } from '../src/server/seedbucket.ts';
import { aria2Swarm } from './offload.ts';
import { ACCESS_KEY, SECRET_KEY } from './lib.ts';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? 256);
const superSeeding = (process.argv[3] ?? 'auto') as ServerConfig['superSeeding'];
const dir = mkdtempSync(path.join(os.tmpdir(), 'seedbucket-probe-'));
const config: ServerConfig = {
  dataDir: path.join(dir, 'data'), host: '127.0.0.1', port: 0, region: 'us-east-1', rootAccessKey: ACCESS_KEY, rootSecretKey: SECRET_KEY,
  torrentFormat: 'v1', torrentMaxSize: 5 * 1024 * MiB, extraTrackers: [], insecureSseC: false, fsync: false, hashThreads: 2, pieceHashing: true,
  webSeed: process.env.PROBE_WEB_SEED !== '0', tracker: true, seeder: true, trackerPort: 0, peerPort: 0, superSeeding,
  privateTorrentTtl: 86400, uploadLimit: 32 * MiB,
};
const server = await startServer(config);
const url = server.endpoints.find((e) => e.name === 's3')!.url;
const client = new S3Client({ endpoint: url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY } });
const data = randomBytes(sizeMiB * MiB);
await client.send(new CreateBucketCommand({ Bucket: 'bench' }));
await client.send(new PutObjectCommand({ Bucket: 'bench', Key: 'obj', Body: data, ACL: 'public-read' }));
const t = await client.send(new GetObjectTorrentCommand({ Bucket: 'bench', Key: 'obj' }));
const torrentFile = path.join(dir, 'obj.torrent');
writeFileSync(torrentFile, await t.Body!.transformToByteArray());

const seeder = server.services.bittorrent!.seeder!;
const usage = server.services.usage;
let webBytes = 0;
const record = usage.record.bind(usage);
usage.record = (a, op, role, bi, bo, n) => { if (op === 'GetObject') webBytes += bo; record(a, op, role, bi, bo, n); };
let lastUp = 0;
let lastWeb = 0;
const t0 = Date.now();
const timer = setInterval(() => {
  const s = seeder.stats({ peers: true });
  const tt = s.torrents[0];
  const up = s.uploaded;
  const peers = tt?.peerList ?? [];
  process.stdout.write(`${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s seeder ${((up - lastUp) / MiB).toFixed(1).padStart(5)} MiB/s web ${((webBytes - lastWeb) / MiB).toFixed(1).padStart(5)} (done req) `
    + `total ${(up / data.length).toFixed(2)}+${(webBytes / data.length).toFixed(2)} peers ${tt?.peers ?? 0} leech ${tt?.leechers ?? 0} ss ${tt?.superSeeded ?? 0} `
    + `revealed ${tt?.revealed ?? 0} rejected ${tt?.rejected ?? 0} q ${peers.map((p) => `${p.queued}${p.unchoked ? '' : 'c'}${p.interested ? '' : 'u'}`).join(',')}\n`);
  lastUp = up;
  lastWeb = webBytes;
}, 1000);
// when web-seed GETs start and end, and the swarm as the web-seed policy sees it (swarmOf), on every change
const o = server.services.meta.getObject('bench', 'obj')!;
const rel = (): string => ((Date.now() - t0) / 1000).toFixed(3);
server.s3.on('request', (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  if (req.method !== 'GET' || !req.url?.startsWith('/bench/obj') || req.url.includes('torrent')) return;
  const at = rel();
  res.once('close', () => process.stdout.write(`  web GET ${at}-${rel()} ${res.statusCode} range=${req.headers.range ?? '-'} sent=${(req.socket.bytesWritten / MiB).toFixed(1)} MiB (socket)\n`));
});
let lastSwarm = '';
const swarmTimer = setInterval(() => {
  const v = JSON.stringify(server.services.bittorrent!.swarmOf(o));
  if (v !== lastSwarm) process.stdout.write(`  swarm ${rel()} ${v}\n`);
  lastSwarm = v;
}, 5);
const times = await aria2Swarm(dir, torrentFile, data.length);
clearInterval(swarmTimer);
clearInterval(timer);
process.stdout.write(`done: ${times.map((x) => x?.toFixed(1)).join(' ')}\nclosed: ${JSON.stringify(seeder.stats().closed)}\n`);
await server.close();
client.destroy();
rmSync(dir, { recursive: true, force: true });
