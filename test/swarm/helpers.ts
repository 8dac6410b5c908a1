/**
 * Support for the swarm tests (test/swarm/*.test.ts): the real server process with its debug log read
 * back (access lines, seeder counters), objects and their torrents, torrent rewriting, the real clients
 * (aria2c, python3-libtorrent, webtorrent, transmission-cli, qbittorrent-nox) and a network-namespace test
 * host. Everything stays on loopback or on a veth pair the test creates.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateBucketCommand, GetObjectTorrentCommand, PutObjectCommand, type ObjectCannedACL, type PutObjectCommandInput, type S3Client,
} from '@aws-sdk/client-s3';
import { bencode, Encoded, type BValue } from '../../src/torrent/bencode.ts';
import { compareFiles, writeRandomFile } from '../helpers/files.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { rawValue, strictDecode } from '../helpers/strict-bdecode.ts';
import { assertTool, findTool, loopbackEnv, run, type Tool } from '../helpers/tools.ts';
import { aria2, freePorts, pythonLt } from '../seeder/helpers/clients.ts';

export const KiB = 1024;
export const MiB = 1024 * KiB;
/** every scenario finishes within this (the issue's budget per scenario) */
export const SCENARIO_MS = 90_000;

export const ARIA2 = aria2();
export const PYTHON_LT = pythonLt();
export const TRANSMISSION = findTool('transmission-cli', ['--version'], 'transmission-cli');
export const QBITTORRENT = findTool('qbittorrent-nox', ['--version'], 'qbittorrent-nox');
export const IPROUTE = findTool('ip', ['-V'], 'iproute2');

const HERE = import.meta.dirname;
const LT_PEER = path.join(HERE, 'lt_peer.py');
const WT_PEER = path.join(HERE, 'wt_peer.ts');
const BIN = path.resolve(HERE, '../../bin/seedbucket.js');

// ---- the server ------------------------------------------------------------------------------------

/** one `log.debug` access line of the server (src/server/http.ts) */
export interface AccessLine { op: string; method: string; url: string; status: number }

/** the server's `seeder stats` debug line (src/server/bittorrent.ts) */
export interface SeederLine {
  uploaded: number;
  connections: number;
  peers: number;
  handshakes: { plain: number; pePlaintext: number; peRc4: number };
  closed: Record<string, number>;
  torrents: Array<{ infoHash: string; uploaded: number; peers: number; superSeeded: number; revealed: number; rejected: number; metadataPieces: number }>;
}

export interface SwarmServer {
  server: TestServer;
  s3: S3Client;
  /** http://host:port/announce, when the tracker runs */
  trackerUrl: string | undefined;
  seederPort: number | undefined;
  /** the host the server listens on (127.0.0.1, or a veth address) */
  host: string;
  access: AccessLine[];
  /** the latest seeder counters (zeros until the first line) */
  seeder(): SeederLine;
  /** payload the seeder sent for one torrent (v1 info-hash hex) */
  seededFor(infoHashHex: string): number;
  /** the server's resident set size, bytes (/proc/<pid>/status VmRSS) */
  rss(): number;
  /** SIGTERM, then SIGKILL after STOP_GRACE_MS; the exit code (null when it had to be killed) */
  stop(): Promise<number | null>;
}

/** SIGTERM → exit: the server's own grace for open requests is 10 s */
export const STOP_GRACE_MS = 15_000;

const ZERO_SEEDER: SeederLine = { uploaded: 0, connections: 0, peers: 0, handshakes: { plain: 0, pePlaintext: 0, peRc4: 0 }, closed: {}, torrents: [] };

