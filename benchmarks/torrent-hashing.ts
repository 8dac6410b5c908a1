/**
 * Inline PUT hashing throughput: a 256 MiB random buffer fed in 64 KiB chunks, median of 3 runs.
 *   node --import tsx benchmarks/torrent-hashing.ts [MiB]
 * Reference: one plain createHash('sha1') (resp. 'sha256') over the same chunks; ratio = ours / reference.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { PartHasher } from '../src/torrent/part-hasher.ts';
import { PieceHasher } from '../src/torrent/piece-hasher.ts';

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const RUNS = 3;
const sizeMiB = Number(process.argv[2] ?? 256);
const buf = randomFillSync(Buffer.allocUnsafe(sizeMiB * MiB));

function median(run: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    run();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return sizeMiB / times[Math.floor(RUNS / 2)]!;
}

function feed(update: (chunk: Buffer) => void): void {
  for (let o = 0; o < buf.length; o += CHUNK) update(buf.subarray(o, o + CHUNK));
}

const plain = (algorithm: string) => () => {
  const h = createHash(algorithm);
  feed((c) => h.update(c));
  h.digest();
};
const pieces = (pieceLength: number, v2: boolean) => () => {
  const h = new PieceHasher(pieceLength, { v2 });
  feed((c) => h.update(c));
  h.digest();
};
const part = (pieceLength: number, v2: boolean) => () => {
  const h = new PartHasher(pieceLength, 5 * MiB, { v2 });
  feed((c) => h.update(c));
  h.digest();
};

const sha1Ref = median(plain('sha1'));
const sha256Ref = median(plain('sha256'));
const rows: Array<[string, number, number]> = [
  ['plain sha1 (reference)', sha1Ref, sha1Ref],
  ['plain sha256', sha256Ref, sha1Ref],
  ['v1 PieceHasher, 256 KiB pieces', median(pieces(256 * 1024, false)), sha1Ref],
  ['v1 PieceHasher, 4 MiB pieces', median(pieces(4 * MiB, false)), sha1Ref],
  ['hybrid PieceHasher, 256 KiB pieces', median(pieces(256 * 1024, true)), sha1Ref],
  ['hybrid PieceHasher, 4 MiB pieces', median(pieces(4 * MiB, true)), sha1Ref],
  ['v1 PartHasher, 4 MiB pieces', median(part(4 * MiB, false)), sha1Ref],
  ['hybrid PartHasher, 4 MiB pieces', median(part(4 * MiB, true)), sha1Ref],
];

console.log(`${sizeMiB} MiB, ${CHUNK / 1024} KiB chunks, median of ${RUNS}, node ${process.version}`);
console.log('| hasher | MiB/s | vs plain sha1 |');
console.log('| --- | ---: | ---: |');
for (const [name, mibps, ref] of rows) console.log(`| ${name} | ${mibps.toFixed(0)} | ${(mibps / ref).toFixed(2)} |`);
