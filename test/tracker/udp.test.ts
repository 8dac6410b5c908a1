/** BEP 15 over real UDP sockets on 127.0.0.1. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Tracker } from '../../src/tracker/tracker.ts';
import { UdpClient, compactPeers, httpAnnounce, startTracker, udpError, udpPeers, type Harness } from './support.ts';

let h: Harness;
let client: UdpClient;
before(async () => {
  h = await startTracker();
  client = new UdpClient(h.port);
  await client.ready();
});
after(async () => {
  client.close();
  await h.close();
});

test('HTTP and UDP share one port number', async () => {
  const hash = randomBytes(20);
  h.register(hash);
  await httpAnnounce(h.port, { infoHash: hash, port: 9001, left: 1 });
  const id = await client.connect();
  const r = await client.request(client.announcePacket(id, { infoHash: hash, port: 9002, left: 1n }));
  assert.deepEqual(udpPeers(r), ['127.0.0.1:9001']);
});

test('connect returns a real connection ID: per client IP, not the protocol magic', async () => {
  const id = await client.connect();
  assert.equal(id.length, 8);
  assert.notDeepEqual(id, Buffer.from('0000041727101980', 'hex'));
  const samePort = new UdpClient(h.port);
  const otherHost = new UdpClient(h.port);
  await samePort.ready();
  await otherHost.ready('127.0.0.2');
  try {
    assert.deepEqual(await samePort.connect(), id, 'same IP, other port: same ID (libtorrent shares IDs between sockets)');
    assert.notDeepEqual(await otherHost.connect(), id, 'another IP gets another ID');
  } finally {
    samePort.close();
    otherHost.close();
  }
});

test('announce with a forged or expired connection ID is refused; a real one is accepted', async () => {
  const hash = randomBytes(20);
  h.register(hash);
  const forged = await client.request(client.announcePacket(Buffer.from('0000041727101980', 'hex'), { infoHash: hash, port: 9101 }));
  assert.equal(udpError(forged), 'bad connection id');
  const random = await client.request(client.announcePacket(randomBytes(8), { infoHash: hash, port: 9101 }));
  assert.equal(udpError(random), 'bad connection id');

  const other = new UdpClient(h.port);
  await other.ready('127.0.0.2');
  try {
    const stolen = await other.connect();
    const r = await client.request(client.announcePacket(stolen, { infoHash: hash, port: 9101 }));
    assert.equal(udpError(r), 'bad connection id', "another host's ID is no good");
  } finally {
    other.close();
  }

  // IDs live in 60 s windows: connect 1 s into one, so +61 s is always the next window and +121 s the one
  // after (from the last second of a window, +61 s would skip a window and the test would fail 1 run in 60).
  h.clock.now = (Math.floor(h.clock.now / 60_000) + 1) * 60_000 + 1_000;
  const id = await client.connect();
  const ok = await client.request(client.announcePacket(id, { infoHash: hash, port: 9101, left: 0n }));
  assert.equal(ok.readUInt32BE(0), 1);
  assert.equal(ok.readUInt32BE(8), 120, 'interval');
  assert.equal(ok.readUInt32BE(12), 0, 'leechers');
  assert.equal(ok.readUInt32BE(16), 1, 'seeders');
  h.clock.now += 61_000;
  const stillOk = await client.request(client.announcePacket(id, { infoHash: hash, port: 9101, left: 0n }));
  assert.equal(udpError(stillOk), undefined, 'valid during the next window');
  h.clock.now += 60_000;
  const expired = await client.request(client.announcePacket(id, { infoHash: hash, port: 9101, left: 0n }));
  assert.equal(udpError(expired), 'bad connection id', 'expired after ~2 minutes');
  assert.ok(h.tracker.stats().refusedConnectionIds >= 4);
});

test('unknown info-hash: error packet', async () => {
  const id = await client.connect();
  const r = await client.request(client.announcePacket(id, { infoHash: randomBytes(20), port: 9201 }));
  assert.equal(udpError(r), 'unregistered torrent');
});

test('scrape: seeders, completed, leechers per info-hash in request order; zeros for unknown', async () => {
  const hash = randomBytes(20);
  h.register(hash);
  const id = await client.connect();
  await client.request(client.announcePacket(id, { infoHash: hash, port: 9301, left: 5n, event: 2 }));
  await client.request(client.announcePacket(id, { infoHash: hash, port: 9302, left: 0n, event: 1 }));
  const r = await client.request(client.scrapePacket(id, [randomBytes(20), hash]));
  assert.equal(r.readUInt32BE(0), 2);
  assert.equal(r.length, 8 + 24);
  assert.deepEqual([r.readUInt32BE(8), r.readUInt32BE(12), r.readUInt32BE(16)], [0, 0, 0]);
  assert.deepEqual([r.readUInt32BE(20), r.readUInt32BE(24), r.readUInt32BE(28)], [1, 1, 1]);
  const forged = await client.request(client.scrapePacket(randomBytes(8), [hash]));
  assert.equal(udpError(forged), 'bad connection id');
});

test('stopped over UDP removes the peer; HTTP sees the change', async () => {
  const hash = randomBytes(20);
  h.register(hash);
  const id = await client.connect();
  await client.request(client.announcePacket(id, { infoHash: hash, port: 9401 }));
  await client.request(client.announcePacket(id, { infoHash: hash, port: 9401, event: 3 }));
  const r = await httpAnnounce(h.port, { infoHash: hash, port: 9402, left: 1 });
  assert.deepEqual(compactPeers(r), []);
});

test('listen on ::1 binds udp6 only (no bind EINVAL) and answers with 18-byte peers', async (t) => {
  const tracker = new Tracker({ lookup: () => ({ private: false }) });
  let port: number;
  try {
    ({ port } = await tracker.listen({ port: 0, host: '::1' }));
  } catch (err) {
    await tracker.close();
    if ((err as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') { t.skip('no IPv6 loopback here'); return; }
    throw err;
  }
  const dgram = await import('node:dgram');
  const socket = dgram.createSocket('udp6');
  try {
    await new Promise<void>((resolve) => socket.bind(0, '::1', resolve));
    const ask = (packet: Buffer): Promise<Buffer> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('udp6 timeout')), 3000);
      socket.once('message', (m) => { clearTimeout(timer); resolve(m); });
      socket.send(packet, port, '::1');
    });
    const builder = Object.create(UdpClient.prototype) as UdpClient;
    const connect = Buffer.alloc(16);
    connect.writeUInt32BE(0x417, 0);
    connect.writeUInt32BE(0x27101980, 4);
    const id = (await ask(connect)).subarray(8, 16);
    const hash = randomBytes(20);
    await ask(builder.announcePacket(id, { infoHash: hash, port: 9501 }));
    const r = await ask(builder.announcePacket(id, { infoHash: hash, port: 9502 }));
    assert.equal(r.length, 20 + 18);
    assert.equal(r.subarray(20, 36).toString('hex'), '00000000000000000000000000000001');
    assert.equal(r.readUInt16BE(36), 9501);
  } finally {
    socket.close();
    await tracker.close();
  }
});
