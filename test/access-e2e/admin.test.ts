// `seedbucket admin` against a running server's data directory: accounts and keys made while the server
// runs work at once, a revoked key is refused at once with 403 InvalidAccessKeyId, usage is readable, and
// --help answers at every level without touching anything.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetBucketAclCommand, ListBucketsCommand, type S3Client } from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { run } from '../helpers/tools.ts';
import { BIN, admin, adminJson, attempt, clientFor, createAccount, rawCall, rootAccount, type Account } from './harness.ts';

describe('seedbucket admin while the server runs', () => {
  let server: TestServer;
  let root: Account;
  const clients: S3Client[] = [];
  const client = (a: Pick<Account, 'accessKeyId' | 'secretAccessKey'>) => {
    const c = clientFor(server, a);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startTestServer();
    root = await rootAccount(server);
  });

  after(async () => {
    for (const c of clients) c.destroy();
    if (server) { await server.stop(); server.cleanup(); }
  });

  it('the root credentials belong to the first account', async () => {
    const list = await adminJson<Array<{ accountId: string; canonicalUserId: string; name: string }>>(server.dataDir, ['account', 'list']);
    assert.equal(list.length, 1);
    assert.match(list[0]!.accountId, /^[0-9]{12}$/);
    const owner = await client(root).send(new ListBucketsCommand({}));
    assert.equal(owner.Owner?.ID, list[0]!.canonicalUserId);
  });

  it('account create prints a working key pair; account list shows the account without secrets', async () => {
    const a = await createAccount(server, 'created-live');
    const c = client(a);
    const listed = await c.send(new ListBucketsCommand({}));
    assert.equal(listed.Owner?.ID, a.canonicalUserId);
    await c.send(new CreateBucketCommand({ Bucket: 'made-by-live-account' }));
    assert.equal((await c.send(new GetBucketAclCommand({ Bucket: 'made-by-live-account' }))).Owner?.ID, a.canonicalUserId);
    const r = await admin(server.dataDir, ['account', 'list']);
    assert.equal(r.code, 0);
    const list = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    assert.ok(list.some((x) => x.accountId === a.accountId && x.canonicalUserId === a.canonicalUserId && x.name === 'created-live'));
    assert.equal(list[0]!.accountId, root.accountId, 'the root account stays first');
    assert.ok(!r.stdout.includes(a.secretAccessKey), 'account list prints no secret keys');
  });

  it('concurrent admin commands against a running server all succeed (writes wait for the lock)', async () => {
    // 3 rounds of 6 at once: before write transactions began IMMEDIATE, a few in 30 failed "database is locked".
    for (let round = 0; round < 3; round++) {
      const made = await Promise.all(Array.from({ length: 6 }, (_, i) => createAccount(server, `parallel-${round}-${i}`)));
      assert.equal(new Set(made.map((a) => a.accountId)).size, 6);
      const listed = await client(root).send(new CreateBucketCommand({ Bucket: `parallel-round-${round}` }));
      assert.equal(listed.$metadata.httpStatusCode, 200, 'the server keeps writing too');
    }
  });

  it('key create adds a second key to the account; key revoke refuses that key at once, and only it', async () => {
    const a = await createAccount(server, 'two-keys');
    const k = await adminJson<{ accountId: string; accessKeyId: string; secretAccessKey: string }>(server.dataDir, ['key', 'create', a.accountId]);
    assert.equal(k.accountId, a.accountId);
    assert.notEqual(k.accessKeyId, a.accessKeyId);
    const second = client(k);
    assert.equal((await second.send(new ListBucketsCommand({}))).Owner?.ID, a.canonicalUserId, 'the new key acts as the account');

    const revoked = await adminJson<{ accessKeyId: string; revoked: boolean }>(server.dataDir, ['key', 'revoke', k.accessKeyId]);
    assert.deepEqual(revoked, { accessKeyId: k.accessKeyId, revoked: true });
    assert.deepEqual(await attempt(() => second.send(new ListBucketsCommand({}))), { ok: false, status: 403, code: 'InvalidAccessKeyId' });
    const raw = await rawCall(server.url, { method: 'GET', path: '/', account: k });
    assert.deepEqual([raw.status, raw.code], [403, 'InvalidAccessKeyId'], raw.text);
    // A fresh client (new connection) is refused too; the account's first key still works.
    assert.equal((await attempt(() => client(k).send(new ListBucketsCommand({})))).code, 'InvalidAccessKeyId');
    assert.equal((await client(a).send(new ListBucketsCommand({}))).Owner?.ID, a.canonicalUserId);
    // Revoking the first key too: the account has no working key left.
    await adminJson(server.dataDir, ['key', 'revoke', a.accessKeyId]);
    assert.equal((await attempt(() => client(a).send(new ListBucketsCommand({})))).code, 'InvalidAccessKeyId');
    // Unknown and malformed use fail with a message and a non-zero exit, changing nothing.
    const unknownKey = await admin(server.dataDir, ['key', 'revoke', 'AKNOTAKEY0000000']);
    assert.notEqual(unknownKey.code, 0);
    assert.match(unknownKey.stderr, /no such key/);
    const unknownAccount = await admin(server.dataDir, ['key', 'create', '000000000000']);
    assert.notEqual(unknownAccount.code, 0);
    assert.match(unknownAccount.stderr, /no such account/);
    assert.equal((await client(root).send(new ListBucketsCommand({}))).Owner?.ID, root.canonicalUserId, 'root key unaffected');
  });

  it('usage [<accountId>] prints the counters as JSON', async () => {
    const all = await adminJson<unknown[]>(server.dataDir, ['usage']);
    assert.ok(Array.isArray(all));
    const mine = await adminJson<Array<{ accountId: string }>>(server.dataDir, ['usage', root.accountId]);
    assert.ok(mine.every((r) => r.accountId === root.accountId));
  });

  it('bad invocations fail with the usage text', async () => {
    const cases = [['account', 'create'], ['account', 'frobnicate'], ['key'], ['key', 'create'], ['bucket', 'torrent-format', 'x'], ['no-such-group'], ['account', 'list', '--no-such-flag']];
    const accountsBefore = (await adminJson<unknown[]>(server.dataDir, ['account', 'list'])).length;
    const results = await Promise.all(cases.map((args) => admin(server.dataDir, args)));
    cases.forEach((args, i) => {
      const r = results[i]!;
      assert.notEqual(r.code, 0, `admin ${args.join(' ')} should fail`);
      assert.match(r.stderr, /Usage: seedbucket admin|unknown|seedbucket:/, `admin ${args.join(' ')}: ${r.stderr}`);
    });
    const accounts = await adminJson<unknown[]>(server.dataDir, ['account', 'list']);
    assert.equal(accounts.length, accountsBefore, 'the failed invocations created no account');
  });
});

