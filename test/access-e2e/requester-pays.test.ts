// Requester Pays end to end: Put/GetBucketRequestPayment, a non-owner refused without
// x-amz-request-payer and charged with it (x-amz-request-charged on the response), the owner paying its own
// requests, anonymous refused even where the ACL allows it; then the per-account usage counters, read
// with `seedbucket admin usage`, charged to the right account in the right role.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand, GetBucketRequestPaymentCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  PutBucketRequestPaymentCommand, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import {
  anonymousClient, attempt, clientFor, createAccount, pollUsage, rawCall, usage, usageRow, type Account, type UsageRow,
} from './harness.ts';

const SIZE = 40_000;
const PUT_SIZE = 12_345;

describe('Requester Pays and usage counters', () => {
  let server: TestServer;
  let owner: Account;
  let requester: Account;
  let other: Account;
  let o: S3Client;
  let r: S3Client;
  let x: S3Client;
  let anon: S3Client;
  const bucket = 'payer-bucket';
  const data = randomBytes(SIZE);

  before(async () => {
    server = await startTestServer();
    // Fresh accounts (not the root): their usage rows are exactly what this file does.
    [owner, requester, other] = await Promise.all([createAccount(server, 'rp-owner'), createAccount(server, 'rp-requester'), createAccount(server, 'rp-other')]);
    o = clientFor(server, owner);
    r = clientFor(server, requester);
    x = clientFor(server, other);
    anon = anonymousClient(server);
    // Anyone may read and list; the requester may also write. Requester Pays is then the only obstacle.
    await o.send(new CreateBucketCommand({
      Bucket: bucket, GrantFullControl: `id="${owner.canonicalUserId}"`, GrantRead: 'uri="http://acs.amazonaws.com/groups/global/AllUsers"',
      GrantWrite: `id="${requester.canonicalUserId}"`,
    }));
    await o.send(new PutObjectCommand({ Bucket: bucket, Key: 'data', Body: data, ACL: 'public-read' }));
  });

  after(async () => {
    for (const c of [o, r, x, anon]) c?.destroy();
    if (server) { await server.stop(); server.cleanup(); }
  });

  const get = (c: S3Client, payer?: boolean) => c.send(new GetObjectCommand({ Bucket: bucket, Key: 'data', ...(payer ? { RequestPayer: 'requester' } : {}) }));

  it('before Requester Pays, anonymous and other accounts read at the owner\'s cost', async () => {
    assert.equal((await o.send(new GetBucketRequestPaymentCommand({ Bucket: bucket }))).Payer, 'BucketOwner');
    const a = await get(anon);
    assert.equal(a.RequestCharged, undefined);
    assert.ok(Buffer.from(await a.Body!.transformToByteArray()).equals(data));
    // The header is ignored on an owner-pays bucket: nobody is charged.
    const b = await get(r, true);
    assert.equal(b.RequestCharged, undefined);
    await b.Body!.transformToByteArray();
  });

  it('only the owner may read or change the payment configuration', async () => {
    for (const c of [r, x, anon]) {
      assert.equal((await attempt(() => c.send(new PutBucketRequestPaymentCommand({ Bucket: bucket, RequestPaymentConfiguration: { Payer: 'Requester' } })))).status, 403);
      assert.equal((await attempt(() => c.send(new GetBucketRequestPaymentCommand({ Bucket: bucket })))).status, 403);
    }
    assert.equal((await o.send(new GetBucketRequestPaymentCommand({ Bucket: bucket }))).Payer, 'BucketOwner');
    const bad = await rawCall(server.url, { method: 'PUT', path: `/${bucket}`, query: [['requestPayment', '']], account: owner, body: '<RequestPaymentConfiguration><Payer>Nobody</Payer></RequestPaymentConfiguration>' });
    assert.deepEqual([bad.status, bad.code], [400, 'MalformedXML']);
    await o.send(new PutBucketRequestPaymentCommand({ Bucket: bucket, RequestPaymentConfiguration: { Payer: 'Requester' } }));
    assert.equal((await o.send(new GetBucketRequestPaymentCommand({ Bucket: bucket }))).Payer, 'Requester');
    const raw = await rawCall(server.url, { method: 'GET', path: `/${bucket}`, query: [['requestPayment', '']], account: owner });
    assert.match(raw.text, /<Payer>Requester<\/Payer>/);
  });

  it('a non-owner without x-amz-request-payer is refused; with it, served and told it was charged', async () => {
    assert.deepEqual(await attempt(() => get(r)), { ok: false, status: 403, code: 'AccessDenied' });
    for (let i = 0; i < 2; i++) {
      const got = await get(r, true);
      assert.equal(got.RequestCharged, 'requester');
      assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(data));
    }
    const head = await r.send(new HeadObjectCommand({ Bucket: bucket, Key: 'data', RequestPayer: 'requester' }));
    assert.equal(head.RequestCharged, 'requester');
    assert.equal(head.ContentLength, SIZE);
    const list = await r.send(new ListObjectsV2Command({ Bucket: bucket, RequestPayer: 'requester' }));
    assert.equal(list.RequestCharged, 'requester');
    const put = await r.send(new PutObjectCommand({ Bucket: bucket, Key: 'from-requester', Body: randomBytes(PUT_SIZE), RequestPayer: 'requester' }));
    assert.equal(put.RequestCharged, 'requester');
    // Raw HTTP: the header as sent on the wire, and the value compared case-insensitively.
    const raw = await rawCall(server.url, { method: 'GET', path: `/${bucket}/data`, account: requester, headers: { 'x-amz-request-payer': 'Requester', range: 'bytes=0-99' } });
    assert.equal(raw.status, 206);
    assert.equal(raw.headers['x-amz-request-charged'], 'requester');
    const rawRefused = await rawCall(server.url, { method: 'GET', path: `/${bucket}/data`, account: requester, headers: { 'x-amz-request-payer': 'owner' } });
    assert.deepEqual([rawRefused.status, rawRefused.code], [403, 'AccessDenied']);
    assert.equal(rawRefused.headers['x-amz-request-charged'], undefined);
  });

  it('the owner pays its own requests, header or not, and is not told it was charged', async () => {
    for (const payer of [false, true]) {
      const got = await get(o, payer);
      assert.equal(got.RequestCharged, undefined);
      assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(data));
    }
    const raw = await rawCall(server.url, { method: 'GET', path: `/${bucket}/data`, account: owner });
    assert.equal(raw.status, 200);
    assert.equal(raw.headers['x-amz-request-charged'], undefined);
  });

  it('anonymous requests are refused, with or without the header, though the ACL allows them', async () => {
    assert.deepEqual(await attempt(() => get(anon)), { ok: false, status: 403, code: 'AccessDenied' });
    assert.deepEqual(await attempt(() => get(anon, true)), { ok: false, status: 403, code: 'AccessDenied' });
    const raw = await rawCall(server.url, { method: 'GET', path: `/${bucket}/data`, account: null, headers: { 'x-amz-request-payer': 'requester' } });
    assert.deepEqual([raw.status, raw.code], [403, 'AccessDenied']);
    assert.equal(raw.headers['x-amz-request-charged'], undefined);
  });

  it('usage: requester-paid requests are the requester\'s, everything else the owner\'s', async () => {
    // Owner's GetObject: 1 anonymous + 1 requester (owner-pays bucket, before Requester Pays), 1 requester refused,
    // 1 requester refused (raw, wrong header value), 3 owner, 2 anonymous refused, 1 anonymous raw refused.
    // Served bytes: 2 before Requester Pays + 3 by the owner.
    const wantOwnerGet = { requests: 10, bytesOut: 5 * SIZE };
    const wantRequester = {
      GetObject: { requests: 3, bytesOut: 2 * SIZE + 100 },
      HeadObject: { requests: 1, bytesOut: 0 },
      ListObjectsV2: { requests: 1 },
      PutObject: { requests: 1, bytesOut: 0 },
    };
    const rows = await pollUsage(server.dataDir, undefined, (all) => {
      const g = usageRow(all, owner.accountId, 'GetObject', 'owner');
      const rg = usageRow(all, requester.accountId, 'GetObject', 'requester');
      return g?.requests === wantOwnerGet.requests && rg?.requests === wantRequester.GetObject.requests && !!usageRow(all, requester.accountId, 'PutObject', 'requester');
    });
    const ownerGet = usageRow(rows, owner.accountId, 'GetObject', 'owner');
    assert.deepEqual({ requests: ownerGet?.requests, bytesOut: ownerGet?.bytesOut }, wantOwnerGet, JSON.stringify(rows, null, 1));

    // The requester is charged only in the requester role, for exactly what it asked to pay for.
    const mine = rows.filter((x) => x.accountId === requester.accountId);
    assert.deepEqual([...new Set(mine.map((x) => x.role))], ['requester'], JSON.stringify(mine));
    assert.deepEqual(mine.map((x) => x.operation).sort(), Object.keys(wantRequester).sort());
    for (const [op, want] of Object.entries(wantRequester)) {
      const row = usageRow(rows, requester.accountId, op, 'requester')!;
      assert.equal(row.requests, want.requests, op);
      if ('bytesOut' in want) assert.equal(row.bytesOut, want.bytesOut, op);
    }
    assert.ok((usageRow(rows, requester.accountId, 'ListObjectsV2', 'requester')!.bytesOut) > 0, 'listing bytes counted');
    const putIn = usageRow(rows, requester.accountId, 'PutObject', 'requester')!.bytesIn;
    assert.ok(putIn >= PUT_SIZE && putIn < PUT_SIZE + 16_384, `PutObject bytes in: ${putIn}`);

    // The owner is never a requester; the account that only got refused configuration calls pays nothing.
    assert.deepEqual(rows.filter((x) => x.accountId === owner.accountId && x.role === 'requester'), []);
    assert.deepEqual(rows.filter((x) => x.accountId === other.accountId), []);
    // The others' refused Put/GetBucketRequestPayment calls were charged to the owner, with its own:
    // Put: 3 refused + 1 malformed + 1 accepted; Get: 3 refused + 4 by the owner.
    assert.equal(usageRow(rows, owner.accountId, 'PutBucketRequestPayment', 'owner')?.requests, 3 + 1 + 1);
    assert.equal(usageRow(rows, owner.accountId, 'GetBucketRequestPayment', 'owner')?.requests, 3 + 4);

    // `admin usage <accountId>` shows that account's rows only, the same numbers.
    const only: UsageRow[] = await usage(server.dataDir, requester.accountId);
    assert.deepEqual(only.map((x) => `${x.operation}/${x.role}/${x.requests}`).sort(), mine.map((x) => `${x.operation}/${x.role}/${x.requests}`).sort());
  });
});
