/**
 * Scenario 8, hostile peers against the real server's seeder port (raw sockets, from their own loopback
 * addresses): malformed and truncated handshakes, garbage where an MSE/PE handshake should be, unknown
 * info-hashes, oversized message lengths, requests past the end, 10,000 outstanding requests per peer and
 * peers that never read. Meanwhile the server stays up (S3 answers), its resident memory stays bounded
 * (/proc/<pid>/status VmRSS) and a python3-libtorrent download from the seeder completes with the right bytes.
 *
 * Also a hostile web-seed client: pipelined ranged GETs on one connection, then a hang-up.
 * Debian package: python3-libtorrent.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HeadObjectCommand, ListBucketsCommand } from '@aws-sdk/client-s3';
import { assertTool, skipUnlessCi, skipWithoutTool } from '../helpers/tools.ts';
import { BLOCK_CACHE_BYTES, INPUT_PAUSE_BACKLOG, WRITE_HIGH_WATER } from '../../src/seeder/limits.ts';
import { handshakeBytes, message } from '../seeder/helpers/seeder-env.ts';
import {
  MiB, PYTHON_LT, SCENARIO_MS, assertSameBytes, fetchTorrent, ltDownload, mib, putRandomObject, rewriteTorrent, sleep,
  startSwarmServer, waitUntil, workDir, type SwarmServer, type TestObject, type TorrentFile,
} from './helpers.ts';

const SIZE = 32 * MiB;
const BUCKET = 'swarm-hostile';
const KEY = 'target.bin';
const BLOCK = 16 * 1024;
/** heap and allocator slack on top of the seeder's own bounds */
const RSS_SLACK = 32 * MiB;

const MSG_INTERESTED = 2;
const MSG_REQUEST = 6;

interface Attacker { name: string; socket: net.Socket; received: () => number; closed: () => boolean }

/** one raw connection from `localAddress` that sends `payload` (all at once, or a function of the socket) */
function attack(port: number, localAddress: string, name: string, payload: Buffer | ((s: net.Socket) => void), opts: { read?: boolean } = {}): Attacker {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => {});
  let received = 0;
  let closed = false;
  socket.on('close', () => { closed = true; });
  socket.once('connect', () => {
    if (opts.read === false) socket.pause(); // a peer that never reads what it asked for
    if (typeof payload === 'function') payload(socket);
    else socket.write(payload);
  });
  if (opts.read !== false) socket.on('data', (c: Buffer) => { received += c.length; });
  return { name, socket, received: () => received, closed: () => closed };
}

/** `count` requests for 16 KiB blocks, cycling through the object, as one buffer */
function requests(count: number, pieceLength: number, pieceCount: number): Buffer {
  const out: Buffer[] = [];
  const perPiece = pieceLength / BLOCK;
  for (let i = 0; i < count; i++) {
    const block = i % (perPiece * pieceCount);
    out.push(message(MSG_REQUEST, Math.floor(block / perPiece), (block % perPiece) * BLOCK, BLOCK));
  }
  return Buffer.concat(out);
}

