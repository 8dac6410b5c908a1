/**
 * Reads blocks for peers with bounded memory. A request is for ≤128 KiB (usually 16 KiB), but calling
 * the object store per 16 KiB block costs a lookup and a stream each, and clients ask for the blocks of a
 * piece in order. So a request at the start of an aligned chunk of min(piece length, READ_CHUNK_LENGTH)
 * reads the whole chunk once; the blocks after it are served as views into it from an LRU bounded in bytes,
 * shared by all torrents. Concurrent requests for one chunk share its read. A request in the middle of a
 * chunk that is not cached (random access, a restarted piece) reads just its block: reading ahead there
 * would mostly fetch bytes nobody asked for.
 */
import type { SeedableTorrent } from './types.ts';

interface Chunk {
  bytes: number;
  data: Promise<Buffer>;
}

export class BlockReader {
  /** insertion order = LRU order (a hit re-inserts) */
  private readonly chunks = new Map<string, Chunk>();
  private held = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly budget: number, private readonly chunkLength: number) {}

  get bytes(): number {
    return this.held;
  }

  /** bytes [start, start+length) of `t`; `key` names the torrent (its info-hash) in the cache */
  async read(t: SeedableTorrent, key: string, start: number, length: number): Promise<Buffer> {
    const unit = Math.min(t.pieceLength, this.chunkLength);
    const index = Math.floor(start / unit);
    const chunkStart = index * unit;
    if (start + length > chunkStart + unit || this.budget < unit) {
      this.misses++;
      return readExact(t, start, length); // spans two chunks (a large request): read it as is
    }
    const id = `${key}:${index}`;
    let chunk = this.chunks.get(id);
    if (chunk) {
      this.hits++;
      this.chunks.delete(id);
      this.chunks.set(id, chunk);
    } else if (start !== chunkStart) {
      this.misses++;
      return readExact(t, start, length);
    } else {
      this.misses++;
      const bytes = Math.min(unit, t.length - chunkStart);
      chunk = { bytes, data: readExact(t, chunkStart, bytes) };
      const added = chunk;
      added.data.catch(() => {
        if (this.chunks.get(id) === added) this.remove(id, added);
      });
      this.chunks.set(id, added);
      this.held += bytes;
      this.evict();
    }
    const data = await chunk.data;
    return data.subarray(start - chunkStart, start - chunkStart + length);
  }

  /** drop every chunk of one torrent (object overwritten or deleted) */
  drop(key: string): void {
    const prefix = `${key}:`;
    for (const [id, chunk] of this.chunks) if (id.startsWith(prefix)) this.remove(id, chunk);
  }

  clear(): void {
    this.chunks.clear();
    this.held = 0;
  }

  private evict(): void {
    for (const [id, chunk] of this.chunks) {
      if (this.held <= this.budget) return;
      this.remove(id, chunk);
    }
  }

  private remove(id: string, chunk: Chunk): void {
    this.chunks.delete(id);
    this.held -= chunk.bytes;
  }
}

async function readExact(t: SeedableTorrent, start: number, length: number): Promise<Buffer> {
  const data = await t.read(start, length);
  if (data.length !== length) throw new Error(`short read: ${data.length} of ${length} bytes at ${start}`);
  return data;
}
