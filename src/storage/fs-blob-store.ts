import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { mkdir, readdir, unlink, rename, open } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobStore, BlobWriter } from './blob-store.ts';
import { FileSink } from './file-sink.ts';

/**
 * Blobs as files under `<data>/blobs/<2 hex>/<id>`; uploads land in `<data>/tmp/<id>` first.
 * A key never becomes a path: blob ids are random hex.
 */
export class FsBlobStore implements BlobStore {
  readonly #blobDir: string;
  readonly #tmpDir: string;
  readonly #pins = new Map<string, number>();
  readonly #pendingRemoval = new Map<string, (() => void) | undefined>();
  readonly #fsync: boolean;

  constructor(dataDir: string, opts: { fsync?: boolean } = {}) {
    this.#blobDir = path.join(dataDir, 'blobs');
    this.#tmpDir = path.join(dataDir, 'tmp');
    this.#fsync = opts.fsync ?? true;
  }

  async init(): Promise<void> {
    await mkdir(this.#blobDir, { recursive: true });
    await mkdir(this.#tmpDir, { recursive: true });
  }

  #finalPath(blobId: string): string {
    return path.join(this.#blobDir, blobId.slice(0, 2), blobId);
  }

  #tmpPath(blobId: string): string {
    return path.join(this.#tmpDir, blobId);
  }

  async create(): Promise<BlobWriter> {
    const blobId = randomBytes(16).toString('hex');
    const tmp = this.#tmpPath(blobId);
    const final = this.#finalPath(blobId);
    await mkdir(path.dirname(final), { recursive: true });
    const fsync = this.#fsync;
    const stream = new FileSink(tmp, { backgroundFlush: fsync });
    let discarded = false;
    return {
      blobId,
      stream,
      async seal() {
        if (fsync) await stream.sync();
        else if (!stream.closed) await new Promise<void>((resolve) => { stream.once('close', () => resolve()); stream.destroy(); });
      },
      publish() {
        fs.renameSync(tmp, final);
      },
      discard() {
        if (discarded) return;
        discarded = true;
        // The file is opened on a later tick: unlinking before the stream has closed could run before
        // the open and leave the file behind until the next start.
        const unlink = () => fs.unlink(tmp, () => {});
        if (stream.closed) unlink();
        else stream.once('close', unlink);
        stream.destroy();
      },
    };
  }

  read(blobId: string, start = 0, end?: number): Readable {
    if (end !== undefined && end <= start) {
      // fs.createReadStream treats end as inclusive and cannot express an empty range.
      return fs.createReadStream('/dev/null');
    }
    return fs.createReadStream(this.#finalPath(blobId), {
      start,
      ...(end !== undefined ? { end: end - 1 } : {}),
      highWaterMark: 256 * 1024,
    });
  }

  async readRange(blobId: string, start: number, end: number): Promise<Buffer> {
    const fh = await open(this.#finalPath(blobId), 'r');
    try {
      const buf = Buffer.allocUnsafe(end - start);
      let off = 0;
      while (off < buf.length) {
        const { bytesRead } = await fh.read(buf, off, buf.length - off, start + off);
        if (bytesRead === 0) throw new Error(`blob ${blobId} shorter than expected`);
        off += bytesRead;
      }
      return buf;
    } finally {
      await fh.close();
    }
  }

  pin(blobIds: Iterable<string>): () => void {
    const ids = [...blobIds];
    for (const id of ids) this.#pins.set(id, (this.#pins.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const id of ids) {
        const n = (this.#pins.get(id) ?? 1) - 1;
        if (n > 0) { this.#pins.set(id, n); continue; }
        this.#pins.delete(id);
        if (this.#pendingRemoval.has(id)) {
          const onGone = this.#pendingRemoval.get(id);
          this.#pendingRemoval.delete(id);
          this.remove(id, onGone);
        }
      }
    };
  }

  remove(blobId: string, onGone?: () => void): void {
    if (this.#pins.has(blobId)) {
      this.#pendingRemoval.set(blobId, onGone);
      return;
    }
    fs.unlink(this.#finalPath(blobId), () => onGone?.());
  }

  async recover(isReferenced: (blobId: string) => boolean): Promise<{ finished: number; removed: number }> {
    let finished = 0;
    let removed = 0;
    for (const name of await readdir(this.#tmpDir)) {
      const tmp = this.#tmpPath(name);
      if (isReferenced(name)) {
        // The metadata committed but the process died before the rename: roll forward.
        await mkdir(path.dirname(this.#finalPath(name)), { recursive: true });
        await rename(tmp, this.#finalPath(name));
        finished++;
      } else {
        await unlink(tmp);
        removed++;
      }
    }
    return { finished, removed };
  }
}
