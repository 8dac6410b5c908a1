import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { crc32, crc32c, makeCrc32 } from '../../src/s3/auth/crc.ts';

const ascii = (s: string): Buffer => Buffer.from(s, 'latin1');

test('CRC-32C check values', () => {
  assert.equal(crc32c(0, ascii('123456789')), 0xe3069283);
  assert.equal(crc32c(0, Buffer.alloc(0)), 0);
  // RFC 3720 (iSCSI) B.4 test patterns
  assert.equal(crc32c(0, Buffer.alloc(32, 0x00)), 0x8a9136aa);
  assert.equal(crc32c(0, Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(0, Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  assert.equal(crc32c(0, Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
});

test('CRC-32C of the AWS trailer example (66560 × "a") is sOO8/Q==', () => {
  const crc = crc32c(0, Buffer.alloc(66560, 'a'));
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc);
  assert.equal(b.toString('base64'), 'sOO8/Q==');
});

test('CRC-32 check value, and the table implementation agrees with zlib', () => {
  assert.equal(crc32(0, ascii('123456789')), 0xcbf43926);
  const table = makeCrc32(0xedb88320);
  assert.equal(table(0, ascii('123456789')), 0xcbf43926);
  for (const n of [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4099]) {
    const data = randomBytes(n);
    assert.equal(table(0, data), zlib.crc32(data), `length ${n}`);
  }
});

test('incremental updates over arbitrary splits equal one pass', () => {
  const data = randomBytes(10_007);
  for (const update of [crc32, crc32c]) {
    const whole = update(0, data);
    for (const step of [1, 3, 8, 13, 4096]) {
      let c = 0;
      for (let i = 0; i < data.length; i += step) c = update(c, data.subarray(i, i + step));
      assert.equal(c, whole, `step ${step}`);
    }
  }
});

test('CRC-32C is reasonably fast (slicing-by-8)', () => {
  const data = randomBytes(16 * 1024 * 1024);
  const t0 = process.hrtime.bigint();
  crc32c(0, data);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // ~10× headroom over what slicing-by-8 does on a slow machine; a bytewise loop is far slower
  assert.ok(ms < 1500, `16 MiB took ${ms.toFixed(0)} ms`);
});
