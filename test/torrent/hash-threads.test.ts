import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { HashThreads } from '../../src/server/hash-threads.ts';
import { PartHasher, headBeforeGrid } from '../../src/torrent/part-hasher.ts';
import { PieceHasher } from '../../src/torrent/piece-hasher.ts';

const threads = new HashThreads(2);
after(() => threads.close());

/** Feeds `data` in chunks of random sizes (1 byte to 200 KiB), as sockets do. */
async function feed(update: (c: Buffer) => Promise<void> | void, data: Buffer, seed: number): Promise<void> {
  let x = seed;
  for (let pos = 0; pos < data.length;) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (x % (200 * 1024));
    await update(data.subarray(pos, pos + n));
    pos += n;
  }
}

const KiB = 1024;
const sizes = [0, 1, 16 * KiB - 1, 256 * KiB, 256 * KiB + 1, 1024 * KiB, 3 * 1024 * KiB + 777, 5 * 1024 * KiB];

test('a hash thread gives the MD5 and v1 piece SHA-1s of a whole object, as PieceHasher does', async () => {
  for (const [i, size] of sizes.entries()) {
    for (const pieceLength of [16 * KiB, 256 * KiB, 1024 * KiB]) {
      const data = randomBytes(size);
      const t = threads.open({ pieceLength, skip: 0, shortTail: true });
      await feed((c) => t.update(c), data, i + pieceLength);
      const got = await t.digest();
      const want = new PieceHasher(pieceLength, { v2: false });
      want.update(data);
      assert.deepEqual(got.md5, createHash('md5').update(data).digest(), `md5 size ${size}`);
      assert.deepEqual(got.pieces, want.digest().pieces, `pieces size ${size} piece ${pieceLength}`);
    }
  }
});

test('a hash thread hashes a part on its predicted grid, as PartHasher does (head skipped, short tail dropped)', async () => {
  const pieceLength = 256 * KiB;
  for (const [i, size] of sizes.entries()) {
    for (const predictedOffset of [0, 1, 100 * KiB, pieceLength - 1, pieceLength, 5 * 1024 * KiB + 3]) {
      const data = randomBytes(size);
      const skip = headBeforeGrid(pieceLength, predictedOffset);
      const t = threads.open({ pieceLength, skip, shortTail: false });
      await feed((c) => t.update(c), data, i * 7 + predictedOffset);
      const got = await t.digest();
      const want = new PartHasher(pieceLength, predictedOffset, { v2: false });
      want.update(data);
      assert.deepEqual(got.pieces, want.digest().pieces, `size ${size} offset ${predictedOffset}`);
      assert.deepEqual(got.md5, createHash('md5').update(data).digest());
    }
  }
});

test('without a piece length a hash thread gives the MD5 only; uploads on one thread do not mix', async () => {
  const a = randomBytes(3 * 1024 * KiB + 5);
  const b = randomBytes(2 * 1024 * KiB + 9);
  const ta = threads.open({ pieceLength: 0, skip: 0, shortTail: false });
  const tb = threads.open({ pieceLength: 0, skip: 0, shortTail: false });
  await Promise.all([feed((c) => ta.update(c), a, 1), feed((c) => tb.update(c), b, 2)]);
  const [ha, hb] = await Promise.all([ta.digest(), tb.digest()]);
  assert.deepEqual(ha.md5, createHash('md5').update(a).digest());
  assert.deepEqual(hb.md5, createHash('md5').update(b).digest());
  assert.equal(ha.pieces.length, 0);
});

test('an aborted upload leaves the thread serving the next', async () => {
  const t = threads.open({ pieceLength: 16 * KiB, skip: 0, shortTail: true });
  await t.update(randomBytes(2 * 1024 * KiB));
  t.abort();
  const data = randomBytes(1024 * KiB + 1);
  const u = threads.open({ pieceLength: 0, skip: 0, shortTail: false });
  await u.update(data);
  assert.deepEqual((await u.digest()).md5, createHash('md5').update(data).digest());
});
