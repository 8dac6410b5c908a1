/**
 * Tracker tokens for private torrents: the announce URL carries `?token=…`, which binds an account to one
 * info-hash until an expiry.
 *
 * token = base64url(payload ‖ HMAC-SHA256(secret, DOMAIN ‖ infoHash ‖ payload))
 * payload = version (1 byte) ‖ expiresAt (uint32, Unix seconds) ‖ accountId (UTF-8)
 *
 * The info-hash is signed but not carried: the announce names it, so a token presented for any other
 * info-hash fails the signature check. Expiry has one-second granularity (rounded up).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const VERSION = 1;
const DOMAIN = Buffer.from('seedbucket tracker token v1\0');
const MAC_BYTES = 32;
const HEADER_BYTES = 5;
const MAX_ACCOUNT_BYTES = 255;

export interface TrackerTokenClaims {
  infoHash: Buffer;
  accountId: string;
  /** ms since the epoch, like Date.now() */
  expiresAt: number;
}

export type TokenVerdict = { ok: true; accountId: string; expiresAt: number } | { ok: false; reason: string };

function mac(secret: string | Buffer, infoHash: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', secret).update(DOMAIN).update(infoHash).update(payload).digest();
}

export function signTrackerToken(claims: TrackerTokenClaims, secret: string | Buffer): string {
  if (claims.infoHash.length !== 20) throw new RangeError('infoHash must be 20 bytes');
  const account = Buffer.from(claims.accountId, 'utf8');
  if (account.length === 0 || account.length > MAX_ACCOUNT_BYTES) throw new RangeError('accountId must be 1..255 bytes');
  const seconds = Math.ceil(claims.expiresAt / 1000);
  if (!(seconds > 0 && seconds <= 0xffffffff)) throw new RangeError('expiresAt out of range');
  const payload = Buffer.allocUnsafe(HEADER_BYTES + account.length);
  payload[0] = VERSION;
  payload.writeUInt32BE(seconds, 1);
  account.copy(payload, HEADER_BYTES);
  return Buffer.concat([payload, mac(secret, claims.infoHash, payload)]).toString('base64url');
}

export function verifyTrackerToken(token: string | undefined, infoHash: Buffer, secret: string | Buffer, now: number = Date.now()): TokenVerdict {
  if (token === undefined || token === '') return { ok: false, reason: 'private torrent: announce URL has no token' };
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return { ok: false, reason: 'private torrent: malformed token' };
  const raw = Buffer.from(token, 'base64url');
  if (raw.length < HEADER_BYTES + 1 + MAC_BYTES || raw[0] !== VERSION) return { ok: false, reason: 'private torrent: malformed token' };
  const payload = raw.subarray(0, raw.length - MAC_BYTES);
  const expected = mac(secret, infoHash, payload);
  if (!timingSafeEqual(raw.subarray(raw.length - MAC_BYTES), expected)) {
    return { ok: false, reason: 'private torrent: token not valid for this torrent' };
  }
  const expiresAt = payload.readUInt32BE(1) * 1000;
  if (now >= expiresAt) return { ok: false, reason: 'private torrent: token expired' };
  return { ok: true, accountId: payload.toString('utf8', HEADER_BYTES), expiresAt };
}
