/**
 * Nasty keys through GetObjectTorrent: the key round-trips into info['x-amz-key'], `name` is always one
 * safe file name (and libtorrent / Transmission keep it as is), Content-Disposition names it, and the
 * `url-list` web seed really fetches the object's bytes with a plain WHATWG fetch: anonymously for a
 * public-read object, as a presigned URL valid for a day for a private one.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readAll } from '../helpers/files.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { haveTool, ltOracle, tools } from '../torrent/support.ts';
import { dispositionFilename, escapeRegExp, getTorrent, ltWebSeedDownload, transmissionShow, type Torrent } from './helpers.ts';

const LONG_KEY = `long/${'ü'.repeat(507)}x.bin`;

/** key → the name we expect (undefined: only "safe" is checked, the exact spelling is the server's choice) */
const KEYS: Array<[string, string | undefined]> = [
  ['../x', 'x'],
  ['x/../../y.txt', 'y.txt'],
  ['dir/./dot.txt', 'dot.txt'],
  ['a/..', undefined],
  ['a//b', 'b'],
  ['trailing/', 'trailing'],
  ['/leading', 'leading'],
  ['///', undefined],
  ['with  two spaces.txt', 'with  two spaces.txt'],
  ['plus+sign+.txt', 'plus+sign+.txt'],
  ['100%.txt', '100%.txt'],
  ['%41%2Fliteral-escapes', '%41%2Fliteral-escapes'],
  ['what?.txt', 'what?.txt'],
  ['hash#tag.txt', 'hash#tag.txt'],
  ['q?torrent&x=1#frag', 'q?torrent&x=1#frag'],
  ['emoji 😀🎉.bin', 'emoji 😀🎉.bin'],
  ['caf\u00e9.txt', 'caf\u00e9.txt'],
  ['cafe\u0301.txt', 'cafe\u0301.txt'],
  [LONG_KEY, undefined],
  ['back\\slash.txt', undefined],
  ['\\', undefined],
  ['CON', undefined],
  ['con.txt', undefined],
  ['dir/LPT1.log', undefined],
  ['trailing dots...', undefined],
  ['ctrl\u0001\u001fchars', undefined],
  ['invoice\u202Efdp.exe', undefined],
];

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\s*\..*)?$/i;

function assertSafeName(name: string, key: string): void {
  const what = `name ${JSON.stringify(name)} of key ${JSON.stringify(key)}`;
  assert.notEqual(name, '', `${what}: never empty`);
  assert.doesNotMatch(name, /[/\\\u0000-\u001f\u007f]/, `${what}: no separators, NUL or controls`);
  assert.doesNotMatch(name, /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/, `${what}: no bidi overrides (\`x\u202Egpj.exe\` shows as \`xexe.jpg\`)`);
  assert.ok(name !== '.' && name !== '..', `${what}: not a dot segment`);
  assert.doesNotMatch(name, WINDOWS_RESERVED, `${what}: not a reserved device name`);
  assert.doesNotMatch(name, /[. ]$/, `${what}: no trailing dot or space (Windows drops them)`);
  assert.ok(Buffer.byteLength(name) <= 240, `${what}: at most 240 bytes (NAME_MAX 255 minus room for a partial-file suffix)`);
  assert.ok(name.isWellFormed(), `${what}: valid Unicode`);
}

const bodyOf = (key: string): Buffer => Buffer.from(`object ${JSON.stringify(key)} ${createHash('sha256').update(key).digest('hex')}\n`);

