/**
 * Super-seeding that keeps the upload busy (benchmarks/offload.ts): the next piece is shown as soon as the
 * last one was sent in full, at most `unconfirmed` shown pieces wait for another peer to announce them,
 * pieces already out are shown again only after the duplicate delay, and a later bitfield (aria2 reports
 * 20 new pieces at once that way) counts like the haves it stands for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Wire from 'bittorrent-protocol';
import { SUPER_SEED_WINDOW } from '../../src/seeder/limits.ts';
import { SuperSeeder } from '../../src/seeder/super-seed.ts';
import { connectWire, waitFor, type ClientWire } from './helpers/client-wire.ts';
import { FakePeer } from './helpers/fake-peer.ts';
import { MiB } from './helpers/fixture.ts';
import { startSeeder } from './helpers/seeder-env.ts';

describe('super-seeder pipeline', () => {
  it('shows the next piece once the last byte of a shown one went out, up to `unconfirmed` pending', () => {
    let now = 1_000;
    const ss = new SuperSeeder(100, new Uint32Array(100), 2, 1000, () => 0, 4, 1000, () => now);
    const a = new FakePeer();
    ss.start(a);
    assert.equal(a.revealed.length, 2);
    const [first] = a.revealed;
    ss.onSent(a, first!, 100, 200);
    assert.equal(a.revealed.length, 2, 'half a piece sent: still in the pipeline');
    ss.onSent(a, first!, 100, 200);
    assert.equal(a.revealed.length, 3, 'sent in full: the next one is shown');
    for (const i of [...a.revealed]) ss.onSent(a, i, 200, 200);
    assert.equal(a.revealed.length, 4, 'stops at 4 shown and not seen elsewhere');
    for (const i of [...a.revealed]) ss.onSent(a, i, 200, 200);
    assert.equal(a.revealed.length, 4);
    // another peer announces one of them: a passed it on, one more may go out
    const b = new FakePeer();
    now += 10;
    ss.onHave(b, first!, [a, b], now);
    assert.equal(a.revealed.length, 5);
    assert.equal(new Set(a.revealed).size, 5, 'never the same piece twice to one peer');
  });

  it('shows a piece that is already out to another peer only after the duplicate delay', () => {
    let now = 5_000;
    const ss = new SuperSeeder(4, new Uint32Array(4), 2, 60_000, () => 0, 32, 1_000, () => now);
    const [a, b] = [new FakePeer(), new FakePeer()];
    ss.start(a);
    ss.start(b);
    assert.equal(new Set([...a.revealed, ...b.revealed]).size, 4, 'every piece out once, each to one peer');
    for (const i of a.revealed) ss.onSent(a, i, 10, 10);
    assert.equal(a.revealed.length, 2, "b's pieces went out just now: a waits for b to pass them on");
    now += 999;
    ss.tick([a, b], now);
    assert.equal(a.revealed.length, 2);
    now += 1;
    ss.tick([a, b], now);
    assert.equal(a.revealed.length, 4, 'after the delay a gets them from us too');
    assert.ok(a.revealed.slice(2).every((i) => b.revealed.includes(i)));
  });

  it('a bitfield sent later in the connection counts as haves: the peer that passed a piece on gets the next', async () => {
    const env = await startSeeder([{ size: 16 * MiB }], { superSeeding: 'on' });
    const clients: ClientWire[] = [];
    try {
      const f = env.fixtures[0]!;
      const a = await connectWire({ port: env.port, infoHash: f.infoHash });
      const b = await connectWire({ port: env.port, infoHash: f.infoHash });
      clients.push(a, b);
      const haves = (c: ClientWire): number[] => c.log.filter((e) => e.startsWith('have:')).map((e) => Number(e.slice(5)));
      await waitFor(() => haves(a).length === SUPER_SEED_WINDOW && haves(b).length === SUPER_SEED_WINDOW, 3000, 'reveals');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(haves(a).length, SUPER_SEED_WINDOW);
      // b reports one of a's pieces (as if it got it from a), in a bitfield, as aria2 does after its first 20 pieces
      const bits = Buffer.alloc(Math.ceil(f.seedable.pieceCount / 8));
      const passed = haves(a)[0]!;
      bits[passed >> 3]! |= 0x80 >> (passed & 7);
      (b.wire as Wire & { bitfield(b: Buffer): void }).bitfield(bits);
      await waitFor(() => haves(a).length === SUPER_SEED_WINDOW + 1, 3000, 'the next reveal to a');
      assert.ok(!haves(b).includes(passed));
    } finally {
      for (const c of clients) c.destroy();
      await env.stop();
    }
  });
});
