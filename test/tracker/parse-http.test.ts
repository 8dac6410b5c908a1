import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { parseHttpAnnounce, parseHttpScrape } from '../../src/tracker/parse-http.ts';
import { percentDecode } from '../../src/tracker/percent-decode.ts';
import { TrackerFailure } from '../../src/tracker/types.ts';
import { escapeAll, escapeMinimal } from './support.ts';

const HASH = Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex');
const PEER = Buffer.from('-qB4520-abcdefghijkl');
const base = (extra = ''): string =>
  `info_hash=${escapeAll(HASH)}&peer_id=${escapeAll(PEER)}&port=6881&uploaded=1&downloaded=2&left=3${extra}`;

test('info_hash and peer_id round-trip every byte value, escaped in upper or lower case or left raw', () => {
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  for (let off = 0; off < 256; off += 20) {
    const hash = Buffer.alloc(20);
    all.copy(hash, 0, off, Math.min(off + 20, 256));
    const peer = Buffer.from(hash).reverse();
    for (const esc of [escapeAll, escapeMinimal, (b: Buffer) => escapeAll(b).toLowerCase()]) {
      const r = parseHttpAnnounce(`info_hash=${esc(hash)}&peer_id=${esc(peer)}&port=1&left=0`, '127.0.0.1');
      assert.deepEqual(r.infoHash, hash);
      assert.deepEqual(r.peerId, peer);
    }
  }
});

test('property: any 20 bytes survive the minimal escaping', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ minLength: 20, maxLength: 20 }), (h, p) => {
    const r = parseHttpAnnounce(`peer_id=${escapeMinimal(Buffer.from(p))}&port=9&info_hash=${escapeMinimal(Buffer.from(h))}`, '10.0.0.1');
    assert.deepEqual(r.infoHash, Buffer.from(h));
    assert.deepEqual(r.peerId, Buffer.from(p));
  }), { numRuns: 500 });
});

test('percentDecode: raw latin1 bytes, + as space, malformed escapes rejected', () => {
  assert.deepEqual(percentDecode('a+b%2B%ff\u00e9'), Buffer.from([0x61, 0x20, 0x62, 0x2b, 0xff, 0xe9]));
  assert.equal(percentDecode('%4'), undefined);
  assert.equal(percentDecode('%'), undefined);
  assert.equal(percentDecode('%g0'), undefined);
  assert.equal(percentDecode('\u0100'), undefined);
});

test('a regular announce', () => {
  const r = parseHttpAnnounce(base('&event=started&numwant=30&compact=1&no_peer_id=1&key=ab%20c&ip=6.6.6.6'), '::ffff:127.0.0.1');
  assert.equal(r.ip, '127.0.0.1', 'socket address, IPv4-mapped unmapped; the ip parameter is ignored');
  assert.equal(r.port, 6881);
  assert.equal(r.uploaded, 1);
  assert.equal(r.downloaded, 2);
  assert.equal(r.left, 3);
  assert.equal(r.event, 'started');
  assert.equal(r.numwant, 30);
  assert.equal(r.compact, true);
  assert.equal(r.noPeerId, true);
  assert.equal(r.key, 'ab c');
  assert.equal(r.token, undefined);
});

