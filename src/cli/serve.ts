import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AWS_TORRENT_MAX_SIZE, DEV_ACCESS_KEY, DEV_SECRET_KEY, type ServerConfig } from '../server/config.ts';
import { tuneGcForStreaming } from '../server/gc-tuning.ts';
import { DEFAULT_HASH_THREADS } from '../server/hash-threads.ts';
import { log } from '../server/log.ts';
import { startServer } from '../server/seedbucket.ts';
import { envDefault, parseBool, parseSize } from './options.ts';

export const SERVE_HELP = `Usage: seedbucket serve [options]

Start the S3 server on the embedded default store (object bytes on local disk, metadata in SQLite).
Every option can also be set with an environment variable SEEDBUCKET_<NAME> (e.g. SEEDBUCKET_PORT=9000).

Options:
  --data <dir>               data directory (default ./data)
  --host <addr>              address to listen on (default 127.0.0.1)
  --port <n>                 S3 HTTP port; 0 picks a free port (default 9000)
  --region <name>            region this server answers for (default us-east-1)
  --domain <name>            accept virtual-hosted-style requests, Host: <bucket>.<name>
  --public-url <url>         base URL written into torrents (web seeds) (default http://<host>:<port>); may
                             include a path that a reverse proxy strips before forwarding
  --tracker-url <url>        announce URL written into torrents
  --extra-trackers <urls>    comma-separated announce URLs listed after our own in announce-list
  --torrent-format <v1|hybrid>  default torrent format (default v1: Transmission 3.00 cannot parse
                             hybrid torrents and aria2 1.36 computes a wrong info-hash for them)
  --torrent-max-size <size>  GetObjectTorrent refuses objects this large or larger (default 5368709120, AWS's limit)
  --tls-cert <pem>           serve HTTPS with this certificate (PEM file)
  --tls-key <pem>            private key for --tls-cert
  --insecure-sse-c           accept SSE-C (customer-provided keys) over plain HTTP; for local testing only
  --tracker-port <n>         built-in tracker, HTTP /announce and /scrape and UDP (BEP 15) (default 6969; 0 = any free)
  --peer-port <n>            built-in seeder, BitTorrent peer wire (default 6881; 0 = any free)
  --peer-host <addr>         address announced for the seeder (default: the host of --public-url)
  --web-seed <true|false>    write the object's URL into torrents as a BEP 19 web seed (default true)
  --tracker <true|false>     run the tracker (default true)
  --seeder <true|false>      run the seeder (default true)
  --super-seeding <auto|on|off>  BEP 16 super-seeding; auto: when a swarm has two or more leechers (default auto)
  --private-torrent-ttl <s>  lifetime of a private object's presigned web seed and tracker token, in seconds
                             (default 86400, at most 604800)
  --upload-limit <rate>      cap the server's total upload in bytes per second, e.g. 32MiB; GETs, web seeds
                             and the seeder share it (default: unlimited)
  --fsync <true|false>       fsync object data before acknowledging a write (default true)
  --hash-threads <n>         threads that hash uploads of 8 MiB or more (MD5 ETag, piece hashes) while the
                             main thread receives and writes them; 0 hashes inline (default: cores, at most 4)
  -h, --help                 show this help

Credentials: the root account's key is taken from SEEDBUCKET_ACCESS_KEY / SEEDBUCKET_SECRET_KEY.
Without them the server uses the development defaults ${DEV_ACCESS_KEY} / ${DEV_SECRET_KEY} and warns.
`;

function hashThreadCount(value: string | undefined): number {
  if (value === undefined) return DEFAULT_HASH_THREADS;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new Error('--hash-threads must be an integer from 0 to 64');
  return n;
}

