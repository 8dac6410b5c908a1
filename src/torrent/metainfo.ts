/** Canonical single-file .torrent metainfo: v1 (BEP 3) or hybrid v1+v2 (BEP 52). */
import { createHash } from 'node:crypto';
import type { PieceHashes } from '../meta/types.ts';
import { Encoded, bencode, type BDict, type BValue } from './bencode.ts';
import { HASH_SIZE } from './merkle.ts';
import { assertPieceLength } from './piece-grid-hasher.ts';

export interface TorrentInput {
  name: string;
  length: number;
  hashes: PieceHashes;
  format: 'v1' | 'hybrid';
  private: boolean;
  /** → info['x-amz-bucket'], info['x-amz-key'] (as AWS did) */
  bucket: string;
  key: string;
  /**
   * → info['x-seedbucket-version']: the object version the torrent describes, so every write of a key
   * (even of identical bytes) has its own info-hash and its own swarm
   */
  version?: string;
  announce?: string;
  announceList?: string[][];
  urlList?: string[];
  /** unix seconds */
  creationDate: number;
  /** 'seedbucket/<version>' */
  createdBy: string;
}

export interface BuiltTorrent {
  torrent: Buffer;
  /** v1 SHA-1 of the info dict, 20 bytes */
  infoHash: Buffer;
  /** SHA-256 of the info dict, 32 bytes (hybrid only) */
  infoHashV2?: Buffer;
}

export type InfoInput = Omit<TorrentInput, 'announce' | 'announceList' | 'urlList' | 'creationDate' | 'createdBy'>;

export function buildTorrent(input: TorrentInput): BuiltTorrent {
  const info = encodeInfo(input);
  const top: Record<string, BValue | undefined> = {
    announce: input.announce,
    'announce-list': input.announceList?.length ? input.announceList : undefined,
    'created by': input.createdBy,
    'creation date': input.creationDate,
    info: new Encoded(info),
    'piece layers': pieceLayers(input),
    'url-list': input.urlList?.length ? input.urlList : undefined,
  };
  return { torrent: bencode(top), ...hashesOf(info, input.format) };
}

/** the bencoded info dict (what BEP 9 ut_metadata serves), and its hashes */
export function encodeInfoDict(input: InfoInput): { info: Buffer; infoHash: Buffer; infoHashV2?: Buffer } {
  const info = encodeInfo(input);
  return { info, ...hashesOf(info, input.format) };
}

/** the info dict alone and its hashes — info depends only on name/length/hashes/format/private/bucket/key */
export function infoHashesOf(input: InfoInput): { infoHash: Buffer; infoHashV2?: Buffer } {
  return hashesOf(encodeInfo(input), input.format);
}

function hashesOf(info: Buffer, format: TorrentInput['format']): { infoHash: Buffer; infoHashV2?: Buffer } {
  const infoHash = createHash('sha1').update(info).digest();
  if (format !== 'hybrid') return { infoHash };
  return { infoHash, infoHashV2: createHash('sha256').update(info).digest() };
}

function encodeInfo(input: InfoInput): Buffer {
  validate(input);
  const { name, length, hashes } = input;
  const info: Record<string, BValue | undefined> = {
    length,
    name,
    'piece length': hashes.pieceLength,
    pieces: hashes.pieces,
    private: input.private ? 1 : undefined,
    'x-amz-bucket': input.bucket,
    'x-amz-key': input.key,
    'x-seedbucket-version': input.version,
  };
  if (input.format === 'hybrid') {
    const file: BDict = { length, 'pieces root': length > 0 ? hashes.piecesRoot : undefined };
    info['file tree'] = new Map([[name, new Map([['', file]])]]);
    info['meta version'] = 2;
  }
  return bencode(info);
}

/** top-level `piece layers`: only for a hybrid file larger than one piece (BEP 52) */
function pieceLayers(input: TorrentInput): BDict | undefined {
  const { hashes, length } = input;
  if (input.format !== 'hybrid' || length <= hashes.pieceLength) return undefined;
  return new Map([[hashes.piecesRoot!, hashes.pieceLayer!]]);
}

function validate({ name, length, hashes, format }: InfoInput): void {
  if (name === '' || /[/\u0000]/.test(name)) throw new Error(`invalid torrent name ${JSON.stringify(name)}`);
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`invalid length ${length}`);
  assertPieceLength(hashes.pieceLength);
  const count = Math.ceil(length / hashes.pieceLength);
  if (hashes.pieces.length !== count * 20) {
    throw new Error(`pieces: ${hashes.pieces.length} bytes for ${count} pieces of ${hashes.pieceLength}`);
  }
  if (format !== 'hybrid' || length === 0) return;
  if (hashes.piecesRoot?.length !== HASH_SIZE) throw new Error('hybrid torrent needs a 32-byte piecesRoot');
  if (count > 1 && hashes.pieceLayer?.length !== count * HASH_SIZE) {
    throw new Error(`pieceLayer: ${hashes.pieceLayer?.length} bytes for ${count} pieces`);
  }
}
