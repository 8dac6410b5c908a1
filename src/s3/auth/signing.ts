import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ALGORITHM, SERVICE, TERMINATOR } from './constants.ts';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmac(key: string | Uint8Array, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function deriveSigningKey(secretAccessKey: string, date: string, region: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), SERVICE), TERMINATOR);
}

export function credentialScope(date: string, region: string): string {
  return `${date}/${region}/${SERVICE}/${TERMINATOR}`;
}

export function stringToSign(amzDate: string, scope: string, canonicalRequest: string): string {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
}

const HEX_SIGNATURE = /^[0-9a-f]{64}$/;

/** Computes HMAC(signingKey, text) and compares it with the provided hex signature in constant time. */
export function signatureMatches(signingKey: Buffer, text: string, provided: string): boolean {
  const expected = hmac(signingKey, text);
  if (!HEX_SIGNATURE.test(provided)) return false;
  return timingSafeEqual(expected, Buffer.from(provided, 'hex'));
}
