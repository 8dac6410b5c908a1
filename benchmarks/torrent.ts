/**
 * GetObjectTorrent latency (1 GiB vs 1 MiB object), PutObject throughput with piece hashing on vs off,
 * and CompleteMultipartUpload time for a large object in 8 MiB parts as a fraction of its upload time.
 */
import { randomBytes } from 'node:crypto';
import { presignUrl } from '../src/s3/presign-url.ts';
import { ACCESS_KEY, SECRET_KEY, median, printTable, request, startBenchServer, timed, type BenchServer, type HttpResult } from './lib.ts';

const MiB = 1024 * 1024;

/** A presigned URL on the bench bucket with its sub-resource parameters signed too (lib's signedUrl appends
 *  them after signing, which the server rightly refuses with 403 SignatureDoesNotMatch). */
function signedUrl(server: BenchServer, method: string, key: string, query: Record<string, string> = {}): string {
  return presignUrl({
    method, baseUrl: server.url, bucket: 'bench', key, accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, region: 'us-east-1',
    expiresSeconds: 3600, query: Object.entries(query),
  });
}

/** a benchmark that measures failing requests measures nothing */
function expectStatus(res: HttpResult, status: number, what: string): HttpResult {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${res.body.toString().slice(0, 300)}`);
  return res;
}

async function putTimes(server: BenchServer, data: Buffer, reps: number): Promise<number[]> {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    times.push(await timed(async () => {
      const res = await request('PUT', signedUrl(server, 'PUT', `put-${r}`), data);
      if (res.status !== 200) throw new Error(`PUT ${res.status}`);
    }));
    expectStatus(await request('DELETE', signedUrl(server, 'DELETE', `put-${r}`)), 204, 'DeleteObject');
  }
  return times;
}

async function multipart(server: BenchServer, data: Buffer, partSize: number): Promise<{ upload: number; complete: number }> {
  const key = 'mp';
  const init = expectStatus(await request('POST', signedUrl(server, 'POST', key, { uploads: '' }), undefined, { keepBody: true }), 200, 'CreateMultipartUpload');
  const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(init.body.toString())![1]!;
  const etags: string[] = [];
  const upload = await timed(async () => {
    for (let off = 0, n = 1; off < data.length; off += partSize, n++) {
      const res = await request('PUT', signedUrl(server, 'PUT', key, { partNumber: String(n), uploadId }), data.subarray(off, off + partSize));
      if (res.status !== 200) throw new Error(`UploadPart ${res.status}`);
      etags.push(String(res.headers.etag));
    }
  });
  const xml = `<CompleteMultipartUpload>${etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
  const complete = await timed(async () => {
    const res = await request('POST', signedUrl(server, 'POST', key, { uploadId }), Buffer.from(xml), { keepBody: true });
    if (res.status !== 200) throw new Error(`Complete ${res.status} ${res.body.toString()}`);
  });
  expectStatus(await request('DELETE', signedUrl(server, 'DELETE', key)), 204, 'DeleteObject');
  return { upload, complete };
}

export async function torrentBench(benchDir: string, reps: number, bigMiB: number): Promise<void> {
  const data = randomBytes(bigMiB * MiB);
  const rows: (string | number)[][] = [];
  const hashing = await startBenchServer(benchDir);
  const plain = await startBenchServer(benchDir, [], { SEEDBUCKET_UNSAFE_NO_PIECE_HASHING: '1' });
  try {
    for (const s of [hashing, plain]) expectStatus(await request('PUT', signedUrl(s, 'PUT', '')), 200, 'CreateBucket');

    // Alternate the two servers so drift on a shared machine hits both alike.
    const on: number[] = []; const off: number[] = [];
    for (let r = 0; r < reps; r++) {
      on.push(...await putTimes(hashing, data, 1));
      off.push(...await putTimes(plain, data, 1));
    }
    rows.push([`PutObject ${bigMiB} MiB, MiB/s (hashing on / off)`, bigMiB / median(on), bigMiB / median(off), median(off) / median(on), '≥ 0.90']);

    expectStatus(await request('PUT', signedUrl(hashing, 'PUT', 'big'), data), 200, 'PutObject big');
    expectStatus(await request('PUT', signedUrl(hashing, 'PUT', 'small'), data.subarray(0, MiB)), 200, 'PutObject small');
    const lat = async (key: string) => {
      const times: number[] = [];
      for (let i = 0; i < 50; i++) {
        times.push(await timed(async () => {
          const res = await request('GET', signedUrl(hashing, 'GET', key, { torrent: '' }), undefined, { keepBody: true });
          if (res.status !== 200 || res.headers['content-type'] !== 'application/x-bittorrent') throw new Error(`torrent ${res.status}`);
        }));
      }
      return median(times) * 1000;
    };
    const big = await lat('big');
    const small = await lat('small');
    rows.push([`GetObjectTorrent latency, ms (${bigMiB} MiB / 1 MiB object)`, big, small, big / small, `< 5 ms, ratio ≈ 1`]);

    const mp: { upload: number; complete: number }[] = [];
    for (let r = 0; r < reps; r++) mp.push(await multipart(hashing, data, 8 * MiB));
    const frac = median(mp.map((m) => m.complete / m.upload));
    rows.push([`CompleteMultipartUpload ${bigMiB} MiB in 8 MiB parts, s (complete / upload)`, median(mp.map((m) => m.complete)), median(mp.map((m) => m.upload)), frac, '< 0.05']);
  } finally {
    await hashing.stop();
    await plain.stop();
  }
  printTable(`Torrent hashing costs, median of ${reps} (GetObjectTorrent: median of 50)`, ['measure', 'a', 'b', 'a/b ratio', 'goal'], rows);
}
