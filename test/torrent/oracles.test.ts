/**
 * Our hashes and .torrent files against independent implementations: python3-libtorrent (creates torrents
 * from the same bytes, parses ours, and hash-checks the data with ours), transmission-show (v1) and the
 * npm parse-torrent package.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PieceHashes } from '../../src/meta/types.ts';
import { buildTorrent, type BuiltTorrent } from '../../src/torrent/metainfo.ts';
import { PieceHasher } from '../../src/torrent/piece-hasher.ts';
import { pieceLengthFor } from '../../src/torrent/piece-length.ts';
import { KiB, MiB, data, fakeHashes, haveTool, ltOracle, randomChunks, tools } from './support.ts';

interface LtParsed {
  v1: string | null; v2: string | null; name: string; total_size: number; piece_length: number; num_pieces: number;
  files: Array<{ path: string; size: number; root: string | null }>; v1_piece_hashes: string[];
  private: boolean; web_seeds: string[]; trackers: string[];
}
interface LtCreated { pieces: string; piece_length: number; pieces_root?: string | null; piece_layer?: string | null }
interface LtChecked { load_error?: string; checked?: boolean; is_seeding?: boolean; num_pieces?: number; errors?: string[] }

interface ParsedTorrent {
  infoHash: string; name: string; length: number; pieceLength: number; pieces: string[];
  urlList: string[]; announce: string[]; private?: boolean;
}
// parse-torrent ships no types; a non-literal specifier keeps tsc from looking for them
const parseTorrentModule = 'parse-torrent';
const parseTorrent = (await import(parseTorrentModule)).default as (t: Uint8Array) => Promise<ParsedTorrent>;

const URL_SEED = 'http://127.0.0.1:9/bkt/obj';
const ANNOUNCE = 'http://127.0.0.1:9/announce';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'seedbucket-torrent-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

interface Case { size: number; name: string; buf: Buffer; hashes: PieceHashes; v1: BuiltTorrent; hybrid: BuiltTorrent; dataDir: string }

/** BEP 52-relevant sizes at 256 KiB pieces (what pieceLengthFor picks for all of them) */
const SIZES: Array<[string, number]> = [
  ['1 byte', 1],
  ['16 KiB', 16 * KiB],
  ['16 KiB + 1', 16 * KiB + 1],
  ['exactly one piece', 256 * KiB],
  ['one piece + 1', 256 * KiB + 1],
  ['3.5 pieces', 3.5 * 256 * KiB],
  ['5 MiB + 7', 5 * MiB + 7],
];

const cases = new Map<string, Case>();
function caseFor(label: string, size: number): Case {
  const existing = cases.get(label);
  if (existing) return existing;
  const buf = data(size);
  const pieceLength = pieceLengthFor(size);
  assert.equal(pieceLength, 256 * KiB);
  const hasher = new PieceHasher(pieceLength, { v2: true });
  for (const chunk of randomChunks(buf, size)) hasher.update(chunk);
  const hashes = hasher.digest();
  const name = size === 1 ? 'emoji 😀 ü.bin' : `obj-${size}.bin`;
  const dataDir = join(dir, `case-${size}`);
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, name), buf);
  const common = {
    name, length: size, hashes, private: false, bucket: 'bkt', key: `some/prefix/${name}`,
    announce: ANNOUNCE, urlList: [URL_SEED], creationDate: 1_763_700_000, createdBy: 'seedbucket/0.1.0',
  };
  const c: Case = {
    size, name, buf, hashes, dataDir,
    v1: buildTorrent({ ...common, format: 'v1' }),
    hybrid: buildTorrent({ ...common, format: 'hybrid' }),
  };
  writeFileSync(join(dir, `${size}.v1.torrent`), c.v1.torrent);
  writeFileSync(join(dir, `${size}.hybrid.torrent`), c.hybrid.torrent);
  cases.set(label, c);
  return c;
}

