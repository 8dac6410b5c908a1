// Debian's aws CLI (awscli 2.9.x) against the real server: high-level `aws s3` commands
// (multipart cp, sync, ls, rm) and `aws s3api` error cases, checked on exit codes and stderr.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compareFiles, md5Base64, writeRandomFile } from '../helpers/files.ts';
import { ROOT_ACCESS_KEY, ROOT_SECRET_KEY, startTestServer, type TestServer } from '../helpers/server.ts';
import { assertTool, findTool, loopbackEnv, run, skipUnlessCi, skipWithoutTool, type RunResult } from '../helpers/tools.ts';

const AWS = findTool('aws', ['--version'], 'awscli');
const MiB = 1024 * 1024;

it('Debian awscli is installed (/usr/bin/aws preferred)', { skip: skipUnlessCi(AWS) }, () => {
  assertTool(AWS);
});

describe('aws CLI (Debian awscli)', { skip: skipWithoutTool(AWS) }, () => {
  let server: TestServer;
  let work: string;
  let awsPath: string;
  let baseEnv: Record<string, string>;
  const bucket = 'awscli-bucket';

  before(async () => {
    awsPath = assertTool(AWS);
    work = mkdtempSync(path.join(tmpdir(), 'seedbucket-awscli-'));
    const cfg = path.join(work, 'aws-config');
    const creds = path.join(work, 'aws-credentials');
    writeFileSync(cfg, '');
    writeFileSync(creds, '');
    server = await startTestServer();
    baseEnv = loopbackEnv({
      AWS_ACCESS_KEY_ID: ROOT_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: ROOT_SECRET_KEY,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: cfg,
      AWS_SHARED_CREDENTIALS_FILE: creds,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
      AWS_CLI_AUTO_PROMPT: 'off',
      AWS_RETRY_MODE: 'standard',
      AWS_MAX_ATTEMPTS: '1',
    });
  });

  after(async () => {
    if (server) { await server.stop(); server.cleanup(); }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Run `aws <args> --endpoint-url <server>`; `env` overrides (e.g. a wrong secret). */
  function aws(args: string[], env: Record<string, string> = {}, timeoutMs = 300_000): Promise<RunResult> {
    return run(awsPath, [...args, '--endpoint-url', server.url, '--no-cli-pager'], { env: { ...baseEnv, ...env }, cwd: work, timeoutMs });
  }

  async function ok(args: string[], timeoutMs?: number): Promise<RunResult> {
    const r = await aws(args, {}, timeoutMs);
    assert.equal(r.code, 0, `aws ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\nserver: ${server.stderr().slice(-2000)}`);
    return r;
  }

  /** The command must fail and name `code` as the error in stderr, e.g. "An error occurred (NoSuchKey) when calling…". */
  async function fails(args: string[], code: string, env: Record<string, string> = {}): Promise<RunResult> {
    const r = await aws(args, env);
    assert.notEqual(r.code, 0, `aws ${args.join(' ')} should fail with ${code} but exited 0\nstdout: ${r.stdout}`);
    assert.match(r.stderr, new RegExp(`\\(${code}\\)`), `aws ${args.join(' ')}: expected (${code}) in stderr, got: ${r.stderr}`);
    return r;
  }

  const json = (r: RunResult): Record<string, unknown> => JSON.parse(r.stdout) as Record<string, unknown>;

  it('aws s3 mb creates a bucket that s3api list-buckets shows', async () => {
    const r = await ok(['s3', 'mb', `s3://${bucket}`]);
    assert.match(r.stdout, new RegExp(`make_bucket: ${bucket}`));
    const list = json(await ok(['s3api', 'list-buckets', '--output', 'json']));
    const names = (list.Buckets as Array<{ Name: string }>).map((b) => b.Name);
    assert.ok(names.includes(bucket), `list-buckets: ${JSON.stringify(names)}`);
  });

  it('aws s3 cp of a 100 MiB file goes up as multipart and comes back byte for byte', async () => {
    const src = path.join(work, 'big.bin');
    const dst = path.join(work, 'big.down');
    await writeRandomFile(src, 100 * MiB);
    await ok(['s3', 'cp', src, `s3://${bucket}/big/object.bin`], 600_000);
    const head = json(await ok(['s3api', 'head-object', '--bucket', bucket, '--key', 'big/object.bin', '--output', 'json']));
    assert.equal(head.ContentLength, 100 * MiB);
    // awscli's default: 8 MiB threshold and part size, so 13 parts and a multipart ETag "<md5>-13".
    assert.match(String(head.ETag), /^"[0-9a-f]{32}-13"$/, `ETag ${String(head.ETag)}`);
    await ok(['s3', 'cp', `s3://${bucket}/big/object.bin`, dst], 600_000);
    assert.equal(await compareFiles(src, dst), undefined);
    rmSync(src);
    rmSync(dst);
  });

  describe('sync, ls, list-objects-v2 paging, rm', () => {
    const N = 200;
    let dir: string;
    const expectedKeys = new Set<string>();

    before(() => {
      dir = path.join(work, 'tree');
      // Files older than the upload, so the second sync sees the server copies as up to date
      // (S3 LastModified has one-second precision).
      const past = new Date(Date.now() - 3600_000);
      for (let i = 0; i < N; i++) {
        const rel = i % 4 === 0 ? `f${i}.txt` : path.join(`d${i % 4}`, i % 3 === 0 ? 'deep' : '', `f${i}.txt`);
        const file = path.join(dir, rel);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, `file ${i}\n`.repeat(1 + (i % 7)));
        utimesSync(file, past, past);
        expectedKeys.add(`tree/${rel.split(path.sep).join('/')}`);
      }
      assert.equal(expectedKeys.size, N);
    });

    it('aws s3 sync uploads 200 files, a second sync uploads nothing', async () => {
      const first = await ok(['s3', 'sync', dir, `s3://${bucket}/tree/`, '--no-progress']);
      const uploads = first.stdout.split('\n').filter((l) => l.startsWith('upload:'));
      assert.equal(uploads.length, N, `first sync output:\n${first.stdout}`);
      const second = await ok(['s3', 'sync', dir, `s3://${bucket}/tree/`, '--no-progress']);
      assert.equal(second.stdout.split('\n').filter((l) => l.startsWith('upload:')).length, 0, `second sync uploaded again:\n${second.stdout}`);
    });

    it('aws s3 ls --recursive lists every key once (several pages)', async () => {
      const r = await ok(['s3', 'ls', `s3://${bucket}/tree/`, '--recursive', '--page-size', '37']);
      const lines = r.stdout.split('\n').filter((l) => l.trim() !== '');
      assert.equal(lines.length, N, r.stdout);
      const keys = lines.map((l) => l.trim().split(/\s+/).slice(3).join(' '));
      assert.deepEqual(new Set(keys), expectedKeys);
    });

    it('s3api list-objects-v2 pages with --page-size / --max-items / --starting-token', async () => {
      const seen: string[] = [];
      let token: string | undefined;
      let calls = 0;
      do {
        const args = ['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', 'tree/', '--page-size', '30', '--max-items', '70', '--output', 'json'];
        if (token) args.push('--starting-token', token);
        const page = json(await ok(args));
        const contents = (page.Contents ?? []) as Array<{ Key: string }>;
        assert.ok(contents.length <= 70, `page of ${contents.length}`);
        seen.push(...contents.map((c) => c.Key));
        token = page.NextToken as string | undefined;
        calls++;
      } while (token && calls < 20);
      assert.equal(calls, 3, 'three calls of at most 70 items for 200 keys');
      assert.equal(seen.length, N);
      assert.deepEqual(new Set(seen), expectedKeys);
      assert.deepEqual(seen, [...seen].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))), 'keys in UTF-8 binary order');
      // A delimiter listing groups the sub-folders.
      const grouped = json(await ok(['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', 'tree/', '--delimiter', '/', '--output', 'json']));
      const prefixes = ((grouped.CommonPrefixes ?? []) as Array<{ Prefix: string }>).map((p) => p.Prefix).sort();
      assert.deepEqual(prefixes, ['tree/d1/', 'tree/d2/', 'tree/d3/']);
      assert.equal((grouped.Contents as unknown[]).length, N / 4);
    });

    it('aws s3 rm --recursive deletes them all', async () => {
      const r = await ok(['s3', 'rm', `s3://${bucket}/tree/`, '--recursive']);
      assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('delete:')).length, N, r.stdout);
      // (`aws s3 ls` of an empty prefix exits 1, so ask s3api.)
      const after = json(await ok(['s3api', 'list-objects-v2', '--bucket', bucket, '--prefix', 'tree/', '--no-paginate', '--output', 'json']));
      assert.equal(after.KeyCount, 0, JSON.stringify(after));
    });
  });

  describe('s3api error codes', () => {
    const eb = 'awscli-errors';
    before(async () => {
      await ok(['s3api', 'create-bucket', '--bucket', eb]);
      writeFileSync(path.join(work, 'small.txt'), 'small object\n');
      await ok(['s3api', 'put-object', '--bucket', eb, '--key', 'present.txt', '--body', path.join(work, 'small.txt')]);
    });

    it('get-object of a missing key → NoSuchKey', async () => {
      await fails(['s3api', 'get-object', '--bucket', eb, '--key', 'no/such/key', path.join(work, 'nokey.out')], 'NoSuchKey');
    });

    it('head-bucket of a missing bucket → 404', async () => {
      await fails(['s3api', 'head-bucket', '--bucket', 'no-such-bucket-awscli'], '404');
    });

    it('create-bucket with an invalid name → InvalidBucketName', async () => {
      await fails(['s3api', 'create-bucket', '--bucket', 'Invalid_Bucket_Name'], 'InvalidBucketName');
    });

    it('create-bucket of a bucket we own → BucketAlreadyOwnedByYou', async () => {
      await fails(['s3api', 'create-bucket', '--bucket', eb], 'BucketAlreadyOwnedByYou');
    });

    it('delete-bucket of a non-empty bucket → BucketNotEmpty', async () => {
      await fails(['s3api', 'delete-bucket', '--bucket', eb], 'BucketNotEmpty');
    });

    it('a wrong secret key → SignatureDoesNotMatch', async () => {
      await fails(['s3api', 'list-objects-v2', '--bucket', eb], 'SignatureDoesNotMatch', { AWS_SECRET_ACCESS_KEY: `${ROOT_SECRET_KEY}-wrong` });
    });

    it('an unknown access key id → InvalidAccessKeyId', async () => {
      await fails(['s3api', 'list-objects-v2', '--bucket', eb], 'InvalidAccessKeyId', { AWS_ACCESS_KEY_ID: 'AKIDNOSUCHKEY000000' });
    });

    it('get-object with --range bytes=999999999- → InvalidRange', async () => {
      await fails(['s3api', 'get-object', '--bucket', eb, '--key', 'present.txt', '--range', 'bytes=999999999-', path.join(work, 'range.out')], 'InvalidRange');
    });

    it('complete-multipart-upload with a wrong part ETag → InvalidPart', async () => {
      const key = 'mpu/wrong-etag';
      const created = json(await ok(['s3api', 'create-multipart-upload', '--bucket', eb, '--key', key, '--output', 'json']));
      const uploadId = String(created.UploadId);
      assert.ok(uploadId.length > 0);
      const part = json(await ok(['s3api', 'upload-part', '--bucket', eb, '--key', key, '--upload-id', uploadId, '--part-number', '1',
        '--body', path.join(work, 'small.txt'), '--output', 'json']));
      assert.match(String(part.ETag), /^"[0-9a-f]{32}"$/);
      const wrong = JSON.stringify({ Parts: [{ ETag: '"0123456789abcdef0123456789abcdef"', PartNumber: 1 }] });
      await fails(['s3api', 'complete-multipart-upload', '--bucket', eb, '--key', key, '--upload-id', uploadId, '--multipart-upload', wrong], 'InvalidPart');
      // The failed Complete leaves the upload open: the right ETag still completes it.
      const right = JSON.stringify({ Parts: [{ ETag: part.ETag, PartNumber: 1 }] });
      await ok(['s3api', 'complete-multipart-upload', '--bucket', eb, '--key', key, '--upload-id', uploadId, '--multipart-upload', right]);
      await ok(['s3api', 'head-object', '--bucket', eb, '--key', key]);
    });

    it('put-object with a wrong --content-md5 → BadDigest, a malformed one → InvalidDigest', async () => {
      const body = path.join(work, 'small.txt');
      await fails(['s3api', 'put-object', '--bucket', eb, '--key', 'md5/wrong', '--body', body, '--content-md5', md5Base64('other bytes')], 'BadDigest');
      await fails(['s3api', 'put-object', '--bucket', eb, '--key', 'md5/malformed', '--body', body, '--content-md5', 'not-an-md5!!'], 'InvalidDigest');
      // Neither stored anything; the right MD5 is accepted.
      await fails(['s3api', 'head-object', '--bucket', eb, '--key', 'md5/wrong'], '404');
      await ok(['s3api', 'put-object', '--bucket', eb, '--key', 'md5/right', '--body', body, '--content-md5', md5Base64('small object\n')]);
    });
  });
});