describe('scenario 8: hostile peers against the seeder port', () => {
  let dir: string;
  let s: SwarmServer;
  let o: TestObject;
  let t: TorrentFile;
  let pieceLength: number;
  const attackers: Attacker[] = [];

  before(async () => {
    dir = await workDir('hostile');
    s = await startSwarmServer();
    o = await putRandomObject(s.s3, dir, BUCKET, KEY, SIZE, { acl: 'public-read' });
    const full = await fetchTorrent(s.s3, dir, BUCKET, KEY);
    t = await rewriteTorrent(full, { urlList: [] }, dir);
    pieceLength = Number(/6:lengthi\d+e4:name\d+:[^]*?12:piece lengthi(\d+)e/.exec(t.raw.toString('latin1'))?.[1]);
    assert.ok(pieceLength >= BLOCK, `piece length ${pieceLength}`);
  });
  after(async () => {
    for (const a of attackers) a.socket.destroy();
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('python3-libtorrent is installed', { skip: skipUnlessCi(PYTHON_LT) }, () => { assertTool(PYTHON_LT); });

  it('under attack the server stays up, its memory bounded, and a real download completes', { skip: skipWithoutTool(PYTHON_LT), timeout: SCENARIO_MS }, async (ctx) => {
    const port = s.seederPort!;
    const ih = Buffer.from(t.infoHash, 'hex');
    const pieceCount = Math.ceil(SIZE / pieceLength);
    const rss0 = s.rss();
    let peak = rss0;
    let rssAttack = rss0;
    let bound = 0;
    const sampler = setInterval(() => { try { peak = Math.max(peak, s.rss()); } catch { /* exited: asserted below */ } }, 100);
    // a fresh peer id each: the seeder drops a second connection with a peer id it already has
    const afterHandshake = (...parts: Buffer[]) => Buffer.concat([handshakeBytes(ih), ...parts]);
    const len = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
    try {
      // 1. handshakes that are not. Anything but a plain handshake may be the start of an MSE/PE one, whose
      //    sync marker may come as late as byte 628: garbage that long is refused at once, shorter garbage
      //    and half a handshake are held until the handshake timeout (30 s). An unknown info-hash is refused.
      const ip1 = '127.0.0.11';
      for (let i = 0; i < 10; i++) attackers.push(attack(port, ip1, 'garbage', randomBytes(700 + i * 137)));
      for (let i = 0; i < 5; i++) attackers.push(attack(port, ip1, 'short garbage', randomBytes(50 + i * 97)));
      attackers.push(attack(port, ip1, 'wrong protocol', Buffer.concat([Buffer.from('\x13BitTorrent protocoX', 'latin1'), randomBytes(1000)])));
      attackers.push(attack(port, ip1, 'pstrlen 255', Buffer.concat([Buffer.from([255]), randomBytes(1200)])));
      attackers.push(attack(port, ip1, 'unknown info-hash', handshakeBytes(randomBytes(20))));
      attackers.push(attack(port, ip1, 'half a handshake', handshakeBytes(ih).subarray(0, 30)));
      // 2. oversized messages after a valid handshake
      const ip2 = '127.0.0.12';
      for (const n of [0xffffffff, 0x80000000, 1024 * 1024 + 1, 64 * 1024 * 1024]) {
        attackers.push(attack(port, ip2, `length ${n}`, afterHandshake(len(n), randomBytes(4096))));
      }
      // 3. requests past the end, too long, negative-looking
      const ip3 = '127.0.0.13';
      attackers.push(attack(port, ip3, 'past the end', afterHandshake(
        message(MSG_INTERESTED),
        ...Array.from({ length: 100 }, (_, i) => message(MSG_REQUEST, pieceCount + i, 0, BLOCK)),
        message(MSG_REQUEST, pieceCount - 1, SIZE - (pieceCount - 1) * pieceLength, BLOCK),
        message(MSG_REQUEST, 0, 0, 0x7fffffff),
        message(MSG_REQUEST, 0xffffffff, 0xffffffff, 0xffffffff),
      )));
      // 4. 10,000 outstanding requests each, from peers that never read (slow readers) and ones that do
      const ip4 = ['127.0.0.14', '127.0.0.15', '127.0.0.16'];
      const flood = requests(10_000, pieceLength, pieceCount);
      for (let i = 0; i < 24; i++) {
        attackers.push(attack(port, ip4[i % ip4.length]!, 'flood, never reads', afterHandshake(message(MSG_INTERESTED), flood), { read: false }));
      }
      for (let i = 0; i < 6; i++) attackers.push(attack(port, '127.0.0.17', 'flood, reads', afterHandshake(message(MSG_INTERESTED), flood)));
      // 5. more slow readers: 250 requests (our reqq), then a trickle of keep-alives
      for (let i = 0; i < 30; i++) {
        attackers.push(attack(port, '127.0.0.18', 'slow reader', (sock) => {
          sock.write(afterHandshake(message(MSG_INTERESTED), requests(250, pieceLength, pieceCount)));
          const keepAlive = setInterval(() => { if (!sock.destroyed) sock.write(len(0)); }, 2_000);
          sock.once('close', () => clearInterval(keepAlive));
        }, { read: false }));
      }
      await sleep(2_000);
      rssAttack = s.rss();
      // the seeder's bounds: the block cache, and per connection its output (WRITE_HIGH_WATER) and the
      // replies (rejects) it lets pile up before it stops reading (INPUT_PAUSE_BACKLOG)
      bound = BLOCK_CACHE_BYTES + (attackers.length + 1) * (WRITE_HIGH_WATER + INPUT_PAUSE_BACKLOG) + RSS_SLACK;

      // the S3 face answers while the seeder is under attack
      const head = await s.s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: KEY }));
      assert.equal(head.ContentLength, SIZE);
      // a real client downloads from the seeder meanwhile
      const r = await ltDownload({ torrent: t.path, save: path.join(dir, 'lt'), bind: '127.0.0.2', timeout: 45 });
      assert.ok(r.done, `libtorrent under attack: ${JSON.stringify(r)}\nseeder: ${JSON.stringify(s.seeder())}`);
      assert.equal(r.hash_failed, 0);
      await assertSameBytes(path.join(dir, 'lt', t.name), o, 'libtorrent under attack');
      await s.s3.send(new ListBucketsCommand({}));

      // what the attackers got: closed for anything malformed, nothing for the unknown torrent
      const closedBy = (name: string) => attackers.filter((a) => a.name === name).every((a) => a.closed());
      const open = () => attackers.filter((a) => !a.closed()).map((a) => a.name);
      await waitUntil(() => ['garbage', 'wrong protocol', 'pstrlen 255', 'unknown info-hash'].every(closedBy), 10_000, 'malformed handshakes to be closed').catch((e: Error) => {
        throw new Error(`${e.message}; still open: ${JSON.stringify(open())}`);
      });
      await waitUntil(() => attackers.filter((a) => a.name.startsWith('length ')).every((a) => a.closed()), 5_000, 'oversized messages to be closed');
      assert.equal(attackers.find((a) => a.name === 'unknown info-hash')!.received(), 0, 'nothing is said about an unknown torrent');
      const closedReasons = s.seeder().closed;
      ctx.diagnostic(`under attack (${attackers.length} hostile connections): libtorrent ${r.elapsed} s; RSS ${mib(rss0)} → ${mib(rssAttack)} `
        + `once the attack was set up → peak ${mib(peak)} during the download; `
        + `seeder closed connections by reason: ${JSON.stringify(closedReasons)}`);
    } finally {
      clearInterval(sampler);
    }
    assert.ok(s.server.proc.exitCode === null, 'the server is still running');
    assert.ok(peak - rss0 < bound, `RSS grew by ${mib(peak - rss0)} (${mib(rss0)} → ${mib(peak)}) under ${attackers.length} hostile connections and a download, bound ${mib(bound)}`);
    for (const a of attackers) a.socket.destroy();
    await waitUntil(() => s.seeder().connections === 0, 10_000, 'every hostile connection to be gone');
  });
});

