import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateBucketCommand, ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import { parseErrorXml, rawRequest } from '../helpers/raw.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let s3: S3Client;

/** Put keys with bounded concurrency (small bodies). */
async function putKeys(bucket: string, keys: string[], concurrency = 32): Promise<void> {
  let i = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (i < keys.length) {
      const key = keys[i++]!;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}` }));
    }
  }));
}

async function newBucket(name: string, keys: string[]): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  await putKeys(name, keys);
  return name;
}

const byUtf8 = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** What a listing must return, computed independently: keys after `after` in UTF-8 byte order, rolled up;
 *  a start that is itself a common prefix skips that prefix. */
function model(keys: string[], prefix: string, delimiter?: string, after?: string): string[] {
  const out: string[] = [];
  for (const k of [...keys].sort(byUtf8)) {
    if (!k.startsWith(prefix) || (after !== undefined && byUtf8(k, after) <= 0)) continue;
    let e = k;
    if (delimiter) {
      const i = k.indexOf(delimiter, prefix.length);
      if (i !== -1) e = k.slice(0, i + delimiter.length);
    }
    if (out[out.length - 1] === e || e === after) continue;
    out.push(e);
  }
  return out;
}

/** Walk every page of ListObjectsV2; returns entries in the order S3 semantics define (key order). */
async function walkV2(bucket: string, opts: { Prefix?: string; Delimiter?: string; MaxKeys: number; StartAfter?: string }): Promise<{ entries: string[]; pages: number }> {
  const entries: string[] = [];
  let token: string | undefined;
  let pages = 0;
  for (;;) {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ...opts, ...(token ? { ContinuationToken: token } : {}) }));
    pages++;
    const page = [...(r.Contents ?? []).map((c) => c.Key!), ...(r.CommonPrefixes ?? []).map((p) => p.Prefix!)].sort(byUtf8);
    assert.equal(r.KeyCount, page.length);
    assert.ok(page.length <= opts.MaxKeys, 'page larger than MaxKeys');
    entries.push(...page);
    if (!r.IsTruncated) {
      assert.equal(r.NextContinuationToken, undefined);
      break;
    }
    assert.equal(page.length, opts.MaxKeys, 'a truncated page is full');
    assert.ok(r.NextContinuationToken);
    token = r.NextContinuationToken;
    assert.ok(pages < 500, 'runaway pagination');
  }
  return { entries, pages };
}

async function walkV1(bucket: string, opts: { Prefix?: string; Delimiter?: string; MaxKeys: number }): Promise<string[]> {
  const entries: string[] = [];
  let marker: string | undefined;
  for (let pages = 0; pages < 500; pages++) {
    const r = await s3.send(new ListObjectsCommand({ Bucket: bucket, ...opts, ...(marker !== undefined ? { Marker: marker } : {}) }));
    const page = [...(r.Contents ?? []).map((c) => c.Key!), ...(r.CommonPrefixes ?? []).map((p) => p.Prefix!)].sort(byUtf8);
    entries.push(...page);
    if (!r.IsTruncated) return entries;
    if (opts.Delimiter) assert.equal(r.NextMarker, page[page.length - 1], 'NextMarker names the last entry');
    else assert.equal(r.NextMarker, undefined, 'no NextMarker without a delimiter');
    marker = r.NextMarker ?? page[page.length - 1];
  }
  throw new Error('runaway pagination');
}

async function rawList(bucket: string, query: Array<[string, string]>) {
  return rawRequest(server.url, { method: 'GET', path: `/${bucket}`, query });
}

const TREE = [
  ...Array.from({ length: 40 }, (_, i) => `photos/2024/img${String(i).padStart(3, '0')}.jpg`),
  ...Array.from({ length: 5 }, (_, i) => `photos/2025/img${i}.jpg`),
  'photos/cover.jpg', 'photos/', 'photos//double', 'readme', 'a', 'a/', 'a/b', 'ab', 'a-b/c', 'a.b', 'z/z/z',
  ...Array.from({ length: 15 }, (_, i) => `docs/${i}/x`),
  'docs/top.txt', 'é/accent', 'e/plain',
];

before(async () => {
  server = await startTestServer();
  s3 = server.client();
  await newBucket('tree', TREE);
});

after(async () => {
  s3?.destroy();
  await server?.stop();
  server?.cleanup();
});

describe('ListObjectsV2 pagination', () => {
  for (const delimiter of [undefined, '/', 'o', '2024/']) {
    for (const prefix of ['', 'photos/', 'a', 'docs/', 'nothing']) {
      for (const max of [1, 2, 3, 7, 1000]) {
        it(`prefix=${JSON.stringify(prefix)} delimiter=${JSON.stringify(delimiter)} max-keys=${max}`, async () => {
          const { entries } = await walkV2('tree', { Prefix: prefix, MaxKeys: max, ...(delimiter ? { Delimiter: delimiter } : {}) });
          assert.deepEqual(entries, model(TREE, prefix, delimiter));
        });
      }
    }
  }

  it('a page ending on a CommonPrefix resumes after the whole prefix', async () => {
    const r1 = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', Prefix: 'photos/', Delimiter: '/', MaxKeys: 2 }));
    assert.deepEqual(r1.Contents?.map((c) => c.Key), ['photos/']);
    assert.deepEqual(r1.CommonPrefixes?.map((p) => p.Prefix), ['photos//']);
    assert.equal(r1.IsTruncated, true);
    const r2 = await s3.send(new ListObjectsV2Command({
      Bucket: 'tree', Prefix: 'photos/', Delimiter: '/', MaxKeys: 2, ContinuationToken: r1.NextContinuationToken,
    }));
    assert.deepEqual(r2.CommonPrefixes?.map((p) => p.Prefix), ['photos/2024/', 'photos/2025/']);
    assert.equal(r2.Contents, undefined);
    assert.equal(r2.IsTruncated, true);
    const r3 = await s3.send(new ListObjectsV2Command({
      Bucket: 'tree', Prefix: 'photos/', Delimiter: '/', MaxKeys: 2, ContinuationToken: r2.NextContinuationToken,
    }));
    assert.deepEqual(r3.Contents?.map((c) => c.Key), ['photos/cover.jpg']);
    assert.equal(r3.IsTruncated, false);
    assert.equal(r3.ContinuationToken, r2.NextContinuationToken);
  });

  it('the last entry being a CommonPrefix is not truncated', async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', Prefix: 'z', Delimiter: '/', MaxKeys: 1 }));
    assert.deepEqual(r.CommonPrefixes?.map((p) => p.Prefix), ['z/']);
    assert.equal(r.IsTruncated, false);
  });

  it('start-after is honoured and echoed', async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', StartAfter: 'photos/2025/img4.jpg', MaxKeys: 3 }));
    assert.equal(r.StartAfter, 'photos/2025/img4.jpg');
    assert.deepEqual(r.Contents?.map((c) => c.Key), ['photos/cover.jpg', 'readme', 'z/z/z']);
    const all = await walkV2('tree', { StartAfter: 'docs/top.txt', MaxKeys: 4 });
    assert.deepEqual(all.entries, model(TREE, '', undefined, 'docs/top.txt'));
  });

  it('start-after inside a CommonPrefix still lists that prefix', async () => {
    const { entries } = await walkV2('tree', { Delimiter: '/', StartAfter: 'photos/2024/img010.jpg', MaxKeys: 2 });
    assert.deepEqual(entries, model(TREE, '', '/', 'photos/2024/img010.jpg'));
    assert.equal(entries[0], 'photos/');
  });

  it('start-after before the prefix starts at the prefix', async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', Prefix: 'docs/1', StartAfter: 'a', Delimiter: '/' }));
    assert.deepEqual(r.CommonPrefixes?.map((p) => p.Prefix), ['docs/1/', 'docs/10/', 'docs/11/', 'docs/12/', 'docs/13/', 'docs/14/']);
  });

  it('max-keys=0 lists nothing and is not truncated', async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', MaxKeys: 0 }));
    assert.equal(r.KeyCount, 0);
    assert.equal(r.MaxKeys, 0);
    assert.equal(r.IsTruncated, false);
    assert.equal(r.Contents, undefined);
  });

  it('max-keys above 1000 is capped', async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', MaxKeys: 5000 }));
    assert.equal(r.MaxKeys, 1000);
    assert.equal(r.KeyCount, TREE.length);
  });

  for (const bad of ['abc', '-1', '1.5', '99999999999']) {
    it(`max-keys=${bad} → 400 InvalidArgument`, async () => {
      const r = await rawList('tree', [['list-type', '2'], ['max-keys', bad]]);
      assert.equal(r.status, 400);
      assert.equal(parseErrorXml(r.text)?.Code, 'InvalidArgument');
    });
  }

  it('a forged continuation token → 400 InvalidArgument', async () => {
    for (const token of ['not a token', 'Zm9v', '']) {
      const r = await rawList('tree', [['list-type', '2'], ['continuation-token', token]]);
      assert.equal(r.status, 400, token);
      assert.equal(parseErrorXml(r.text)?.Code, 'InvalidArgument');
    }
  });

  it('fetch-owner decides whether V2 lists the Owner', async () => {
    const without = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', MaxKeys: 1 }));
    assert.equal(without.Contents?.[0]?.Owner, undefined);
    const withOwner = await s3.send(new ListObjectsV2Command({ Bucket: 'tree', MaxKeys: 1, FetchOwner: true }));
    assert.match(withOwner.Contents?.[0]?.Owner?.ID ?? '', /^[0-9a-f]{64}$/);
  });

  it('Contents carry ETag, Size, ISO LastModified with milliseconds and STANDARD', async () => {
    const r = await rawList('tree', [['list-type', '2'], ['prefix', 'readme']]);
    assert.equal(r.status, 200);
    assert.match(r.text, /^<\?xml version="1.0" encoding="UTF-8"\?>\s*<ListBucketResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/">/);
    assert.match(r.text, /<Name>tree<\/Name><Prefix>readme<\/Prefix><KeyCount>1<\/KeyCount><MaxKeys>1000<\/MaxKeys><IsTruncated>false<\/IsTruncated>/);
    assert.match(r.text, /<Contents><Key>readme<\/Key><LastModified>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z<\/LastModified><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag>/);
    assert.match(r.text, /<Size>14<\/Size>(<Owner>.*<\/Owner>)?<StorageClass>STANDARD<\/StorageClass><\/Contents>/);
    assert.doesNotMatch(r.text, /<Marker>|<Owner>|<Delimiter>|<EncodingType>/);
  });
});

describe('ListObjects (V1)', () => {
  for (const delimiter of [undefined, '/']) {
    for (const max of [1, 4, 1000]) {
      it(`pages with Marker/NextMarker, delimiter=${JSON.stringify(delimiter)} max-keys=${max}`, async () => {
        const entries = await walkV1('tree', { MaxKeys: max, ...(delimiter ? { Delimiter: delimiter } : {}) });
        assert.deepEqual(entries, model(TREE, '', delimiter));
      });
    }
  }

  it('echoes Marker, always lists the Owner, and has no KeyCount', async () => {
    const r = await rawList('tree', [['marker', 'readme'], ['max-keys', '1']]);
    assert.equal(r.status, 200);
    assert.match(r.text, /<Name>tree<\/Name><Prefix><\/Prefix><Marker>readme<\/Marker><MaxKeys>1<\/MaxKeys><IsTruncated>true<\/IsTruncated>/);
    assert.match(r.text, /<Key>z\/z\/z<\/Key>.*<Owner><ID>[0-9a-f]{64}<\/ID>/);
    assert.doesNotMatch(r.text, /KeyCount|NextMarker/);
  });

  it('a marker that is a CommonPrefix skips the whole prefix', async () => {
    const r = await s3.send(new ListObjectsCommand({ Bucket: 'tree', Delimiter: '/', Marker: 'docs/', MaxKeys: 2 }));
    assert.equal(r.Contents, undefined);
    assert.deepEqual(r.CommonPrefixes?.map((p) => p.Prefix), ['e/', 'photos/']);
    assert.equal(r.NextMarker, 'photos/');
  });
});

describe('key order and encoding', () => {
  before(async () => {
    await newBucket('order', ['a\uFFFD', 'a😀', 'a\u00e9', 'aZ', 'a~', 'a\u007f', 'a\u0800']);
    await newBucket('encoding', [
      'enc/a b.txt', 'enc/a+b.txt', 'enc/100%.csv', 'enc/한글/x.txt', 'enc/run books/x.txt', 'enc/ctl\u0001key', 'enc/tab\tkey',
      'enc/q?&=#.txt', 'enc/sl/ash',
    ]);
  });

  it('lists in UTF-8 byte order, not UTF-16 order', async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: 'order' }));
    const keys = r.Contents?.map((c) => c.Key);
    assert.deepEqual(keys, ['aZ', 'a~', 'a\u007f', 'a\u00e9', 'a\u0800', 'a\uFFFD', 'a😀']);
    // the same order must hold across pages
    const paged = await walkV2('order', { MaxKeys: 1 });
    assert.deepEqual(paged.entries, keys);
    const startAfter = await s3.send(new ListObjectsV2Command({ Bucket: 'order', StartAfter: 'a\uFFFD' }));
    assert.deepEqual(startAfter.Contents?.map((c) => c.Key), ['a😀']);
  });

  it('encoding-type=url encodes Key, Prefix, Delimiter, StartAfter and CommonPrefixes as S3 does', async () => {
    const r = await rawList('encoding', [
      ['list-type', '2'], ['encoding-type', 'url'], ['prefix', 'enc/'], ['delimiter', '/'], ['start-after', 'enc/ a'],
    ]);
    assert.equal(r.status, 200);
    assert.match(r.text, /<Prefix>enc\/<\/Prefix><StartAfter>enc\/\+a<\/StartAfter>/);
    assert.match(r.text, /<Delimiter>\/<\/Delimiter><EncodingType>url<\/EncodingType><IsTruncated>false<\/IsTruncated>/);
    const keys = [...r.text.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
    assert.deepEqual(keys, ['enc/100%25.csv', 'enc/a+b.txt', 'enc/a%2Bb.txt', 'enc/ctl%01key', 'enc/q%3F%26%3D%23.txt', 'enc/tab%09key']);
    const prefixes = [...r.text.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix><\/CommonPrefixes>/g)].map((m) => m[1]);
    assert.deepEqual(prefixes, ['enc/run+books/', 'enc/sl/', 'enc/%ED%95%9C%EA%B8%80/']);
  });

  it('encoding-type=url round-trips every key through the SDK', async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: 'encoding', EncodingType: 'url' }));
    assert.equal(r.EncodingType, 'url');
    const decoded = r.Contents!.map((c) => decodeURIComponent(c.Key!.replace(/\+/g, ' ')));
    assert.deepEqual(decoded, [
      'enc/100%.csv', 'enc/a b.txt', 'enc/a+b.txt', 'enc/ctl\u0001key', 'enc/q?&=#.txt', 'enc/run books/x.txt', 'enc/sl/ash',
      'enc/tab\tkey', 'enc/한글/x.txt',
    ]);
  });

  it('encoding-type=url in V1 encodes Marker and NextMarker', async () => {
    const r = await rawList('encoding', [['encoding-type', 'url'], ['marker', 'enc/a b.txt'], ['delimiter', '/'], ['prefix', 'enc/'], ['max-keys', '1']]);
    assert.match(r.text, /<Marker>enc\/a\+b.txt<\/Marker><NextMarker>enc\/a%2Bb.txt<\/NextMarker>/);
  });

  it('an unknown encoding-type → 400 InvalidArgument', async () => {
    const r = await rawList('encoding', [['list-type', '2'], ['encoding-type', 'base64']]);
    assert.equal(r.status, 400);
    assert.equal(parseErrorXml(r.text)?.Code, 'InvalidArgument');
  });
});

describe('large prefixes', () => {
  const BIG = [...Array.from({ length: 1100 }, (_, i) => `big/${String(i).padStart(5, '0')}`), 'big0', 'big/', 'bigger/1', 'bigger/2'];
  before(async () => { await newBucket('large', BIG); });

  it('rolls 1100 keys into one CommonPrefix and finds what follows', async () => {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: 'large', Delimiter: '/', MaxKeys: 2 }));
    assert.deepEqual(r.CommonPrefixes?.map((p) => p.Prefix), ['big/']);
    assert.deepEqual(r.Contents?.map((c) => c.Key), ['big0']);
    assert.equal(r.IsTruncated, true);
    const rest = await s3.send(new ListObjectsV2Command({ Bucket: 'large', Delimiter: '/', ContinuationToken: r.NextContinuationToken }));
    assert.deepEqual(rest.CommonPrefixes?.map((p) => p.Prefix), ['bigger/']);
    assert.equal(rest.IsTruncated, false);
  });

  it('pages a listing of more than 1000 keys', async () => {
    const first = await s3.send(new ListObjectsV2Command({ Bucket: 'large' }));
    assert.equal(first.KeyCount, 1000);
    assert.equal(first.IsTruncated, true);
    const { entries, pages } = await walkV2('large', { MaxKeys: 1000 });
    assert.equal(pages, 2);
    assert.deepEqual(entries, model(BIG, ''));
    const v1 = await walkV1('large', { MaxKeys: 1000 });
    assert.deepEqual(v1, model(BIG, ''));
  });
});

it('listing a bucket that does not exist → NoSuchBucket', async () => {
  await assert.rejects(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket-here' })),
    (e: unknown) => e instanceof S3ServiceException && e.name === 'NoSuchBucket');
});
