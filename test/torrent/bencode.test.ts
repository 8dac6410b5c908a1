import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Encoded, bencode } from '../../src/torrent/bencode.ts';
import { strictDecode } from '../helpers/strict-bdecode.ts';

test('bencode: basic values', () => {
  assert.equal(bencode(0).toString(), 'i0e');
  assert.equal(bencode(-42).toString(), 'i-42e');
  assert.equal(bencode('spam').toString(), '4:spam');
  assert.equal(bencode('é').toString('latin1'), '2:\u00c3\u00a9');
  assert.equal(bencode(Buffer.from([0, 255])).toString('latin1'), '2:\u0000\u00ff');
  assert.equal(bencode(['a', 1, []]).toString(), 'l1:ai1elee');
  assert.equal(bencode({}).toString(), 'de');
  assert.equal(bencode(new Encoded(Buffer.from('i7e'))).toString(), 'i7e');
});

test('bencode: integers beyond 2^31, 2^32 and up to 2^53 - 1 are exact', () => {
  for (const n of [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 6 * 2 ** 30, 5_000_000_001, Number.MAX_SAFE_INTEGER]) {
    assert.equal(bencode(n).toString(), `i${BigInt(n)}e`);
    assert.equal(strictDecode(bencode(n)), n);
  }
  for (const bad of [1.5, Number.NaN, Infinity, 2 ** 53, -(2 ** 53)]) assert.throws(() => bencode(bad), RangeError, String(bad));
});

test('bencode: dict keys sorted by raw UTF-8 bytes, not UTF-16 code units', () => {
  // '\uff61' < '😀' in UTF-8 (EF.. < F0..) but > in UTF-16 (0xFF61 > 0xD83D)
  const out = bencode({ '😀': 1, '\uff61': 2, b: 3, a: 4, B: 5 });
  assert.equal(out.toString('utf8'), 'd1:Bi5e1:ai4e1:bi3e3:\uff61i2e4:😀i1ee');
  strictDecode(out);
});

test('bencode: binary Map keys sort with string keys; duplicates and undefined', () => {
  const m = new Map<string | Buffer, number>([[Buffer.from([0xff]), 1], ['a', 2], [Buffer.from([0x00]), 3]]);
  assert.deepEqual(bencode(m), Buffer.concat([Buffer.from('d1:'), Buffer.from([0]), Buffer.from('i3e1:ai2e1:'), Buffer.from([0xff]), Buffer.from('i1ee')]));
  assert.throws(() => bencode(new Map<string | Buffer, number>([['a', 1], [Buffer.from('a'), 2]])), /duplicate/);
  assert.equal(bencode({ a: undefined, b: 1 }).toString(), 'd1:bi1ee');
});

test('bencode: plain Uint8Arrays are byte strings (e.g. hashes read back from a database); other objects are refused', () => {
  assert.equal(bencode(new Uint8Array([104, 105])).toString(), '2:hi');
  assert.equal(bencode(new Map([[new Uint8Array([97]), 1]])).toString(), 'd1:ai1ee');
  assert.throws(() => bencode(new Date() as never), TypeError);
  assert.throws(() => bencode(new Set([1]) as never), TypeError);
});
