import { setFlagsFromString } from 'node:v8';

/**
 * Turns off V8's incremental marking for the server process. Our live heap (~8.5 MB) sits just over
 * V8's 8 MB threshold for starting incremental marking, and with the young generation larger than the
 * old generation's headroom V8 starts a new marking cycle as soon as one ends: 30–34 full mark-compacts
 * per GiB streamed, against under one for a plain node:http server whose heap is half the size. Without
 * incremental marking a full GC runs only when the old generation reaches its limit (measured: 0.1 per
 * GiB; 8 × 256 MiB GETs 0.74 → 0.98 of the plain reference, PUTs 0.51 → 0.56, benchmarks/s3-throughput.ts).
 * The price is that those rare full GCs pause the whole heap at once: a few ms at this heap size.
 * Set before the server allocates much; the flag is read each time V8 decides whether to start marking.
 * `node --incremental-marking` on the command line keeps V8's default (and measures against it).
 */
export function tuneGcForStreaming(): void {
  if (process.execArgv.some((a) => /^--(no-)?incremental[-_]marking$/.test(a))) return;
  setFlagsFromString('--no-incremental-marking');
}
