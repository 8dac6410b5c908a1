import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HashRequest } from './hash-worker.ts';
import type { DigestResult, HashPlan } from './write-digest.ts';

interface Job {
  onAck(bytes: number): void;
  resolve(r: DigestResult): void;
  reject(e: Error): void;
}

type HashReply = { op: 'ack'; id: number; bytes: number } | { op: 'result'; id: number; result: DigestResult };

/** Results cross the thread boundary as Uint8Arrays; the rest of the server expects Buffers. */
function asBuffers(r: DigestResult): DigestResult {
  const b = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  const out: DigestResult = { md5: b(r.md5) };
  if (r.pieceHashes) {
    const p = r.pieceHashes;
    out.pieceHashes = { pieceLength: p.pieceLength, pieces: b(p.pieces), ...(p.piecesRoot ? { piecesRoot: b(p.piecesRoot) } : {}), ...(p.pieceLayer ? { pieceLayer: b(p.pieceLayer) } : {}) };
  }
  if (r.partHashes) {
    const p = r.partHashes;
    out.partHashes = { pieceLength: p.pieceLength, predictedOffset: p.predictedOffset, pieces: b(p.pieces), ...(p.pieceLayer ? { pieceLayer: b(p.pieceLayer) } : {}) };
  }
  return out;
}

class HashThread {
  readonly #worker: Worker;
  readonly #jobs = new Map<number, Job>();
  #failed: Error | undefined;

  constructor() {
    this.#worker = new Worker(new URL('./hash-worker-entry.js', import.meta.url));
    this.#worker.unref();
    this.#worker.on('message', (m: HashReply) => {
      const job = this.#jobs.get(m.id);
      if (!job) return;
      if (m.op === 'ack') job.onAck(m.bytes);
      else {
        this.#jobs.delete(m.id);
        job.resolve(asBuffers(m.result));
      }
    });
    this.#worker.on('error', (e) => this.#fail(e));
    this.#worker.on('exit', (code) => this.#fail(new Error(`hash worker exited with ${code}`)));
  }

  #fail(e: Error): void {
    this.#failed = e;
    for (const job of this.#jobs.values()) job.reject(e);
    this.#jobs.clear();
  }

  get load(): number { return this.#jobs.size; }

  start(id: number, plan: HashPlan, job: Job): void {
    if (this.#failed) throw this.#failed;
    this.#jobs.set(id, job);
    this.post({ op: 'start', id, plan });
  }

  post(m: HashRequest): void {
    if (m.op === 'data') {
      // Cloning a Buffer view would clone its whole backing ArrayBuffer (often a shared pool): copy just the bytes and transfer them.
      const own = new Uint8Array(m.chunk);
      this.#worker.postMessage({ op: 'data', id: m.id, chunk: own }, [own.buffer]);
      return;
    }
    this.#worker.postMessage(m);
    if (m.op === 'abort') this.#jobs.delete(m.id);
  }

  terminate(): Promise<number> { return this.#worker.terminate(); }
}

/**
 * Hashing of large uploads on worker threads, so MD5 and piece hashing overlap with reading the
 * socket and writing the disk instead of taking turns with them on the main thread.
 */
export class HashPool {
  #threads: HashThread[] = [];
  #nextId = 1;
  readonly #size: number;

  constructor(size = Math.max(1, Math.min(4, availableParallelism()))) {
    this.#size = size;
  }

  get size(): number { return this.#size; }

  /** A session for one upload; the least busy thread takes it. Threads start on first use. */
  open(plan: HashPlan, onAck: (bytes: number) => void): PooledDigest {
    if (this.#threads.length < this.#size) this.#threads.push(new HashThread());
    const thread = this.#threads.reduce((a, b) => (b.load < a.load ? b : a));
    const id = this.#nextId++;
    let resolve!: (r: DigestResult) => void;
    let reject!: (e: Error) => void;
    const result = new Promise<DigestResult>((res, rej) => { resolve = res; reject = rej; });
    result.catch(() => {});
    thread.start(id, plan, { onAck, resolve, reject });
    return {
      update(chunk: Buffer) { thread.post({ op: 'data', id, chunk }); },
      finish() { thread.post({ op: 'end', id }); return result; },
      abort() { thread.post({ op: 'abort', id }); },
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.terminate()));
    this.#threads = [];
  }
}

export interface PooledDigest {
  update(chunk: Buffer): void;
  finish(): Promise<DigestResult>;
  abort(): void;
}

/**
 * The process's pool (threads start on first use and never keep the process alive). Its size comes from
 * SEEDBUCKET_HASH_THREADS (default: the number of cores, at most 4); 0 hashes every upload inline.
 */
export const hashPool = new HashPool(Number(process.env.SEEDBUCKET_HASH_THREADS ?? Math.min(4, availableParallelism())));
