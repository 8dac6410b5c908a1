/**
 * BEP 15 over UDP sockets: the connect handshake with stateless connection IDs, then announce/scrape
 * through the tracker. IPv4 sockets hand out IPv4 peers, IPv6 sockets IPv6 peers (the entry size is
 * implied by the socket's family).
 */
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { ConnectionIds } from './connection-id.ts';
import { ACTION_CONNECT, parseUdpRequest } from './parse-udp.ts';
import {
  TrackerFailure, type AnnounceRequest, type AnnounceResponse, type PeerFamily, type ScrapeRequest, type SwarmCounts,
} from './types.ts';
import { encodeUdpAnnounce, encodeUdpConnect, encodeUdpError, encodeUdpScrape } from './udp-response.ts';

export interface UdpTrackerCore {
  announce(request: AnnounceRequest, family: PeerFamily): AnnounceResponse;
  /** one entry per requested info-hash, in order (zeros for unknown or unauthorized ones) */
  scrapeCounts(request: ScrapeRequest): SwarmCounts[];
}

export interface UdpTransportCounters {
  connects: number;
  refusedConnectionIds: number;
  /** error packets other than refused connection IDs */
  failures: number;
}

export class UdpTransport {
  readonly #sockets: dgram.Socket[] = [];
  readonly counters: UdpTransportCounters = { connects: 0, refusedConnectionIds: 0, failures: 0 };

  constructor(
    private readonly core: UdpTrackerCore,
    private readonly ids: ConnectionIds,
    private readonly now: () => number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * IPv4 host → one udp4 socket; IPv6 literal → one udp6 socket (IPv6 only); `::` or no host → udp4 on
   * 0.0.0.0 plus udp6 on `::` with ipv6Only, skipped when the machine has no IPv6. (Binding a udp6 socket
   * to an IPv4 address is the bittorrent-tracker `bind EINVAL` bug: never done here.)
   */
  async bind(port: number, host: string | undefined): Promise<void> {
    const family = host === undefined ? 0 : isIP(host);
    try {
      if (host === undefined || host === '::') {
        await this.#open('udp4', port, '0.0.0.0');
        await this.#open('udp6', port, '::').catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EAFNOSUPPORT' && err.code !== 'EADDRNOTAVAIL') throw err;
        });
      } else if (family === 6) {
        await this.#open('udp6', port, host);
      } else {
        await this.#open('udp4', port, host);
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  #open(type: 'udp4' | 'udp6', port: number, address: string): Promise<void> {
    const socket = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ port, address, exclusive: true }, () => {
        socket.off('error', reject);
        socket.on('error', this.onError);
        socket.on('message', (msg, rinfo) => this.#onMessage(socket, type === 'udp6', msg, rinfo));
        this.#sockets.push(socket);
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    const sockets = this.#sockets.splice(0);
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  #onMessage(socket: dgram.Socket, ipv6: boolean, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < 16) return;
    const transactionId = msg.readUInt32BE(12);
    const reply = (packet: Buffer): void => socket.send(packet, rinfo.port, rinfo.address);
    const now = this.now();
    // the connection ID is checked before anything else is parsed: a spoofed source learns nothing
    if (msg.readUInt32BE(8) !== ACTION_CONNECT && !this.ids.verify(msg.subarray(0, 8), rinfo.address, now)) {
      this.counters.refusedConnectionIds++;
      reply(encodeUdpError(transactionId, 'bad connection id'));
      return;
    }
    try {
      const request = parseUdpRequest(msg, rinfo.address);
      if (request === undefined) return;
      if (request.action === 'connect') {
        this.counters.connects++;
        reply(encodeUdpConnect(transactionId, this.ids.issue(rinfo.address, now)));
      } else if (request.action === 'announce') {
        reply(encodeUdpAnnounce(transactionId, this.core.announce(request.announce, ipv6 ? 'ipv6' : 'ipv4'), ipv6));
      } else {
        reply(encodeUdpScrape(transactionId, this.core.scrapeCounts(request.scrape)));
      }
    } catch (err) {
      this.counters.failures++;
      if (err instanceof TrackerFailure) reply(encodeUdpError(transactionId, err.message));
      else {
        this.onError(err);
        reply(encodeUdpError(transactionId, 'internal error'));
      }
    }
  }
}
