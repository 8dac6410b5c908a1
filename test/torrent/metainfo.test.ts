import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { PieceHashes } from '../../src/meta/types.ts';
import { buildTorrent, infoHashesOf, type TorrentInput } from '../../src/torrent/metainfo.ts';
import { PieceHasher } from '../../src/torrent/piece-hasher.ts';
import { pieceLengthFor } from '../../src/torrent/piece-length.ts';
import { bkey, rawValue, strictDecode } from '../helpers/strict-bdecode.ts';
import { KiB, MiB, data, fakeHashes } from './support.ts';

type D = Map<string, unknown>;
const dict = (v: unknown): D => {
  assert.ok(v instanceof Map, 'expected a dict');
  return v as D;
};

function hashed(buf: Buffer, pieceLength: number, v2: boolean): PieceHashes {
  const h = new PieceHasher(pieceLength, { v2 });
  h.update(buf);
  return h.digest();
}

function input(over: Partial<TorrentInput> & Pick<TorrentInput, 'length' | 'hashes'>): TorrentInput {
  return {
    name: 'c.txt', format: 'v1', private: false, bucket: 'bkt', key: 'a/b/c.txt',
    creationDate: 1_700_000_000, createdBy: 'seedbucket/0.1.0', ...over,
  };
}

test('v1: exact key set, values, info hash = SHA-1 of the embedded info bytes', () => {
  const buf = data(600 * KiB + 5);
  const hashes = hashed(buf, 256 * KiB, false);
  const built = buildTorrent(input({
    length: buf.length, hashes, announce: 'http://127.0.0.1:9000/announce',
    announceList: [['http://127.0.0.1:9000/announce'], ['http://t2/announce']], urlList: ['http://127.0.0.1:9000/bkt/a/b/c.txt'],
  }));
  const top = dict(strictDecode(built.torrent));
  assert.deepEqual([...top.keys()], ['announce', 'announce-list', 'created by', 'creation date', 'info', 'url-list']);
  assert.deepEqual(top.get('announce'), Buffer.from('http://127.0.0.1:9000/announce'));
  assert.deepEqual(top.get('announce-list'), [[Buffer.from('http://127.0.0.1:9000/announce')], [Buffer.from('http://t2/announce')]]);
  assert.deepEqual(top.get('url-list'), [Buffer.from('http://127.0.0.1:9000/bkt/a/b/c.txt')]);
  assert.deepEqual(top.get('created by'), Buffer.from('seedbucket/0.1.0'));
  assert.equal(top.get('creation date'), 1_700_000_000);
  const info = dict(top.get('info'));
  assert.deepEqual([...info.keys()], ['length', 'name', 'piece length', 'pieces', 'x-amz-bucket', 'x-amz-key']);
  assert.equal(info.get('length'), buf.length);
  assert.deepEqual(info.get('name'), Buffer.from('c.txt'));
  assert.equal(info.get('piece length'), 256 * KiB);
  assert.deepEqual(info.get('pieces'), hashes.pieces);
  assert.equal((info.get('pieces') as Buffer).length, 20 * 3);
  assert.deepEqual(info.get('x-amz-bucket'), Buffer.from('bkt'));
  assert.deepEqual(info.get('x-amz-key'), Buffer.from('a/b/c.txt'));
  assert.deepEqual(built.infoHash, createHash('sha1').update(rawValue(built.torrent, 'info')).digest());
  assert.equal(built.infoHashV2, undefined);
});

test('optional keys are omitted; private: 1 only when private', () => {
  const hashes = hashed(data(10), 256 * KiB, false);
  const bare = dict(strictDecode(buildTorrent(input({ length: 10, hashes, announceList: [], urlList: [] })).torrent));
  assert.deepEqual([...bare.keys()], ['created by', 'creation date', 'info']);
  assert.equal(dict(bare.get('info')).has('private'), false);
  const priv = dict(strictDecode(buildTorrent(input({ length: 10, hashes, private: true })).torrent));
  assert.equal(dict(priv.get('info')).get('private'), 1);
});

