import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** Write `size` random bytes to `file` in 1 MiB chunks; returns the SHA-256 (hex) of what was written. */
export async function writeRandomFile(file: string, size: number): Promise<string> {
  const fh = await open(file, 'wx');
  const h = createHash('sha256');
  try {
    let left = size;
    while (left > 0) {
      const chunk = randomBytes(Math.min(left, 1 << 20));
      h.update(chunk);
      let off = 0;
      while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off)).bytesWritten;
      left -= chunk.length;
    }
  } finally {
    await fh.close();
  }
  return h.digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

export const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');
export const md5Hex = (b: Uint8Array | string): string => createHash('md5').update(b).digest('hex');
export const md5Base64 = (b: Uint8Array | string): string => createHash('md5').update(b).digest('base64');

/**
 * Byte-for-byte comparison of two files, streamed. Returns undefined when equal, else a
 * description of the first difference (sizes or offset).
 */
export async function compareFiles(a: string, b: string): Promise<string | undefined> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)]);
  if (sa.size !== sb.size) return `sizes differ: ${a} has ${sa.size} bytes, ${b} has ${sb.size}`;
  const [fa, fb] = await Promise.all([open(a, 'r'), open(b, 'r')]);
  try {
    const ba = Buffer.allocUnsafe(1 << 20);
    const bb = Buffer.allocUnsafe(1 << 20);
    let pos = 0;
    while (pos < sa.size) {
      const want = Math.min(ba.length, sa.size - pos);
      const [ra, rb] = await Promise.all([fa.read(ba, 0, want, pos), fb.read(bb, 0, want, pos)]);
      if (ra.bytesRead !== want || rb.bytesRead !== want) return `short read at ${pos}`;
      if (!ba.subarray(0, want).equals(bb.subarray(0, want))) {
        let i = 0;
        while (ba[i] === bb[i]) i++;
        return `first difference at byte ${pos + i}`;
      }
      pos += want;
    }
    return undefined;
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

/** Read a stream (SDK body, fetch body, Readable) fully into one Buffer. */
export async function readAll(body: AsyncIterable<Uint8Array> | Readable | undefined | null): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** A deterministic pseudo-random buffer (xorshift), for content that must be reproducible without storing it. */
export function patternBytes(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = (seed | 0) || 0x9e3779b9;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b.writeInt32LE(x | 0, i);
  }
  for (; i < size; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; b[i] = x & 0xff; }
  return b;
}
