/**
 * One TCP connection and its wire: byte plumbing in both directions with backpressure, the timers that
 * drop dead or hostile peers, and a single close path. What the bytes mean is the Peer's and Swarm's job.
 */
import type { Socket } from 'node:net';
import {
  HANDSHAKE_TIMEOUT_MS, IDLE_TIMEOUT_MS, INPUT_PAUSE_BACKLOG, WRITE_STALL_TIMEOUT_MS,
} from './limits.ts';
import { SeederWire } from './seeder-wire.ts';

/** send a keep-alive after this long without sending anything (clients drop silent peers after ~2 min) */
const KEEP_ALIVE_AFTER_MS = 60_000;

export class Connection {
  readonly ip: string;
  readonly port: number;
  readonly createdAt = Date.now();
  closed = false;
  reason: string | undefined;
  /** set once the BitTorrent handshake is done and a swarm took the connection */
  attached = false;
  /** the socket drained: more blocks may be read for this peer */
  onDrain: (() => void) | undefined;
  private readonly closeListeners: Array<(reason: string) => void> = [];
  private lastReceivedAt = Date.now();
  private lastSentAt = Date.now();
  private writtenMark = 0;
  private writtenMarkAt = Date.now();
  private inputPaused = false;
  private corked = false;

  /**
   * `remote`: the address dialed, for outgoing connections — their socket has no remote address until it
   * connects, and private torrents are served by address (Seeder.allowed).
   */
  constructor(readonly socket: Socket, readonly wire: SeederWire, remote?: { ip: string; port: number }) {
    this.ip = remote?.ip ?? unmap(socket.remoteAddress ?? '');
    this.port = remote?.port ?? socket.remotePort ?? 0;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.lastReceivedAt = Date.now();
      wire.write(chunk);
      if (!this.inputPaused && this.backlog() > INPUT_PAUSE_BACKLOG) {
        // the peer sends faster than it reads what we answer (rejects, haves): let TCP push back
        this.inputPaused = true;
        socket.pause();
      }
    });
    wire.on('data', (chunk: Uint8Array) => {
      if (this.closed) return;
      this.lastSentAt = Date.now();
      // one writev per tick instead of a syscall per message header and block
      if (!this.corked) {
        this.corked = true;
        socket.cork();
        process.nextTick(() => {
          this.corked = false;
          socket.uncork();
        });
      }
      socket.write(chunk);
    });
    socket.on('drain', () => {
      if (this.inputPaused && this.backlog() <= INPUT_PAUSE_BACKLOG / 2) {
        this.inputPaused = false;
        socket.resume();
      }
      this.onDrain?.();
    });
    socket.on('error', (e: Error) => this.close(`socket error: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    socket.on('end', () => this.close('peer closed'));
    socket.on('close', () => this.close('peer closed'));
    wire.on('violation', (why: string) => this.close(`protocol violation: ${why}`));
    // the library ends the wire itself on a bad handshake or a message the fast extension forbids
    wire.on('finish', () => this.close('protocol violation: wire ended'));
    wire.on('error', (e: Error) => this.close(`wire error: ${e.message}`));
  }

  /** bytes waiting to go out: in the wire's stream buffer and the socket's */
  backlog(): number {
    return this.socket.writableLength + this.wire.outputBuffered;
  }

  onClose(listener: (reason: string) => void): void {
    if (this.closed) listener(this.reason!);
    else this.closeListeners.push(listener);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.reason = reason;
    this.socket.destroy();
    this.wire.violate(reason); // stop parsing anything still buffered
    this.wire.destroy();
    for (const l of this.closeListeners.splice(0)) l(reason);
  }

  /** called about once a second: timeouts and keep-alives */
  tick(now: number): void {
    if (this.closed) return;
    if (!this.attached && now - this.createdAt > HANDSHAKE_TIMEOUT_MS) return this.close('handshake timeout');
    if (now - this.lastReceivedAt > IDLE_TIMEOUT_MS) return this.close('idle timeout');
    const written = this.socket.bytesWritten;
    if (this.backlog() === 0 || written !== this.writtenMark) {
      this.writtenMark = written;
      this.writtenMarkAt = now;
    } else if (now - this.writtenMarkAt > WRITE_STALL_TIMEOUT_MS) {
      return this.close('write stalled');
    }
    if (this.attached && now - this.lastSentAt > KEEP_ALIVE_AFTER_MS) this.wire.keepAlive();
  }
}

/** '::ffff:1.2.3.4' (an IPv4 peer on a dual-stack socket) → '1.2.3.4' */
export function unmap(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
