/**
 * The server streams objects without V8 running back-to-back full garbage collections (see
 * src/server/gc-tuning.ts): with V8's default incremental marking our heap size made it run 30–34
 * mark-compacts per GiB streamed. Counted from the server's own --trace-gc output, not timed.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const MiB = 1024 * 1024;

async function markCompactsWhileStreaming(nodeArgs: string[]): Promise<number> {
  const server: TestServer = await startTestServer({ nodeArgs: ['--trace-gc', ...nodeArgs] });
  try {
    const s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: 'gc-test' }));
    const body = Buffer.alloc(64 * MiB, 7);
    await s3.send(new PutObjectCommand({ Bucket: 'gc-test', Key: 'big', Body: body }));
    let fullGcs = 0;
    let tail = '';
    const count = (c: Buffer) => {
      const lines = (tail + c.toString()).split('\n');
      tail = lines.pop()!;
      fullGcs += lines.filter((l) => l.includes('Mark-Compact')).length;
    };
    server.proc.stdout!.on('data', count);
    let bytes = 0;
    for (let i = 0; i < 8; i++) {
      const res = await s3.send(new GetObjectCommand({ Bucket: 'gc-test', Key: 'big' }));
      for await (const chunk of res.Body as AsyncIterable<Buffer>) bytes += chunk.length;
    }
    server.proc.stdout!.off('data', count);
    assert.equal(bytes, 8 * body.length);
    return fullGcs;
  } finally {
    await server.stop();
    server.cleanup();
  }
}

describe('streaming GC', () => {
  let tuned: number;
  let stock: number;
  before(async () => {
    tuned = await markCompactsWhileStreaming([]);
    stock = await markCompactsWhileStreaming(['--incremental-marking']);
  });

  it('512 MiB of GETs cost at most 2 full GCs', () => {
    assert.ok(tuned <= 2, `${tuned} mark-compacts`);
  });

  it('with V8 default marking (node --incremental-marking) the same GETs cost several times more', () => {
    assert.ok(stock >= 4 && stock > 2 * tuned, `stock ${stock} vs tuned ${tuned}`);
  });
});
