import { open, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/**
 * Dirty bytes after which the sink starts flushing them in the background. 8 MiB rather than 32: PUT
 * ratio to the plain reference, side by side: 64 MiB 0.61–0.65 against 0.57 (median of 9), 1 GiB 0.72
 * against 0.69, 8 × 256 MiB 0.61 against 0.59 (median of 5). Less is left to flush once the body ends.
 */
const FLUSH_EVERY = 8 * 1024 * 1024;

/**
 * A file writer that flushes to disk while it is still being written. An upload is durable only once
 * fsynced; flushing everything at the end makes the disk wait for the hashing and then the client wait
 * for the disk. Starting `fdatasync` every FLUSH_EVERY bytes (it runs on the thread pool) overlaps the
 * two, so the final fsync in `sync()` has only the tail left to flush.
 */
export class FileSink extends Writable {
  readonly #path: string;
  #fh: FileHandle | undefined;
  #position = 0;
  #flushedUpTo = 0;
  #flushing: Promise<void> | undefined;
  readonly #background: boolean;

  constructor(path: string, opts: { backgroundFlush: boolean }) {
    // Not auto-destroyed on finish: the file stays open until sync() has made it durable.
    super({ highWaterMark: 512 * 1024, autoDestroy: false });
    this.#path = path;
    this.#background = opts.backgroundFlush;
  }

  override _construct(cb: (err?: Error | null) => void): void {
    open(this.#path, 'wx').then((fh) => { this.#fh = fh; cb(); }, cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.#writeAll(chunks.map((c) => c.chunk)).then(() => { this.#maybeFlush(); cb(); }, cb);
  }

  async #writeAll(buffers: Buffer[]): Promise<void> {
    let pending = buffers;
    while (pending.length > 0) {
      const { bytesWritten } = await this.#fh!.writev(pending, this.#position);
      this.#position += bytesWritten;
      // Short writes are rare on files but allowed: continue after what was written.
      let skip = bytesWritten;
      const rest: Buffer[] = [];
      for (const b of pending) {
        if (skip >= b.length) { skip -= b.length; continue; }
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
      pending = rest;
    }
  }

  #maybeFlush(): void {
    if (!this.#background || this.#flushing || this.#position - this.#flushedUpTo < FLUSH_EVERY) return;
    this.#flushedUpTo = this.#position;
    this.#flushing = this.#fh!.datasync().catch(() => {}).finally(() => { this.#flushing = undefined; });
  }

  override _final(cb: (err?: Error | null) => void): void {
    (this.#flushing ?? Promise.resolve()).then(() => cb(), cb);
  }

  /** Make everything written durable, then close the file. */
  async sync(): Promise<void> {
    await this.#flushing;
    await this.#fh!.sync();
    await this.#close();
  }

  async #close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    Promise.resolve(this.#flushing).then(() => this.#close()).then(() => cb(err), () => cb(err));
  }
}
