import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsBlobStore } from '../../src/storage/fs-blob-store.ts';
import { runBlobStoreContract } from './blob-store.contract.ts';

for (const fsync of [true, false]) {
  runBlobStoreContract(`FsBlobStore (fsync: ${fsync})`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'seedbucket-blobs-'));
    return {
      async open() {
        const store = new FsBlobStore(dir, { fsync });
        await store.init();
        return store;
      },
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
