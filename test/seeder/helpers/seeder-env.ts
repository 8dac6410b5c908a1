/** Start a Seeder on 127.0.0.1 over fixtures in a temp dir, for wire-level tests. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Seeder } from '../../../src/seeder/seeder.ts';
import type { SeederOptions, UploadThrottle } from '../../../src/seeder/types.ts';
import { makeFixture, TestLookup, type Fixture, type FixtureOptions } from './fixture.ts';

export interface SeederEnv {
  dir: string;
  seeder: Seeder;
  port: number;
  lookup: TestLookup;
  fixtures: Fixture[];
  stop(): Promise<void>;
}

export async function startSeeder(
  specs: Array<{ size: number } & FixtureOptions>,
  opts: Partial<Omit<SeederOptions, 'lookup'>> & { req2?: boolean } = {},
): Promise<SeederEnv> {
  const dir = await mkdtemp(path.join(tmpdir(), 'seeder-test-'));
  const fixtures: Fixture[] = [];
  for (const s of specs) fixtures.push(await makeFixture(dir, s.size, s));
  const lookup = new TestLookup(fixtures.map((f) => f.seedable), { req2: opts.req2 });
  const seeder = new Seeder({ superSeeding: 'off', ...opts, lookup });
  const { port } = await seeder.listen(0, '127.0.0.1');
  return {
    dir, seeder, port, lookup, fixtures,
    async stop() {
      await seeder.close();
      for (const f of fixtures) await f.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** a throttle that holds every take() until opened: keeps requests queued inside the seeder */
export class GateThrottle implements UploadThrottle {
  private waiters: Array<() => void> = [];
  open = false;
  taken = 0;

  take(bytes: number): Promise<void> {
    this.taken += bytes;
    if (this.open) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    this.open = true;
    for (const w of this.waiters.splice(0)) w();
  }
}

/** BEP 3 handshake bytes */
export function handshakeBytes(infoHash: Buffer, opts: { fast?: boolean; extended?: boolean; peerId?: Buffer } = {}): Buffer {
  const reserved = Buffer.alloc(8);
  if (opts.extended ?? true) reserved[5] = 0x10;
  if (opts.fast ?? true) reserved[7] = 0x04;
  return Buffer.concat([Buffer.from('\x13BitTorrent protocol', 'latin1'), reserved, infoHash, opts.peerId ?? Buffer.concat([Buffer.from('-RAW001-'), randomBytes(12)])]);
}

export function message(id: number, ...ints: number[]): Buffer {
  const b = Buffer.alloc(5 + 4 * ints.length);
  b.writeUInt32BE(1 + 4 * ints.length, 0);
  b[4] = id;
  ints.forEach((v, i) => b.writeUInt32BE(v >>> 0, 5 + 4 * i));
  return b;
}