describe('a hostile web-seed client: pipelined GETs, then a hang-up', () => {
  let dir: string;
  let s: SwarmServer;

  before(async () => {
    dir = await workDir('hangup');
    s = await startSwarmServer();
  });
  after(async () => {
    await s?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Node's http server queues a pipelined request's response behind the one before it and never closes the
  // queued ones when the client hangs up, so `pipeline(body, res)` in src/server/http.ts sendReply waits
  // forever: the request never ends, its blobs stay pinned, and a graceful shutdown never completes.
  // Fix (outside the swarm files): in sendReply, destroy `body` when `ctx.req.socket` closes.
  it('the server still shuts down gracefully', { timeout: SCENARIO_MS }, async () => {
    const o = await putRandomObject(s.s3, dir, 'swarm-hangup', 'big.bin', 16 * MiB, { acl: 'public-read' });
    const t = await fetchTorrent(s.s3, dir, o.bucket, o.key);
    const url = new URL(t.urlList[0]!);
    const get = (from: number, to: number) => `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nRange: bytes=${from}-${to}\r\n\r\n`;
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // never reads
    socket.write(get(0, SIZE / 2 - 1) + get(0, SIZE / 2 - 1) + get(0, SIZE / 2 - 1));
    await sleep(1_000);
    socket.destroy();
    await sleep(500);
    const started = Date.now();
    const code = await s.stop();
    assert.equal(code, 0, `the server had to be killed: no exit ${((Date.now() - started) / 1000).toFixed(1)} s after SIGTERM`);
  });
});