for (const [label, size] of SIZES) {
  test(`libtorrent makes the same v1 and v2 hashes from the same bytes: ${label}`, (t) => {
    if (!haveTool(t, tools.libtorrent, 'python3-libtorrent')) return;
    const c = caseFor(label, size);
    const file = join(c.dataDir, c.name);
    const lt1 = ltOracle<LtCreated>('create', file, String(c.hashes.pieceLength), 'v1');
    assert.equal(lt1.pieces, c.hashes.pieces.toString('hex'));
    const lt2 = ltOracle<LtCreated>('create', file, String(c.hashes.pieceLength), 'hybrid');
    assert.equal(lt2.pieces, c.hashes.pieces.toString('hex'));
    assert.equal(lt2.pieces_root, c.hashes.piecesRoot!.toString('hex'));
    if (size > c.hashes.pieceLength) assert.equal(lt2.piece_layer, c.hashes.pieceLayer!.toString('hex'));
    else assert.equal(lt2.piece_layer, null);
  });

  test(`libtorrent parses our torrents and accepts the data with them: ${label}`, (t) => {
    if (!haveTool(t, tools.libtorrent, 'python3-libtorrent')) return;
    const c = caseFor(label, size);
    const pieces = Math.ceil(size / c.hashes.pieceLength);
    for (const format of ['v1', 'hybrid'] as const) {
      const built = c[format];
      const path = join(dir, `${size}.${format}.torrent`);
      const p = ltOracle<LtParsed>('parse', path);
      assert.equal(p.v1, built.infoHash.toString('hex'));
      assert.equal(p.v2, format === 'hybrid' ? built.infoHashV2!.toString('hex') : null);
      assert.equal(p.name, c.name);
      assert.equal(p.total_size, size);
      assert.equal(p.piece_length, c.hashes.pieceLength);
      assert.equal(p.num_pieces, pieces);
      assert.deepEqual(p.files.map((f) => [f.path, f.size]), [[c.name, size]]);
      if (format === 'hybrid') assert.equal(p.files[0]!.root, c.hashes.piecesRoot!.toString('hex'));
      assert.deepEqual(p.v1_piece_hashes.join(''), c.hashes.pieces.toString('hex'));
      assert.equal(p.private, false);
      assert.deepEqual(p.web_seeds, [URL_SEED]);
      assert.deepEqual(p.trackers, [ANNOUNCE]);
      const check = ltOracle<LtChecked>('check', path, c.dataDir);
      assert.deepEqual(check, { checked: true, state: 'seeding', is_seeding: true, num_pieces: pieces, total_wanted_done: size, errors: [] }, format);
    }
  });

  test(`parse-torrent reads our torrents: ${label}`, async () => {
    const c = caseFor(label, size);
    for (const format of ['v1', 'hybrid'] as const) {
      const p = await parseTorrent(c[format].torrent);
      assert.equal(p.infoHash, c[format].infoHash.toString('hex'), format);
      assert.equal(p.name, c.name);
      assert.equal(p.length, size);
      assert.equal(p.pieceLength, c.hashes.pieceLength);
      assert.equal(p.pieces.join(''), c.hashes.pieces.toString('hex'));
      assert.deepEqual(p.urlList, [URL_SEED]);
      assert.deepEqual(p.announce, [ANNOUNCE]);
      assert.equal(p.private, undefined);
    }
  });

  test(`transmission-show accepts our v1 torrent: ${label}`, (t) => {
    if (!haveTool(t, tools.transmissionShow, 'transmission-cli')) return;
    const c = caseFor(label, size);
    const out = transmissionShow(join(dir, `${size}.v1.torrent`));
    assert.match(out, new RegExp(`^\\s*Hash: ${c.v1.infoHash.toString('hex')}$`, 'm'));
    assert.match(out, new RegExp(`^\\s*Name: ${escape(c.name)}$`, 'm'));
    assert.match(out, new RegExp(`^\\s*Piece Count: ${Math.ceil(size / c.hashes.pieceLength)}$`, 'm'));
    assert.match(out, new RegExp(`^\\s*${escape(URL_SEED)}$`, 'm'));
  });
}

