import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command,
  PutObjectCommand, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import { parseErrorXml, rawRequest } from '../helpers/raw.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let s3: S3Client;
const BUCKET = 'deletes';

const put = (key: string, body = `body of ${key}`) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch (e) {
    if (e instanceof S3ServiceException && e.$metadata.httpStatusCode === 404) return false;
    throw e;
  }
}

const named = (name: string) => (e: unknown) => e instanceof S3ServiceException && e.name === name;

function deleteXml(keys: string[], quiet?: boolean): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<?xml version="1.0" encoding="UTF-8"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${
    quiet === undefined ? '' : `<Quiet>${quiet}</Quiet>`}${keys.map((k) => `<Object><Key>${esc(k)}</Key></Object>`).join('')}</Delete>`;
}

const rawDelete = (body: string, headers: Record<string, string> = {}) =>
  rawRequest(server.url, { method: 'POST', path: `/${BUCKET}`, query: [['delete', '']], body, headers });

const md5 = (s: string) => createHash('md5').update(s).digest('base64');

const blobFiles = () =>
  readdirSync(path.join(server.dataDir, 'blobs'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length;

/** Blob files on disk, polled until they settle at `expected` (removal is asynchronous). */
async function blobFilesSettle(expected: number): Promise<number> {
  for (let i = 0; i < 50 && blobFiles() !== expected; i++) await new Promise((r) => setTimeout(r, 50));
  return blobFiles();
}

before(async () => {
  server = await startTestServer();
  s3 = server.client();
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

after(async () => {
  s3?.destroy();
  await server?.stop();
  server?.cleanup();
});

describe('DeleteObject', () => {
  it('deletes an object and its bytes: 204, then GET → NoSuchKey', async () => {
    const before = blobFiles();
    await put('one');
    const r = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'one' }));
    assert.equal(r.$metadata.httpStatusCode, 204);
    assert.equal(await blobFilesSettle(before), before);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'one' })), named('NoSuchKey'));
  });

  it('answers 204 for a key that does not exist', async () => {
    const r = await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'never/was' }));
    assert.equal(r.$metadata.httpStatusCode, 204);
  });

  it('deletes only the exact key (no prefix matching, odd characters)', async () => {
    for (const k of ['dir/a b', 'dir/a b/c', 'dir/ü+%?#']) await put(k);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'dir/a b' }));
    assert.equal(await exists('dir/a b'), false);
    assert.equal(await exists('dir/a b/c'), true);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'dir/ü+%?#' }));
    assert.equal(await exists('dir/ü+%?#'), false);
  });

  it('in a bucket that does not exist → NoSuchBucket', async () => {
    await assert.rejects(s3.send(new DeleteObjectCommand({ Bucket: 'no-such-bucket-x', Key: 'k' })), named('NoSuchBucket'));
  });

  it('frees the bytes: a re-put of the key reads back the new body', async () => {
    await put('again', 'first');
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'again' }));
    await put('again', 'second');
    const r = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'again' }));
    assert.equal(await r.Body!.transformToString(), 'second');
  });
});

describe('DeleteObjects', () => {
  it('verbose: reports every key as Deleted, existing or not, and removes the bytes', async () => {
    const keys = ['m/1', 'm/2', 'm/sp ace & <amp>', 'm/ключ'];
    const before = blobFiles();
    for (const k of keys) await put(k);
    assert.equal(blobFiles(), before + keys.length);
    const r = await s3.send(new DeleteObjectsCommand({
      Bucket: BUCKET, Delete: { Objects: [...keys, 'm/missing'].map((Key) => ({ Key })) },
    }));
    assert.deepEqual(r.Deleted?.map((d) => d.Key).sort(), [...keys, 'm/missing'].sort());
    assert.equal(r.Errors, undefined);
    for (const k of keys) assert.equal(await exists(k), false, k);
    assert.equal(await blobFilesSettle(before), before);
  });

  it('quiet: lists nothing when everything succeeded', async () => {
    await put('q/1');
    await put('q/2');
    const r = await s3.send(new DeleteObjectsCommand({
      Bucket: BUCKET, Delete: { Quiet: true, Objects: [{ Key: 'q/1' }, { Key: 'q/2' }, { Key: 'q/3' }] },
    }));
    assert.equal(r.Deleted, undefined);
    assert.equal(r.Errors, undefined);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'q/' }));
    assert.equal(left.KeyCount, 0);
  });

  it('quiet still lists errors; a key error does not stop the others', async () => {
    await put('e/ok');
    const long = 'k'.repeat(1025);
    const body = deleteXml(['e/ok', long], true).replace('</Delete>', '<Object><Key>e/v</Key><VersionId>abc</VersionId></Object></Delete>');
    const r = await rawDelete(body, { 'content-md5': md5(body) });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /<DeleteResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/">/);
    assert.doesNotMatch(r.text, /<Deleted>/);
    assert.match(r.text, new RegExp(`<Error><Key>${long}</Key><Code>KeyTooLongError</Code><Message>[^<]+</Message></Error>`));
    assert.match(r.text, /<Error><Key>e\/v<\/Key><VersionId>abc<\/VersionId><Code>NoSuchVersion<\/Code>/);
    assert.equal(await exists('e/ok'), false);
  });

  it('VersionId "null" deletes the (only) version', async () => {
    await put('v/null');
    const r = await s3.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'v/null', VersionId: 'null' }] } }));
    assert.deepEqual(r.Deleted, [{ Key: 'v/null', VersionId: 'null' }]);
    assert.equal(await exists('v/null'), false);
  });

  it('keys with whitespace and character references come through exactly', async () => {
    const keys = [' lead', 'trail ', 'tab\there', 'cr\rlf\n'];
    for (const k of keys) await put(k);
    const body = `<Delete>${keys.map((k) => `<Object><Key>${k.replace(/\r/g, '&#13;').replace(/\n/g, '&#xA;')}</Key></Object>`).join('')}</Delete>`;
    const r = await rawDelete(body, { 'content-md5': md5(body) });
    assert.equal(r.status, 200, r.text);
    for (const k of keys) assert.equal(await exists(k), false, JSON.stringify(k));
  });

  it('1000 keys are accepted, 1001 → MalformedXML', async () => {
    const ok = await s3.send(new DeleteObjectsCommand({
      Bucket: BUCKET, Delete: { Quiet: true, Objects: Array.from({ length: 1000 }, (_, i) => ({ Key: `many/${i}` })) },
    }));
    assert.equal(ok.$metadata.httpStatusCode, 200);
    await assert.rejects(s3.send(new DeleteObjectsCommand({
      Bucket: BUCKET, Delete: { Objects: Array.from({ length: 1001 }, (_, i) => ({ Key: `many/${i}` })) },
    })), named('MalformedXML'));
  });

  it('requires Content-MD5 or a checksum header', async () => {
    await put('md5/x');
    const body = deleteXml(['md5/x']);
    const missing = await rawDelete(body);
    assert.equal(missing.status, 400);
    assert.equal(parseErrorXml(missing.text)?.Code, 'InvalidRequest');
    assert.equal(await exists('md5/x'), true);
    const wrong = await rawDelete(body, { 'content-md5': md5('something else') });
    assert.equal(wrong.status, 400);
    assert.equal(parseErrorXml(wrong.text)?.Code, 'BadDigest');
    assert.equal(await exists('md5/x'), true);
    const good = await rawDelete(body, { 'content-md5': md5(body) });
    assert.equal(good.status, 200, good.text);
    assert.match(good.text, /<Deleted><Key>md5\/x<\/Key><\/Deleted>/);
    assert.equal(await exists('md5/x'), false);
  });

  for (const [what, body] of [
    ['not XML', 'this is not xml'],
    ['another root', '<Remove><Object><Key>a</Key></Object></Remove>'],
    ['no Object', '<Delete><Quiet>true</Quiet></Delete>'],
    ['an Object without Key', '<Delete><Object><VersionId>null</VersionId></Object></Delete>'],
    ['a bad Quiet', '<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>'],
  ] as const) {
    it(`${what} → 400 MalformedXML`, async () => {
      const r = await rawDelete(body, { 'content-md5': md5(body) });
      assert.equal(r.status, 400);
      assert.equal(parseErrorXml(r.text)?.Code, 'MalformedXML');
    });
  }
});
