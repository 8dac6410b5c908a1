import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { SqliteMetadataStore } from '../meta/sqlite-store.ts';
import { FsBlobStore } from '../storage/fs-blob-store.ts';
import type { ServerConfig } from './config.ts';
import type { Services } from './context.ts';
import { hashThreads } from './hash-threads.ts';
import { createS3Server } from './http.ts';
import { startBitTorrent } from './bittorrent.ts';
import { log } from './log.ts';
import { UploadBudget } from './upload-budget.ts';
import { UsageMeter } from './usage.ts';

export interface RunningServer {
  services: Services;
  s3: Server;
  endpoints: { name: string; url: string }[];
  close(): Promise<void>;
}

/** Open the embedded store (local disk + SQLite), recover from any crash, and start listening. */
export async function startServer(config: ServerConfig): Promise<RunningServer> {
  mkdirSync(config.dataDir, { recursive: true });
  const meta = new SqliteMetadataStore(path.join(config.dataDir, 'meta.sqlite'));
  const blobs = new FsBlobStore(config.dataDir, { fsync: config.fsync });
  hashThreads.size = config.hashThreads;
  await blobs.init();
  meta.ensureRootAccount(config.rootAccessKey, config.rootSecretKey);

  const recovered = await blobs.recover((id) => meta.isBlobReferenced(id));
  const services: Services = {
    config, meta, blobs, inflight: new Set(), usage: new UsageMeter(meta), uploadBudget: new UploadBudget(config.uploadLimit),
    collectGarbage(ids) {
      for (const id of ids) blobs.remove(id, () => meta.forgetGarbage([id]));
    },
  };
  const leftover = meta.pendingGarbage();
  services.collectGarbage(leftover);
  if (recovered.finished + recovered.removed + leftover.length > 0) {
    log.info({ ...recovered, garbage: leftover.length }, 'recovered from an unclean stop');
  }

  const s3 = createS3Server(services);
  await new Promise<void>((resolve, reject) => {
    s3.once('error', reject);
    s3.listen(config.port, config.host, () => { s3.off('error', reject); resolve(); });
  });
  const port = (s3.address() as AddressInfo).port;
  const scheme = config.tls ? 'https' : 'http';
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const endpoints = [{ name: 's3', url: `${scheme}://${host}:${port}` }];
  if (!config.publicUrl) config.publicUrl = endpoints[0]!.url;
  services.bittorrent = await startBitTorrent(services);
  endpoints.push(...services.bittorrent.endpoints);

  return {
    services, s3, endpoints,
    async close() {
      await new Promise<void>((resolve) => {
        s3.close(() => resolve());
        s3.closeIdleConnections();
      });
      await Promise.allSettled([...services.inflight]);
      await services.bittorrent?.close();
      services.usage.close();
      meta.close();
    },
  };
}
