import path from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteMetadataStore } from '../meta/sqlite-store.ts';
import { envDefault } from './options.ts';

export const ADMIN_HELP = `Usage: seedbucket admin <command> [--data <dir>]

Manage the store in --data (default ./data, or SEEDBUCKET_DATA). Works while the server runs on the
same directory; the server sees every change at once.

Commands:
  account create <name>                 create an account; prints JSON with accountId, canonicalUserId,
                                        accessKeyId and secretAccessKey
  account list                          list accounts as JSON
  key create <accountId>                create another access key for an account (the secret is shown once)
  key revoke <accessKeyId>              revoke a key: from then on requests get 403 InvalidAccessKeyId
  usage [<accountId>]                   requests and bytes per operation, charged to owner or requester
  bucket torrent-format <bucket> <v1|hybrid|default>
                                        torrent format for one bucket's objects

Every command accepts --help.
`;

const SUB_HELP: Record<string, string> = {
  account: 'Usage: seedbucket admin account create <name> | account list [--data <dir>]\n',
  key: 'Usage: seedbucket admin key create <accountId> | key revoke <accessKeyId> [--data <dir>]\n',
  usage: 'Usage: seedbucket admin usage [<accountId>] [--data <dir>]\n',
  bucket: 'Usage: seedbucket admin bucket torrent-format <bucket> <v1|hybrid|default> [--data <dir>]\n',
};

function print(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

export async function admin(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: { data: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [group, ...args] = positionals;
  if (values.help || group === undefined) {
    process.stdout.write(group && SUB_HELP[group] ? SUB_HELP[group] : ADMIN_HELP);
    return;
  }
  const dataDir = envDefault('data', values.data) ?? './data';
  const meta = new SqliteMetadataStore(path.join(dataDir, 'meta.sqlite'));
  try {
    run(meta, group, args);
  } finally {
    meta.close();
  }
}

function run(meta: SqliteMetadataStore, group: string, args: string[]): void {
  const fail = (msg: string): never => { throw new Error(`${msg}\n${SUB_HELP[group] ?? ADMIN_HELP}`); };
  const [cmd, a, b] = args;
  switch (group) {
    case 'account':
      if (cmd === 'create' && a) {
        const { account, key } = meta.createAccount(a);
        print({ ...account, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey });
      } else if (cmd === 'list') {
        print(meta.listAccounts());
      } else fail('expected: account create <name> | account list');
      return;
    case 'key':
      if (cmd === 'create' && a) {
        if (!meta.getAccount(a)) fail(`no such account: ${a}`);
        const key = meta.createKey(a);
        print({ accountId: key.accountId, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey });
      } else if (cmd === 'revoke' && a) {
        if (!meta.revokeKey(a)) fail(`no such key: ${a}`);
        print({ accessKeyId: a, revoked: true });
      } else fail('expected: key create <accountId> | key revoke <accessKeyId>');
      return;
    case 'usage':
      print(meta.usage(cmd));
      return;
    case 'bucket':
      if (cmd === 'torrent-format' && a && b && ['v1', 'hybrid', 'default'].includes(b)) {
        if (!meta.getBucket(a)) fail(`no such bucket: ${a}`);
        meta.updateBucket(a, { torrentFormat: b === 'default' ? null : (b as 'v1' | 'hybrid') });
        print({ bucket: a, torrentFormat: b });
      } else fail('expected: bucket torrent-format <bucket> <v1|hybrid|default>');
      return;
    default:
      fail(`unknown admin command: ${group}`);
  }
}
