import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Bytes copied into one message: a message per 64 KiB socket read cost more than the hashing saved. */
const BATCH_SIZE = 512 * 1024;
/**
 * Batches one upload may have in flight; past this the upload waits for the thread (backpressure). An
 * upload holds at most BATCHES_IN_FLIGHT + 1 batches. Peak RSS of 8 concurrent 256 MiB PUTs over inline
 * hashing: +56 MB with 4 × 1 MiB, +23 MB with 2 × 512 KiB, at throughput within the noise.
 */
const BATCHES_IN_FLIGHT = 2;

/**
 * What a thread hashes for one upload: always its MD5; with `pieceLength`, also the SHA-1 of each v1
 * piece, on a grid that starts `skip` bytes in (a multipart part hashed on its predicted grid), keeping
 * the short last piece only if `shortTail` (a whole object does, a part does not).
 */
export interface ThreadHashPlan {
  pieceLength: number;
  skip: number;
  shortTail: boolean;
}

type HashRequest =
  | { op: 'start'; id: number; plan: ThreadHashPlan }
  | { op: 'data'; id: number; batch: Uint8Array<ArrayBuffer> }
  | { op: 'end'; id: number }
  | { op: 'abort'; id: number };

/** Each batch goes back once hashed, so the sender reuses it; then the digests. */
type HashReply =
  | { op: 'hashed'; id: number; batch: Uint8Array<ArrayBuffer> }
  | { op: 'digest'; id: number; md5: Uint8Array; pieces: Uint8Array };

export interface ThreadHashes {
  md5: Buffer;
  /** concatenated SHA-1s (empty without a piece length) */
  pieces: Buffer;
}

/**
 * The thread's whole program. It runs from its source text (`eval`), so it may use nothing from this
 * module, only built-in modules through `process.getBuiltinModule` (a bundler rewrites `require` and
 * imports, never that call): loading tsx into every thread cost ~35 MB of RSS each. Its v1 piece hashing
 * repeats PieceGridHasher's for that reason; test/torrent/hash-threads.test.ts holds the two equal.
 */
function hashThreadMain(): void {
  const { createHash } = process.getBuiltinModule('node:crypto');
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  type Hash = import('node:crypto').Hash;
  const port = parentPort!;

  class UploadHashes {
    readonly md5 = createHash('md5');
    sha1: Hash | undefined;
    readonly pieces: Buffer[] = [];
    inPiece = 0;
    skip: number;

    constructor(readonly plan: ThreadHashPlan) {
      this.skip = plan.skip;
      if (plan.pieceLength > 0) this.sha1 = createHash('sha1');
    }

    update(data: Uint8Array): void {
      this.md5.update(data);
      if (!this.sha1) return;
      let pos = Math.min(this.skip, data.length);
      this.skip -= pos;
      while (pos < data.length) {
        const take = Math.min(data.length - pos, this.plan.pieceLength - this.inPiece);
        this.sha1.update(data.subarray(pos, pos + take));
        this.inPiece += take;
        pos += take;
        if (this.inPiece === this.plan.pieceLength) {
          this.pieces.push(this.sha1.digest());
          this.sha1 = createHash('sha1');
          this.inPiece = 0;
        }
      }
    }

    digest(): { md5: Buffer; pieces: Buffer } {
      if (this.sha1 && this.plan.shortTail && this.inPiece > 0) this.pieces.push(this.sha1.digest());
      return { md5: this.md5.digest(), pieces: Buffer.concat(this.pieces) };
    }
  }

  const uploads = new Map<number, UploadHashes>();
  port.on('message', (m: HashRequest) => {
    if (m.op === 'start') uploads.set(m.id, new UploadHashes(m.plan));
    else if (m.op === 'data') {
      uploads.get(m.id)?.update(m.batch);
      port.postMessage({ op: 'hashed', id: m.id, batch: m.batch } satisfies HashReply, [m.batch.buffer]);
    } else if (m.op === 'end') {
      const u = uploads.get(m.id);
      uploads.delete(m.id);
      if (u) port.postMessage({ op: 'digest', id: m.id, ...u.digest() } satisfies HashReply);
    } else uploads.delete(m.id);
  });
}

interface Session {
  onHashed(batch: Uint8Array<ArrayBuffer>): void;
  resolve(h: ThreadHashes): void;
  reject(e: Error): void;
}

class HashThread {
  readonly #worker: Worker;
  readonly #sessions = new Map<number, Session>();
  #failed: Error | undefined;

