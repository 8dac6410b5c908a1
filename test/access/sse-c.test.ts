import assert from 'node:assert/strict';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import type { IncomingHttpHeaders } from 'node:http';
import {
  SSE_C_COPY_SOURCE_PREFIX, checkSseCustomerKey, checkSsePartKey, counterAt, createSseCipher, newSseIv,
  parseSseCustomerHeaders, sseRecordFor,
} from '../../src/access/sse-c.ts';
import type { SseCustomerKey } from '../../src/access/sse-c.ts';
import { s3Error } from './helpers.ts';

// The fixed keys of ceph s3-tests, with the MD5s S3 accepts for them.
const KEY_A = 'pO3upElrwuEXSoFwCfnZPdSsmt/xWeFa0N9KgDijwVs=';
const MD5_A = 'DWygnHRtgiJ77HCm+1rvHw==';
const KEY_B = '6b+WOZ1T3cqZMxgThRcXAQBrS5mXKdDUphvpxptl9/4=';
const MD5_B = 'arxBvwY2V4SiOne6yppVPQ==';

const trio = (algorithm: string | undefined, key: string | undefined, md5: string | undefined, prefix = 'x-amz-server-side-encryption-customer-'): IncomingHttpHeaders => {
  const h: IncomingHttpHeaders = {};
  if (algorithm !== undefined) h[`${prefix}algorithm`] = algorithm;
  if (key !== undefined) h[`${prefix}key`] = key;
  if (md5 !== undefined) h[`${prefix}key-md5`] = md5;
  return h;
};
const keyA = (): SseCustomerKey => parseSseCustomerHeaders(trio('AES256', KEY_A, MD5_A))!;
const keyB = (): SseCustomerKey => parseSseCustomerHeaders(trio('AES256', KEY_B, MD5_B))!;
const ARG = { ArgumentName: 'x-amz-server-side-encryption' };
const MUST = 'Requests specifying Server Side Encryption with Customer provided keys must provide';

describe('parseSseCustomerHeaders', () => {
  it('none of the headers → undefined', () => {
    assert.equal(parseSseCustomerHeaders({ 'content-type': 'text/plain' }), undefined);
  });

  it('the trio → the key and its MD5', () => {
    const k = keyA();
    assert.deepEqual(k.key, Buffer.from(KEY_A, 'base64'));
    assert.equal(k.key.length, 32);
    assert.equal(k.keyMd5, MD5_A);
    assert.equal(keyB().keyMd5, MD5_B);
  });

  it('the copy-source trio is read only with its prefix', () => {
    const h = trio('AES256', KEY_B, MD5_B, SSE_C_COPY_SOURCE_PREFIX);
    assert.equal(parseSseCustomerHeaders(h), undefined);
    assert.equal(parseSseCustomerHeaders(h, SSE_C_COPY_SOURCE_PREFIX)?.keyMd5, MD5_B);
    // x-amz-server-side-encryption concerns the destination, not the source
    assert.equal(parseSseCustomerHeaders({ ...h, 'x-amz-server-side-encryption': 'AES256' }, SSE_C_COPY_SOURCE_PREFIX)?.keyMd5, MD5_B);
  });

  it('beside x-amz-server-side-encryption → InvalidArgument', () => {
    assert.throws(() => parseSseCustomerHeaders({ ...trio('AES256', KEY_A, MD5_A), 'x-amz-server-side-encryption': 'AES256' }),
      s3Error('InvalidArgument', 'Server Side Encryption with Customer provided key is incompatible with the encryption method specified',
        { ...ARG, ArgumentValue: 'AES256' }));
  });

  it('no algorithm → InvalidArgument', () => {
    assert.throws(() => parseSseCustomerHeaders(trio(undefined, KEY_A, MD5_A)), s3Error('InvalidArgument', `${MUST} a valid encryption algorithm.`, ARG));
    assert.throws(() => parseSseCustomerHeaders(trio(undefined, undefined, MD5_A)), s3Error('InvalidArgument', `${MUST} a valid encryption algorithm.`));
  });

  it('algorithm other than AES256 → InvalidEncryptionAlgorithmError', () => {
    for (const alg of ['KMS', 'aes256', 'AES512', '']) {
      assert.throws(() => parseSseCustomerHeaders(trio(alg, KEY_A, MD5_A)),
        s3Error('InvalidEncryptionAlgorithmError', 'The Encryption request you specified is not valid. Supported value: AES256.', { ...ARG, ArgumentValue: alg }));
    }
  });

  it('no key → InvalidArgument; no MD5 → InvalidArgument', () => {
    assert.throws(() => parseSseCustomerHeaders(trio('AES256', undefined, MD5_A)), s3Error('InvalidArgument', `${MUST} an appropriate secret key.`, ARG));
    assert.throws(() => parseSseCustomerHeaders(trio('AES256', KEY_A, undefined)),
      s3Error('InvalidArgument', `${MUST} the client calculated MD5 of the secret key.`, ARG));
  });

  it('MD5 that does not match → InvalidArgument (checked before the key length)', () => {
    const mismatch = s3Error('InvalidArgument', 'The calculated MD5 hash of the key did not match the hash that was provided.', ARG);
    assert.throws(() => parseSseCustomerHeaders(trio('AES256', KEY_A, 'AAAAAAAAAAAAAAAAAAAAAA==')), mismatch);
    assert.throws(() => parseSseCustomerHeaders(trio('AES256', KEY_A, MD5_B)), mismatch);
    assert.throws(() => parseSseCustomerHeaders(trio('AES256', KEY_A, 'not base64!')), mismatch);
    const short = Buffer.alloc(24, 7).toString('base64');
    assert.throws(() => parseSseCustomerHeaders(trio('AES256', short, MD5_A)), mismatch);
  });

  it('a key that is not 32 bytes, or not base64 → InvalidArgument on writes', () => {
    const invalid = s3Error('InvalidArgument', 'The secret key was invalid for the specified algorithm.', ARG);
    for (const raw of [Buffer.alloc(10, 1), Buffer.alloc(31, 1), Buffer.alloc(33, 1), Buffer.from(KEY_A)]) {
      const md5 = createHash('md5').update(raw).digest('base64');
      assert.throws(() => parseSseCustomerHeaders(trio('AES256', raw.toString('base64'), md5)), invalid);
    }
    assert.throws(() => parseSseCustomerHeaders(trio('AES256', 'pO3upElrwuEX$oFwCfnZPdSsmt/xWeFa0N9KgDijwVs=', MD5_A)), invalid);
  });

  it('on reads a wrong-length key passes through and is refused later as a wrong key (403)', () => {
    const raw = Buffer.from(KEY_A); // the 44-byte text, as botocore sends when the MD5 is left to it
    const k = parseSseCustomerHeaders(trio('AES256', raw.toString('base64'), createHash('md5').update(raw).digest('base64')), undefined, 'read');
    assert.equal(k?.key.length, 44);
    assert.throws(() => checkSseCustomerKey(sseRecordFor(keyA()), k), s3Error('AccessDenied'));
  });
});

