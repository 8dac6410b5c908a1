/** Peers that try to make the seeder buffer, queue or wait without bound. */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BLOCK_LENGTH, MAX_OUTSTANDING_REQUESTS, WRITE_HIGH_WATER } from '../../src/seeder/limits.ts';
import { connectWire, requestBlock, waitFor } from './helpers/client-wire.ts';
import { MiB } from './helpers/fixture.ts';
import { GateThrottle, handshakeBytes, message, startSeeder, type SeederEnv } from './helpers/seeder-env.ts';

/** a raw socket that has handshaken (plaintext) and read the seeder's handshake */
async function rawPeer(port: number, infoHash: Buffer): Promise<{ socket: net.Socket; closed: Promise<void>; received: () => number }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  let received = 0;
  let gotHandshake!: () => void;
  const handshook = new Promise<void>((resolve) => { gotHandshake = resolve; });
  socket.on('data', (c: Buffer) => { received += c.length; if (received >= 68) gotHandshake(); });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(handshakeBytes(infoHash));
  await Promise.race([handshook, closed]);
  return { socket, closed, received: () => received };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, rej) => setTimeout(() => rej(new Error(`${what}: not within ${ms} ms`)), ms))]);
}

const memory = (): number => process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;

describe('seeder under hostile peers', () => {
  let env: SeederEnv;
  const gate = new GateThrottle();
  let gated: SeederEnv;

  before(async () => {
    env = await startSeeder([{ size: 16 * MiB }]);
    gated = await startSeeder([{ size: 16 * MiB }], { throttle: gate });
  });
  after(async () => {
    gate.release();
    await env.stop();
    await gated.stop();
  });

  for (const length of [0xffffffff, 0x80000000, 0x7fffffff, 2 * MiB]) {
    it(`closes on a message length of ${length} without buffering what follows`, async () => {
      const f = env.fixtures[0]!;
      const p = await rawPeer(env.port, f.infoHash);
      const before = memory();
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(length, 0);
      p.socket.write(prefix);
      const junk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      let open = true;
      void p.closed.then(() => { open = false; });
      // keep streaming (up to 64 MiB) until the seeder hangs up
      while (open && sent < 64 * MiB) {
        if (!p.socket.write(junk)) await Promise.race([new Promise((r) => p.socket.once('drain', r)), p.closed]);
        sent += junk.length;
      }
      await within(p.closed, 5000, 'close');
      assert.ok(sent < 64 * MiB, `the seeder took ${sent} bytes without closing`);
      assert.ok(memory() - before < 16 * MiB, `memory grew by ${(memory() - before) / MiB} MiB`);
      assert.ok((env.seeder.stats().closed['protocol violation'] ?? 0) >= 1);
    });
  }

  it('rejects requests beyond the outstanding cap (10,000 queued by one peer) with bounded memory', async () => {
    const f = gated.fixtures[0]!;
    const c = await connectWire({ port: gated.port, infoHash: f.infoHash });
    await waitFor(() => c.log.includes('have-all'));
    c.wire.interested();
    await waitFor(() => c.log.includes('unchoke'));
    const rejectedBefore = gated.seeder.stats().torrents[0]!.rejected;
    const before = memory();
    const reqs: Buffer[] = [];
    for (let k = 0; k < 10_000; k++) {
      const block = k % (f.size / BLOCK_LENGTH);
      reqs.push(message(6, Math.floor(block / 16), (block % 16) * BLOCK_LENGTH, BLOCK_LENGTH));
    }
    c.socket.write(Buffer.concat(reqs));
    const rejects = (): number => c.log.filter((e) => e.startsWith('reject:')).length;
    await waitFor(() => rejects() >= 10_000 - MAX_OUTSTANDING_REQUESTS, 10_000, 'rejects').catch((e: Error) => { throw new Error(`${e.message}: ${rejects()} rejects, ${JSON.stringify(gated.seeder.stats({ peers: true }).torrents[0])}`); });
    const t = gated.seeder.stats({ peers: true }).torrents[0]!;
    assert.equal(t.rejected - rejectedBefore, 10_000 - MAX_OUTSTANDING_REQUESTS);
    assert.equal(t.peerList![0]!.queued, MAX_OUTSTANDING_REQUESTS);
    assert.ok(memory() - before < 16 * MiB, `memory grew by ${(memory() - before) / MiB} MiB`);
    const blocksBefore = t.blocks;
    gate.release();
    await waitFor(() => gated.seeder.stats().torrents[0]!.blocks - blocksBefore === MAX_OUTSTANDING_REQUESTS, 10_000, 'queued requests served');
    c.destroy();
  });

  it('stops reading blocks for a peer that does not read, while another peer downloads everything', async () => {
    const f = env.fixtures[0]!;
    const blocks = f.size / BLOCK_LENGTH;
    // the slow peer: asks for block after block and never reads a byte
    const slow = await rawPeer(env.port, f.infoHash);
    slow.socket.pause();
    slow.socket.write(message(2)); // interested
    let next = 0;
    const ask = (): void => {
      const reqs: Buffer[] = [];
      for (let k = 0; k < 200; k++, next++) {
        const b = next % blocks;
        reqs.push(message(6, Math.floor(b / 16), (b % 16) * BLOCK_LENGTH, BLOCK_LENGTH));
      }
      slow.socket.write(Buffer.concat(reqs));
    };
    const asking = setInterval(ask, 50);
    try {
      // the fast peer downloads the whole object meanwhile, 32 requests in flight
      const fast = await connectWire({ port: env.port, infoHash: f.infoHash });
      await waitFor(() => fast.log.includes('have-all'));
      fast.wire.interested();
      await waitFor(() => fast.log.includes('unchoke'));
      let done = 0;
      let issued = 0;
      await within(new Promise<void>((resolve, reject) => {
        const issue = (): void => {
          while (issued < blocks && issued - done < 32) {
            const b = issued++;
            requestBlock(fast.wire, Math.floor(b / 16), (b % 16) * BLOCK_LENGTH, BLOCK_LENGTH).then(() => {
              done++;
              if (done === blocks) resolve();
              else issue();
            }, reject);
          }
        };
        issue();
      }), 30_000, 'fast peer download');
      fast.destroy();
      // the slow peer's share stopped growing at what its socket buffers hold plus our write budget
      const slowStats = (): { uploaded: number; backlog: number } => {
        const p = env.seeder.stats({ peers: true }).torrents[0]!.peerList!.find((x) => x.port === slow.socket.localPort)!;
        return { uploaded: p.uploaded, backlog: p.backlog };
      };
      const a = slowStats();
      await new Promise((r) => setTimeout(r, 500));
      const b = slowStats();
      assert.equal(b.uploaded, a.uploaded, 'the seeder kept serving a peer that does not read');
      assert.ok(b.backlog <= WRITE_HIGH_WATER + 64 * 1024 * 8, `backlog ${b.backlog}`);
      assert.ok(b.uploaded < f.size, `slow peer got ${b.uploaded}`);
    } finally {
      clearInterval(asking);
      slow.socket.destroy();
    }
  });

  it('caps connections per address', async () => {
    const capped = await startSeeder([{ size: MiB }], { perAddressCap: 4 });
    try {
      const sockets = await Promise.all([...Array(6)].map(() => rawPeer(capped.port, capped.fixtures[0]!.infoHash)));
      let closed = 0;
      await Promise.all(sockets.map((s) => within(s.closed, 500, 'x').then(() => { closed++; }, () => {})));
      assert.equal(closed, 2);
      assert.equal(capped.seeder.stats().closed['per-address cap'], 2);
      for (const s of sockets) s.socket.destroy();
    } finally {
      await capped.stop();
    }
  });
});
