// The behaviour every BlobStore must have, as the server relies on it (object-io.ts writeBlob and
// readObjectRange, put/copy/multipart commit, start-up recovery and garbage collection in seedbucket.ts).
// Register it once per implementation: runBlobStoreContract('MyStore', factory).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { BlobStore, BlobWriter } from '../../src/storage/blob-store.ts';

/**
 * One fresh, empty backing storage per test. `open()` opens a store on it; calling it again opens a new
 * store on the same storage as if the process had restarted (the old instance is just dropped, never
 * closed), which is how the recovery tests simulate a crash. `dispose()` deletes the storage.
 */
export interface BlobStoreHarness {
  open(): Promise<BlobStore>;
  dispose(): Promise<void>;
}

export type BlobStoreFactory = () => Promise<BlobStoreHarness>;

const MiB = 1024 * 1024;

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Stream `chunks` into a new blob and seal it, leaving publish() to the caller. */
async function writeSealed(store: BlobStore, chunks: Buffer[]): Promise<BlobWriter> {
  const writer = await store.create();
  await pipeline(Readable.from(chunks), writer.stream);
  await writer.seal();
  return writer;
}

/** The whole upload path of a PutObject: create, stream, seal, publish. */
async function putBlob(store: BlobStore, data: Buffer | Buffer[]): Promise<string> {
  const writer = await writeSealed(store, Array.isArray(data) ? data : [data]);
  writer.publish();
  return writer.blobId;
}

/** Resolves once `fn` is called; `called` tells whether it has been. */
function callProbe(): { fn: () => void; called: () => boolean; done: Promise<void> } {
  let calls = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => { resolve = r; });
  return { fn: () => { calls++; resolve(); }, called: () => calls > 0, done };
}

/** Time for asynchronous work a store may have started (unlinks, closes) to land. */
const settle = (): Promise<void> => sleep(50);

async function assertUnreadable(store: BlobStore, blobId: string): Promise<void> {
  await assert.rejects(collect(store.read(blobId)), `read(${blobId}) should fail`);
  await assert.rejects(store.readRange(blobId, 0, 1), `readRange(${blobId}) should fail`);
}

