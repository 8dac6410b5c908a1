/**
 * All benchmarks, one command: `npm run bench`; BENCH_ONLY=s3,torrent,tracker,seeder,offload picks suites (Debian packages for the references: scripts/install-bench-deps.sh).
 * BENCH_QUICK=1 runs one small repetition of each; BENCH_REPS=n sets the repetitions.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { s3Throughput } from './s3-throughput.ts';
import { torrentBench } from './torrent.ts';
import { trackerBench } from './tracker.ts';
import { seederBench } from './seeder.ts';
import { offloadBench } from './offload.ts';

const quick = process.env.BENCH_QUICK === '1';
const reps = Number(process.env.BENCH_REPS ?? (quick ? 1 : 3));
const only = (process.env.BENCH_ONLY ?? 's3,torrent,tracker,seeder,offload').split(',');
const benchDir = path.resolve(process.env.BENCH_DIR ?? '.bench');
mkdirSync(benchDir, { recursive: true });
try {
  if (only.includes('s3')) await s3Throughput(benchDir, reps, quick ? [1, 64] : [1, 64, 1024]);
  if (only.includes('torrent')) await torrentBench(benchDir, reps, quick ? 256 : 1024);
  if (only.includes('tracker')) await trackerBench(benchDir, reps);
  if (only.includes('seeder')) await seederBench(benchDir, reps);
  if (only.includes('offload')) await offloadBench(benchDir, reps, quick ? 64 : 256);
} finally {
  rmSync(benchDir, { recursive: true, force: true });
}
