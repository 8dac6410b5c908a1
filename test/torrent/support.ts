/** Shared test support: seeded chunk splitting, reference hashes written independently of src/, oracles. */
import { createHash, randomBytes } from 'node:crypto';
import type { PieceHashes } from '../../src/meta/types.ts';
import { rootFromPieceLayer } from '../../src/torrent/merkle.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** deterministic PRNG (mulberry32) so a failing split can be reproduced from the seed in the test name */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** splits buf into random-sized chunks (1 byte .. ~3 × maxChunk, with some empty chunks) */
export function* randomChunks(buf: Buffer, seed: number, maxChunk = 40 * KiB): Generator<Buffer> {
  const rand = rng(seed);
  let pos = 0;
  while (pos < buf.length) {
    const r = rand();
    const size = r < 0.05 ? 0 : r < 0.3 ? 1 + Math.floor(rand() * 100) : 1 + Math.floor(rand() * maxChunk * 3);
    yield buf.subarray(pos, Math.min(buf.length, pos + size));
    pos += size;
  }
}

export function data(size: number): Buffer {
  return randomBytes(size);
}

const sha1 = (b: Buffer): Buffer => createHash('sha1').update(b).digest();
const sha256 = (b: Buffer): Buffer => createHash('sha256').update(b).digest();

export function refV1Pieces(buf: Buffer, pieceLength: number): Buffer {
  const out: Buffer[] = [];
  for (let o = 0; o < buf.length; o += pieceLength) out.push(sha1(buf.subarray(o, o + pieceLength)));
  return Buffer.concat(out);
}

/** plain recursive merkle root over `hashes` padded with `pad` to `width` leaves */
function merkle(hashes: Buffer[], width: number, pad: Buffer): Buffer {
  if (width === 1) return hashes[0] ?? pad;
  const half = width / 2;
  const left = merkle(hashes.slice(0, half), half, pad);
  const right = merkle(hashes.slice(half), half, pad);
  return sha256(Buffer.concat([left, right]));
}

function zeroRoot(width: number): Buffer {
  return merkle([], width, Buffer.alloc(32));
}

const pow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

/** BEP 52 reference: piece layer (each piece padded to full width) and pieces root, straight from the spec text */
export function refV2(buf: Buffer, pieceLength: number): { pieceLayer: Buffer; piecesRoot?: Buffer } {
  const leaves: Buffer[] = [];
  for (let o = 0; o < buf.length; o += 16 * KiB) leaves.push(sha256(buf.subarray(o, o + 16 * KiB)));
  const perPiece = pieceLength / (16 * KiB);
  const layer: Buffer[] = [];
  for (let i = 0; i < leaves.length; i += perPiece) {
    layer.push(merkle(leaves.slice(i, i + perPiece), perPiece, Buffer.alloc(32)));
  }
  if (layer.length === 0) return { pieceLayer: Buffer.alloc(0) };
  const piecesRoot = layer.length === 1
    ? merkle(leaves, pow2(leaves.length), Buffer.alloc(32))
    : merkle(layer, pow2(layer.length), zeroRoot(perPiece));
  return { pieceLayer: Buffer.concat(layer), piecesRoot };
}

/** hashes of the right shape for a `length`-byte object without hashing it (for huge lengths) */
export function fakeHashes(length: number, pieceLength: number): PieceHashes {
  const count = Math.ceil(length / pieceLength);
  const pieceLayer = randomBytes(32 * count);
  return { pieceLength, pieces: randomBytes(20 * count), pieceLayer, piecesRoot: rootFromPieceLayer(pieceLayer, pieceLength) };
}

// ---- external tools -------------------------------------------------------------------------------

export const DEBIAN_PYTHON = '/usr/bin/python3';
export const LT_ORACLE = fileURLToPath(new URL('./lt-oracle.py', import.meta.url));

function works(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

export const tools = {
  libtorrent: works(DEBIAN_PYTHON, ['-c', 'import libtorrent']),
  transmissionShow: works('transmission-show', ['--version']),
};

/**
 * True if the tool is there. Otherwise the test fails under CI (the Debian package must be installed
 * there) and is skipped, with the reason, elsewhere.
 */
export function haveTool(t: TestContext, available: boolean, debianPackage: string): boolean {
  if (available) return true;
  const reason = `needs Debian package ${debianPackage} (apt-get install -y ${debianPackage})`;
  if (process.env.CI) assert.fail(`CI is set but ${reason}`);
  t.skip(reason);
  return false;
}

export function ltOracle<T = Record<string, unknown>>(...args: string[]): T {
  const r = spawnSync(DEBIAN_PYTHON, [LT_ORACLE, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`lt-oracle ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
