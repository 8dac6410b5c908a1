import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseUdpRequest, readUrlData, tokenFromUrlData } from '../../src/tracker/parse-udp.ts';
import { ConnectionIds } from '../../src/tracker/connection-id.ts';
import { TrackerFailure } from '../../src/tracker/types.ts';
import { UdpClient } from './support.ts';

// only the packet builders are used: no socket
const builder = Object.create(UdpClient.prototype) as UdpClient;
const CID = Buffer.from('0011223344556677', 'hex');

test('connect needs the protocol magic; short datagrams are ignored', () => {
  const p = Buffer.alloc(16);
  p.writeUInt32BE(0x417, 0);
  p.writeUInt32BE(0x27101980, 4);
  p.writeUInt32BE(7, 12);
  assert.deepEqual(parseUdpRequest(p, '1.2.3.4'), { action: 'connect', transactionId: 7 });
  p.writeUInt32BE(0, 0);
  assert.equal(parseUdpRequest(p, '1.2.3.4'), undefined);
  assert.equal(parseUdpRequest(Buffer.alloc(15), '1.2.3.4'), undefined);
});

test('announce fields, 64-bit counters, event codes, URL data token', () => {
  const infoHash = randomBytes(20);
  const peerId = randomBytes(20);
  const p = builder.announcePacket(CID, { infoHash, peerId, port: 51413, left: 2n ** 63n - 1n, event: 1, numwant: 500, urlData: '/announce?x=1&token=abc%2Ddef' });
  const r = parseUdpRequest(p, '::ffff:10.1.2.3');
  assert.ok(r && r.action === 'announce');
  assert.deepEqual(r.connectionId, CID);
  assert.deepEqual(r.announce.infoHash, infoHash);
  assert.deepEqual(r.announce.peerId, peerId);
  assert.equal(r.announce.ip, '10.1.2.3');
  assert.equal(r.announce.port, 51413);
  assert.equal(r.announce.left, Number.MAX_SAFE_INTEGER);
  assert.equal(r.announce.event, 'completed');
  assert.equal(r.announce.numwant, 200);
  assert.equal(r.announce.key, '00001234');
  assert.equal(r.announce.token, 'abc-def');
  for (const [code, event] of [[0, 'update'], [2, 'started'], [3, 'stopped'], [9, 'update']] as const) {
    const q = parseUdpRequest(builder.announcePacket(CID, { infoHash, port: 1, event: code }), '1.1.1.1');
    assert.ok(q && q.action === 'announce');
    assert.equal(q.announce.event, event);
    assert.equal(q.announce.numwant, event === 'stopped' ? 0 : 50, 'numwant -1: the default');
  }
  const neg = parseUdpRequest(builder.announcePacket(CID, { infoHash, port: 1, left: -1n }), '1.1.1.1');
  assert.ok(neg && neg.action === 'announce');
  assert.equal(neg.announce.left, Number.MAX_SAFE_INTEGER);
});

test('BEP 41 options: URL data split over several options, NOP, unknown types skipped, truncation tolerated', () => {
  const long = `/announce?token=${'a'.repeat(300)}`;
  const p = builder.announcePacket(CID, { infoHash: randomBytes(20), port: 1, urlData: long });
  assert.equal(readUrlData(p, 98), long);
  const opts = Buffer.from([1, 9, 2, 0x41, 0x42, 2, 3, ...Buffer.from('/a?'), 2, 7, ...Buffer.from('token=z'), 0, 2, 1, 0x58]);
  assert.equal(readUrlData(opts, 0), '/a?token=z');
  assert.equal(tokenFromUrlData('/a?token=z'), 'z');
  assert.equal(readUrlData(Buffer.from([2, 50, 0x41]), 0), '', 'truncated option ignored');
  assert.equal(tokenFromUrlData('/announce'), undefined);
});

test('malformed: short announce, port 0, empty scrape, unknown action', () => {
  const short = builder.announcePacket(CID, { infoHash: randomBytes(20), port: 1 }).subarray(0, 97);
  assert.throws(() => parseUdpRequest(short, '1.1.1.1'), TrackerFailure);
  assert.throws(() => parseUdpRequest(builder.announcePacket(CID, { infoHash: randomBytes(20), port: 0 }), '1.1.1.1'), /invalid port/);
  assert.throws(() => parseUdpRequest(builder.scrapePacket(CID, []), '1.1.1.1'), /at least one/);
  const unknown = builder.scrapePacket(CID, []);
  unknown.writeUInt32BE(7, 8);
  assert.throws(() => parseUdpRequest(unknown, '1.1.1.1'), /unknown action/);
  const scrape = parseUdpRequest(builder.scrapePacket(CID, Array.from({ length: 80 }, () => randomBytes(20))), '1.1.1.1');
  assert.ok(scrape && scrape.action === 'scrape');
  assert.equal(scrape.scrape.infoHashes.length, 74);
});

test('connection IDs: bound to the client IP, valid for the current and previous window only', () => {
  const ids = new ConnectionIds(randomBytes(32), 60_000);
  const t = 1_000_000_000_000;
  const id = ids.issue('10.0.0.1', t);
  assert.equal(id.length, 8);
  assert.ok(ids.verify(id, '10.0.0.1', t));
  assert.ok(ids.verify(id, '10.0.0.1', t + 60_000));
  assert.ok(!ids.verify(id, '10.0.0.1', t + 120_000), 'expired after two windows');
  assert.ok(!ids.verify(id, '10.0.0.2', t), 'other ip');
  assert.ok(!ids.verify(id.subarray(0, 7), '10.0.0.1', t));
  assert.ok(!ids.verify(Buffer.from('0000041727101980', 'hex'), '10.0.0.1', t), 'the protocol magic is no ID');
  assert.notDeepEqual(new ConnectionIds(randomBytes(32)).issue('10.0.0.1', t), id, 'secret-dependent');
});
