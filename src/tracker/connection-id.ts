/**
 * BEP 15 connection IDs: the first 8 bytes of HMAC-SHA256(secret, window ‖ client IP), where the window
 * is the current CONNECTION_ID_WINDOW_MS slot. Nothing is stored per client; an ID proves the client
 * received our connect response at that IP recently (no spoofed-source announces).
 *
 * Bound to the IP, not ip:port (as opentracker does): libtorrent keeps one process-wide connection-ID
 * cache keyed by tracker address, and announces from each session's / listen socket's own port, so an
 * ip:port-bound ID is refused for every socket but the one that connected (seen with two sessions in one
 * process). The source port adds nothing against spoofing, which is about the source address.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CONNECTION_ID_WINDOW_MS } from './limits.ts';

export class ConnectionIds {
  readonly #secret: Buffer;
  readonly #windowMs: number;

  constructor(secret: Buffer = randomBytes(32), windowMs = CONNECTION_ID_WINDOW_MS) {
    this.#secret = secret;
    this.#windowMs = windowMs;
  }

  #id(window: number, ip: string): Buffer {
    return createHmac('sha256', this.#secret).update(`${window} ${ip}`).digest().subarray(0, 8);
  }

  issue(ip: string, now: number): Buffer {
    return this.#id(Math.floor(now / this.#windowMs), ip);
  }

  /** true if `id` was issued to `ip` in the current or the previous window */
  verify(id: Buffer, ip: string, now: number): boolean {
    if (id.length !== 8) return false;
    const window = Math.floor(now / this.#windowMs);
    return timingSafeEqual(id, this.#id(window, ip)) || timingSafeEqual(id, this.#id(window - 1, ip));
  }
}
