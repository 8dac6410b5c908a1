/** Swarm behaviour through real HTTP announces on 127.0.0.1. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { strictDecode } from '../helpers/strict-bdecode.ts';
import type { AnnounceEvent, Peer } from '../../src/tracker/types.ts';
import { compactPeers, failureOf, httpAnnounce, httpGet, escapeAll, startTracker, type Decoded, type Harness } from './support.ts';

let h: Harness;
const announced: Array<{ infoHash: string; peer: Peer; event: AnnounceEvent }> = [];
const seeders = new Map<string, Array<{ ip: string; port: number }>>();

before(async () => {
  h = await startTracker({
    onAnnounce: (infoHash, peer, event) => announced.push({ infoHash: infoHash.toString('hex'), peer, event }),
    seederPeers: (infoHash) => seeders.get(infoHash.toString('hex')) ?? [],
    maxPeersPerIp: 5,
  });
});
after(() => h.close());

function newHash(): Buffer {
  const hash = randomBytes(20);
  h.register(hash);
  return hash;
}

test('two peers on 127.0.0.1 with different ports both get listed, never themselves', async () => {
  const hash = newHash();
  const a = await httpAnnounce(h.port, { infoHash: hash, port: 7001, left: 100, event: 'started' });
  assert.equal(failureOf(a), undefined);
  assert.deepEqual(compactPeers(a), []);
  assert.equal(a.get('interval'), 120);
  assert.equal(a.get('min interval'), 30);
  const b = await httpAnnounce(h.port, { infoHash: hash, port: 7002, left: 0, event: 'started' });
  assert.deepEqual(compactPeers(b), ['127.0.0.1:7001']);
  assert.equal(b.get('complete'), 1);
  assert.equal(b.get('incomplete'), 1);
  const a2 = await httpAnnounce(h.port, { infoHash: hash, port: 7001, left: 50 });
  assert.deepEqual(compactPeers(a2), ['127.0.0.1:7002']);
  assert.deepEqual(h.tracker.peersOf(hash).map((p) => `${p.ip}:${p.port}:${p.seeder}`).sort(), ['127.0.0.1:7001:false', '127.0.0.1:7002:true']);
  const events = announced.filter((e) => e.infoHash === hash.toString('hex'));
  assert.deepEqual(events.map((e) => `${e.peer.port}/${e.event}`), ['7001/started', '7002/started', '7001/update']);
});

test('the server seeder is listed first for everyone but itself and counted as complete', async () => {
  const hash = newHash();
  seeders.set(hash.toString('hex'), [{ ip: '127.0.0.1', port: 7999 }]);
  const a = await httpAnnounce(h.port, { infoHash: hash, port: 7101, left: 10 });
  assert.deepEqual(compactPeers(a), ['127.0.0.1:7999']);
  assert.equal(a.get('complete'), 1);
  const b = await httpAnnounce(h.port, { infoHash: hash, port: 7102, left: 10 });
  assert.deepEqual(compactPeers(b), ['127.0.0.1:7999', '127.0.0.1:7101']);
  const self = await httpAnnounce(h.port, { infoHash: hash, port: 7999, left: 0 });
  assert.ok(!compactPeers(self).includes('127.0.0.1:7999'));
});

test('seeders are not sent other seeders', async () => {
  const hash = newHash();
  await httpAnnounce(h.port, { infoHash: hash, port: 7201, left: 0 });
  await httpAnnounce(h.port, { infoHash: hash, port: 7202, left: 5 });
  const seed = await httpAnnounce(h.port, { infoHash: hash, port: 7203, left: 0 });
  assert.deepEqual(compactPeers(seed), ['127.0.0.1:7202']);
});

test('per-IP cap: the least recently announced peer of that address is dropped', async () => {
  const hash = newHash();
  for (let port = 7301; port <= 7305; port++) await httpAnnounce(h.port, { infoHash: hash, port, left: 1 });
  await httpAnnounce(h.port, { infoHash: hash, port: 7301, left: 1 }); // 7301 is now the most recent
  const r = await httpAnnounce(h.port, { infoHash: hash, port: 7306, left: 1 });
  assert.deepEqual(compactPeers(r).sort(), ['127.0.0.1:7301', '127.0.0.1:7303', '127.0.0.1:7304', '127.0.0.1:7305']);
  assert.equal(h.tracker.peersOf(hash).length, 5);
});

test('numwant: capped at 200, default 50, 0 honoured; stopped removes the peer', async () => {
  const { Tracker } = await import('../../src/tracker/tracker.ts');
  const hash = randomBytes(20);
  const tracker = new Tracker({ lookup: () => ({ private: false }), maxPeersPerIp: 1000 });
  try {
    const req = (port: number, numwant: number, event: 'update' | 'stopped' = 'update') => ({
      infoHash: hash, peerId: randomBytes(20), ip: '10.0.0.1', port, uploaded: 0, downloaded: 0, left: 1,
      event, numwant, compact: true, noPeerId: false,
    });
    for (let port = 1; port <= 300; port++) tracker.announce(req(port, 0));
    assert.equal(tracker.announce(req(1, 200)).peers.length, 200);
    assert.equal(tracker.announce(req(1, 50)).peers.length, 50);
    assert.equal(tracker.announce(req(1, 0)).peers.length, 0);
    const some = tracker.announce(req(2, 200)).peers;
    assert.ok(!some.some((p) => p.port === 2), 'never itself');
    assert.equal(new Set(some.map((p) => p.port)).size, 200, 'no duplicates');
    tracker.announce(req(300, 0, 'stopped'));
    assert.equal(tracker.peersOf(hash).length, 299);
    assert.equal(tracker.stats().peers, 299);
  } finally {
    await tracker.close();
  }
  const hash2 = newHash();
  for (let port = 7401; port <= 7405; port++) await httpAnnounce(h.port, { infoHash: hash2, port, left: 1 });
  const over = await httpAnnounce(h.port, { infoHash: hash2, port: 7401, left: 1, numwant: 100000 });
  assert.equal(compactPeers(over).length, 4);
});

test('expiry: a peer silent for the TTL (2 × interval) is dropped', async () => {
  const hash = newHash();
  await httpAnnounce(h.port, { infoHash: hash, port: 7501, left: 1 });
  h.clock.now += 200_000;
  await httpAnnounce(h.port, { infoHash: hash, port: 7502, left: 1 });
  h.clock.now += 50_000; // 7501 last seen 250 s ago (> 240), 7502 50 s ago
  const r = await httpAnnounce(h.port, { infoHash: hash, port: 7503, left: 1 });
  assert.deepEqual(compactPeers(r), ['127.0.0.1:7502']);
  assert.equal(r.get('incomplete'), 2);
  assert.deepEqual(h.tracker.peersOf(hash).map((p) => p.port).sort(), [7502, 7503]);
});

test('unknown info-hash: failure reason, HTTP 200, nothing stored', async () => {
  const hash = randomBytes(20);
  const { status, body } = await httpGet(h.port, `/announce?info_hash=${escapeAll(hash)}&peer_id=${escapeAll(randomBytes(20))}&port=1&left=1`);
  assert.equal(status, 200);
  assert.equal(failureOf(strictDecode(body) as Decoded), 'unregistered torrent');
  assert.equal(h.tracker.peersOf(hash).length, 0);
});

test('malformed announce: HTTP 200 with a bencoded failure reason', async () => {
  const { status, body } = await httpGet(h.port, '/announce?info_hash=tooshort&port=1');
  assert.equal(status, 200);
  assert.equal(failureOf(strictDecode(body) as Decoded), 'invalid info_hash');
  const other = await httpGet(h.port, '/elsewhere');
  assert.equal(other.status, 404);
});

test('compact=0: BEP 3 dictionary model, peer id left out with no_peer_id=1', async () => {
  const hash = newHash();
  const peerId = Buffer.from('-TR3000-abcdefghijkl');
  await httpAnnounce(h.port, { infoHash: hash, peerId, port: 7601, left: 1 });
  const r = await httpAnnounce(h.port, { infoHash: hash, port: 7602, left: 1, compact: 0 });
  const peers = r.get('peers') as Array<Map<string, unknown>>;
  assert.equal(peers.length, 1);
  assert.equal((peers[0]!.get('ip') as Buffer).toString(), '127.0.0.1');
  assert.equal(peers[0]!.get('port'), 7601);
  assert.deepEqual(peers[0]!.get('peer id'), peerId);
  const n = await httpAnnounce(h.port, { infoHash: hash, port: 7603, left: 1, compact: 0, extra: 'no_peer_id=1' });
  assert.equal((n.get('peers') as Array<Map<string, unknown>>)[0]!.has('peer id'), false);
});

test('completed counts once per peer; scrape (BEP 48) keyed by raw info-hash, unknown ones left out', async () => {
  const hash = newHash();
  await httpAnnounce(h.port, { infoHash: hash, port: 7701, left: 10, event: 'started' });
  await httpAnnounce(h.port, { infoHash: hash, port: 7701, left: 0, event: 'completed' });
  await httpAnnounce(h.port, { infoHash: hash, port: 7701, left: 0, event: 'completed' });
  await httpAnnounce(h.port, { infoHash: hash, port: 7702, left: 10 });
  const unknown = randomBytes(20);
  const { status, body } = await httpGet(h.port, `/scrape?info_hash=${escapeAll(hash)}&info_hash=${escapeAll(unknown)}&info_hash=${escapeAll(hash)}`);
  assert.equal(status, 200);
  const files = (strictDecode(body) as Decoded).get('files') as Map<string, Map<string, unknown>>;
  assert.deepEqual([...files.keys()], [hash.toString('latin1')]);
  const entry = files.get(hash.toString('latin1'))!;
  assert.equal(entry.get('complete'), 1);
  assert.equal(entry.get('incomplete'), 1);
  assert.equal(entry.get('downloaded'), 1);
});

test('stats', () => {
  const s = h.tracker.stats();
  assert.ok(s.httpAnnounces > 10);
  assert.ok(s.failures >= 2);
  assert.ok(s.swarms > 5);
  assert.equal(s.seeders + s.leechers, s.peers);
});

test('memory bounds: per-swarm cap drops the oldest; over maxPeers / maxSwarms announces are answered but not stored; sweep frees empty swarms', async () => {
  const { MemorySwarmStore } = await import('../../src/tracker/swarm-store.ts');
  const store = new MemorySwarmStore({ peerTtlMs: 1000, maxPeersPerSwarm: 2, maxPeers: 3, maxSwarms: 2 });
  const [a, b, c] = [randomBytes(20), randomBytes(20), randomBytes(20)];
  const req = (infoHash: Buffer, port: number) => ({
    infoHash, peerId: randomBytes(20), ip: `10.0.0.${port}`, port, uploaded: 0, downloaded: 0, left: 1,
    event: 'update' as const, numwant: 50, compact: true, noPeerId: false,
  });
  store.announce(req(a, 1), undefined, 'any', 0);
  store.announce(req(a, 2), undefined, 'any', 1);
  const r = store.announce(req(a, 3), undefined, 'any', 2);
  assert.deepEqual(r.peers.map((p) => p.port), [2], 'peer 1 (oldest) dropped for peer 3');
  assert.equal(store.stats().peers, 2);
  store.announce(req(b, 4), undefined, 'any', 3);
  assert.equal(store.stats().peers, 3);
  const full = store.announce(req(b, 5), undefined, 'any', 4);
  assert.deepEqual(full.peers.map((p) => p.port), [4], 'answered');
  assert.equal(store.stats().peers, 3, 'not stored over maxPeers');
  const noSwarm = store.announce(req(c, 6), undefined, 'any', 5);
  assert.equal(noSwarm.peers.length, 0);
  assert.equal(store.stats().swarms, 2, 'no third swarm');
  store.sweep(10_000);
  assert.deepEqual(store.stats(), { swarms: 0, peers: 0, seeders: 0, leechers: 0 });
});