/** The real server with SEEDBUCKET_LOG=debug, its stderr parsed line by line as it comes. */
export async function startSwarmServer(args: string[] = []): Promise<SwarmServer> {
  const server = await startTestServer({ args, env: { SEEDBUCKET_LOG: 'debug' } });
  const access: AccessLine[] = [];
  let seeder = ZERO_SEEDER;
  let partial = '';
  server.proc.stderr!.on('data', (c: Buffer) => {
    partial += c.toString();
    let nl: number;
    while ((nl = partial.indexOf('\n')) !== -1) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        if (j.msg === 'seeder stats') seeder = j.seeder as SeederLine;
        else if (typeof j.op === 'string' && typeof j.status === 'number') access.push(j as unknown as AccessLine);
      } catch { /* not ours */ }
    }
  });
  const tracker = server.endpoints.find((e) => e.name === 'tracker' && e.url.startsWith('http:'));
  const seederEp = server.endpoints.find((e) => e.name === 'seeder');
  return {
    server, s3: server.client(), access,
    trackerUrl: tracker?.url,
    seederPort: seederEp ? Number(seederEp.url.slice(seederEp.url.lastIndexOf(':') + 1)) : undefined,
    host: new URL(server.url).hostname,
    seeder: () => seeder,
    seededFor: (hex) => seeder.torrents.find((t) => t.infoHash === hex)?.uploaded ?? 0,
    rss: () => {
      const status = readFileSync(`/proc/${server.proc.pid}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+) kB/.exec(status);
      assert.ok(m, 'VmRSS in /proc/<pid>/status');
      return Number(m[1]) * 1024;
    },
    async stop() {
      // bounded: a server that does not finish its graceful shutdown (10 s grace for open requests) is killed
      const killer = setTimeout(() => server.proc.kill('SIGKILL'), STOP_GRACE_MS);
      const code = await server.stop();
      clearTimeout(killer);
      server.cleanup();
      return code;
    },
  };
}

/** `seedbucket admin …` on the server's data directory; returns its JSON */
export async function admin<T>(s: SwarmServer, ...args: string[]): Promise<T> {
  const r = await run(process.execPath, [BIN, 'admin', ...args, '--data', s.server.dataDir], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, `seedbucket admin ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * Bytes the server sent in GetObject bodies (web seeds), from its usage counters. They are flushed once a
 * second, so this waits for the next flush first.
 */
export async function webSeedBytes(s: SwarmServer): Promise<{ requests: number; bytes: number }> {
  await sleep(1_200);
  const rows = await admin<Array<{ operation: string; requests: number; bytesOut: number }>>(s, 'usage');
  const get = rows.filter((r) => r.operation === 'GetObject');
  return { requests: get.reduce((n, r) => n + r.requests, 0), bytes: get.reduce((n, r) => n + r.bytesOut, 0) };
}

/** the access lines of GET requests for one object (web seed requests: any query, any auth) */
export function objectGets(s: SwarmServer, bucket: string, key: string): AccessLine[] {
  const p = `/${bucket}/${key}`;
  return s.access.filter((a) => a.op === 'GetObject' && (a.url === p || a.url.startsWith(`${p}?`)));
}

// ---- objects and torrents -----------------------------------------------------------------------------

export interface TestObject {
  bucket: string;
  key: string;
  /** the bytes uploaded, on disk */
  file: string;
  size: number;
}

/** a bucket with one object of `size` random bytes (also kept in `dir` for comparison) */
export async function putRandomObject(
  s3: S3Client, dir: string, bucket: string, key: string, size: number,
  opts: { acl?: ObjectCannedACL; createBucket?: boolean; put?: Partial<PutObjectCommandInput> } = {},
): Promise<TestObject> {
  if (opts.createBucket ?? true) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const file = path.join(dir, `${bucket}-${key}-${randomBytes(3).toString('hex')}.src`);
  await writeRandomFile(file, size);
  await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: size, ...(opts.acl ? { ACL: opts.acl } : {}), ...opts.put,
  }));
  return { bucket, key, file, size };
}

export interface TorrentFile {
  raw: Buffer;
  /** where it was written */
  path: string;
  /** v1 info-hash (hex) */
  infoHash: string;
  /** v2 info-hash (hex), hybrid torrents only */
  infoHashV2?: string;
  name: string;
  announce: string | undefined;
  urlList: string[];
}

export function describeTorrent(raw: Buffer, file: string): TorrentFile {
  const top = strictDecode(raw) as Map<string, unknown>;
  const info = rawValue(raw, 'info');
  const infoMap = top.get('info') as Map<string, unknown>;
  const t: TorrentFile = {
    raw, path: file,
    infoHash: createHash('sha1').update(info).digest('hex'),
    name: (infoMap.get('name') as Buffer).toString('utf8'),
    announce: (top.get('announce') as Buffer | undefined)?.toString('utf8'),
    urlList: ((top.get('url-list') as Buffer[] | undefined) ?? []).map((u) => u.toString('utf8')),
  };
  if (infoMap.has('meta version')) t.infoHashV2 = createHash('sha256').update(info).digest('hex');
  return t;
}

