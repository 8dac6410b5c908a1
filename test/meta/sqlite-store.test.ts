import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteMetadataStore } from '../../src/meta/sqlite-store.ts';
import { runMetadataStoreContract } from './metadata-store.contract.ts';

const dirs: string[] = [];
/** slot → directory, so that opening a slot again reopens the same database file */
const slots = new Map<string, string>();

function newDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'seedbucket-meta-'));
  dirs.push(dir);
  return dir;
}

runMetadataStoreContract('sqlite', (slot) => {
  let dir: string;
  if (slot === undefined) {
    dir = newDir();
  } else {
    dir = slots.get(slot) ?? newDir();
    slots.set(slot, dir);
  }
  return new SqliteMetadataStore(path.join(dir, 'meta.sqlite'));
}, () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
