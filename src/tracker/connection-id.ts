/**
 * BEP 15 connection IDs: the first 8 bytes of HMAC-SHA256(secret, window ‖ client ip:port), where the
 * window is the current CONNECTION_ID_WINDOW_MS slot. Nothing is stored per client; an ID proves the
 * client received our connect response at that address recently (no spoofed-source announces).
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

  #id(window: number, ip: string, port: number): Buffer {
    return createHmac('sha256', this.#secret).update(`${window} ${ip} ${port}`).digest().subarray(0, 8);
  }

  issue(ip: string, port: number, now: number): Buffer {
    return this.#id(Math.floor(now / this.#windowMs), ip, port);
  }

  /** true if `id` was issued to ip:port in the current or the previous window */
  verify(id: Buffer, ip: string, port: number, now: number): boolean {
    if (id.length !== 8) return false;
    const window = Math.floor(now / this.#windowMs);
    return timingSafeEqual(id, this.#id(window, ip, port)) || timingSafeEqual(id, this.#id(window - 1, ip, port));
  }
}