describe('SSE-C record', () => {
  it('never contains the key, in any encoding', () => {
    const k = keyA();
    const record = sseRecordFor(k);
    const stored = JSON.stringify(record);
    for (const form of [KEY_A, k.key.toString('hex'), k.key.toString('base64url'), k.key.toString('latin1')]) {
      assert.ok(!stored.includes(form), `record leaks the key as ${form}`);
    }
    assert.equal(record.algorithm, 'AES256');
    assert.equal(record.keyMd5, MD5_A);
    assert.equal(Buffer.from(record.salt, 'base64').length, 16);
    assert.equal(Buffer.from(record.keyHmac, 'base64').length, 32);
  });

  it('is salted: two records of one key differ', () => {
    const a = sseRecordFor(keyA());
    const b = sseRecordFor(keyA());
    assert.notEqual(a.salt, b.salt);
    assert.notEqual(a.keyHmac, b.keyHmac);
  });

  it('checkSseCustomerKey: S3\'s answers', () => {
    const record = sseRecordFor(keyA());
    assert.doesNotThrow(() => checkSseCustomerKey(record, keyA()));
    assert.doesNotThrow(() => checkSseCustomerKey(undefined, undefined));
    assert.throws(() => checkSseCustomerKey(record, keyB()),
      s3Error('AccessDenied', `${MUST} the correct secret key.`));
    assert.throws(() => checkSseCustomerKey(record, undefined),
      s3Error('InvalidRequest', 'The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.'));
    assert.throws(() => checkSseCustomerKey(undefined, keyA()),
      s3Error('InvalidRequest', 'The encryption parameters are not applicable to this object.'));
  });

  it('checkSsePartKey: parts must repeat the upload\'s key (400, not 403)', () => {
    const record = sseRecordFor(keyA());
    assert.doesNotThrow(() => checkSsePartKey(record, keyA()));
    assert.doesNotThrow(() => checkSsePartKey(undefined, undefined));
    const initiate = s3Error('InvalidRequest',
      'The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.');
    assert.throws(() => checkSsePartKey(record, undefined), initiate);
    assert.throws(() => checkSsePartKey(undefined, keyA()), initiate);
    assert.throws(() => checkSsePartKey(record, keyB()),
      s3Error('InvalidRequest', 'The provided encryption parameters did not match the ones used originally.'));
  });
});

