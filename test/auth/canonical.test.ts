/** Canonical request pieces, fuzzed against smithy's own canonicaliser. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getCanonicalQuery } from '@smithy/signature-v4';
import { canonicalHeaderValue, canonicalUris } from '../../src/s3/auth/canonical-request.ts';
import { canonicalQuery } from '../../src/s3/auth/query.ts';
import { looseEncode, strictEncode, wireQuery } from './helpers.ts';

const ALPHABET = ['a', 'Z', '0', '-', '_', '.', '~', ' ', '+', '%', '&', '=', '/', '?', '#', '!', '*', "'", '(', ')', '$', ',', ';', ':', '@', '[', ']', 'é', 'ß', '日', '😀', '\t', '"'];

function randomString(next: () => number, max: number): string {
  let s = '';
  const n = next() % (max + 1);
  for (let i = 0; i < n; i++) s += ALPHABET[next() % ALPHABET.length];
  return s;
}

test('canonical query equals smithy getCanonicalQuery over 2000 random queries, strict and loose wire encodings', () => {
  let seed = 12345;
  const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed >>> 4; };
  for (let i = 0; i < 2000; i++) {
    const query: Record<string, string> = {};
    const count = 1 + (next() % 5);
    for (let j = 0; j < count; j++) {
      const name = randomString(next, 6) || `p${j}`;
      query[name] = randomString(next, 8);
    }
    const encode = next() % 2 === 0 ? strictEncode : looseEncode;
    const wire = wireQuery(query, Object.keys(query), encode);
    assert.equal(canonicalQuery(wire), getCanonicalQuery({ method: 'GET', protocol: 'http:', hostname: 'h', path: '/', headers: {}, query } as never), wire);
  }
});

test('canonical query details', () => {
  assert.equal(canonicalQuery(''), '');
  assert.equal(canonicalQuery('torrent'), 'torrent=');
  assert.equal(canonicalQuery('uploads&prefix=a'), 'prefix=a&uploads=');
  assert.equal(canonicalQuery('a=2&a=1&b'), 'a=1&a=2&b=');
  assert.equal(canonicalQuery('&&x=1&'), 'x=1');
  assert.equal(canonicalQuery('k=a+b'), 'k=a%20b'); // a bare '+' in a query is a space, as S3 reads it
  assert.equal(canonicalQuery('a+b=c%2Bd'), 'a%20b=c%2Bd');
  assert.equal(canonicalQuery('k=a%2bb%20c'), 'k=a%2Bb%20c');
  assert.equal(canonicalQuery('k=100%'), 'k=100%25');
  assert.equal(canonicalQuery('k=%zz'), 'k=%25zz');
  assert.equal(canonicalQuery('X-Amz-Signature=abc&X-Amz-Date=1', 'X-Amz-Signature'), 'X-Amz-Date=1');
  // sorted by the encoded bytes: upper case before lower case
  assert.equal(canonicalQuery('b=1&B=1&_=1&~=1'), 'B=1&_=1&b=1&~=1');
});

test('canonical URI candidates', () => {
  assert.deepEqual(canonicalUris(''), ['/']);
  assert.deepEqual(canonicalUris('/bucket/key.txt'), ['/bucket/key.txt']);
  assert.deepEqual(canonicalUris('/b/a%20b%2Bc'), ['/b/a%20b%2Bc']);
  assert.deepEqual(canonicalUris('/b/a+b'), ['/b/a%2Bb', '/b/a+b']);
  assert.deepEqual(canonicalUris('/b/%e6%97%a5'), ['/b/%E6%97%A5', '/b/%e6%97%a5']);
  assert.deepEqual(canonicalUris('/b/x%2Fy'), ['/b/x/y', '/b/x%2Fy']);
  assert.deepEqual(canonicalUris('/test$file.text'), ['/test%24file.text', '/test$file.text']);
  assert.deepEqual(canonicalUris('/b/~tilde-_.'), ['/b/~tilde-_.']);
});

test('canonical header values: trimmed, runs of spaces collapsed, repeats joined with ","', () => {
  const req = {
    method: 'GET', rawPath: '/', rawQuery: '',
    headers: { 'x-amz-meta-a': '1, 2', 'x-amz-meta-b': '  lots   of \t space  ', 'set-cookie': ['a', ' b '] },
  };
  assert.equal(canonicalHeaderValue(req, 'x-amz-meta-b'), 'lots of space');
  assert.equal(canonicalHeaderValue(req, 'x-amz-meta-a'), '1, 2'); // Node already joined them; nothing to undo
  assert.equal(canonicalHeaderValue(req, 'set-cookie'), 'a,b');
  assert.equal(canonicalHeaderValue(req, 'absent'), '');
  const raw = { ...req, rawHeaders: ['X-Amz-Meta-A', ' 1 ', 'Host', 'h', 'x-amz-meta-a', '2'] };
  assert.equal(canonicalHeaderValue(raw, 'x-amz-meta-a'), '1,2');
  assert.equal(canonicalHeaderValue(raw, 'X-Amz-Meta-B'), 'lots of space');
});