test('hybrid: meta version, file tree, piece layers only above one piece, SHA-256 info hash', () => {
  const P = 64 * KiB;
  for (const size of [0, 1, P, P + 1, 5 * P + 3]) {
    const buf = data(size);
    const hashes = hashed(buf, P, true);
    const name = 'emoji 😀.bin';
    const built = buildTorrent(input({ name, length: size, hashes, format: 'hybrid' }));
    const top = dict(strictDecode(built.torrent));
    const info = dict(top.get('info'));
    assert.deepEqual([...info.keys()], ['file tree', 'length', 'meta version', 'name', 'piece length', 'pieces', 'x-amz-bucket', 'x-amz-key']);
    assert.equal(info.get('meta version'), 2);
    assert.deepEqual(info.get('name'), Buffer.from(name));
    const tree = dict(info.get('file tree'));
    assert.deepEqual([...tree.keys()], [bkey(name)]);
    const file = dict(dict(tree.get(bkey(name))).get(''));
    assert.equal(file.get('length'), size);
    if (size === 0) {
      assert.equal(file.has('pieces root'), false);
      assert.deepEqual(info.get('pieces'), Buffer.alloc(0));
    } else {
      assert.deepEqual(file.get('pieces root'), hashes.piecesRoot);
    }
    if (size > P) {
      const layers = dict(top.get('piece layers'));
      assert.deepEqual([...layers.keys()], [hashes.piecesRoot!.toString('latin1')]);
      assert.deepEqual(layers.get(hashes.piecesRoot!.toString('latin1')), hashes.pieceLayer);
    } else {
      assert.equal(top.has('piece layers'), false, `size ${size}`);
    }
    const raw = rawValue(built.torrent, 'info');
    assert.deepEqual(built.infoHash, createHash('sha1').update(raw).digest());
    assert.deepEqual(built.infoHashV2, createHash('sha256').update(raw).digest());
    assert.equal(built.infoHashV2!.length, 32);
  }
});

test('lengths beyond 2^32: a 6 GiB object encodes exactly', () => {
  const length = 6 * 1024 * MiB + 12345;
  const pieceLength = pieceLengthFor(length);
  const hashes = fakeHashes(length, pieceLength);
  for (const format of ['v1', 'hybrid'] as const) {
    const top = dict(strictDecode(buildTorrent(input({ length, hashes, format })).torrent));
    const info = dict(top.get('info'));
    assert.equal(info.get('length'), length);
    assert.equal((info.get('pieces') as Buffer).length, 20 * Math.ceil(length / pieceLength));
  }
});

test('size of a 5 GB v1 torrent is about 26 KB', () => {
  const length = 5 * 1024 * MiB;
  const pieceLength = pieceLengthFor(length);
  assert.equal(pieceLength, 4 * MiB);
  const { torrent } = buildTorrent(input({ length, hashes: fakeHashes(length, pieceLength), urlList: ['http://127.0.0.1:1/b/k'] }));
  assert.ok(torrent.length > 25_600 && torrent.length < 26_500, `${torrent.length} bytes`);
});

test('infoHashesOf: same hashes as buildTorrent; info depends only on info fields', () => {
  const hashes = hashed(data(300 * KiB), 256 * KiB, true);
  const base = input({ length: 300 * KiB, hashes, format: 'hybrid' });
  const built = buildTorrent(base);
  const { announce: _a, announceList: _l, urlList: _u, creationDate: _c, createdBy: _b, ...infoOnly } = base;
  assert.deepEqual(infoHashesOf(infoOnly), { infoHash: built.infoHash, infoHashV2: built.infoHashV2 });
  const other = buildTorrent({ ...base, announce: 'http://x/announce', urlList: ['http://y/'], creationDate: 1, createdBy: 'z' });
  assert.deepEqual(other.infoHash, built.infoHash);
  assert.notDeepEqual(other.torrent, built.torrent);
  for (const change of [{ bucket: 'other' }, { key: 'other' }, { private: true }, { name: 'd.txt' }, { format: 'v1' as const }]) {
    assert.notDeepEqual(buildTorrent({ ...base, ...change }).infoHash, built.infoHash, JSON.stringify(change));
  }
  assert.deepEqual(Object.keys(infoHashesOf({ ...infoOnly, format: 'v1' })), ['infoHash']);
});

test('buildTorrent refuses inconsistent input', () => {
  const hashes = hashed(data(300 * KiB), 256 * KiB, true);
  const ok = input({ length: 300 * KiB, hashes, format: 'hybrid' });
  assert.doesNotThrow(() => buildTorrent(ok));
  const bad: Array<Partial<TorrentInput>> = [
    { length: 600 * KiB },
    { length: 10 },
    { length: -1 },
    { length: 1.5 },
    { name: '' },
    { name: 'a/b' },
    { name: 'a\u0000b' },
    { hashes: { ...hashes, piecesRoot: undefined } },
    { hashes: { ...hashes, pieceLayer: hashes.pieceLayer!.subarray(32) } },
    { hashes: { ...hashes, pieceLength: 100_000 } },
    { creationDate: 1.5 },
  ];
  for (const change of bad) assert.throws(() => buildTorrent({ ...ok, ...change }), Error, JSON.stringify(Object.keys(change)));
});
