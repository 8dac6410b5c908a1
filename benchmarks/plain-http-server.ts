/**
 * The reference for S3 throughput: a plain node:http server that stores PUT bodies as files (fsync
 * before answering, like seedbucket) and streams them back on GET. Everything seedbucket adds (SigV4,
 * MD5 ETag, piece hashing, metadata transactions) is what the ratio measures.
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

const dir = process.argv[2]!;
mkdirSync(dir, { recursive: true });
const fileOf = (url: string) => path.join(dir, encodeURIComponent(url.split('?')[0]!));

const server = http.createServer(async (req, res) => {
  try {
    const file = fileOf(req.url ?? '/');
    if (req.method === 'PUT') {
      await pipeline(req, createWriteStream(file, { highWaterMark: 1 << 20 }));
      const fh = await open(file, 'r');
      await fh.sync();
      await fh.close();
      res.end();
    } else if (req.method === 'GET') {
      await pipeline(createReadStream(file, { highWaterMark: 256 * 1024 }), res);
    } else if (req.method === 'DELETE') {
      rmSync(file, { force: true });
      res.statusCode = 204;
      res.end();
    } else {
      res.statusCode = 405;
      res.end();
    }
  } catch {
    res.statusCode = 500;
    res.end();
  }
});
server.requestTimeout = 0;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`plain listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
