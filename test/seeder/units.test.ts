/** The seeder's pure parts: BEP 6 allowed-fast set, choking plan, super-seed picking, bdecode, block cache. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allowedFastSet } from '../../src/seeder/allowed-fast.ts';
import { bdecodePrefix } from '../../src/seeder/bdecode.ts';
import { BlockReader } from '../../src/seeder/block-reader.ts';
import { planUnchokes, pickOptimistic, type ChokeCandidate } from '../../src/seeder/choker.ts';
import { checkRequest } from '../../src/seeder/request-check.ts';
import { SuperSeeder } from '../../src/seeder/super-seed.ts';
import { FakePeer } from './helpers/fake-peer.ts';
import type { SeedableTorrent } from '../../src/seeder/types.ts';

describe('allowed-fast set (BEP 6)', () => {
  it('matches the BEP 6 example', () => {
    const hash = Buffer.alloc(20, 0xaa);
    assert.deepEqual(allowedFastSet('80.4.4.200', hash, 1313, 7), [1059, 431, 808, 1217, 287, 376, 1188]);
    assert.deepEqual(allowedFastSet('80.4.4.200', hash, 1313, 9), [1059, 431, 808, 1217, 287, 376, 1188, 353, 508]);
    assert.deepEqual(allowedFastSet('::ffff:80.4.4.1', hash, 1313, 7), allowedFastSet('80.4.4.200', hash, 1313, 7));
  });
  it('never asks for more pieces than exist, and has none for IPv6', () => {
    assert.deepEqual(allowedFastSet('1.2.3.4', Buffer.alloc(20), 3, 5).sort(), [0, 1, 2]);
    assert.deepEqual(allowedFastSet('2001:db8::1', Buffer.alloc(20), 100, 5), []);
  });
});

describe('request checks', () => {
  const t = { length: 100_000, pieceLength: 32_768, pieceCount: 4 };
  it('accepts blocks inside a piece and refuses everything else', () => {
    assert.equal(checkRequest(t, 0, 0, 16_384, 131_072), undefined);
    assert.equal(checkRequest(t, 3, 0, 100_000 - 3 * 32_768, 131_072), undefined);
    for (const [i, o, l] of [[4, 0, 1], [-1, 0, 1], [0, 0, 0], [0, -5, 10], [0, 32_000, 1000], [3, 1, 100_000 - 3 * 32_768], [0, 0, 131_073]]) {
      assert.notEqual(checkRequest(t, i!, o!, l!, 131_072), undefined, `${i}/${o}/${l}`);
    }
  });
});

describe('choking plan', () => {
  const peer = (id: number, unchoked: boolean, unchokedSince: number, waitingSince: number): ChokeCandidate => ({ id, unchoked, unchokedSince, waitingSince });
  it('unchokes everyone when there are no more interested peers than slots', () => {
    assert.deepEqual([...planUnchokes([peer(1, false, 0, 0), peer(2, false, 0, 5)], 8, 100, 20, undefined)].sort(), [1, 2]);
  });
  it('keeps fresh slots, rotates served ones to the longest waiting peers, adds the optimistic one', () => {
    const now = 100_000;
    const ps = [
      peer(1, true, now - 5_000, 0), // fresh: keeps its slot
      peer(2, true, now - 60_000, 0), // served its turn
      peer(3, false, 0, now - 50_000), // waited longest
      peer(4, false, 0, now - 10_000),
      peer(5, false, 0, now - 1_000),
    ];
    const plan = planUnchokes(ps, 3, now, 20_000, 5);
    assert.deepEqual([...plan].sort(), [1, 3, 5]);
    const regular = planUnchokes(ps, 3, now, 20_000, undefined);
    assert.equal(regular.size, 2);
    const opt = pickOptimistic(ps, regular, () => 0);
    assert.ok(opt !== undefined && !regular.has(opt));
  });
});

describe('super-seeder', () => {
  it('reveals distinct, least available pieces and moves on only when another peer has the piece', () => {
    const availability = new Uint32Array(10);
    availability[0] = 3; // everybody has piece 0: never worth revealing first
    const ss = new SuperSeeder(10, availability, 2, 1000, () => 0);
    const [a, b, c] = [new FakePeer(), new FakePeer(), new FakePeer()];
    const peers = [a, b, c];
    for (const p of peers) ss.start(p);
    const all = peers.flatMap((p) => p.revealed);
    assert.equal(all.length, 6);
    assert.equal(new Set(all).size, 6, 'each piece revealed to one peer only');
    assert.ok(!all.includes(0));
    // a downloads its first piece and announces it: nothing new yet (strict)
    const first = a.revealed[0]!;
    a.have.add(first);
    availability[first]!++;
    ss.onHave(a, first, peers, 0);
    assert.equal(a.revealed.length, 2);
    // b got it from a: a may have the next piece
    b.have.add(first);
    availability[first]!++;
    ss.onHave(b, first, peers, 10);
    assert.equal(a.revealed.length, 3);
    // a's second piece: announced by a only, then the timeout frees the slot
    const second = a.revealed[1]!;
    a.have.add(second);
    ss.onHave(a, second, peers, 100);
    ss.tick(peers, 500);
    assert.equal(a.revealed.length, 3);
    ss.tick(peers, 1100);
    assert.equal(a.revealed.length, 4);
  });

  it('revealAll switches a peer to plain seeding', () => {
    const ss = new SuperSeeder(5, new Uint32Array(5), 2, 1000, () => 0);
    const a = new FakePeer();
    a.have.add(4);
    ss.start(a);
    ss.revealAll(a);
    assert.equal(a.superSeed, undefined);
    assert.deepEqual([...a.revealed].sort(), [0, 1, 2, 3]);
  });
});

describe('bdecode (ut_metadata messages)', () => {
  it('decodes a dict and says where it ends', () => {
    const buf = Buffer.concat([Buffer.from('d8:msg_typei1e5:piecei2e10:total_sizei34567ee'), Buffer.from('DATA')]);
    const { value, end } = bdecodePrefix(buf);
    assert.ok(value instanceof Map);
    assert.equal(value.get('piece'), 2);
    assert.equal(buf.subarray(end).toString(), 'DATA');
  });
  it('throws on malformed or hostile input', () => {
    for (const bad of ['d8:msg_typei1e', 'i12', '5:ab', 'x', 'd1:ai1x', `${'l'.repeat(100)}${'e'.repeat(100)}`, 'di1ei2ee', '99999999999:a']) {
      assert.throws(() => bdecodePrefix(Buffer.from(bad)), Error, bad);
    }
  });
});

describe('block reader', () => {
  const source = Buffer.from([...Array(1000).keys()].map((i) => i & 0xff));
  const torrent = (calls: number[]): SeedableTorrent => ({
    infoHash: Buffer.alloc(20), info: Buffer.alloc(0), length: 1000, pieceLength: 256, pieceCount: 4, private: false,
    async read(offset, length) { calls.push(offset); return source.subarray(offset, offset + length); },
  });
  it('reads a chunk once for all its blocks (coalescing concurrent reads), just the block when entering mid-chunk', async () => {
    const calls: number[] = [];
    const t = torrent(calls);
    const r = new BlockReader(10_000, 128);
    const blocks = await Promise.all([r.read(t, 'k', 0, 64), r.read(t, 'k', 64, 64), r.read(t, 'k', 130, 10)]);
    assert.deepEqual(calls, [0, 130]);
    assert.ok(blocks[0]!.equals(source.subarray(0, 64)) && blocks[1]!.equals(source.subarray(64, 128)));
    assert.ok(blocks[2]!.equals(source.subarray(130, 140)));
    assert.equal(r.hits, 1);
    await r.read(t, 'k', 128, 16);
    await r.read(t, 'k', 144, 16);
    assert.deepEqual(calls, [0, 130, 128]);
  });
  it('stays within its byte budget, reads spanning requests directly, and drops a torrent', async () => {
    const calls: number[] = [];
    const t = torrent(calls);
    const r = new BlockReader(256, 128);
    for (let off = 0; off < 1000; off += 100) await r.read(t, 'k', off, 10);
    assert.ok(r.bytes <= 256);
    const span = await r.read(t, 'k', 120, 20);
    assert.ok(span.equals(source.subarray(120, 140)));
    r.drop('k');
    assert.equal(r.bytes, 0);
  });
  it('rejects short reads', async () => {
    const t = { ...torrent([]), read: async () => Buffer.alloc(3) };
    await assert.rejects(new BlockReader(1000, 128).read(t, 'k', 0, 10), /short read/);
  });
});
