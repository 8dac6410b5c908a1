import { createHash } from 'node:crypto';
import { crc32, crc32c, type CrcUpdate } from './crc.ts';

export type ChecksumAlgorithm = 'CRC32' | 'CRC32C' | 'SHA1' | 'SHA256';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'SHA1', 'SHA256'];

/** Digest sizes in bytes. */
const DIGEST_LENGTH: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, SHA1: 20, SHA256: 32 };

/** Algorithms S3 knows that we do not implement; naming one gets a clear 400, not silence. */
export const UNSUPPORTED_ALGORITHMS: readonly string[] = ['CRC64NVME'];

export const checksumHeader = (algorithm: string): string => `x-amz-checksum-${algorithm.toLowerCase()}`;

export interface Digester { update(data: Uint8Array): void; digest(): Buffer }

function crcDigester(update: CrcUpdate): Digester {
  let crc = 0;
  return {
    update: (data) => { crc = update(crc, data); },
    digest: () => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc);
      return out;
    },
  };
}

function hashDigester(name: 'md5' | 'sha1' | 'sha256'): Digester {
  const hash = createHash(name);
  return { update: (data) => { hash.update(data); }, digest: () => hash.digest() };
}

export function digester(algorithm: ChecksumAlgorithm | 'MD5'): Digester {
  switch (algorithm) {
    case 'CRC32': return crcDigester(crc32);
    case 'CRC32C': return crcDigester(crc32c);
    case 'SHA1': return hashDigester('sha1');
    case 'SHA256': return hashDigester('sha256');
    case 'MD5': return hashDigester('md5');
  }
}

/** Strict base64 of exactly `length` bytes (canonical padding), else undefined. */
export function decodeBase64(value: string, length: number): Buffer | undefined {
  if (value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === length && bytes.toString('base64') === value ? bytes : undefined;
}

export function decodeChecksum(algorithm: ChecksumAlgorithm, value: string): Buffer | undefined {
  return decodeBase64(value, DIGEST_LENGTH[algorithm]);
}