describe('nasty keys: x-amz-key round-trips, name is safe, url-list fetches the object', () => {
  let server: TestServer;
  let s3: S3Client;
  let work: string;
  const PUB = 'keys-public';
  const PRIV = 'keys-private';
  const torrents = new Map<string, { pub: Torrent; priv: Torrent }>();

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'seedbucket-torrent-keys-'));
    server = await startTestServer();
    s3 = server.client();
    await s3.send(new CreateBucketCommand({ Bucket: PUB }));
    await s3.send(new CreateBucketCommand({ Bucket: PRIV }));
  });

  after(async () => {
    s3?.destroy();
    if (server) { await server.stop(); server.cleanup(); }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the long key is exactly 1024 bytes of UTF-8', () => {
    assert.equal(Buffer.byteLength(LONG_KEY), 1024);
  });

  for (const [key, expectedName] of KEYS) {
    it(`key ${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)}`, async () => {
      const body = bodyOf(key);
      await s3.send(new PutObjectCommand({ Bucket: PUB, Key: key, Body: body, ACL: 'public-read' }));
      await s3.send(new PutObjectCommand({ Bucket: PRIV, Key: key, Body: body }));
      const back = await s3.send(new GetObjectCommand({ Bucket: PRIV, Key: key }));
      assert.ok((await readAll(back.Body as AsyncIterable<Uint8Array>)).equals(body), 'the key round-trips through PutObject/GetObject');

      const pub = await getTorrent(s3, { Bucket: PUB, Key: key });
      const priv = await getTorrent(s3, { Bucket: PRIV, Key: key });
      for (const [label, { torrent: t, headers }] of [['public', pub], ['private', priv]] as const) {
        assert.equal(t.key, key, `${label}: x-amz-key is the full key, byte for byte`);
        assert.ok((t.info.get('x-amz-key') as Buffer).equals(Buffer.from(key, 'utf8')));
        assertSafeName(t.name, key);
        if (expectedName !== undefined) assert.equal(t.name, expectedName);
        assert.equal(t.length, body.length);
        const cd = dispositionFilename(String(headers['content-disposition']));
        assert.equal(cd.filename, `${t.name}.torrent`, `${label}: Content-Disposition names <name>.torrent`);
        assert.match(cd.ascii, /^[\x20-\x7e]+$/, 'the quoted fallback is printable ASCII');
        assert.doesNotMatch(cd.ascii, /["\\]/);
        if (!/^[\x20-\x7e]*$/.test(t.name)) assert.match(String(headers['content-disposition']), /filename\*=UTF-8''/);
        assert.equal(t.urlList.length, 1);
      }
      assert.equal(pub.torrent.private, false);
      assert.equal(priv.torrent.private, true);
      assert.equal(pub.torrent.name, priv.torrent.name);

      // The public web seed is a plain (unsigned) URL that anyone can GET.
      const pubUrl = pub.torrent.urlList[0]!;
      assert.deepEqual([...new URL(pubUrl).searchParams.keys()], ['versionId'], `a public object's web seed is not presigned (it names the version): ${pubUrl}`);
      const anon = await fetch(pubUrl);
      const anonBody = Buffer.from(await anon.arrayBuffer());
      assert.equal(anon.status, 200, `GET ${pubUrl} (as fetch sends it: ${new URL(pubUrl).href}): ${anonBody.toString()}`);
      assert.ok(anonBody.equals(body), `GET ${pubUrl} returns the object's bytes`);

      // The private web seed is presigned for at least a day, and the signature is what grants access.
      const privUrl = new URL(priv.torrent.urlList[0]!);
      assert.ok(Number(privUrl.searchParams.get('X-Amz-Expires')) >= 86400, `X-Amz-Expires ≥ 86400: ${privUrl.href}`);
      const signed = await fetch(privUrl);
      const signedBody = Buffer.from(await signed.arrayBuffer());
      assert.equal(signed.status, 200, `GET ${privUrl.href}: ${signedBody.toString()}`);
      assert.ok(signedBody.equals(body), 'the presigned web seed returns the object\'s bytes');
      const unsigned = await fetch(`${privUrl.origin}${privUrl.pathname}`);
      await unsigned.arrayBuffer();
      assert.equal(unsigned.status, 403, 'without the signature the private object is refused');

      torrents.set(key, { pub: pub.torrent, priv: priv.torrent });
    });
  }

  it('libtorrent keeps every name as is and takes the url-list as the web seed', (tc) => {
    if (!haveTool(tc, tools.libtorrent, 'python3-libtorrent')) return;
    assert.equal(torrents.size, KEYS.length, 'every key test passed');
    let i = 0;
    for (const [key, { pub, priv }] of torrents) {
      for (const t of [pub, priv]) {
        const file = path.join(work, `lt-${i++}.torrent`);
        writeFileSync(file, t.raw);
        const p = ltOracle<{ name: string; files: Array<{ path: string }>; web_seeds: string[]; private: boolean; v1: string }>('parse', file);
        assert.equal(p.name, t.name, `libtorrent's name for key ${JSON.stringify(key)}`);
        assert.equal(p.files[0]!.path, t.name);
        assert.deepEqual(p.web_seeds, t.urlList);
        assert.equal(p.private, t.private);
        assert.equal(p.v1, t.infoHash);
      }
    }
  });

  it('libtorrent downloads every object from the server, through its web seed (public and presigned private URLs)', async (tc) => {
    if (!haveTool(tc, tools.libtorrent, 'python3-libtorrent')) return;
    assert.equal(torrents.size, KEYS.length, 'every key test passed');
    const jobs: Array<{ torrent: string; save: string; key: string; t: Torrent }> = [];
    for (const [key, { pub, priv }] of torrents) {
      for (const t of [pub, priv]) {
        const n = jobs.length;
        const torrent = path.join(work, `dl-${n}.torrent`);
        writeFileSync(torrent, t.raw);
        const save = path.join(work, `dl-${n}`);
        mkdirSync(save);
        jobs.push({ torrent, save, key, t });
      }
    }
    const results = await ltWebSeedDownload(jobs.map(({ torrent, save }) => ({ torrent, save })), work);
    const failed = results.flatMap((r, i) => (r.finished ? [] : [`${jobs[i]!.t.private ? 'private' : 'public'} ${JSON.stringify(jobs[i]!.key)}: ${r.errors[0] ?? r.state}`]));
    assert.deepEqual(failed, [], 'torrents libtorrent could not download from the server');
    for (const [i, r] of results.entries()) {
      const { key, t, save } = jobs[i]!;
      const what = `${t.private ? 'private' : 'public'} key ${JSON.stringify(key)} via ${t.urlList[0]}`;
      assert.ok(r.finished, `${what}: ${JSON.stringify(r)}`);
      assert.ok(readFileSync(path.join(save, t.name)).equals(bodyOf(key)), `${what}: the downloaded file is the object`);
    }
  });

  it('transmission-show keeps every name as is', (tc) => {
    if (!haveTool(tc, tools.transmissionShow, 'transmission-cli')) return;
    assert.equal(torrents.size, KEYS.length, 'every key test passed');
    let i = 0;
    for (const [key, { pub }] of torrents) {
      const file = path.join(work, `tr-${i++}.torrent`);
      writeFileSync(file, pub.raw);
      const r = transmissionShow(file);
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, new RegExp(`^\\s*Name: ${escapeRegExp(pub.name)}$`, 'm'), `key ${JSON.stringify(key)}`);
      assert.match(r.out, new RegExp(`^\\s*Hash: ${pub.infoHash}$`, 'm'));
    }
  });
});