/** GetObjectTorrent with `s3`'s credentials, written to `dir` */
export async function fetchTorrent(s3: S3Client, dir: string, bucket: string, key: string): Promise<TorrentFile> {
  const res = await s3.send(new GetObjectTorrentCommand({ Bucket: bucket, Key: key }));
  const raw = Buffer.from(await res.Body!.transformToByteArray());
  const file = path.join(dir, `${bucket}-${key}-${randomBytes(3).toString('hex')}.torrent`);
  await writeFile(file, raw);
  return describeTorrent(raw, file);
}

/** decoded Maps (latin1 string keys) back to encoder input (byte keys), so binary keys survive */
function toBValue(v: unknown): BValue {
  if (v instanceof Map) {
    const m = new Map<Uint8Array, BValue>();
    for (const [k, x] of v as Map<string, unknown>) m.set(Buffer.from(k, 'latin1'), toBValue(x));
    return m;
  }
  if (Array.isArray(v)) return v.map(toBValue);
  if (typeof v === 'bigint') throw new RangeError('integer beyond 2^53 in a torrent');
  return v as BValue;
}

export interface TorrentEdit {
  /** replace `url-list`; [] removes it (the seeder is then the only source) */
  urlList?: string[];
  /** map every announce URL (announce and announce-list); undefined drops it */
  announce?: (url: string) => string | undefined;
}

/**
 * Re-encode a torrent with its top-level keys edited, into `dir`. The `info` dict is copied byte for byte,
 * so the info-hash does not change.
 */
export async function rewriteTorrent(t: TorrentFile, edit: TorrentEdit, dir: string): Promise<TorrentFile> {
  const top = strictDecode(t.raw) as Map<string, unknown>;
  const out = new Map<Uint8Array, BValue>();
  for (const [k, v] of top) {
    if (k === 'info') out.set(Buffer.from(k), new Encoded(rawValue(t.raw, 'info')));
    else out.set(Buffer.from(k, 'latin1'), toBValue(v));
  }
  const set = (k: string, v: BValue | undefined): void => {
    for (const key of out.keys()) if (Buffer.from(key).toString('latin1') === k) out.delete(key);
    if (v !== undefined) out.set(Buffer.from(k), v);
  };
  if (edit.urlList !== undefined) set('url-list', edit.urlList.length ? edit.urlList : undefined);
  if (edit.announce) {
    const a = top.get('announce') as Buffer | undefined;
    set('announce', a ? edit.announce(a.toString('utf8')) : undefined);
    const list = ((top.get('announce-list') as Buffer[][] | undefined) ?? [])
      .map((tier) => tier.map((u) => edit.announce!(u.toString('utf8'))).filter((u): u is string => u !== undefined))
      .filter((tier) => tier.length > 0);
    set('announce-list', list.length ? list : undefined);
  }
  const raw = bencode(out);
  const file = path.join(dir, `${path.basename(t.path, '.torrent')}-${randomBytes(3).toString('hex')}.torrent`);
  await writeFile(file, raw);
  const edited = describeTorrent(raw, file);
  assert.equal(edited.infoHash, t.infoHash, 'rewriting a torrent keeps its info-hash');
  return edited;
}

/** the only HTTP tracker URL of a torrent; libtorrent needs exactly /announce on 127.0.0.1 (SSRF mitigation) */
export function httpAnnounce(t: TorrentFile): string {
  const url = t.announce;
  assert.ok(url !== undefined && url.startsWith('http://') && new URL(url).pathname === '/announce', `announce ${url}`);
  return url;
}

export function magnetOf(t: TorrentFile, opts: { tracker?: string; v2Only?: boolean } = {}): string {
  const xt = opts.v2Only ? `urn:btmh:1220${t.infoHashV2!}` : `urn:btih:${t.infoHash}`;
  return `magnet:?xt=${xt}&dn=${encodeURIComponent(t.name)}${opts.tracker ? `&tr=${encodeURIComponent(opts.tracker)}` : ''}`;
}

/** fails with the first differing byte if the downloaded file is not the object */
export async function assertSameBytes(downloaded: string, o: TestObject, who: string): Promise<void> {
  assert.ok(existsSync(downloaded), `${who}: ${downloaded} exists`);
  const diff = await compareFiles(downloaded, o.file);
  assert.equal(diff, undefined, `${who}: downloaded bytes differ from the object: ${diff}`);
}

