/**
 * Real clients against the tracker, with no other peer source (DHT, LSD, UPnP, NAT-PMP, PEX off): two
 * python3-libtorrent sessions find each other and transfer a torrent over HTTP and UDP announces, public
 * and private (token in the announce URL; over UDP as BEP 41 URL data); aria2c downloads from a
 * libtorrent seeder it only learns about from the tracker. Debian packages: python3-libtorrent, aria2.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertTool, findTool, loopbackEnv, run, skipUnlessCi } from '../helpers/tools.ts';
import { signTrackerToken, verifyTrackerToken } from '../../src/tracker/token.ts';
import type { AnnounceEvent, Peer } from '../../src/tracker/types.ts';
import { SECRET, startTracker, type Harness } from './support.ts';

const PYTHON = findTool('python3', ['-c', 'import libtorrent'], 'python3-libtorrent');
const ARIA2 = findTool('aria2c', ['--version'], 'aria2');
const SCRIPT = path.join(import.meta.dirname, 'lt-swarm.py');

interface SwarmRun {
  ok: boolean; seconds: number; seeder_port: number; leecher_port: number;
  seeder_tracker: Array<{ reply?: number; error?: string }>; leecher_tracker: Array<{ reply?: number; error?: string }>;
}

let h: Harness;
let dir: string;
const seen: Array<{ infoHash: string; peer: Peer; event: AnnounceEvent }> = [];

async function python(args: string[]): Promise<string> {
  const r = await run(assertTool(PYTHON), [SCRIPT, ...args], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, `lt-swarm.py ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim().split('\n').at(-1)!;
}

/** a fresh torrent in its own directory, registered with the tracker */
async function newTorrent(isPrivate: boolean): Promise<{ dir: string; infoHash: Buffer }> {
  const d = mkdtempSync(path.join(dir, 't-'));
  const { info_hash } = JSON.parse(await python(['create', d, isPrivate ? '1' : '0'])) as { info_hash: string };
  const infoHash = Buffer.from(info_hash, 'hex');
  h.register(infoHash, isPrivate);
  return { dir: d, infoHash };
}

function announcesFor(infoHash: Buffer): Array<{ peer: Peer; event: AnnounceEvent }> {
  return seen.filter((s) => s.infoHash === infoHash.toString('hex'));
}

async function swarmThrough(url: (infoHash: Buffer) => string, isPrivate: boolean): Promise<{ run: SwarmRun; infoHash: Buffer }> {
  const t = await newTorrent(isPrivate);
  const out = JSON.parse(await python(['swarm', t.dir, url(t.infoHash)])) as SwarmRun;
  return { run: out, infoHash: t.infoHash };
}

function assertFoundEachOther(r: SwarmRun, infoHash: Buffer): void {
  assert.ok(r.ok, `leecher did not complete: ${JSON.stringify(r)}`);
  const ports = new Set(announcesFor(infoHash).map((a) => a.peer.port));
  assert.ok(ports.has(r.seeder_port) && ports.has(r.leecher_port), `tracker saw ports ${[...ports].join(',')}, sessions on ${r.seeder_port}/${r.leecher_port}`);
  assert.deepEqual([...new Set(announcesFor(infoHash).map((a) => a.peer.ip))], ['127.0.0.1']);
  const gotPeers = [...r.seeder_tracker, ...r.leecher_tracker].some((x) => (x.reply ?? 0) > 0);
  assert.ok(gotPeers, `no tracker reply carried peers: ${JSON.stringify(r)}`);
  assert.deepEqual([...r.seeder_tracker, ...r.leecher_tracker].filter((x) => x.error !== undefined), []);
}