async function withTimeout<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms); });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function runBlobStoreContract(name: string, factory: BlobStoreFactory): void {
  /** A test with its own fresh storage and one store opened on it. */
  function storeTest(title: string, fn: (store: BlobStore, harness: BlobStoreHarness) => Promise<void>): void {
    it(title, async () => {
      const harness = await factory();
      try {
        await fn(await harness.open(), harness);
      } finally {
        await harness.dispose();
      }
    });
  }

  describe(`BlobStore contract: ${name}`, () => {
    describe('write and read', () => {
      storeTest('a published blob reads back exactly the bytes written', async (store) => {
        const data = randomBytes(300_000);
        const id = await putBlob(store, data);
        assert.equal(typeof id, 'string');
        assert.ok(id.length > 0);
        assert.deepEqual(await collect(store.read(id)), data);
        assert.deepEqual(await store.readRange(id, 0, data.length), data);
      });

      storeTest('many small chunks of varying sizes round-trip in order', async (store) => {
        const chunks = Array.from({ length: 500 }, (_, i) => randomBytes((i * 37) % 1000));
        const id = await putBlob(store, chunks);
        assert.deepEqual(await collect(store.read(id)), Buffer.concat(chunks));
      });

      storeTest('an empty blob reads back empty', async (store) => {
        const id = await putBlob(store, []);
        assert.equal((await collect(store.read(id))).length, 0);
        assert.equal((await collect(store.read(id, 0, 0))).length, 0);
        assert.equal((await store.readRange(id, 0, 0)).length, 0);
      });

      storeTest('the bytes are readable as soon as publish() returns', async (store) => {
        const data = randomBytes(1000);
        const writer = await writeSealed(store, [data]);
        writer.publish();
        // No await between publish and read: the metadata commit makes the row visible at once.
        const read = store.readRange(writer.blobId, 0, data.length);
        assert.deepEqual(await read, data);
      });

      storeTest('read ranges are [start, end), end exclusive', async (store) => {
        const data = randomBytes(10_000);
        const id = await putBlob(store, data);
        const cases: [number, number | undefined][] = [
          [0, undefined], [1, undefined], [9_999, undefined], [10_000, undefined],
          [0, 1], [0, 10_000], [9_999, 10_000], [1, 9_999], [4_096, 4_097], [123, 8_765],
        ];
        for (const [start, end] of cases) {
          const got = await collect(end === undefined ? store.read(id, start) : store.read(id, start, end));
          assert.deepEqual(got, data.subarray(start, end), `read(${start}, ${end})`);
        }
      });

      storeTest('a range with start == end is empty, at the start, middle and end of the blob', async (store) => {
        const data = randomBytes(5_000);
        const id = await putBlob(store, data);
        for (const at of [0, 1, 2_500, 4_999, 5_000]) {
          assert.equal((await collect(store.read(id, at, at))).length, 0, `read(${at}, ${at})`);
          assert.equal((await store.readRange(id, at, at)).length, 0, `readRange(${at}, ${at})`);
        }
      });

      storeTest('readRange returns exactly [start, end)', async (store) => {
        const data = randomBytes(70_000);
        const id = await putBlob(store, data);
        for (const [start, end] of [[0, 1], [0, 70_000], [69_999, 70_000], [16_383, 16_385], [100, 65_636]] as const) {
          assert.deepEqual(await store.readRange(id, start, end), data.subarray(start, end), `readRange(${start}, ${end})`);
        }
      });

      storeTest('readRange past the end of the blob rejects instead of returning short or stale bytes', async (store) => {
        const id = await putBlob(store, randomBytes(100));
        await assert.rejects(store.readRange(id, 50, 101));
        await assert.rejects(store.readRange(id, 100, 101));
      });

      storeTest('a blob of unknown id is not readable', async (store) => {
        await putBlob(store, randomBytes(10));
        const other = await store.create();
        const unknown = other.blobId.split('').reverse().join('');
        other.discard();
        await assertUnreadable(store, unknown);
      });

      storeTest('a large blob (past the background-flush threshold) round-trips byte for byte', async (store) => {
        const size = 40 * MiB + 12_345;
        const chunks: Buffer[] = [];
        for (let left = size; left > 0; left -= MiB) chunks.push(randomBytes(Math.min(MiB, left)));
        const whole = Buffer.concat(chunks);
        const id = await putBlob(store, chunks);

        const h = createHash('sha256');
        let n = 0;
        for await (const c of store.read(id)) { h.update(c as Buffer); n += (c as Buffer).length; }
        assert.equal(n, size);
        assert.equal(h.digest('hex'), sha256(whole));

        const start = 32 * MiB - 1_000;
        const end = 32 * MiB + 1_000;
        assert.deepEqual(await store.readRange(id, start, end), whole.subarray(start, end));
        assert.equal(sha256(await collect(store.read(id, MiB, size - 1))), sha256(whole.subarray(MiB, size - 1)));
      });

      storeTest('concurrent writers get distinct ids and keep their bytes apart', async (store) => {
        const datas = Array.from({ length: 16 }, (_, i) => randomBytes(50_000 + i * 1_000));
        const writers = await Promise.all(datas.map(() => store.create()));
        assert.equal(new Set(writers.map((w) => w.blobId)).size, writers.length);
        // Interleave the writes: every stream gets its chunks in turns.
        await Promise.all(writers.map((w, i) => pipeline(
          Readable.from((function* () { for (let o = 0; o < datas[i]!.length; o += 4_096) yield datas[i]!.subarray(o, o + 4_096); })()),
          w.stream,
        )));
        await Promise.all(writers.map((w) => w.seal()));
        for (const w of writers) w.publish();
        for (const [i, w] of writers.entries()) assert.deepEqual(await collect(store.read(w.blobId)), datas[i]);
      });

      storeTest('published blobs survive reopening the store', async (_store, harness) => {
        const first = await harness.open();
        const data = randomBytes(20_000);
        const id = await putBlob(first, data);
        const second = await harness.open();
        assert.deepEqual(await collect(second.read(id)), data);
        assert.deepEqual(await second.readRange(id, 5, 10), data.subarray(5, 10));
      });
    });

    describe('unpublished and discarded blobs', () => {
      storeTest('a sealed but unpublished blob is not readable by id', async (store) => {
        const writer = await writeSealed(store, [randomBytes(1_000)]);
        await assertUnreadable(store, writer.blobId);
        writer.discard();
      });

      storeTest('a blob still being written is not readable by id', async (store) => {
        const writer = await store.create();
        await new Promise<void>((resolve, reject) => writer.stream.write(randomBytes(1_000), (e) => (e ? reject(e) : resolve())));
        await assertUnreadable(store, writer.blobId);
        writer.discard();
      });

      for (const when of ['right after create', 'after some bytes were written', 'after the stream finished', 'after seal'] as const) {
        storeTest(`discard() ${when}, twice, leaves nothing readable and nothing to recover`, async (store, harness) => {
          const writer = await store.create();
          const data = randomBytes(10_000);
          if (when === 'right after create') {
            // nothing written: the writer may not even have opened its file yet
          } else if (when === 'after some bytes were written') {
            await new Promise<void>((resolve, reject) => writer.stream.write(data, (e) => (e ? reject(e) : resolve())));
          } else {
            await pipeline(Readable.from([data]), writer.stream);
            if (when === 'after seal') await writer.seal();
          }
          writer.discard();
          writer.discard();
          await settle();
          await assertUnreadable(store, writer.blobId);
          const reopened = await harness.open();
          assert.deepEqual(await reopened.recover(() => true), { finished: 0, removed: 0 });
          await assertUnreadable(reopened, writer.blobId);
        });
      }

      storeTest('discard() of a failed upload (stream destroyed with an error) leaves nothing readable', async (store, harness) => {
        const writer = await store.create();
        const failing = Readable.from((async function* () {
          yield randomBytes(5_000);
          throw new Error('client went away');
        })());
        await assert.rejects(pipeline(failing, writer.stream), /client went away/);
        writer.discard();
        writer.discard();
        await settle();
        await assertUnreadable(store, writer.blobId);
        assert.deepEqual(await (await harness.open()).recover(() => true), { finished: 0, removed: 0 });
      });

      storeTest('discarding one writer does not disturb another', async (store) => {
        const keep = await store.create();
        const drop = await store.create();
        const data = randomBytes(30_000);
        await pipeline(Readable.from([randomBytes(30_000)]), drop.stream);
        drop.discard();
        await pipeline(Readable.from([data]), keep.stream);
        await keep.seal();
        keep.publish();
        await settle();
        assert.deepEqual(await collect(store.read(keep.blobId)), data);
      });
    });

    describe('remove and pin', () => {
      storeTest('remove() of an unpinned blob deletes it and calls onGone', async (store) => {
        const id = await putBlob(store, randomBytes(1_000));
        const gone = callProbe();
        store.remove(id, gone.fn);
        await withTimeout(gone.done, 'onGone');
        await assertUnreadable(store, id);
      });

      storeTest('remove() without onGone deletes the blob', async (store) => {
        const id = await putBlob(store, randomBytes(1_000));
        const other = await putBlob(store, randomBytes(1_000));
        store.remove(id);
        await settle();
        await assertUnreadable(store, id);
        assert.equal((await store.readRange(other, 0, 1_000)).length, 1_000);
      });

      storeTest('remove() of a pinned blob waits for the pin to be released', async (store) => {
        const data = randomBytes(600_000);
        const id = await putBlob(store, data);
        const release = store.pin([id]);
        const early = store.read(id, 0, data.length);
        const gone = callProbe();
        store.remove(id, gone.fn);
        await settle();
        assert.equal(gone.called(), false, 'onGone must wait for the release');
        // A read that started before the removal, and one that starts after it, both see all the bytes.
        assert.deepEqual(await collect(early), data);
        assert.deepEqual(await collect(store.read(id)), data);
        assert.deepEqual(await store.readRange(id, 1_000, 2_000), data.subarray(1_000, 2_000));
        assert.equal(gone.called(), false);
        release();
        await withTimeout(gone.done, 'onGone after release');
        await assertUnreadable(store, id);
      });

      storeTest('pins are counted: the blob stays until every pin is released', async (store) => {
        const data = randomBytes(2_000);
        const id = await putBlob(store, data);
        const first = store.pin([id]);
        const second = store.pin([id]);
        const gone = callProbe();
        store.remove(id, gone.fn);
        first();
        first(); // a release function counts once, however often it is called
        await settle();
        assert.equal(gone.called(), false);
        assert.deepEqual(await collect(store.read(id)), data);
        second();
        await withTimeout(gone.done, 'onGone after the last release');
        await assertUnreadable(store, id);
      });

      storeTest('one pin over several blobs holds and releases them all', async (store) => {
        const a = randomBytes(1_000);
        const b = randomBytes(1_000);
        const idA = await putBlob(store, a);
        const idB = await putBlob(store, b);
        const release = store.pin([idA, idB]);
        const goneA = callProbe();
        const goneB = callProbe();
        store.remove(idA, goneA.fn);
        store.remove(idB, goneB.fn);
        await settle();
        assert.equal(goneA.called() || goneB.called(), false);
        assert.deepEqual(await store.readRange(idA, 0, 1_000), a);
        assert.deepEqual(await store.readRange(idB, 0, 1_000), b);
        release();
        await withTimeout(Promise.all([goneA.done, goneB.done]), 'onGone of both blobs');
        await assertUnreadable(store, idA);
        await assertUnreadable(store, idB);
      });

      storeTest('releasing a pin without a pending remove() keeps the blob', async (store) => {
        const data = randomBytes(1_000);
        const id = await putBlob(store, data);
        store.pin([id])();
        await settle();
        assert.deepEqual(await collect(store.read(id)), data);
      });

      storeTest('a pin on one blob does not defer removal of another', async (store) => {
        const pinned = await putBlob(store, randomBytes(100));
        const other = await putBlob(store, randomBytes(100));
        const release = store.pin([pinned]);
        const gone = callProbe();
        store.remove(other, gone.fn);
        await withTimeout(gone.done, 'onGone of the unpinned blob');
        await assertUnreadable(store, other);
        assert.equal((await store.readRange(pinned, 0, 100)).length, 100);
        release();
      });
    });

    describe('recover', () => {
      storeTest('a fresh store has nothing to recover', async (store) => {
        assert.deepEqual(await store.recover(() => true), { finished: 0, removed: 0 });
      });

      storeTest('after a crash, referenced sealed blobs are finished and leftovers removed', async (_store, harness) => {
        const before = await harness.open();
        const published = randomBytes(3_000);
        const publishedId = await putBlob(before, published);
        // Sealed, metadata committed, crash before publish(): must be rolled forward.
        const committed = randomBytes(200_000);
        const committedWriter = await writeSealed(before, [committed]);
        // Sealed, crash before the metadata commit: must go.
        const orphan = await writeSealed(before, [randomBytes(4_000)]);
        // Crash mid-stream: must go.
        const partial = await before.create();
        await new Promise<void>((resolve, reject) => partial.stream.write(randomBytes(4_000), (e) => (e ? reject(e) : resolve())));

        const referenced = new Set([publishedId, committedWriter.blobId]);
        const after = await harness.open();
        try {
          assert.deepEqual(await after.recover((id) => referenced.has(id)), { finished: 1, removed: 2 });
          assert.deepEqual(await collect(after.read(committedWriter.blobId)), committed);
          assert.deepEqual(await after.readRange(committedWriter.blobId, 100, 200), committed.subarray(100, 200));
          assert.deepEqual(await collect(after.read(publishedId)), published);
          await assertUnreadable(after, orphan.blobId);
          await assertUnreadable(after, partial.blobId);
          // Recovery is done once: running it again finds nothing.
          assert.deepEqual(await after.recover((id) => referenced.has(id)), { finished: 0, removed: 0 });
          assert.deepEqual(await collect(after.read(committedWriter.blobId)), committed);
        } finally {
          partial.stream.destroy();
        }
      });

      storeTest('a recovered blob can be removed like any other', async (_store, harness) => {
        const writer = await writeSealed(await harness.open(), [randomBytes(1_000)]);
        const after = await harness.open();
        assert.deepEqual(await after.recover((id) => id === writer.blobId), { finished: 1, removed: 0 });
        const gone = callProbe();
        after.remove(writer.blobId, gone.fn);
        await withTimeout(gone.done, 'onGone');
        await assertUnreadable(after, writer.blobId);
      });

      storeTest('recover leaves published blobs alone, whatever isReferenced says', async (_store, harness) => {
        const before = await harness.open();
        const publishedId = await putBlob(before, randomBytes(100));
        const sealed = await writeSealed(before, [randomBytes(100)]);
        const asked: string[] = [];
        const after = await harness.open();
        const result = await after.recover((id) => { asked.push(id); return false; });
        assert.deepEqual(result, { finished: 0, removed: 1 });
        assert.ok(asked.includes(sealed.blobId), 'the unpublished blob must be looked up');
        // Published blobs are not leftovers: whatever the callback says, they stay.
        assert.equal((await after.readRange(publishedId, 0, 100)).length, 100);
      });
    });
  });
}