  constructor() {
    // tsx (the tests) compiles with esbuild's keepNames, which wraps named functions and classes in a
    // module-level __name() helper that the thread's source text does not carry: the prelude stands in for it.
    this.#worker = new Worker(`const __name = (f) => f;\n(${hashThreadMain.toString()})();`, { eval: true });
    this.#worker.on('message', (m: HashReply) => {
      const s = this.#sessions.get(m.id);
      if (!s) return;
      if (m.op === 'hashed') { s.onHashed(m.batch); return; }
      this.#sessions.delete(m.id);
      this.#idle();
      const b = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
      s.resolve({ md5: b(m.md5), pieces: b(m.pieces) });
    });
    this.#worker.on('error', (e) => this.#fail(e));
    this.#worker.on('exit', (code) => this.#fail(new Error(`hash thread exited with ${code}`)));
    this.#idle();
  }

  /** The thread keeps the process alive only while it has uploads to hash (a 'message' listener refs it). */
  #idle(): void {
    if (this.#sessions.size === 0) this.#worker.unref();
  }

  #fail(e: Error): void {
    this.#failed ??= e;
    for (const s of this.#sessions.values()) s.reject(e);
    this.#sessions.clear();
  }

  get failed(): boolean { return this.#failed !== undefined; }
  get load(): number { return this.#sessions.size; }

  start(id: number, plan: ThreadHashPlan, session: Session): void {
    if (this.#failed) { session.reject(this.#failed); return; }
    if (this.#sessions.size === 0) this.#worker.ref();
    this.#sessions.set(id, session);
    this.post({ op: 'start', id, plan });
  }

  post(m: HashRequest): void {
    if (m.op === 'data') this.#worker.postMessage(m, [m.batch.buffer]);
    else this.#worker.postMessage(m);
    if (m.op === 'abort') {
      this.#sessions.delete(m.id);
      this.#idle();
    }
  }

  terminate(): Promise<number> { return this.#worker.terminate(); }
}

/** One upload's hashes, computed on a hash thread from copies of its bytes. */
export class OffloadedHashes {
  readonly #thread: HashThread;
  readonly #id: number;
  readonly #result: Promise<ThreadHashes>;
  #spare: Uint8Array<ArrayBuffer>[] = [];
  #batch: Uint8Array<ArrayBuffer> | undefined;
  #filled = 0;
  #inFlight = 0;
  #waiting: (() => void) | undefined;
  #error: Error | undefined;

  constructor(thread: HashThread, id: number, plan: ThreadHashPlan) {
    this.#thread = thread;
    this.#id = id;
    let resolve!: (h: ThreadHashes) => void;
    let reject!: (e: Error) => void;
    this.#result = new Promise<ThreadHashes>((res, rej) => { resolve = res; reject = rej; });
    this.#result.catch(() => {});
    thread.start(id, plan, {
      onHashed: (batch) => { this.#inFlight--; this.#spare.push(new Uint8Array(batch.buffer)); this.#wake(); },
      resolve,
      reject: (e) => { this.#error = e; reject(e); this.#wake(); },
    });
  }

  #wake(): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.();
  }

  /** Copies the chunk into batches; resolves once the thread has fewer than BATCHES_IN_FLIGHT of them to hash. */
  async update(chunk: Buffer): Promise<void> {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.#error) throw this.#error;
      this.#batch ??= this.#spare.pop() ?? new Uint8Array(BATCH_SIZE);
      const n = Math.min(chunk.length - pos, BATCH_SIZE - this.#filled);
      this.#batch.set(chunk.subarray(pos, pos + n), this.#filled);
      this.#filled += n;
      pos += n;
      if (this.#filled === BATCH_SIZE) {
        this.#send();
        while (this.#inFlight >= BATCHES_IN_FLIGHT && !this.#error) {
          await new Promise<void>((resolve) => { this.#waiting = resolve; });
        }
      }
    }
    if (this.#error) throw this.#error;
  }

  #send(): void {
    const batch = this.#batch!.subarray(0, this.#filled);
    this.#batch = undefined;
    this.#filled = 0;
    this.#inFlight++;
    this.#thread.post({ op: 'data', id: this.#id, batch });
  }

  /** The hashes of everything passed to update(). */
  digest(): Promise<ThreadHashes> {
    if (this.#filled > 0) this.#send();
    this.#thread.post({ op: 'end', id: this.#id });
    return this.#result;
  }

  abort(): void {
    this.#thread.post({ op: 'abort', id: this.#id });
  }
}

/**
 * Threads that hash large uploads (MD5 for the ETag, v1 piece SHA-1s) while the main thread reads the
 * socket and writes the file. Threads start on first use and keep the process alive only while busy.
 */
export class HashThreads {
  #threads: HashThread[] = [];
  #nextId = 1;
  /** at most this many threads (0: callers hash inline); set before the first upload */
  size: number;

  constructor(size: number) {
    this.size = size;
  }

  /** Hashing for one upload, on the least busy thread. */
  open(plan: ThreadHashPlan): OffloadedHashes {
    this.#threads = this.#threads.filter((t) => !t.failed);
    if (this.#threads.length < this.size) this.#threads.push(new HashThread());
    const thread = this.#threads.reduce((a, b) => (b.load < a.load ? b : a));
    return new OffloadedHashes(thread, this.#nextId++, plan);
  }

  async close(): Promise<void> {
    await Promise.all(this.#threads.map((t) => t.terminate()));
    this.#threads = [];
  }
}

/** `serve --hash-threads` unless given: one per core, at most 4. */
export const DEFAULT_HASH_THREADS = Math.min(4, availableParallelism());

/** The process's hash threads (`serve --hash-threads`). */
export const hashThreads = new HashThreads(DEFAULT_HASH_THREADS);
