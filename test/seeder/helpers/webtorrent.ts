/**
 * webtorrent 3 as a test client, typed locally: the package has no types, and an ambient
 * `declare module 'webtorrent'` here could clash with one elsewhere in the repo.
 */
export interface WtTorrent {
  on(event: 'infoHash' | 'done' | 'ready', cb: () => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
  addPeer(addr: string): boolean;
  downloaded: number;
}
export interface WtClient {
  on(event: 'error', cb: (e: Error) => void): void;
  add(id: Buffer | string, opts: { path: string; announce?: string[] }): WtTorrent;
  destroy(cb: () => void): void;
}
type WtCtor = new (opts: Record<string, unknown>) => WtClient;

/** a webtorrent client that talks to nothing but the peers it is given (loopback) */
export async function webtorrentClient(): Promise<WtClient> {
  const specifier: string = 'webtorrent';
  const mod = (await import(specifier)) as { default: WtCtor };
  return new mod.default({ dht: false, lsd: false, utPex: false, natUpnp: false, natPmp: false, utp: false, tracker: false, webSeeds: false });
}

/** download `id` (.torrent bytes or magnet) into `dir` from the peer at `addr` */
export async function webtorrentDownload(id: Buffer | string, dir: string, addr: string, timeoutMs = 180_000): Promise<void> {
  const client = await webtorrentClient();
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`webtorrent did not finish in ${timeoutMs} ms`)), timeoutMs);
      const fail = (e: Error): void => { clearTimeout(timer); reject(e); };
      client.on('error', fail);
      const torrent = client.add(id, { path: dir, announce: [] });
      torrent.on('infoHash', () => torrent.addPeer(addr));
      torrent.on('error', fail);
      torrent.on('done', () => { clearTimeout(timer); resolve(); });
    });
  } finally {
    await new Promise<void>((resolve) => client.destroy(() => resolve()));
  }
}