describe('real clients against the tracker', { skip: skipUnlessCi(PYTHON, ARIA2) }, () => {
  before(async () => {
    assertTool(PYTHON);
    assertTool(ARIA2);
    dir = mkdtempSync(path.join(tmpdir(), 'seedbucket-tracker-'));
    h = await startTracker({
      onAnnounce: (infoHash, peer, event) => seen.push({
        infoHash: infoHash.toString('hex'), event,
        peer: { ip: peer.ip, port: peer.port, peerId: peer.peerId, seeder: peer.seeder, tokenAccount: peer.tokenAccount },
      }),
      verifyToken: (token, infoHash) => verifyTrackerToken(token, infoHash, SECRET, Date.now()),
    });
  });
  after(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('libtorrent: two sessions find each other over HTTP announces', async () => {
    const { run: r, infoHash } = await swarmThrough(() => `http://127.0.0.1:${h.port}/announce`, false);
    assertFoundEachOther(r, infoHash);
    assert.ok(announcesFor(infoHash).some((a) => a.event === 'started'));
    assert.ok(announcesFor(infoHash).every((a) => a.peer.peerId?.subarray(0, 3).toString() === '-LT'));
  });

  test('libtorrent: two sessions find each other over UDP announces (BEP 15)', async () => {
    const before = h.tracker.stats();
    const { run: r, infoHash } = await swarmThrough(() => `udp://127.0.0.1:${h.port}/announce`, false);
    assertFoundEachOther(r, infoHash);
    const after = h.tracker.stats();
    assert.ok(after.udpAnnounces - before.udpAnnounces >= 2);
    assert.ok(after.udpConnects - before.udpConnects >= 1);
    assert.equal(after.httpAnnounces, before.httpAnnounces, 'nothing went over HTTP');
  });

  for (const scheme of ['http', 'udp'] as const) {
    test(`libtorrent: private torrent with a token in the ${scheme.toUpperCase()} announce URL`, async () => {
      const token = (infoHash: Buffer) => signTrackerToken({ infoHash, accountId: 'lt-user', expiresAt: Date.now() + 3600_000 }, SECRET);
      const { run: r, infoHash } = await swarmThrough((ih) => `${scheme}://127.0.0.1:${h.port}/announce?token=${token(ih)}`, true);
      assertFoundEachOther(r, infoHash);
      assert.ok(announcesFor(infoHash).every((a) => a.peer.tokenAccount === 'lt-user'));
    });
  }

  test('libtorrent: private torrent without a token gets the failure reason and no peers', async () => {
    const t = await newTorrent(true);
    const out = JSON.parse(await python(['swarm', t.dir, `http://127.0.0.1:${h.port}/announce`, '5'])) as SwarmRun;
    assert.equal(out.ok, false);
    assert.ok(out.seeder_tracker.some((x) => /no token/.test(x.error ?? '')), JSON.stringify(out.seeder_tracker));
    assert.equal(announcesFor(t.infoHash).length, 0);
  });

  // HTTP only: aria2 1.36 sends UDP tracker traffic through its DHT socket, so with DHT off it refuses
  // udp:// trackers ("udp is not supported yet")
  for (const scheme of ['http'] as const) {
    test(`aria2c downloads from a libtorrent seeder it learns of from the tracker (${scheme})`, async () => {
      const t = await newTorrent(false);
      const url = `${scheme}://127.0.0.1:${h.port}/announce`;
      const seeder = spawn(assertTool(PYTHON), [SCRIPT, 'seed', t.dir, url], { stdio: ['pipe', 'pipe', 'pipe'], env: loopbackEnv() });
      const killTimer = setTimeout(() => seeder.kill('SIGKILL'), 150_000);
      try {
        const { port } = await new Promise<{ port: number }>((resolve, reject) => {
          let out = '';
          seeder.stdout.on('data', (c: Buffer) => {
            out += c.toString();
            const line = out.split('\n').find((l) => l.startsWith('{"port"'));
            if (line) resolve(JSON.parse(line) as { port: number });
          });
          seeder.once('exit', (code) => reject(new Error(`seeder exited ${code}`)));
        });
        // wait until the seeder's first announce has reached the tracker
        const until = Date.now() + 15_000;
        while (!h.tracker.peersOf(t.infoHash).some((p) => p.port === port) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        const out = path.join(t.dir, 'aria2');
        const r = await run(assertTool(ARIA2), [
          '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false',
          '--disable-ipv6=true', '--file-allocation=none', '--summary-interval=0', '--console-log-level=warn',
          '--bt-tracker-connect-timeout=5', '--bt-tracker-timeout=10', '--auto-save-interval=0',
          `--dir=${out}`, '--listen-port=46881-46999', '--dht-listen-port=46881-46999', '--seed-time=0',
          '--bt-exclude-tracker=*', `--bt-tracker=${url}`,
          path.join(t.dir, 't.torrent'),
        ], { timeoutMs: 90_000, env: loopbackEnv() });
        assert.equal(r.code, 0, `aria2c failed: ${r.stdout}\n${r.stderr}`);
        assert.deepEqual(readFileSync(path.join(out, 'data.bin')), readFileSync(path.join(t.dir, 'seed', 'data.bin')));
        const aria = announcesFor(t.infoHash).filter((a) => a.peer.peerId?.subarray(0, 3).toString() === 'A2-');
        assert.ok(aria.length >= 1, 'aria2 announced to our tracker');
      } finally {
        clearTimeout(killTimer);
        seeder.stdin.end();
        await new Promise((resolve) => { if (seeder.exitCode !== null) resolve(undefined); else seeder.once('exit', resolve); });
      }
    });
  }
});