export async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, region: { type: 'string' },
      domain: { type: 'string' }, 'public-url': { type: 'string' }, 'tracker-url': { type: 'string' },
      'extra-trackers': { type: 'string' }, 'torrent-format': { type: 'string' }, 'torrent-max-size': { type: 'string' },
      'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'insecure-sse-c': { type: 'boolean' },
      fsync: { type: 'string' }, 'upload-limit': { type: 'string' }, 'hash-threads': { type: 'string' },
      'tracker-port': { type: 'string' }, 'peer-port': { type: 'string' }, 'peer-host': { type: 'string' },
      'web-seed': { type: 'string' }, tracker: { type: 'string' }, seeder: { type: 'string' },
      'super-seeding': { type: 'string' }, 'private-torrent-ttl': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return;
  }
  const opt = (name: keyof typeof values) => envDefault(name, values[name] as string | undefined);
  const torrentFormat = opt('torrent-format') ?? 'v1';
  if (torrentFormat !== 'v1' && torrentFormat !== 'hybrid') throw new Error('--torrent-format must be v1 or hybrid');
  const portOf = (name: 'port' | 'tracker-port' | 'peer-port', dflt: string) => {
    const n = Number(opt(name) ?? dflt);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--${name} must be 0..65535`);
    return n;
  };
  const port = portOf('port', '9000');
  const superSeeding = opt('super-seeding') ?? 'auto';
  if (superSeeding !== 'auto' && superSeeding !== 'on' && superSeeding !== 'off') throw new Error('--super-seeding must be auto, on or off');
  const privateTorrentTtl = Number(opt('private-torrent-ttl') ?? '86400');
  if (!Number.isInteger(privateTorrentTtl) || privateTorrentTtl < 1 || privateTorrentTtl > 604800) throw new Error('--private-torrent-ttl must be 1..604800 seconds');
  const tlsCert = opt('tls-cert');
  const tlsKey = opt('tls-key');
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new Error('--tls-cert and --tls-key go together');

  let accessKey = process.env.SEEDBUCKET_ACCESS_KEY;
  let secretKey = process.env.SEEDBUCKET_SECRET_KEY;
  if (!accessKey || !secretKey) {
    accessKey = DEV_ACCESS_KEY;
    secretKey = DEV_SECRET_KEY;
    process.stderr.write(`warning: SEEDBUCKET_ACCESS_KEY/SEEDBUCKET_SECRET_KEY not set; using the development credentials ${DEV_ACCESS_KEY} / ${DEV_SECRET_KEY}\n`);
  }
  const insecureSseC = values['insecure-sse-c'] ?? parseBool(process.env.SEEDBUCKET_INSECURE_SSE_C ?? 'false');
  if (insecureSseC) process.stderr.write('warning: --insecure-sse-c: customer encryption keys are accepted over plain HTTP\n');

  const config: ServerConfig = {
    dataDir: opt('data') ?? './data',
    host: opt('host') ?? '127.0.0.1',
    port,
    region: opt('region') ?? 'us-east-1',
    rootAccessKey: accessKey,
    rootSecretKey: secretKey,
    torrentFormat,
    torrentMaxSize: parseSize(opt('torrent-max-size') ?? String(AWS_TORRENT_MAX_SIZE)),
    extraTrackers: (opt('extra-trackers') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    insecureSseC,
    fsync: parseBool(opt('fsync') ?? 'true'),
    hashThreads: hashThreadCount(opt('hash-threads')),
    pieceHashing: process.env.SEEDBUCKET_UNSAFE_NO_PIECE_HASHING !== '1',
    webSeed: parseBool(opt('web-seed') ?? 'true'),
    tracker: parseBool(opt('tracker') ?? 'true'),
    seeder: parseBool(opt('seeder') ?? 'true'),
    trackerPort: portOf('tracker-port', '6969'),
    peerPort: portOf('peer-port', '6881'),
    superSeeding,
    privateTorrentTtl,
    uploadLimit: parseSize((opt('upload-limit') ?? '0').replace(/\/s$/i, '')),
  };
  const domain = opt('domain');
  if (domain) config.domain = domain;
  const publicUrl = opt('public-url');
  if (publicUrl) config.publicUrl = publicUrl.replace(/\/+$/, '');
  const peerHost = opt('peer-host');
  if (peerHost) config.peerHost = peerHost;
  const trackerUrl = opt('tracker-url');
  if (trackerUrl) config.trackerUrl = trackerUrl;
  if (tlsCert && tlsKey) config.tls = { cert: readFileSync(tlsCert, 'utf8'), key: readFileSync(tlsKey, 'utf8') };

  tuneGcForStreaming();
  const server = await startServer(config);
  // One line per endpoint; the s3 line last, so a line reader knows every face is listening once it sees it.
  for (const e of [...server.endpoints.filter((x) => x.name !== 's3'), ...server.endpoints.filter((x) => x.name === 's3')]) {
    process.stdout.write(`seedbucket ${e.name} listening on ${e.url}\n`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // In-flight requests get a grace period, then their sockets are closed (their uploads are discarded).
    const force = setTimeout(() => server.s3.closeAllConnections(), 10_000);
    force.unref();
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