// Each level is its own process: run a few at once.
describe('seedbucket admin --help at every level', { concurrency: 4 }, () => {
  let dir: string;
  before(() => { dir = mkdtempSync(path.join(tmpdir(), 'seedbucket-admin-help-')); });
  after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  /** [arguments, what the help must mention] */
  const LEVELS: Array<[string[], RegExp[]]> = [
    [['--help'], [/Usage: seedbucket admin/, /account create <name>/, /account list/, /key create <accountId>/, /key revoke <accessKeyId>/, /usage \[<accountId>\]/, /--data/]],
    [['-h'], [/Usage: seedbucket admin/, /key revoke/]],
    [[], [/Usage: seedbucket admin/, /account create/]],
    [['account', '--help'], [/Usage: seedbucket admin account create <name>/, /account list/]],
    [['account', 'create', '--help'], [/account create <name>/]],
    [['account', 'create', 'not-created', '--help'], [/account create <name>/]],
    [['account', 'list', '--help'], [/account list/]],
    [['key', '--help'], [/key create <accountId>/, /key revoke <accessKeyId>/]],
    [['key', 'create', '--help'], [/key create <accountId>/]],
    [['key', 'revoke', '--help'], [/key revoke <accessKeyId>/]],
    [['usage', '--help'], [/usage \[<accountId>\]/]],
    [['bucket', '--help'], [/bucket torrent-format <bucket>/]],
    [['bucket', 'torrent-format', '--help'], [/torrent-format/]],
  ];

  for (const [args, wanted] of LEVELS) {
    it(`admin ${args.join(' ') || '(no arguments)'}`, async () => {
      const data = path.join(dir, 'data');
      const r = await run(process.execPath, [BIN, 'admin', ...args, '--data', data], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, r.stderr);
      for (const w of wanted) assert.match(r.stdout, w);
      assert.equal(r.stderr, '');
      // Help acts on nothing: no store was even opened.
      assert.equal(existsSync(path.join(data, 'meta.sqlite')), false, 'help must not create or open the store');
    });
  }

  it('seedbucket --help points at admin --help', async () => {
    const r = await run(process.execPath, [BIN, '--help'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /admin/);
    assert.match(r.stdout, /seedbucket admin --help|Usage: seedbucket admin/);
  });
});
