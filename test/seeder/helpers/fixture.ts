/**
 * A torrent over a random file, without any S3 server: the file, its .torrent (buildTorrent + PieceHasher,
 * as GetObjectTorrent makes them), the SeedableTorrent the seeder serves, and a TorrentLookup over a set of them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { req2Hash } from '../../../src/seeder/req2.ts';
import type { SeedableTorrent, TorrentLookup } from '../../../src/seeder/types.ts';
import { buildTorrent } from '../../../src/torrent/metainfo.ts';
import { PieceHasher } from '../../../src/torrent/piece-hasher.ts';
import { rawValue } from '../../helpers/strict-bdecode.ts';

export const KiB = 1024;
export const MiB = 1024 * KiB;

export interface Fixture {
  name: string;
  file: string;
  size: number;
  pieceLength: number;
  /** the .torrent file (written next to the data) */
  torrentFile: string;
  torrentBytes: Buffer;
  infoHash: Buffer;
  infoHashV2?: Buffer;
  info: Buffer;
  /** sha1 of the whole file, hex */
  sha1: string;
  seedable: SeedableTorrent;
  /** number of read() calls the seeder made */
  reads: { calls: number; bytes: number };
  close(): Promise<void>;
}

export interface FixtureOptions {
  pieceLength?: number;
  private?: boolean;
  format?: 'v1' | 'hybrid';
  announce?: string;
  name?: string;
}

/** writes `size` random bytes to dir/name and builds its torrent */
export async function makeFixture(dir: string, size: number, opts: FixtureOptions = {}): Promise<Fixture> {
  const pieceLength = opts.pieceLength ?? 256 * KiB;
  const name = opts.name ?? `obj-${randomBytes(4).toString('hex')}.bin`;
  const file = path.join(dir, name);
  const hasher = new PieceHasher(pieceLength, { v2: opts.format === 'hybrid' });
  const sha1 = createHash('sha1');
  const out = await open(file, 'w');
  try {
    for (let off = 0; off < size; off += MiB) {
      const chunk = randomBytes(Math.min(MiB, size - off));
      hasher.update(chunk);
      sha1.update(chunk);
      await out.write(chunk);
    }
  } finally {
    await out.close();
  }
  const built = buildTorrent({
    name, length: size, hashes: hasher.digest(), format: opts.format ?? 'v1', private: opts.private ?? false,
    bucket: 'bucket', key: name, announce: opts.announce, creationDate: 1_700_000_000, createdBy: 'seedbucket/test',
  });
  const torrentFile = `${file}.torrent`;
  await writeFile(torrentFile, built.torrent);
  const fh: FileHandle = await open(file, 'r');
  const reads = { calls: 0, bytes: 0 };
  const seedable: SeedableTorrent = {
    infoHash: built.infoHash,
    infoHashV2: built.infoHashV2,
    info: Buffer.from(rawValue(built.torrent, 'info')),
    length: size,
    pieceLength,
    pieceCount: Math.ceil(size / pieceLength),
    private: opts.private ?? false,
    async read(offset, length) {
      reads.calls++;
      reads.bytes += length;
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    },
  };
  return {
    name, file, size, pieceLength, torrentFile, torrentBytes: built.torrent, infoHash: built.infoHash,
    infoHashV2: built.infoHashV2, info: seedable.info, sha1: sha1.digest('hex'), seedable, reads,
    close: () => fh.close(),
  };
}

/** a TorrentLookup over fixtures; options switch the optional hooks on */
export class TestLookup implements TorrentLookup {
  readonly torrents = new Map<string, SeedableTorrent>();
  finds = 0;
  findByReq2?: TorrentLookup['findByReq2'];
  mayServe?: TorrentLookup['mayServe'];
  leechers?: TorrentLookup['leechers'];

  constructor(list: SeedableTorrent[], opts: { req2?: boolean } = {}) {
    for (const t of list) this.add(t);
    if (opts.req2 !== false) {
      this.findByReq2 = async (req2: Buffer) => {
        for (const t of this.torrents.values()) {
          if (req2Hash(t.infoHash).equals(req2) || (t.infoHashV2 && req2Hash(t.infoHashV2.subarray(0, 20)).equals(req2))) return t;
        }
        return undefined;
      };
    }
  }

  add(t: SeedableTorrent): void {
    this.torrents.set(t.infoHash.toString('hex'), t);
    if (t.infoHashV2) this.torrents.set(t.infoHashV2.subarray(0, 20).toString('hex'), t);
  }

  remove(t: SeedableTorrent): void {
    this.torrents.delete(t.infoHash.toString('hex'));
    if (t.infoHashV2) this.torrents.delete(t.infoHashV2.subarray(0, 20).toString('hex'));
  }

  async find(infoHash20: Buffer): Promise<SeedableTorrent | undefined> {
    this.finds++;
    return this.torrents.get(infoHash20.toString('hex'));
  }
}

export async function sha1File(file: string): Promise<string> {
  const h = createHash('sha1');
  const fh = await open(file, 'r');
  try {
    for await (const c of fh.createReadStream({ highWaterMark: MiB })) h.update(c as Buffer);
  } finally {
    await fh.close().catch(() => {});
  }
  return h.digest('hex');
}

export function magnetOf(infoHash: Buffer, name?: string): string {
  return `magnet:?xt=urn:btih:${infoHash.toString('hex')}${name ? `&dn=${encodeURIComponent(name)}` : ''}`;
}