// ---- clients ---------------------------------------------------------------------------------------

export interface Aria2Result { code: number | null; ms: number; out: string }

/** aria2c with the invocation from shared/notes/real-clients.md; exits after completion (--seed-time=0) */
export async function aria2Download(torrent: string, dir: string, opts: { timeoutMs?: number; extra?: string[] } = {}): Promise<Aria2Result> {
  const [port] = await freePorts(1);
  const r = await run(assertTool(ARIA2), [
    '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false', '--disable-ipv6=true',
    '--file-allocation=none', '--summary-interval=0', '--console-log-level=warn', '--bt-tracker-connect-timeout=5',
    '--bt-tracker-timeout=10', '--auto-save-interval=0', '--no-conf=true', '--allow-overwrite=true', `--dir=${dir}`,
    `--listen-port=${port}`, '--seed-time=0', ...(opts.extra ?? []), torrent,
  ], { env: loopbackEnv(), timeoutMs: opts.timeoutMs ?? SCENARIO_MS - 10_000 });
  return { code: r.code, ms: r.ms, out: `${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}` };
}

export interface LtTracker { url: string; version: string; peers?: number; error?: string }
export interface LtResult {
  done: boolean; seconds: number | null; elapsed: number; payload_down: number; total_done: number;
  web_down: number; bt_down: number; hash_failed: number; failed_bytes: number; has_metadata: boolean;
  has_v2: boolean; info_hash_v1: string | null; info_hash_v2: string | null; torrent_has_v2: boolean | null;
  tracker: LtTracker[]; url_seed_errors: string[]; errors: string[]; listen_port: number;
}
export interface LtConfig {
  torrent?: string; magnet?: string; save: string; bind?: string; peers?: Array<[string, number]>;
  timeout?: number; watch?: number; stop_after_bytes?: number; ssrf?: boolean; web_request_bytes?: number;
}

