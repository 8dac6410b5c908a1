/** The seeder at the wire level, driven by a bittorrent-protocol client Wire over real loopback sockets. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { bdecodePrefix } from '../../src/seeder/bdecode.ts';
import { BLOCK_LENGTH, MAX_REQUEST_LENGTH } from '../../src/seeder/limits.ts';
import { connectWire, requestBlock, requestMetadata, waitFor } from './helpers/client-wire.ts';
import { KiB, MiB } from './helpers/fixture.ts';
import { message, startSeeder, type SeederEnv } from './helpers/seeder-env.ts';

describe('seeder wire protocol', () => {
  let env: SeederEnv;
  let data: Buffer;
  const size = 4 * MiB + 12_345; // 17 pieces of 256 KiB, the last one short

  before(async () => {
    env = await startSeeder([{ size }, { size: 300 * KiB, format: 'hybrid', pieceLength: 64 * KiB }, { size: 100 * KiB, private: true, pieceLength: 16 * KiB }]);
    data = await readFile(env.fixtures[0]!.file);
  });
  after(() => env.stop());

  it('answers a plaintext handshake with have_all first, then the extension handshake (ut_metadata, reqq) and allowed_fast', async () => {
    const f = env.fixtures[0]!;
    const c = await connectWire({ port: env.port, infoHash: f.infoHash });
    await waitFor(() => c.log.includes('extended-handshake') && c.log.some((e) => e.startsWith('allowed-fast')), 3000, 'greeting');
    assert.deepEqual(c.log.slice(0, 3), ['handshake', 'have-all', 'extended-handshake']);
    const ext = c.wire.peerExtendedHandshake;
    assert.equal(Number(ext.metadata_size), f.info.length);
    assert.equal(Number(ext.reqq), 250);
    assert.ok(c.wire.peerExtendedMapping.ut_metadata);
    assert.equal(c.log.filter((e) => e.startsWith('allowed-fast')).length, 5);
    c.destroy();
  });

  it('serves requested blocks byte-exact, including the short last piece and a 128 KiB request', async () => {
    const f = env.fixtures[0]!;
    const c = await connectWire({ port: env.port, infoHash: f.infoHash });
    await waitFor(() => c.log.includes('have-all'));
    c.wire.interested();
    await waitFor(() => c.log.includes('unchoke'), 3000, 'unchoke');
    const last = f.seedable.pieceCount - 1;
    const lastSize = size - last * f.pieceLength;
    assert.ok(lastSize < BLOCK_LENGTH);
    const cases: Array<[number, number, number]> = [[0, 0, BLOCK_LENGTH], [3, 5 * BLOCK_LENGTH, BLOCK_LENGTH], [last, 0, lastSize], [last - 1, f.pieceLength - BLOCK_LENGTH, BLOCK_LENGTH], [7, 0, MAX_REQUEST_LENGTH], [7, 1, 100]];
    const blocks = await Promise.all(cases.map(([i, o, l]) => requestBlock(c.wire, i, o, l)));
    cases.forEach(([i, o, l], k) => {
      const start = i * f.pieceLength + o;
      assert.ok(blocks[k]!.equals(data.subarray(start, start + l)), `block ${i}/${o}/${l}`);
    });
    c.destroy();
  });

  it('rejects requests out of bounds, too long, or for a piece past the end, and stays connected', async () => {
    const f = env.fixtures[0]!;
    const c = await connectWire({ port: env.port, infoHash: f.infoHash });
    await waitFor(() => c.log.includes('have-all'));
    c.wire.interested();
    await waitFor(() => c.log.includes('unchoke'));
    const last = f.seedable.pieceCount - 1;
    const bad: Array<[number, number, number]> = [
      [f.seedable.pieceCount, 0, BLOCK_LENGTH], // no such piece
      [0, f.pieceLength - 100, BLOCK_LENGTH], // runs past the piece
      [last, 12_345, BLOCK_LENGTH], // runs past the object
      [1, 0, MAX_REQUEST_LENGTH + 1], // too long
      [2, 0, 0], // empty
    ];
    for (const [i, o, l] of bad) await assert.rejects(requestBlock(c.wire, i, o, l), /rejected/);
    assert.ok((await requestBlock(c.wire, 1, 0, BLOCK_LENGTH)).equals(data.subarray(f.pieceLength, f.pieceLength + BLOCK_LENGTH)));
    assert.equal(c.isClosed(), false);
    c.destroy();
  });

  it('rejects requests from a choked peer outside its allowed-fast set, serves those inside it', async () => {
    const f = env.fixtures[0]!;
    const c = await connectWire({ port: env.port, infoHash: f.infoHash });
    await waitFor(() => c.log.filter((e) => e.startsWith('allowed-fast')).length === 5);
    const fast = c.wire.peerAllowedFastSet;
    const notFast = [...Array(f.seedable.pieceCount).keys()].find((i) => !fast.includes(i))!;
    // the client library will not send a request to a peer choking it: write the message ourselves
    c.socket.write(message(6, notFast, 0, BLOCK_LENGTH));
    await waitFor(() => c.log.includes(`reject:${notFast}:0:${BLOCK_LENGTH}`), 3000, 'reject while choked');
    const i = fast.find((x) => x !== f.seedable.pieceCount - 1)!; // the last piece is shorter than a block
    const block = await requestBlock(c.wire, i, 0, BLOCK_LENGTH);
    assert.ok(block.equals(data.subarray(i * f.pieceLength, i * f.pieceLength + BLOCK_LENGTH)));
    c.destroy();
  });

  it('serves the exact info dict over ut_metadata (BEP 9) and rejects a block past the end', async () => {
    const f = env.fixtures[1]!; // 300 KiB at 64 KiB pieces, hybrid: info > 16 KiB? no — fetch whatever count it has
    const c = await connectWire({ port: env.port, infoHash: f.infoHash });
    await waitFor(() => c.log.includes('extended-handshake'));
    const total = Number(c.wire.peerExtendedHandshake.metadata_size);
    const blocks = Math.ceil(total / (16 * KiB));
    for (let p = 0; p <= blocks; p++) requestMetadata(c.wire, p);
    await waitFor(() => c.metadata.length === blocks + 1, 3000, 'metadata answers');
    const parts: Buffer[] = [];
    for (const m of c.metadata) {
      const { value, end } = bdecodePrefix(m);
      assert.ok(value instanceof Map);
      if (value.get('msg_type') === 2) { assert.equal(value.get('piece'), blocks); continue; }
      assert.equal(value.get('msg_type'), 1);
      assert.equal(value.get('total_size'), total);
      parts[value.get('piece') as number] = m.subarray(end);
    }
    const info = Buffer.concat(parts);
    assert.ok(info.equals(f.info));
    assert.ok(createHash('sha1').update(info).digest().equals(f.infoHash));
    c.destroy();
  });

  it('serves a metadata dict bigger than one block in 16 KiB pieces', async () => {
    const e2 = await startSeeder([{ size: 40 * MiB, pieceLength: 16 * KiB }]); // 2560 pieces × 20 B = 51 KB of hashes
    try {
      const f = e2.fixtures[0]!;
      assert.ok(f.info.length > 3 * 16 * KiB);
      const c = await connectWire({ port: e2.port, infoHash: f.infoHash });
      await waitFor(() => c.log.includes('extended-handshake'));
      const blocks = Math.ceil(f.info.length / (16 * KiB));
      for (let p = 0; p < blocks; p++) requestMetadata(c.wire, p);
      await waitFor(() => c.metadata.length === blocks, 3000, 'metadata blocks');
      const parts: Buffer[] = [];
      for (const m of c.metadata) {
        const { value, end } = bdecodePrefix(m);
        const piece = (value as Map<string, unknown>).get('piece') as number;
        parts[piece] = m.subarray(end);
        if (piece < blocks - 1) assert.equal(parts[piece]!.length, 16 * KiB);
      }
      assert.ok(Buffer.concat(parts).equals(f.info));
      c.destroy();
    } finally {
      await e2.stop();
    }
  });

  it('disconnects a handshake for an unknown info-hash', async () => {
    const c = await connectWire({ port: env.port, infoHash: randomBytes(20) });
    await c.closed;
    assert.ok(!c.log.includes('handshake'));
    assert.ok((env.seeder.stats().closed['unknown info-hash'] ?? 0) >= 1);
  });

  it('disconnects garbage instead of a handshake', async () => {
    // anything not starting with the BitTorrent handshake is read as a PE public key (96 bytes), after which
    // the PE sync must appear within 512 bytes of padding: 2 KiB of junk settles it either way
    for (const junk of [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), Buffer.alloc(200, 0x13), Buffer.from('\x13BitTorrent protocoX')]) {
      const s = net.connect({ host: '127.0.0.1', port: env.port });
      s.on('error', () => {});
      s.resume();
      const closed = new Promise<void>((resolve) => s.once('close', () => resolve()));
      s.write(Buffer.concat([junk, randomBytes(2048)]));
      await Promise.race([closed, new Promise((_, rej) => setTimeout(() => rej(new Error(`not closed after ${junk.subarray(0, 10).toString('hex')}`)), 5000))]);
    }
  });

  for (const pe of [1, 2] as const) {
    it(`accepts an MSE/PE handshake (${pe === 1 ? 'plaintext offered: we select plaintext' : 'RC4 only'}) and serves over it`, async () => {
      const f = env.fixtures[0]!;
      const c = await connectWire({ port: env.port, infoHash: f.infoHash, pe });
      await waitFor(() => c.log.includes('have-all'), 5000, 'have-all over PE');
      assert.equal(c.wire._encryptionMethod, pe === 1 ? 1 : 2);
      c.wire.interested();
      await waitFor(() => c.log.includes('unchoke'));
      const block = await requestBlock(c.wire, 5, BLOCK_LENGTH, BLOCK_LENGTH);
      assert.ok(block.equals(data.subarray(5 * f.pieceLength + BLOCK_LENGTH, 5 * f.pieceLength + 2 * BLOCK_LENGTH)));
      c.destroy();
    });
  }

  it('disconnects a PE handshake naming an unknown torrent', async () => {
    const c = await connectWire({ port: env.port, infoHash: randomBytes(20), pe: 1 });
    await c.closed;
    assert.ok(!c.log.includes('crypto-handshake'));
  });

  it('accepts a hybrid torrent by its truncated v2 info-hash', async () => {
    const f = env.fixtures[1]!;
    for (const pe of [0, 1] as const) {
      const c = await connectWire({ port: env.port, infoHash: f.infoHashV2!.subarray(0, 20), pe });
      await waitFor(() => c.log.includes('have-all'), 3000, `have-all (pe ${pe})`);
      c.destroy();
    }
  });

  it('serves a private torrent only to peers the lookup allows', async () => {
    const f = env.fixtures[2]!;
    env.lookup.mayServe = () => false;
    const denied = await connectWire({ port: env.port, infoHash: f.infoHash });
    await denied.closed;
    env.lookup.mayServe = (t, peer) => t.infoHash.equals(f.infoHash) && peer.ip === '127.0.0.1';
    const ok = await connectWire({ port: env.port, infoHash: f.infoHash });
    await waitFor(() => ok.log.includes('have-all'));
    ok.destroy();
    env.lookup.mayServe = undefined;
  });

  it('sends a plain bitfield to a peer without the fast extension and closes on an invalid request', async () => {
    const f = env.fixtures[0]!;
    const c = await connectWire({ port: env.port, infoHash: f.infoHash, fast: false });
    await waitFor(() => c.log.includes('bitfield'));
    assert.ok(!c.log.includes('have-all'));
    for (let i = 0; i < f.seedable.pieceCount; i++) assert.ok(c.wire.peerPieces.get(i), `piece ${i}`);
    c.wire.interested();
    await waitFor(() => c.log.includes('unchoke'));
    assert.ok((await requestBlock(c.wire, 0, 0, BLOCK_LENGTH)).equals(data.subarray(0, BLOCK_LENGTH)));
    c.wire.request(0, 0, MAX_REQUEST_LENGTH * 2);
    await c.closed;
  });
});

describe('seeder PE without findByReq2', () => {
  it('recognises a PE handshake for a torrent announced with expect(), or looked up before', async () => {
    const env = await startSeeder([{ size: MiB }, { size: MiB }], { req2: false });
    try {
      const [a, b] = env.fixtures as [typeof env.fixtures[0] & object, typeof env.fixtures[0] & object];
      const unknown = await connectWire({ port: env.port, infoHash: a.infoHash, pe: 1 });
      await unknown.closed;
      env.seeder.expect(a.infoHash);
      const c = await connectWire({ port: env.port, infoHash: a.infoHash, pe: 1 });
      await waitFor(() => c.log.includes('have-all'), 5000, 'have-all after expect()');
      c.destroy();
      // b: a plaintext peer made the seeder look it up; PE peers for it are recognised from then on
      const plain = await connectWire({ port: env.port, infoHash: b.infoHash });
      await waitFor(() => plain.log.includes('have-all'));
      const pe = await connectWire({ port: env.port, infoHash: b.infoHash, pe: 2 });
      await waitFor(() => pe.log.includes('have-all'), 5000, 'have-all after lookup');
      plain.destroy();
      pe.destroy();
    } finally {
      await env.stop();
    }
  });
});
