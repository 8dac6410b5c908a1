/** Seeder-level behaviour over real sockets: dialing out, forget(), upload slots, super-seeding on the wire. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { describe, it } from 'node:test';
import Wire from 'bittorrent-protocol';
import { BLOCK_LENGTH, SUPER_SEED_WINDOW } from '../../src/seeder/limits.ts';
import { connectWire, requestBlock, waitFor, type ClientWire } from './helpers/client-wire.ts';
import { freePorts } from './helpers/clients.ts';
import { MiB } from './helpers/fixture.ts';
import { message, startSeeder } from './helpers/seeder-env.ts';

describe('seeder sessions', () => {
  it('dials out to a leecher (as for Transmission, which ignores loopback peers from trackers) and seeds to it', async () => {
    const env = await startSeeder([{ size: 2 * MiB }]);
    const f = env.fixtures[0]!;
    const data = await readFile(f.file);
    let wire: Wire | undefined;
    const log: string[] = [];
    let accepted = 0;
    const server = net.createServer((socket) => {
      accepted++;
      const w = new Wire('tcpIncoming');
      wire = w;
      socket.pipe(w as unknown as NodeJS.WritableStream);
      w.pipe(socket);
      w.on('handshake', (hash: string) => {
        log.push(`handshake:${hash}`);
        w.handshake(hash, randomBytes(20), { fast: true });
      });
      w.on('have-all', () => log.push('have-all'));
      w.on('unchoke', () => log.push('unchoke'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      assert.equal(await env.seeder.dial('127.0.0.1', port, f.infoHash), true);
      await waitFor(() => log.includes('have-all'), 3000, 'have-all');
      assert.equal(log[0], `handshake:${f.infoHash.toString('hex')}`);
      wire!.interested();
      await waitFor(() => log.includes('unchoke'));
      const block = await requestBlock(wire!, 3, BLOCK_LENGTH, BLOCK_LENGTH);
      assert.ok(block.equals(data.subarray(3 * f.pieceLength + BLOCK_LENGTH, 3 * f.pieceLength + 2 * BLOCK_LENGTH)));
      assert.equal(await env.seeder.dial('127.0.0.1', port, f.infoHash), true, 'a second dial reuses the connection');
      assert.equal(accepted, 1);
      const [closedPort] = await freePorts(1);
      assert.equal(await env.seeder.dial('127.0.0.1', closedPort!, f.infoHash), false);
      assert.equal(await env.seeder.dial('127.0.0.1', port, randomBytes(20)), false);
    } finally {
      server.close();
      await env.stop();
    }
  });

  it('forget() disconnects the peers of an overwritten object and stops serving its info-hash', async () => {
    const env = await startSeeder([{ size: MiB }, { size: MiB }]);
    try {
      const [a, b] = [env.fixtures[0]!, env.fixtures[1]!];
      const ca = await connectWire({ port: env.port, infoHash: a.infoHash });
      const cb = await connectWire({ port: env.port, infoHash: b.infoHash });
      await waitFor(() => ca.log.includes('have-all') && cb.log.includes('have-all'));
      ca.wire.interested();
      await waitFor(() => ca.log.includes('unchoke'));
      await requestBlock(ca.wire, 0, 0, BLOCK_LENGTH);
      env.lookup.remove(a.seedable); // what the object store does on overwrite
      env.seeder.forget(a.infoHash);
      await ca.closed;
      assert.equal(cb.isClosed(), false, 'other torrents are untouched');
      const again = await connectWire({ port: env.port, infoHash: a.infoHash });
      await again.closed;
      assert.ok(!again.log.includes('have-all'));
      const stats = env.seeder.stats().torrents.find((t) => t.infoHash === a.infoHash.toString('hex'));
      assert.equal(stats?.uploaded, BLOCK_LENGTH, 'counters survive forget()');
      cb.destroy();
    } finally {
      await env.stop();
    }
  });

  it('unchokes interested peers up to the upload slots and hands a freed slot on at once', async () => {
    const env = await startSeeder([{ size: MiB }], { uploadSlots: 2 });
    try {
      const f = env.fixtures[0]!;
      const peers: ClientWire[] = [];
      for (let i = 0; i < 4; i++) {
        const c = await connectWire({ port: env.port, infoHash: f.infoHash });
        await waitFor(() => c.log.includes('have-all'));
        c.wire.interested();
        peers.push(c);
      }
      const unchoked = (): ClientWire[] => peers.filter((c) => !c.isClosed() && !c.wire.peerChoking);
      await waitFor(() => unchoked().length === 2, 3000, 'two slots used');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(unchoked().length, 2);
      const gone = unchoked()[0]!;
      gone.destroy();
      await gone.closed;
      await waitFor(() => unchoked().length === 2, 3000, 'freed slot handed on');
      for (const c of peers) c.destroy();
    } finally {
      await env.stop();
    }
  });

  it('super-seeds on the wire: have_none, a few reveals, rejects for the rest, the next reveal once another peer has it', async () => {
    const env = await startSeeder([{ size: 4 * MiB }], { superSeeding: 'on' });
    try {
      const f = env.fixtures[0]!;
      const a = await connectWire({ port: env.port, infoHash: f.infoHash });
      const b = await connectWire({ port: env.port, infoHash: f.infoHash });
      const haves = (c: ClientWire): number[] => c.log.filter((e) => e.startsWith('have:')).map((e) => Number(e.slice(5)));
      await waitFor(() => haves(a).length === SUPER_SEED_WINDOW && haves(b).length === SUPER_SEED_WINDOW, 3000, 'reveals');
      assert.ok(a.log.includes('have-none') && !a.log.includes('have-all'));
      assert.ok(!a.log.some((e) => e.startsWith('allowed-fast')), 'no allowed-fast set while super-seeding');
      assert.equal(new Set([...haves(a), ...haves(b)]).size, 2 * SUPER_SEED_WINDOW, 'different pieces to each peer');
      a.wire.interested();
      await waitFor(() => a.log.includes('unchoke'));
      const shown = haves(a)[0]!;
      const hidden = [...Array(f.seedable.pieceCount).keys()].find((i) => !haves(a).includes(i))!;
      await requestBlock(a.wire, shown, 0, BLOCK_LENGTH);
      a.socket.write(message(6, hidden, 0, BLOCK_LENGTH)); // the client library would not ask for a piece we do not have
      await waitFor(() => a.log.includes(`reject:${hidden}:0:${BLOCK_LENGTH}`), 3000, 'reject of an unrevealed piece');
      // a announces the piece: still nothing new; b announces it too (a passed it on): a gets the next piece
      a.wire.have(shown);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(haves(a).length, SUPER_SEED_WINDOW);
      b.wire.have(shown);
      await waitFor(() => haves(a).length === SUPER_SEED_WINDOW + 1, 3000, 'next reveal');
      a.destroy();
      b.destroy();
    } finally {
      await env.stop();
    }
  });

  it("'auto' seeds a lone leecher plainly (have_all) and super-seeds once the tracker lists a crowd", async () => {
    const env = await startSeeder([{ size: 4 * MiB }], { superSeeding: 'auto' });
    try {
      const f = env.fixtures[0]!;
      const lone = await connectWire({ port: env.port, infoHash: f.infoHash });
      await waitFor(() => lone.log.includes('have-all'), 3000, 'have-all for a lone leecher');
      const second = await connectWire({ port: env.port, infoHash: f.infoHash });
      await waitFor(() => second.log.includes('have-none'), 3000, 'have-none for the second leecher');
      lone.destroy();
      second.destroy();
      env.lookup.leechers = () => 5;
      await waitFor(() => env.seeder.stats().peers === 0);
      const first = await connectWire({ port: env.port, infoHash: f.infoHash });
      await waitFor(() => first.log.includes('have-none'), 3000, 'have-none when the tracker knows more leechers');
      first.destroy();
    } finally {
      await env.stop();
    }
  });
});
