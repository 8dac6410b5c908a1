import { parentPort } from 'node:worker_threads';
import { WriteDigest, type HashPlan } from './write-digest.ts';

/** Messages from the pool. Each upload has an id; chunks are acknowledged so the sender can bound what is in flight. */
export type HashRequest =
  | { op: 'start'; id: number; plan: HashPlan }
  | { op: 'data'; id: number; chunk: Uint8Array }
  | { op: 'end'; id: number }
  | { op: 'abort'; id: number };

const digests = new Map<number, WriteDigest>();

parentPort!.on('message', (m: HashRequest) => {
  switch (m.op) {
    case 'start':
      digests.set(m.id, new WriteDigest(m.plan));
      return;
    case 'data': {
      const chunk = Buffer.from(m.chunk.buffer, m.chunk.byteOffset, m.chunk.byteLength);
      digests.get(m.id)?.update(chunk);
      parentPort!.postMessage({ op: 'ack', id: m.id, bytes: chunk.length });
      return;
    }
    case 'end': {
      const d = digests.get(m.id);
      digests.delete(m.id);
      if (d) parentPort!.postMessage({ op: 'result', id: m.id, result: d.digest() });
      return;
    }
    case 'abort':
      digests.delete(m.id);
  }
});