test('tolerant: missing left, huge left, numwant absent/over cap/negative, event absent/unknown, compact absent', () => {
  const missing = parseHttpAnnounce(base().replace('&left=3', ''), '127.0.0.1');
  assert.equal(missing.left, Number.MAX_SAFE_INTEGER, 'missing left: a leecher');
  assert.equal(missing.event, 'update');
  assert.equal(missing.numwant, 50);
  assert.equal(missing.compact, true, 'compact unless compact=0');
  const completed = parseHttpAnnounce(base('&event=completed').replace('&left=3', ''), '127.0.0.1');
  assert.equal(completed.left, 0, 'missing left with event=completed: a seeder');
  for (const huge of ['9223372036854775807', '9223372036854775808', '18446744073709551615', '99999999999999999999999']) {
    assert.equal(parseHttpAnnounce(base().replace('left=3', `left=${huge}`), '127.0.0.1').left, Number.MAX_SAFE_INTEGER);
  }
  assert.equal(parseHttpAnnounce(base().replace('left=3', 'left=-1'), '127.0.0.1').left, Number.MAX_SAFE_INTEGER);
  assert.equal(parseHttpAnnounce(base().replace('left=3', 'left='), '127.0.0.1').left, Number.MAX_SAFE_INTEGER);
  assert.equal(parseHttpAnnounce(base('&numwant=100000'), '127.0.0.1').numwant, 200);
  assert.equal(parseHttpAnnounce(base('&numwant=-1'), '127.0.0.1').numwant, 50);
  assert.equal(parseHttpAnnounce(base('&numwant=0'), '127.0.0.1').numwant, 0);
  assert.equal(parseHttpAnnounce(base('&event=stopped&numwant=80'), '127.0.0.1').numwant, 0);
  assert.equal(parseHttpAnnounce(base('&event=paused'), '127.0.0.1').event, 'update');
  assert.equal(parseHttpAnnounce(base('&event=empty'), '127.0.0.1').event, 'update');
  assert.equal(parseHttpAnnounce(base('&event='), '127.0.0.1').event, 'update');
  assert.equal(parseHttpAnnounce(base('&compact=0'), '127.0.0.1').compact, false);
  assert.equal(parseHttpAnnounce(base('&uploaded=-5&supportcrypto=1&corrupt=0&redundant=0&trackerid=x&&'), '127.0.0.1').uploaded, 0);
  assert.equal(parseHttpAnnounce(base('&token=abc-_D'), '127.0.0.1').token, 'abc-_D');
  assert.equal(parseHttpAnnounce(`token=t1&${base()}`, '127.0.0.1').token, 't1', 'the announce URL query comes first');
});

test('malformed requests are failures with a reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /missing info_hash/],
    [base().replace(`info_hash=${escapeAll(HASH)}`, 'info_hash=abc'), /invalid info_hash/],
    [base().replace(`info_hash=${escapeAll(HASH)}`, `info_hash=${escapeAll(HASH)}%0`), /invalid info_hash/],
    [base().replace(`info_hash=${escapeAll(HASH)}`, `info_hash=${escapeAll(HASH)}00`), /invalid info_hash/],
    [base().replace(`peer_id=${escapeAll(PEER)}`, ''), /missing peer_id/],
    [base().replace(`peer_id=${escapeAll(PEER)}`, 'peer_id=short'), /invalid peer_id/],
    [base().replace('port=6881', ''), /invalid port/],
    [base().replace('port=6881', 'port=0'), /invalid port/],
    [base().replace('port=6881', 'port=65536'), /invalid port/],
    [base().replace('port=6881', 'port=http'), /invalid port/],
    [base().replace('left=3', 'left=lots'), /invalid left/],
    [base().replace('uploaded=1', 'uploaded=1e3'), /invalid uploaded/],
  ];
  for (const [query, reason] of cases) {
    assert.throws(() => parseHttpAnnounce(query, '127.0.0.1'), (e: unknown) => e instanceof TrackerFailure && reason.test(e.message), query);
  }
});

test('scrape: several info_hash, token, no full scrape', () => {
  const a = randomBytes(20);
  const b = randomBytes(20);
  const r = parseHttpScrape(`info_hash=${escapeAll(a)}&info_hash=${escapeMinimal(b)}&token=tok`);
  assert.deepEqual(r.infoHashes, [a, b]);
  assert.equal(r.token, 'tok');
  assert.throws(() => parseHttpScrape(''), TrackerFailure);
  assert.throws(() => parseHttpScrape('info_hash=abc'), TrackerFailure);
  const many = Array.from({ length: 150 }, () => `info_hash=${escapeAll(randomBytes(20))}`).join('&');
  assert.equal(parseHttpScrape(many).infoHashes.length, 100);
});
