import { Transform, type TransformCallback } from 'node:stream';

/**
 * One upload budget for the whole server (`--upload-limit`): GET bodies, web seeds and the seeder all
 * take bytes from it, first come first served. A token bucket refilled continuously, holding at most
 * a quarter second of bytes so idle time does not turn into a burst over the limit.
 */
export class UploadBudget {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last = process.hrtime.bigint();
  readonly #queue: { bytes: number; resolve: () => void }[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** bytesPerSecond undefined or 0: unlimited */
  constructor(bytesPerSecond?: number) {
    this.#rate = bytesPerSecond ?? 0;
    this.#burst = Math.max(64 * 1024, this.#rate / 4);
    this.#tokens = this.#burst;
  }

  get limited(): boolean { return this.#rate > 0; }

  #refill(): void {
    const now = process.hrtime.bigint();
    this.#tokens = Math.min(this.#burst, this.#tokens + (Number(now - this.#last) / 1e9) * this.#rate);
    this.#last = now;
  }

  /** Resolves once `bytes` may be sent. Requests larger than the burst go through in one piece once the bucket is full. */
  take(bytes: number): Promise<void> {
    if (!this.limited) return Promise.resolve();
    this.#refill();
    if (this.#queue.length === 0 && this.#tokens >= Math.min(bytes, this.#burst)) {
      this.#tokens -= bytes;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#queue.push({ bytes, resolve });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#timer) return;
    const head = this.#queue[0];
    if (!head) return;
    const need = Math.min(head.bytes, this.#burst) - this.#tokens;
    const wait = Math.max(1, Math.ceil((need / this.#rate) * 1000));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#refill();
      while (this.#queue.length > 0) {
        const next = this.#queue[0]!;
        if (this.#tokens < Math.min(next.bytes, this.#burst)) break;
        this.#tokens -= next.bytes;
        this.#queue.shift();
        next.resolve();
      }
      this.#schedule();
    }, wait);
  }

  /** A pass-through stream that spends the budget for every chunk it lets by. */
  throttle(): Transform {
    const budget = this;
    return new Transform({
      transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
        budget.take(chunk.length).then(() => cb(null, chunk), cb);
      },
    });
  }
}
