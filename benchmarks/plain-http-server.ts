/**
 * The reference for S3 throughput: a plain node:http server that stores PUT bodies as files (fsync
 * before answering, like seedbucket) and streams them back on GET. Everything seedbucket adds (SigV4,
 * MD5 ETag, piece hashing, metadata transactions) is what the ratio measures.
 * With `--hash` it also computes what any PUT that makes a torrent must: the body's MD5 (the ETag) and
 * the SHA-1 of each 1 MiB piece, inline. That isolates the cost of the hashing from the rest of S3.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const dir = process.argv[2]!;
const hashing = process.argv[3] === '--hash';
const PIECE = 1024 * 1024;

/** MD5 of the whole body and SHA-1 of each piece, as the bytes pass. */
function hasher(): Transform {
  const md5 = createHash('md5');
  let sha1 = createHash('sha1');
  let inPiece = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5.update(chunk);
      for (let pos = 0; pos < chunk.length;) {
        const take = Math.min(chunk.length - pos, PIECE - inPiece);
        sha1.update(chunk.subarray(pos, pos + take));
        pos += take;
        inPiece += take;
        if (inPiece === PIECE) { sha1.digest(); sha1 = createHash('sha1'); inPiece = 0; }
      }
      cb(null, chunk);
    },
    flush(cb) { md5.digest(); sha1.digest(); cb(); },
  });
}
mkdirSync(dir, { recursive: true });
const fileOf = (url: string) => path.join(dir, encodeURIComponent(url.split('?')[0]!));

const server = http.createServer(async (req, res) => {
  try {
    const file = fileOf(req.url ?? '/');
    if (req.method === 'PUT') {
      const sink = createWriteStream(file, { highWaterMark: 1 << 20 });
      await (hashing ? pipeline(req, hasher(), sink) : pipeline(req, sink));
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
