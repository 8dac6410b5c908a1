import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactPeer, normalizeIp, parseAddress, PeerEndpoint } from '../../src/tracker/compact.ts';
import { encodeCompactAnnounce, encodeDictAnnounce, encodeFailure } from '../../src/tracker/http-response.ts';
import { encodeUdpAnnounce } from '../../src/tracker/udp-response.ts';
import { strictDecode } from '../helpers/strict-bdecode.ts';
import type { AnnounceResponse } from '../../src/tracker/types.ts';

test('compact entries for IPv4 and IPv6 literals; junk refused', () => {
  assert.equal(compactPeer('127.0.0.1', 6881)?.toString('hex'), '7f0000011ae1');
  assert.equal(compactPeer('255.255.255.255', 65535)?.toString('hex'), 'ffffffffffff');
  assert.equal(compactPeer('::1', 1)?.toString('hex'), `${'00'.repeat(15)}010001`);
  assert.equal(compactPeer('2001:db8::8:800:200c:417a', 80)?.toString('hex'), '20010db80000000000080800200c417a0050');
  assert.equal(compactPeer('fe80::1%eth0', 2)?.toString('hex'), 'fe800000000000000000000000000001' + '0002');
  assert.equal(compactPeer('::ffff:1.2.3.4', 3)?.toString('hex'), '00000000000000000000ffff010203040003');
  assert.equal(compactPeer('1:2:3:4:5:6:7:8', 4)?.toString('hex'), '00010002000300040005000600070008' + '0004');
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', 'a.b.c.d', '1234.1.1.1', ':::1', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', 'localhost']) {
    assert.equal(parseAddress(bad), undefined, bad);
  }
  assert.equal(normalizeIp('::ffff:10.0.0.1'), '10.0.0.1');
  assert.equal(normalizeIp('::ffff:abcd'), '::ffff:abcd');
  assert.equal(normalizeIp('10.0.0.1'), '10.0.0.1');
});

function response(peers: PeerEndpoint[]): AnnounceResponse {
  return { complete: 3, incomplete: 4, downloaded: 5, interval: 120, minInterval: 30, peers };
}

const v4 = new PeerEndpoint('10.0.0.1', 6881, parseAddress('10.0.0.1')!);
const v4b = new PeerEndpoint('10.0.0.2', 6882, parseAddress('10.0.0.2')!);
const v6 = new PeerEndpoint('::1', 6883, parseAddress('::1')!);

test('compact announce: canonical bencode, peers and peers6 split by family', () => {
  const d = strictDecode(encodeCompactAnnounce(response([v4, v6, v4b]))) as Map<string, unknown>;
  assert.deepEqual([...d.keys()], ['complete', 'downloaded', 'incomplete', 'interval', 'min interval', 'peers', 'peers6']);
  assert.equal((d.get('peers') as Buffer).toString('hex'), '0a0000011ae10a0000021ae2');
  assert.equal((d.get('peers6') as Buffer).toString('hex'), `${'00'.repeat(15)}011ae3`);
  const empty = strictDecode(encodeCompactAnnounce(response([]))) as Map<string, unknown>;
  assert.deepEqual(empty.get('peers'), Buffer.alloc(0));
  assert.equal(empty.has('peers6'), false);
});

test('dictionary model and failure', () => {
  const d = strictDecode(encodeDictAnnounce(response([v6]), false)) as Map<string, unknown>;
  const peer = (d.get('peers') as Array<Map<string, unknown>>)[0]!;
  assert.equal((peer.get('ip') as Buffer).toString(), '::1');
  assert.equal(peer.get('port'), 6883);
  const f = strictDecode(encodeFailure('nope ü')) as Map<string, unknown>;
  assert.equal((f.get('failure reason') as Buffer).toString('utf8'), 'nope ü');
});

test('UDP announce: only the socket family, within 1400 bytes', () => {
  const many = Array.from({ length: 100 }, (_, i) => new PeerEndpoint(`::${i + 1}`, 1000 + i, parseAddress(`::${(i + 1).toString(16)}`)!));
  const r = encodeUdpAnnounce(9, response([v4, ...many]), true);
  assert.equal(r.length, 20 + 18 * 76);
  assert.equal(r.readUInt32BE(12), 4, 'leechers');
  assert.equal(r.readUInt32BE(16), 3, 'seeders');
  const r4 = encodeUdpAnnounce(9, response([v4, ...many, v4b]), false);
  assert.equal(r4.subarray(20).toString('hex'), '0a0000011ae10a0000021ae2');
});
