import type { SuperSeedPeer, SuperSeedState } from '../../../src/seeder/super-seed.ts';

/** A super-seeding peer without a wire: records what it was shown; `have` is what it claims to hold. */
export class FakePeer implements SuperSeedPeer {
  superSeed: SuperSeedState | undefined;
  readonly have = new Set<number>();
  readonly revealed: number[] = [];
  hasPiece(i: number): boolean { return this.have.has(i); }
  reveal(i: number): void { this.revealed.push(i); }
}