async function run(input: Buffer, chunkSizes: () => number, transform: NodeJS.ReadWriteStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < input.length;) {
    const n = Math.min(chunkSizes(), input.length - at);
    chunks.push(input.subarray(at, at + n));
    at += n;
  }
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), transform, new Writable({
    write(chunk: Buffer, _enc, cb) { out.push(chunk); cb(); },
  }));
  return Buffer.concat(out);
}

describe('createSseCipher', () => {
  const SIZE = 1024 * 1024 + 13;
  const plaintext = randomBytes(SIZE);
  const iv = newSseIv();
  const randomSplits = (): number => (randomInt(4) === 0 ? randomInt(1, 20) : randomInt(1, 70000));
  let ciphertext: Buffer = Buffer.alloc(0);

  it('encrypts in random chunk splits; ciphertext differs from plaintext and depends only on key and IV', async () => {
    ciphertext = await run(plaintext, randomSplits, createSseCipher(keyA(), iv));
    assert.equal(ciphertext.length, SIZE);
    assert.ok(!ciphertext.equals(plaintext));
    let same = 0;
    for (let i = 0; i < SIZE; i++) if (ciphertext[i] === plaintext[i]) same++;
    assert.ok(same < SIZE / 128, `too many equal bytes: ${same}`);
    const again = await run(plaintext, () => SIZE, createSseCipher(keyA(), iv));
    assert.ok(again.equals(ciphertext));
  });

  it('decrypts the whole object', async () => {
    assert.ok((await run(ciphertext, randomSplits, createSseCipher(keyA(), iv))).equals(plaintext));
  });

  for (const offset of [0, 1, 15, 16, 17, 1000003, SIZE - 1]) {
    it(`decrypts from offset ${offset}`, async () => {
      const out = await run(ciphertext.subarray(offset), randomSplits, createSseCipher(keyA(), iv, offset));
      assert.ok(out.equals(plaintext.subarray(offset)));
    });
  }

  it('decrypts a bounded range from the middle', async () => {
    const start = 123457;
    const end = 654321;
    const out = await run(ciphertext.subarray(start, end), () => 4096, createSseCipher(keyA(), iv, start));
    assert.ok(out.equals(plaintext.subarray(start, end)));
  });

  it('another key or another IV gives other bytes', async () => {
    const withB = await run(ciphertext, () => SIZE, createSseCipher(keyB(), iv));
    assert.ok(!withB.equals(plaintext));
    const otherIv = await run(plaintext, () => SIZE, createSseCipher(keyA(), newSseIv()));
    assert.ok(!otherIv.equals(ciphertext));
  });

  it('the counter carries across all 128 bits, as OpenSSL\'s does', async () => {
    const top = Buffer.alloc(16, 0xff);
    top[15] = 0xfe; // two blocks before wrapping
    assert.deepEqual(counterAt(top, 3n), Buffer.concat([Buffer.alloc(15, 0), Buffer.from([1])]));
    assert.deepEqual(counterAt(Buffer.from('0000000000000000ffffffffffffffff', 'hex'), 1n), Buffer.from('00000000000000010000000000000000', 'hex'));
    const data = randomBytes(200);
    const enc = await run(data, () => 200, createSseCipher(keyA(), top));
    for (const offset of [17, 32, 33, 48, 100]) {
      const dec = await run(enc.subarray(offset), () => 7, createSseCipher(keyA(), top, offset));
      assert.ok(dec.equals(data.subarray(offset)), `offset ${offset}`);
    }
  });

  it('refuses a key that is not 32 bytes, an IV that is not 16, a bad offset', () => {
    assert.throws(() => createSseCipher({ key: Buffer.alloc(44), keyMd5: '' }, iv), RangeError);
    assert.throws(() => createSseCipher(keyA(), Buffer.alloc(12)), RangeError);
    assert.throws(() => createSseCipher(keyA(), iv, -1), RangeError);
    assert.throws(() => createSseCipher(keyA(), iv, 1.5), RangeError);
  });

  it('newSseIv is 16 random bytes', () => {
    assert.equal(newSseIv().length, 16);
    assert.ok(!newSseIv().equals(newSseIv()));
  });
});
