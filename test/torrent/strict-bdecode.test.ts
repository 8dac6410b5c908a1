import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bkey, strictDecode } from '../helpers/strict-bdecode.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

test('strictDecode: accepts canonical bencode and returns the documented shapes', () => {
  const v = strictDecode(b('d1:ai-3e1:bl0:i0ee4:spam4:eggs2:\u00c3\u00a9i9007199254740993e1:\u00ffdee')) as Map<string, unknown>;
  assert.ok(v instanceof Map);
  assert.deepEqual([...v.keys()], ['a', 'b', 'spam', '\u00c3\u00a9', '\u00ff']);
  assert.equal(v.get('a'), -3);
  assert.deepEqual(v.get('b'), [Buffer.alloc(0), 0]);
  assert.equal(v.get(bkey('é')), 9007199254740993n);
  assert.deepEqual(v.get('\u00ff'), new Map());
  assert.deepEqual(v.get('spam'), Buffer.from('eggs'));
  assert.equal(strictDecode(b('i6442450944e')), 6442450944);
  assert.equal(strictDecode(b('i-1e')), -1);
});

test('strictDecode: rejects non-canonical and malformed input', () => {
  const bad: Array<[string, RegExp]> = [
    ['d1:bi1e1:ai2ee', /unsorted/],
    ['d1:ai1e1:ai2ee', /duplicate/],
    ['d2:aai1e1:ai2ee', /unsorted/],
    ['d1:\u00ffi1e1:ai2ee', /unsorted/],
    ['i03e', /non-canonical/],
    ['i-0e', /non-canonical/],
    ['i-03e', /non-canonical/],
    ['ie', /non-canonical/],
    ['i-e', /non-canonical/],
    ['i+1e', /non-canonical/],
    ['i1.5e', /non-canonical/],
    ['i 1e', /non-canonical/],
    ['03:abc', /non-canonical/],
    ['i1ei2e', /trailing/],
    ['4:spamx', /trailing/],
    ['de ', /trailing/],
    ['', /truncated/],
    ['i12', /truncated/],
    ['5:spam', /truncated/],
    ['l4:spam', /truncated/],
    ['d1:a', /truncated/],
    ['d1:ai1e', /truncated/],
    ['4', /truncated/],
    ['di1ei2ee', /not a string/],
    ['x', /unexpected/],
    ['l'.repeat(1000) + 'e'.repeat(1000), /too deep/],
  ];
  for (const [input, error] of bad) assert.throws(() => strictDecode(b(input)), error, JSON.stringify(input));
});

test('strictDecode accepts everything buildTorrent emits (names, formats, options)', async () => {
  const { buildTorrent } = await import('../../src/torrent/metainfo.ts');
  const { PieceHasher } = await import('../../src/torrent/piece-hasher.ts');
  const { torrentName } = await import('../../src/torrent/torrent-name.ts');
  const keys = ['a', 'é/ü', '😀', '\uff61x', 'CON', 'x'.repeat(400), '日本/語.txt', '\u0000'];
  for (const key of keys) {
    for (const size of [0, 1, 70_000]) {
      const h = new PieceHasher(16 * 1024, { v2: true });
      h.update(Buffer.alloc(size, 7));
      const hashes = h.digest();
      for (const format of ['v1', 'hybrid'] as const) {
        for (const priv of [false, true]) {
          const { torrent } = buildTorrent({
            name: torrentName(key), length: size, hashes, format, private: priv, bucket: 'bkt', key,
            announce: 'http://127.0.0.1:1/announce', announceList: [['http://127.0.0.1:1/announce', 'http://b/announce']],
            urlList: [`http://127.0.0.1:1/bkt/${encodeURIComponent(key)}`, 'http://mirror/'],
            creationDate: 2 ** 40, createdBy: 'seedbucket/0.1.0',
          });
          assert.doesNotThrow(() => strictDecode(torrent), `${JSON.stringify(key)} ${size} ${format} ${priv}`);
        }
      }
    }
  }
});