/** one python3-libtorrent leecher (lt_peer.py) */
export async function ltDownload(cfg: LtConfig): Promise<LtResult> {
  await mkdir(cfg.save, { recursive: true });
  const budget = (cfg.watch ?? cfg.timeout ?? 60) + 20;
  const r = await run(assertTool(PYTHON_LT), [LT_PEER, JSON.stringify(cfg)], { timeoutMs: budget * 1000 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as LtResult;
  } catch {
    throw new Error(`lt_peer.py exited ${r.code}: ${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  }
}

export interface WtResult {
  done: boolean; error?: string; ms: number; downloaded: number; webDown: number; btDown: number;
  wires: Array<{ type: string; addr: string; downloaded: number }>; warnings: string[];
}

/** one webtorrent 3 leecher in a child process (wt_peer.ts) */
export async function wtDownload(cfg: { torrent?: string; magnet?: string; dir: string; timeoutMs?: number; webSeeds?: boolean; peers?: string[] }): Promise<WtResult> {
  await mkdir(cfg.dir, { recursive: true });
  const timeoutMs = cfg.timeoutMs ?? 60_000;
  const r = await run(process.execPath, ['--import', 'tsx', WT_PEER, JSON.stringify({ ...cfg, timeoutMs })], { timeoutMs: timeoutMs + 20_000, cwd: path.resolve(HERE, '../..') });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as WtResult;
  } catch {
    throw new Error(`wt_peer.ts exited ${r.code}: ${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  }
}

/** wait for a child to exit, killing it (SIGTERM, then SIGKILL after 3 s) */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(t);
}

export interface TransmissionResult { done: boolean; ms: number; out: string }

/**
 * transmission-cli 3.00 (it never exits by itself: `-f` runs a script at completion, then it is killed).
 * `netns`: run it inside that network namespace (a test host), bound to `bindIp`.
 */
export async function transmissionDownload(
  torrent: string, dir: string, opts: { bindIp?: string; netns?: string; timeoutMs?: number } = {},
): Promise<TransmissionResult> {
  const cli = assertTool(TRANSMISSION);
  const cfgDir = await mkdtemp(path.join(tmpdir(), 'sb-transmission-'));
  const doneFile = path.join(cfgDir, 'done');
  const script = path.join(cfgDir, 'done.sh');
  await writeFile(script, `#!/bin/sh\ntouch '${doneFile}'\n`, { mode: 0o755 });
  const [port] = await freePorts(1);
  await writeFile(path.join(cfgDir, 'settings.json'), JSON.stringify({
    'dht-enabled': false, 'lpd-enabled': false, 'pex-enabled': false, 'utp-enabled': false, 'port-forwarding-enabled': false,
    'bind-address-ipv4': opts.bindIp ?? '127.0.0.1', 'bind-address-ipv6': '::1', 'peer-port': port, 'peer-port-random-on-start': false,
    'blocklist-enabled': false, 'speed-limit-up-enabled': false, 'speed-limit-down-enabled': false, 'ratio-limit-enabled': false,
    'rpc-enabled': false, 'download-dir': dir, 'incomplete-dir-enabled': false, 'start-added-torrents': true,
  }));
  const argv = ['-g', cfgDir, '-w', dir, '-M', '-f', script, torrent];
  const cmd = opts.netns ? assertTool(IPROUTE) : cli;
  const args = opts.netns ? ['netns', 'exec', opts.netns, cli, ...argv] : argv;
  const started = Date.now();
  const child = spawn(cmd, args, { env: loopbackEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (c: Buffer): void => { out = (out + c.toString()).slice(-6000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  try {
    const deadline = started + (opts.timeoutMs ?? SCENARIO_MS - 10_000);
    while (!existsSync(doneFile) && Date.now() < deadline && child.exitCode === null) await sleep(100);
    return { done: existsSync(doneFile), ms: Date.now() - started, out };
  } finally {
    await stopChild(child);
    await rm(cfgDir, { recursive: true, force: true });
  }
}

export interface QbitResult { done: boolean; ms: number; downloaded: number; state: string; out: string }

/** qbittorrent-nox 4.5 driven over its WebUI API on 127.0.0.1 (DHT, LSD, PEX, UPnP off in its profile from the start) */
export async function qbittorrentDownload(torrent: string, dir: string, opts: { timeoutMs?: number } = {}): Promise<QbitResult> {
  const nox = assertTool(QBITTORRENT);
  const profile = await mkdtemp(path.join(tmpdir(), 'sb-qbt-'));
  const [port, webPort] = await freePorts(2);
  const confDir = path.join(profile, 'qBittorrent', 'config');
  await mkdir(confDir, { recursive: true });
  await writeFile(path.join(confDir, 'qBittorrent.conf'), [
    '[LegalNotice]', 'Accepted=true', '',
    '[BitTorrent]', 'Session\\DHTEnabled=false', 'Session\\LSDEnabled=false', 'Session\\PeXEnabled=false',
    `Session\\Port=${port}`, 'Session\\InterfaceAddress=127.0.0.1', 'Session\\MultiConnectionsPerIp=true',
    'Session\\SSRFMitigation=false', 'Session\\QueueingSystemEnabled=false', `Session\\DefaultSavePath=${dir}`, '',
    '[Network]', 'PortForwardingEnabled=false', '',
    '[Preferences]', 'Connection\\ResolvePeerCountries=false', 'Connection\\UPnP=false', 'WebUI\\Address=127.0.0.1', `WebUI\\Port=${webPort}`,
    'WebUI\\LocalHostAuth=false', 'WebUI\\CSRFProtection=false', 'WebUI\\HostHeaderValidation=false', 'General\\Locale=en', '',
  ].join('\n'));
  const started = Date.now();
  const child = spawn(nox, [`--profile=${profile}`, `--webui-port=${webPort}`], { env: loopbackEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (c: Buffer): void => { out = (out + c.toString()).slice(-6000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const api = `http://127.0.0.1:${webPort}/api/v2`;
  const deadline = started + (opts.timeoutMs ?? SCENARIO_MS - 10_000);
  try {
    for (;;) {
      try {
        if ((await fetch(`${api}/app/version`)).ok) break;
      } catch { /* not up yet */ }
      if (Date.now() > deadline || child.exitCode !== null) return { done: false, ms: Date.now() - started, downloaded: 0, state: 'webui never came up', out };
      await sleep(200);
    }
    const prefs = {
      dht: false, lsd: false, pex: false, upnp: false, listen_port: port, random_port: false, enable_multi_connections_from_same_ip: true,
      ssrf_mitigation: false, queueing_enabled: false, current_interface_address: '127.0.0.1', resolve_peer_countries: false,
    };
    const set = await fetch(`${api}/app/setPreferences`, { method: 'POST', body: new URLSearchParams({ json: JSON.stringify(prefs) }) });
    assert.equal(set.status, 200, 'qBittorrent setPreferences');
    const form = new FormData();
    form.append('torrents', new Blob([readFileSync(torrent)], { type: 'application/x-bittorrent' }), path.basename(torrent));
    form.append('savepath', dir);
    const add = await fetch(`${api}/torrents/add`, { method: 'POST', body: form });
    assert.equal(add.status, 200, `qBittorrent torrents/add: ${await add.text()}`);
    let last = { progress: 0, downloaded: 0, state: 'none' };
    while (Date.now() < deadline) {
      const list = await (await fetch(`${api}/torrents/info`)).json() as Array<{ progress: number; downloaded: number; state: string }>;
      if (list[0]) last = list[0];
      if (last.progress >= 1) return { done: true, ms: Date.now() - started, downloaded: last.downloaded, state: last.state, out };
      await sleep(200);
    }
    return { done: false, ms: Date.now() - started, downloaded: last.downloaded, state: last.state, out };
  } finally {
    await stopChild(child);
    await rm(profile, { recursive: true, force: true });
  }
}

// ---- a network-namespace test host ----------------------------------------------------------------------

export interface TestHost {
  /** the namespace's name (`ip netns exec <ns> …`) */
  ns: string;
  /** our side of the veth pair (bind the server here) */
  hostIp: string;
  /** the namespace's side */
  nsIp: string;
  remove(): Promise<void>;
}

async function ip(...args: string[]): Promise<void> {
  const r = await run(assertTool(IPROUTE), args, { timeoutMs: 15_000 });
  assert.equal(r.code, 0, `ip ${args.join(' ')}: ${r.stderr}`);
}

/**
 * A second "host" for clients that ignore loopback peers: a network namespace joined to ours by a veth
 * pair with a private /30 (10.213.N.1 here, .2 there). Nothing is routed anywhere else. Needs root.
 */
export async function createTestHost(): Promise<TestHost> {
  const id = randomBytes(3).toString('hex');
  const ns = `sbtest-${id}`;
  const hostIf = `sbh${id}`;
  const nsIf = `sbn${id}`;
  const used = (await run(assertTool(IPROUTE), ['-4', '-o', 'addr', 'show'], { timeoutMs: 15_000 })).stdout;
  let n = 1 + (randomBytes(1)[0]! % 250);
  while (used.includes(`10.213.${n}.`)) n = (n % 250) + 1;
  const hostIp = `10.213.${n}.1`;
  const nsIp = `10.213.${n}.2`;
  const host: TestHost = {
    ns, hostIp, nsIp,
    async remove() {
      // deleting one end removes the pair; the namespace goes with whatever was left in it
      await run(assertTool(IPROUTE), ['link', 'del', hostIf], { timeoutMs: 15_000 }).catch(() => undefined);
      await run(assertTool(IPROUTE), ['netns', 'del', ns], { timeoutMs: 15_000 }).catch(() => undefined);
    },
  };
  try {
    await ip('netns', 'add', ns);
    await ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    await ip('link', 'set', nsIf, 'netns', ns);
    await ip('addr', 'add', `${hostIp}/30`, 'dev', hostIf);
    await ip('link', 'set', hostIf, 'up');
    await ip('-n', ns, 'addr', 'add', `${nsIp}/30`, 'dev', nsIf);
    await ip('-n', ns, 'link', 'set', nsIf, 'up');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
  } catch (e) {
    await host.remove();
    throw e;
  }
  return host;
}

/** whether this process may create network namespaces (root, with `ip`) */
export function canCreateNetns(): Tool {
  const tool = IPROUTE;
  if (tool.path === undefined) return tool;
  if (process.getuid?.() !== 0) return { name: 'netns', path: undefined, reason: 'creating a network namespace test host needs root' };
  return tool;
}

// ---- misc -----------------------------------------------------------------------------------------

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** poll `pred` until it holds; fails with `what` after `ms` */
export async function waitUntil(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

export async function workDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `sb-swarm-${prefix}-`));
}

export const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;
