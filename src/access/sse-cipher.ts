import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Transform } from 'node:stream';
import type { SseCustomerKey } from './sse-c-headers.ts';

const BLOCK = 16;
const HKDF_INFO = 'seedbucket sse-c aes-256-ctr v1';

/** A fresh IV for every run of bytes encrypted: never encrypt two different plaintexts under one (key, IV). */
export function newSseIv(): Buffer {
  return randomBytes(BLOCK);
}

/** iv + blocks as one 128-bit big-endian counter, wrapping as OpenSSL's CTR mode does. */
export function counterAt(iv: Buffer, blocks: bigint): Buffer {
  const sum = (BigInt(`0x${iv.toString('hex')}`) + blocks) % (1n << 128n);
  return Buffer.from(sum.toString(16).padStart(32, '0'), 'hex');
}

/**
 * AES-256-CTR over a run of bytes, positioned at byte `startOffset` of that run, so a range read
 * decrypts from its first byte. CTR makes encryption and decryption the same operation. The AES key is
 * derived from the customer key and the IV (HKDF-SHA256), so counters of different IVs can never overlap
 * under one key. The key must already have been checked against the record (checkSseCustomerKey).
 */
export function createSseCipher(k: SseCustomerKey, iv: Buffer, startOffset = 0): Transform {
  if (k.key.length !== 32) throw new RangeError('SSE-C key must be 32 bytes');
  if (iv.length !== BLOCK) throw new RangeError('SSE-C IV must be 16 bytes');
  if (!Number.isSafeInteger(startOffset) || startOffset < 0) throw new RangeError('startOffset must be a non-negative integer');
  const dataKey = Buffer.from(hkdfSync('sha256', k.key, iv, HKDF_INFO, 32));
  const cipher = createCipheriv('aes-256-ctr', dataKey, counterAt(iv, BigInt(Math.floor(startOffset / BLOCK))));
  const skip = startOffset % BLOCK;
  if (skip > 0) cipher.update(Buffer.alloc(skip));
  return cipher;
}