test('a corrupted piece layer or v1 piece is caught by libtorrent (the check above can fail)', (t) => {
  if (!haveTool(t, tools.libtorrent, 'python3-libtorrent')) return;
  const c = caseFor('5 MiB + 7', 5 * MiB + 7);
  const layer = Buffer.from(c.hashes.pieceLayer!);
  layer[5] = layer[5]! ^ 1;
  const pieces = Buffer.from(c.hashes.pieces);
  pieces[45] = pieces[45]! ^ 1;
  const base = { name: c.name, length: c.size, private: false, bucket: 'b', key: 'k', creationDate: 1, createdBy: 'x' };
  const badLayer = join(dir, 'bad-layer.torrent');
  writeFileSync(badLayer, buildTorrent({ ...base, format: 'hybrid', hashes: { ...c.hashes, pieceLayer: layer } }).torrent);
  assert.match(ltOracle<LtChecked>('check', badLayer, c.dataDir).load_error ?? '', /piece layer/);
  const badPiece = join(dir, 'bad-piece.torrent');
  writeFileSync(badPiece, buildTorrent({ ...base, format: 'v1', hashes: { ...c.hashes, pieces } }).torrent);
  const checked = ltOracle<LtChecked>('check', badPiece, c.dataDir);
  assert.equal(checked.is_seeding, false);
  assert.equal(checked.num_pieces, Math.ceil(c.size / c.hashes.pieceLength) - 1);
});

const BIG_LENGTH = 6 * 1024 * MiB + 5;
const bigHashes = fakeHashes(BIG_LENGTH, pieceLengthFor(BIG_LENGTH));
const bigBase = { name: 'big.bin', length: BIG_LENGTH, hashes: bigHashes, private: true, bucket: 'b', key: 'big.bin', creationDate: 1, createdBy: 'x', announce: ANNOUNCE };
const big = { v1: buildTorrent({ ...bigBase, format: 'v1' }), hybrid: buildTorrent({ ...bigBase, format: 'hybrid' }) };

test('lengths beyond 2^32: parse-torrent reads a 6 GiB torrent right', async () => {
  for (const built of [big.v1, big.hybrid]) {
    const p = await parseTorrent(built.torrent);
    assert.equal(p.length, BIG_LENGTH);
    assert.equal(p.private, true);
    assert.equal(p.infoHash, built.infoHash.toString('hex'));
  }
});

test('lengths beyond 2^32: libtorrent reads a 6 GiB torrent right', (t) => {
  if (!haveTool(t, tools.libtorrent, 'python3-libtorrent')) return;
  for (const format of ['v1', 'hybrid'] as const) {
    const path = join(dir, `big.${format}.torrent`);
    writeFileSync(path, big[format].torrent);
    const p = ltOracle<LtParsed>('parse', path);
    assert.equal(p.total_size, BIG_LENGTH);
    assert.equal(p.num_pieces, bigHashes.pieces.length / 20);
    assert.equal(p.private, true);
    assert.equal(p.v1, big[format].infoHash.toString('hex'));
    if (format === 'hybrid') assert.equal(p.v2, big.hybrid.infoHashV2!.toString('hex'));
  }
});

test('lengths beyond 2^32: transmission-show reads a 6 GiB v1 torrent right', (t) => {
  if (!haveTool(t, tools.transmissionShow, 'transmission-cli')) return;
  const path = join(dir, 'big.v1.transmission.torrent');
  writeFileSync(path, big.v1.torrent);
  const out = transmissionShow(path);
  assert.match(out, /^\s*Total Size: 6\.44 GB$/m);
  assert.match(out, /^\s*Privacy: Private torrent$/m);
  assert.match(out, new RegExp(`^\\s*Piece Count: ${bigHashes.pieces.length / 20}$`, 'm'));
});

function transmissionShow(path: string): string {
  const r = spawnSync('transmission-show', [path], { encoding: 'utf8' });
  assert.equal(r.status, 0, `transmission-show failed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
