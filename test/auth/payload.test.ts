/** verifiedBody: aws-chunked decoding across arbitrary splits, signatures, hashes, checksums, errors instead of 'end'. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { verifiedBody } from '../../src/s3/auth/payload.ts';
import type { AuthRequest, AuthResult, PayloadMode } from '../../src/s3/auth/types.ts';
import { buildChunked, type ChunkSigning, codeOf, errCode, flip, runBody, signingKeyOf, SK, split } from './helpers.ts';

const AMZ_DATE = '20240102T030405Z';
const SCOPE = '20240102/us-east-1/s3/aws4_request';
const SIGNING: ChunkSigning = { key: signingKeyOf(SK, '20240102', 'us-east-1'), amzDate: AMZ_DATE, scope: SCOPE, seed: 'f'.repeat(64) };

const signedMode = (trailer: boolean, decodedLength?: number): PayloadMode => ({
  type: 'streaming', signed: true, trailer, ...(decodedLength === undefined ? {} : { decodedLength }),
  seedSignature: SIGNING.seed, signingKey: SIGNING.key, amzDate: AMZ_DATE, scope: SCOPE,
});
const authWith = (payload: PayloadMode): AuthResult => ({ principal: { accessKeyId: 'AK', accountId: '1' }, payload, presigned: false });
const reqWith = (headers: Record<string, string> = {}): AuthRequest => ({ method: 'PUT', rawPath: '/b/k', rawQuery: '', headers });

const b64 = (algorithm: string, data: Buffer): string => {
  if (algorithm === 'crc32') {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(zlib.crc32(data));
    return out.toString('base64');
  }
  return createHash(algorithm).update(data).digest('base64');
};

const DATA = randomBytes(200_003);
const SIZES = [65536, 65536, 8192, 60_739];

const SPLITS: Array<[string, (b: Buffer) => Buffer[]]> = [
  ['whole', (b) => [b]],
  ['1-byte', (b) => split(b, [1])],
  ['odd sizes', (b) => split(b, [3, 7, 1, 13, 2, 89, 4099])],
  ['random ≤ 70000', (b) => split(b, { max: 70_000, seed: 42 })],
  ['random ≤ 100', (b) => split(b, { max: 100, seed: 9 })],
];

async function expectOk(pieces: Buffer[], req: AuthRequest, auth: AuthResult, data: Buffer) {
  const out = await runBody(pieces, req, auth);
  assert.equal(out.error, undefined, String(out.error));
  assert.equal(out.ended, true);
  assert.ok(out.data.equals(data), 'decoded bytes differ');
  return out;
}

async function expectFail(pieces: Buffer[], req: AuthRequest, auth: AuthResult, code: string) {
  const out = await runBody(pieces, req, auth);
  assert.equal(errCode(out), code);
  assert.equal(out.ended, false, "'end' emitted despite the error");
  return out;
}

test('signed aws-chunked: exact bytes whatever the TCP splits', async (t) => {
  const { body } = buildChunked(DATA, SIZES, { signing: SIGNING });
  for (const [name, splitter] of SPLITS) {
    await t.test(name, async () => { await expectOk(splitter(body), reqWith(), authWith(signedMode(false, DATA.length)), DATA); });
  }
});

test('signed aws-chunked: corruption, truncation and framing faults', async () => {
  const { body, signatures } = buildChunked(DATA, SIZES, { signing: SIGNING });
  const auth = authWith(signedMode(false, DATA.length));
  const text = body.toString('latin1');
  const latin = (s: string): Buffer => Buffer.from(s, 'latin1');
  const firstData = text.indexOf('\r\n') + 2;

  await expectFail(split(flip(body, firstData + 100), [4096]), reqWith(), auth, 'SignatureDoesNotMatch');
  await expectFail([flip(body, text.lastIndexOf('\r\n0;') - 1, 0x80)], reqWith(), auth, 'SignatureDoesNotMatch');

  const sig1 = signatures[1]!;
  await expectFail([latin(text.replace(sig1, sig1.slice(0, -1) + (sig1.endsWith('0') ? '1' : '0')))], reqWith(), auth, 'SignatureDoesNotMatch');
  await expectFail([latin(text.replace(`;chunk-signature=${sig1}`, ''))], reqWith(), auth, 'SignatureDoesNotMatch');
  await expectFail([latin(text.replace(signatures[3]!, signatures[2]!))], reqWith(), auth, 'SignatureDoesNotMatch');
  // a different seed (another request's signature) breaks the whole chain
  await expectFail([body], reqWith(), authWith({ type: 'streaming', signed: true, trailer: false, seedSignature: 'e'.repeat(64), signingKey: SIGNING.key, amzDate: AMZ_DATE, scope: SCOPE }), 'SignatureDoesNotMatch');

  for (const cut of [5, firstData + 10, text.indexOf('\r\n0;'), body.length - 90, text.indexOf('\r\n0;') + 2]) {
    await expectFail(split(body.subarray(0, cut), [1000]), reqWith(), auth, 'IncompleteBody');
  }
  // declared decoded length must match
  await expectFail([body], reqWith(), authWith(signedMode(false, DATA.length + 1)), 'IncompleteBody');
  await expectFail([body], reqWith(), authWith(signedMode(false, DATA.length - 1)), 'IncompleteBody');

  await expectFail([latin(text.replace(/^10000;/, 'zz;'))], reqWith(), auth, 'InvalidRequest');
  await expectFail([latin(text.replace('\r\n2000;', 'XX2000;'))], reqWith(), auth, 'InvalidRequest');
  await expectFail([Buffer.concat([body, latin('junk')])], reqWith(), auth, 'InvalidRequest');
  await expectFail([latin(`${'f'.repeat(9)};chunk-signature=${'0'.repeat(64)}\r\n`)], reqWith(), auth, 'InvalidRequest');
  await expectFail([latin(`1;chunk-signature=${'0'.repeat(5000)}`)], reqWith(), auth, 'InvalidRequest');
  // trailing headers were not announced by x-amz-content-sha256
  await expectFail([latin(text.replace(/\r\n$/, 'x-amz-checksum-crc32:AAAAAA==\r\n\r\n'))], reqWith(), auth, 'InvalidRequest');
});

test('unsigned aws-chunked with a CRC32 trailer (the SDK\'s STREAMING-UNSIGNED-PAYLOAD-TRAILER)', async (t) => {
  const auth = authWith({ type: 'streaming', signed: false, trailer: true, decodedLength: DATA.length });
  const req = reqWith({ 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-sdk-checksum-algorithm': 'CRC32' });
  const good = b64('crc32', DATA);
  const { body } = buildChunked(DATA, SIZES, { trailers: [['x-amz-checksum-crc32', good]] });
  for (const [name, splitter] of SPLITS) {
    await t.test(name, async () => {
      const out = await expectOk(splitter(body), req, auth, DATA);
      assert.deepEqual(out.checksum, { algorithm: 'CRC32', value: good });
    });
  }
  const wrong = b64('crc32', Buffer.from('other'));
  await expectFail([buildChunked(DATA, SIZES, { trailers: [['x-amz-checksum-crc32', wrong]] }).body], req, auth, 'BadDigest');
  const out = await expectFail([buildChunked(DATA, SIZES, { trailers: [['x-amz-checksum-crc32', 'not base64!']] }).body], req, auth, 'InvalidRequest');
  assert.match(out.error?.message ?? '', /x-amz-checksum-crc32/);
  await expectFail([buildChunked(DATA, SIZES, { trailers: [['x-amz-checksum-crc32', 'AAAAAAAA']] }).body], req, auth, 'InvalidRequest');
  const bad = await expectFail([flip(body, 10, 4)], req, auth, 'BadDigest');
  assert.equal(bad.error?.message, 'The CRC32 you specified did not match the calculated checksum.');
  // announced but never sent; sent but not announced; more than one
  await expectFail([buildChunked(DATA, SIZES, { trailers: [] }).body], req, auth, 'InvalidRequest');
  await expectFail([buildChunked(DATA, SIZES, { trailers: [['x-amz-checksum-crc32c', 'AAAAAA==']] }).body], req, auth, 'InvalidRequest');
  await expectFail([buildChunked(DATA, SIZES, { trailers: [['x-amz-checksum-crc32', good], ['x-amz-checksum-sha1', b64('sha1', DATA)]] }).body], req, auth, 'InvalidRequest');
  // an unsigned trailer carries no signature to check; a stray one is ignored
  await expectOk([buildChunked(DATA, SIZES, { trailers: [['x-amz-checksum-crc32', good], ['x-amz-trailer-signature', 'x']] }).body], req, auth, DATA);
  // bare "0\r\n" then EOF (no trailer, no final CRLF) when nothing was announced
  const plain = buildChunked(DATA, SIZES).body;
  await expectOk([plain.subarray(0, plain.length - 2)], reqWith(), auth, DATA);
});

test('every trailer algorithm, and the docs\' blank line before the trailer', async () => {
  const data = randomBytes(5000);
  for (const alg of ['crc32c', 'sha1', 'sha256', 'crc32']) {
    const value = alg === 'crc32c' ? undefined : b64(alg, data);
    const auth = authWith({ type: 'streaming', signed: false, trailer: true });
    const req = reqWith({ 'x-amz-trailer': `x-amz-checksum-${alg}` });
    if (value) {
      const out = await expectOk(split(buildChunked(data, [4096, 904], { trailers: [[`x-amz-checksum-${alg}`, value]], blankBeforeTrailers: true }).body, [5]), req, auth, data);
      assert.deepEqual(out.checksum, { algorithm: alg.toUpperCase(), value });
    } else {
      const out = await runBody([buildChunked(data, [5000], { trailers: [['x-amz-checksum-crc32c', 'AAAAAA==']] }).body], req, auth);
      assert.equal(errCode(out), 'BadDigest');
      assert.equal(out.error?.message, 'The CRC32C you specified did not match the calculated checksum.');
    }
  }
});

test('signed aws-chunked with a signed trailer', async (t) => {
  const auth = authWith(signedMode(true, DATA.length));
  const req = reqWith({ 'x-amz-trailer': 'x-amz-checksum-sha256' });
  const good = b64('sha256', DATA);
  const built = buildChunked(DATA, SIZES, { signing: SIGNING, trailers: [['x-amz-checksum-sha256', good]], signTrailer: true });
  for (const [name, splitter] of SPLITS) {
    await t.test(name, async () => {
      const out = await expectOk(splitter(built.body), req, auth, DATA);
      assert.deepEqual(out.checksum, { algorithm: 'SHA256', value: good });
    });
  }
  const trailerSig = built.signatures.at(-1)!;
  const text = built.body.toString('latin1');
  await expectFail([Buffer.from(text.replace(trailerSig, 'a'.repeat(64)), 'latin1')], req, auth, 'SignatureDoesNotMatch');
  await expectFail([Buffer.from(text.replace(`x-amz-trailer-signature:${trailerSig}\r\n`, ''), 'latin1')], req, auth, 'SignatureDoesNotMatch');
  const otherValue = b64('sha256', Buffer.from('x'));
  await expectFail([Buffer.from(text.replace(good, otherValue), 'latin1')], req, auth, 'SignatureDoesNotMatch');
  // correctly signed but the checksum itself is wrong
  const signedWrong = buildChunked(DATA, SIZES, { signing: SIGNING, trailers: [['x-amz-checksum-sha256', otherValue]], signTrailer: true });
  await expectFail([signedWrong.body], req, auth, 'BadDigest');
});

test('x-amz-content-sha256 body hash', async () => {
  const hash = createHash('sha256').update(DATA).digest('hex');
  const auth = authWith({ type: 'sha256', sha256: hash });
  await expectOk(split(DATA, [65536]), reqWith(), auth, DATA);
  const out = await expectFail(split(DATA.subarray(1), [65536]), reqWith(), auth, 'XAmzContentSHA256Mismatch');
  assert.equal((out.error as { details?: Record<string, string> }).details?.ClientComputedContentSHA256, hash);
  await expectFail([DATA, Buffer.from('x')], reqWith(), auth, 'XAmzContentSHA256Mismatch');
  await expectOk([DATA, Buffer.from('x')], reqWith(), authWith({ type: 'unsigned' }), Buffer.concat([DATA, Buffer.from('x')]));
});

test('Content-MD5', async () => {
  const auth = authWith({ type: 'unsigned' });
  const md5 = b64('md5', DATA);
  await expectOk([DATA], reqWith({ 'content-md5': md5 }), auth, DATA);
  const bad = await expectFail([DATA], reqWith({ 'content-md5': b64('md5', Buffer.from('x')) }), auth, 'BadDigest');
  assert.match(bad.error?.message ?? '', /Content-MD5/);
  for (const invalid of ['abc', md5.slice(0, -2), 'not-base64-at-all!!!!!!=', b64('sha1', DATA)]) {
    assert.equal(codeOf(() => verifiedBody(Readable.from([DATA]), reqWith({ 'content-md5': invalid }), auth)), 'InvalidDigest', invalid);
  }
  // with an aws-chunked body the MD5 is of the decoded bytes
  const chunked = buildChunked(DATA, SIZES, { signing: SIGNING }).body;
  await expectOk([chunked], reqWith({ 'content-md5': md5 }), authWith(signedMode(false)), DATA);
});

test('flexible checksum in a header', async () => {
  const auth = authWith({ type: 'unsigned' });
  for (const alg of ['crc32', 'sha1', 'sha256']) {
    const value = b64(alg, DATA);
    const out = await expectOk(split(DATA, [7777]), reqWith({ [`x-amz-checksum-${alg}`]: value }), auth, DATA);
    assert.deepEqual(out.checksum, { algorithm: alg.toUpperCase(), value });
    const bad = await expectFail([DATA.subarray(0, -1)], reqWith({ [`x-amz-checksum-${alg}`]: value }), auth, 'BadDigest');
    assert.equal(bad.error?.message, `The ${alg.toUpperCase()} you specified did not match the calculated checksum.`);
  }
  const crc32c = await runBody([Buffer.from('123456789')], reqWith({ 'x-amz-checksum-crc32c': Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64') }), auth);
  assert.equal(crc32c.ended, true);
  const sync = (h: Record<string, string>): string => codeOf(() => verifiedBody(Readable.from([DATA]), reqWith(h), auth));
  assert.equal(sync({ 'x-amz-checksum-sha256': 'short' }), 'InvalidRequest');
  assert.equal(sync({ 'x-amz-checksum-crc32': b64('sha1', DATA) }), 'InvalidRequest');
  assert.equal(sync({ 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-sha1': b64('sha1', DATA) }), 'InvalidRequest');
  assert.equal(sync({ 'x-amz-checksum-crc64nvme': 'AAAAAAAAAAA=' }), 'InvalidRequest');
  assert.equal(sync({ 'x-amz-sdk-checksum-algorithm': 'MD4' }), 'InvalidRequest');
  assert.equal(sync({ 'x-amz-sdk-checksum-algorithm': 'SHA1', 'x-amz-checksum-crc32': 'AAAAAA==' }), 'InvalidRequest');
  // configuration headers are not checksum values
  await expectOk([DATA], reqWith({ 'x-amz-checksum-mode': 'ENABLED', 'x-amz-checksum-type': 'FULL_OBJECT' }), auth, DATA);
  // the algorithm alone: computed and reported
  const computed = await expectOk([DATA], reqWith({ 'x-amz-sdk-checksum-algorithm': 'crc32' }), auth, DATA);
  assert.deepEqual(computed.checksum, { algorithm: 'CRC32', value: b64('crc32', DATA) });
});

test('a source that aborts mid-body errors the stream', async () => {
  const source = new Readable({ read() {} });
  const vb = verifiedBody(source, reqWith(), authWith({ type: 'unsigned' }));
  const seen = new Promise<{ ended: boolean; code?: string }>((resolve) => {
    let ended = false;
    vb.body.on('data', () => {});
    vb.body.on('end', () => { ended = true; });
    vb.body.on('error', (e) => resolve({ ended, code: (e as { code?: string }).code }));
  });
  source.push(Buffer.from('partial'));
  setImmediate(() => source.destroy(new Error('ECONNRESET')));
  assert.deepEqual(await seen, { ended: false, code: 'IncompleteBody' });
});

test('backpressure: a paused consumer stops the source being read', async () => {
  const total = 64 * 1024 * 1024;
  let produced = 0;
  const piece = randomBytes(64 * 1024);
  const hash = createHash('sha256');
  for (let i = 0; i < total / piece.length; i++) hash.update(piece);
  const source = new Readable({
    read() {
      if (produced >= total) { this.push(null); return; }
      produced += piece.length;
      this.push(piece);
    },
  });
  const vb = verifiedBody(source, reqWith(), authWith({ type: 'sha256', sha256: hash.digest('hex') }));
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(produced < 1024 * 1024, `read ${produced} bytes with nobody consuming`);
  let consumed = 0;
  for await (const c of vb.body) consumed += (c as Buffer).length;
  assert.equal(consumed, total);
});

test('presigned URLs: x-amz-checksum-* query parameters bind the body like headers', async () => {
  const presigned: AuthResult = { principal: { accessKeyId: 'AK', accountId: '1' }, payload: { type: 'unsigned' }, presigned: true };
  const value = b64('sha256', DATA);
  const req = (q: string): AuthRequest => ({ ...reqWith(), rawQuery: `X-Amz-Signature=x&${q}` });
  const ok = await expectOk([DATA], req(`x-amz-checksum-sha256=${encodeURIComponent(value)}`), presigned, DATA);
  assert.deepEqual(ok.checksum, { algorithm: 'SHA256', value });
  await expectFail([DATA], req('x-amz-checksum-crc32=AAAAAA%3D%3D&x-amz-sdk-checksum-algorithm=CRC32'), presigned, 'BadDigest');
  assert.equal(codeOf(() => verifiedBody(Readable.from([DATA]), req('x-amz-checksum-crc32=zz'), presigned)), 'InvalidRequest');
  // not for header-authenticated requests, whose query is just the operation's parameters
  await expectOk([DATA], req('x-amz-checksum-crc32=AAAAAA%3D%3D'), authWith({ type: 'unsigned' }), DATA);
});
