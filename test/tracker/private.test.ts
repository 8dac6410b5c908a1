/** Private torrents: signed tokens in the announce URL, over HTTP and UDP (BEP 41). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { signTrackerToken, verifyTrackerToken } from '../../src/tracker/token.ts';
import { strictDecode } from '../helpers/strict-bdecode.ts';
import {
  SECRET, UdpClient, compactPeers, escapeAll, failureOf, httpAnnounce, httpGet, startTracker, udpError, udpPeers,
  type Decoded, type Harness,
} from './support.ts';

let h: Harness;
before(async () => {
  h = await startTracker({ verifyToken: (token, infoHash) => verifyTrackerToken(token, infoHash, SECRET, h.clock.now) });
});
after(() => h.close());

const HOUR = 3600_000;

test('token: signed claims round-trip; tampering, other info-hash, other secret and expiry fail', () => {
  const infoHash = randomBytes(20);
  const now = Date.now();
  const token = signTrackerToken({ infoHash, accountId: 'acct-ü', expiresAt: now + HOUR }, SECRET);
  assert.match(token, /^[A-Za-z0-9_-]+$/, 'URL-safe as is');
  const ok = verifyTrackerToken(token, infoHash, SECRET, now);
  assert.ok(ok.ok && ok.accountId === 'acct-ü');
  assert.deepEqual(verifyTrackerToken(token, randomBytes(20), SECRET, now), { ok: false, reason: 'private torrent: token not valid for this torrent' });
  assert.equal(verifyTrackerToken(token, infoHash, 'other', now).ok, false);
  assert.deepEqual(verifyTrackerToken(token, infoHash, SECRET, now + HOUR + 1000), { ok: false, reason: 'private torrent: token expired' });
  assert.equal(verifyTrackerToken(undefined, infoHash, SECRET, now).ok, false);
  assert.equal(verifyTrackerToken('', infoHash, SECRET, now).ok, false);
  assert.equal(verifyTrackerToken('!!', infoHash, SECRET, now).ok, false);
  assert.equal(verifyTrackerToken('AAAA', infoHash, SECRET, now).ok, false);
  // flip one bit of each byte in turn: never valid
  const raw = Buffer.from(token, 'base64url');
  for (let i = 0; i < raw.length; i++) {
    const bad = Buffer.from(raw);
    bad[i]! ^= 1;
    assert.equal(verifyTrackerToken(bad.toString('base64url'), infoHash, SECRET, now).ok, false, `byte ${i}`);
  }
  // the account is signed: swapping it in the payload breaks the MAC
  const other = signTrackerToken({ infoHash, accountId: 'acct-x', expiresAt: now + HOUR }, SECRET);
  const swapped = Buffer.concat([Buffer.from(other, 'base64url').subarray(0, 11), raw.subarray(raw.length - 32)]);
  assert.equal(verifyTrackerToken(swapped.toString('base64url'), infoHash, SECRET, now).ok, false);
});

test('HTTP: no, invalid, expired or other-info-hash token → failure reason; valid → peers and hasAuthorizedPeer', async () => {
  const hash = randomBytes(20);
  h.register(hash, true);
  const valid = signTrackerToken({ infoHash: hash, accountId: 'alice', expiresAt: h.clock.now + HOUR }, SECRET);
  const expired = signTrackerToken({ infoHash: hash, accountId: 'alice', expiresAt: h.clock.now - 1000 }, SECRET);
  const otherHash = signTrackerToken({ infoHash: randomBytes(20), accountId: 'alice', expiresAt: h.clock.now + HOUR }, SECRET);
  const refusals: Array<[string | undefined, RegExp]> = [
    [undefined, /no token/], ['garbage', /malformed/], [expired, /expired/], [otherHash, /not valid for this torrent/],
    [`${valid.slice(0, -2)}AA`, /not valid/],
  ];
  for (const [token, reason] of refusals) {
    const r = await httpAnnounce(h.port, { infoHash: hash, port: 8001, left: 1, ...(token !== undefined && { token }) });
    assert.match(failureOf(r) ?? '', reason, String(token));
  }
  assert.equal(h.tracker.peersOf(hash).length, 0);
  assert.equal(h.tracker.hasAuthorizedPeer(hash, '127.0.0.1'), false);

  const a = await httpAnnounce(h.port, { infoHash: hash, port: 8001, left: 1, token: valid });
  assert.equal(failureOf(a), undefined);
  const b = await httpAnnounce(h.port, { infoHash: hash, port: 8002, left: 1, token: valid });
  assert.deepEqual(compactPeers(b), ['127.0.0.1:8001']);
  assert.equal(h.tracker.hasAuthorizedPeer(hash, '127.0.0.1'), true);
  assert.equal(h.tracker.hasAuthorizedPeer(hash, '::ffff:127.0.0.1', 8002), true);
  assert.equal(h.tracker.hasAuthorizedPeer(hash, '127.0.0.1', 8003), false);
  assert.equal(h.tracker.hasAuthorizedPeer(hash, '127.0.0.2'), false);
  assert.equal(h.tracker.peersOf(hash)[0]?.tokenAccount, 'alice');

  // scrape shows a private swarm only with a valid token for it
  const bare = await httpGet(h.port, `/scrape?info_hash=${escapeAll(hash)}`);
  assert.equal(((strictDecode(bare.body) as Decoded).get('files') as Map<string, unknown>).size, 0);
  const withToken = await httpGet(h.port, `/scrape?token=${valid}&info_hash=${escapeAll(hash)}`);
  assert.equal(((strictDecode(withToken.body) as Decoded).get('files') as Map<string, unknown>).size, 1);

  // after the peers go away (stopped / TTL), they are no longer authorized
  await httpAnnounce(h.port, { infoHash: hash, port: 8001, left: 1, token: valid, event: 'stopped' });
  assert.equal(h.tracker.hasAuthorizedPeer(hash, '127.0.0.1', 8001), false);
  h.clock.now += 241_000;
  assert.equal(h.tracker.hasAuthorizedPeer(hash, '127.0.0.1'), false);
});

test('UDP: the token travels as BEP 41 URL data', async () => {
  const hash = randomBytes(20);
  h.register(hash, true);
  const valid = signTrackerToken({ infoHash: hash, accountId: 'bob', expiresAt: h.clock.now + HOUR }, SECRET);
  const client = new UdpClient(h.port);
  await client.ready();
  try {
    const id = await client.connect();
    const none = await client.request(client.announcePacket(id, { infoHash: hash, port: 8101 }));
    assert.match(udpError(none) ?? '', /no token/);
    const wrong = await client.request(client.announcePacket(id, { infoHash: hash, port: 8101, urlData: '/announce?token=nope' }));
    assert.match(udpError(wrong) ?? '', /malformed/);
    const ok = await client.request(client.announcePacket(id, { infoHash: hash, port: 8101, urlData: `/announce?token=${valid}` }));
    assert.equal(udpError(ok), undefined);
    assert.deepEqual(udpPeers(ok), []);
    assert.equal(h.tracker.hasAuthorizedPeer(hash, '127.0.0.1', 8101), true);
    assert.equal(h.tracker.peersOf(hash)[0]?.tokenAccount, 'bob');
  } finally {
    client.close();
  }
});

test('a private torrent with no verifyToken configured is refused', async () => {
  const { Tracker } = await import('../../src/tracker/tracker.ts');
  const tracker = new Tracker({ lookup: () => ({ private: true }) });
  try {
    assert.throws(() => tracker.announce({
      infoHash: randomBytes(20), peerId: randomBytes(20), ip: '10.0.0.1', port: 1, uploaded: 0, downloaded: 0, left: 0,
      event: 'started', numwant: 50, compact: true, noPeerId: false, token: 'x',
    }), /no token verifier/);
  } finally {
    await tracker.close();
  }
});
