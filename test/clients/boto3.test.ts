// Debian's boto3 against the real server. The flows live in boto3_flows.py (run with Debian's
// /usr/bin/python3), which prints one JSON line of named checks; every expected check must pass.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT_ACCESS_KEY, ROOT_SECRET_KEY, startTestServer, type TestServer } from '../helpers/server.ts';
import { assertTool, findTool, loopbackEnv, run, skipUnlessCi, skipWithoutTool } from '../helpers/tools.ts';

const PYTHON = findTool('python3', ['-c', 'import boto3, botocore'], 'python3-boto3');
const SCRIPT = path.join(import.meta.dirname, 'boto3_flows.py');

/** Every check boto3_flows.py runs; a check missing from its output is a failure too. */
const EXPECTED_CHECKS = [
  'create_bucket', 'put_object_bytes', 'put_object_fileobj', 'upload_file_multipart', 'download_file',
  'list_objects_v2_paginator', 'head_object_metadata', 'delete_objects',
  'error_NoSuchKey', 'error_NoSuchBucket', 'error_BucketNotEmpty', 'error_InvalidBucketName', 'error_SignatureDoesNotMatch',
  'presigned_get_urllib',
];

interface FlowOutput {
  checks: Record<string, { ok: boolean; detail: string }>;
  boto3: string;
  botocore: string;
}

it('Debian python3 with boto3 is installed (/usr/bin/python3 preferred)', { skip: skipUnlessCi(PYTHON) }, () => {
  assertTool(PYTHON);
});

describe('boto3 (Debian python3-boto3)', { skip: skipWithoutTool(PYTHON) }, () => {
  let server: TestServer;
  let work: string;
  let output: FlowOutput;

  before(async () => {
    const python = assertTool(PYTHON);
    work = mkdtempSync(path.join(tmpdir(), 'seedbucket-boto3-'));
    server = await startTestServer();
    const cfg = path.join(work, 'empty-aws-config');
    writeFileSync(cfg, '');
    const env = loopbackEnv({
      AWS_CONFIG_FILE: cfg, AWS_SHARED_CREDENTIALS_FILE: cfg, AWS_EC2_METADATA_DISABLED: 'true', PYTHONDONTWRITEBYTECODE: '1',
    });
    const r = await run(python, [SCRIPT, server.url, ROOT_ACCESS_KEY, ROOT_SECRET_KEY, work], { env, cwd: work, timeoutMs: 600_000 });
    const lines = r.stdout.trim().split('\n');
    assert.equal(r.code, 0, `boto3_flows.py exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    try {
      output = JSON.parse(lines[lines.length - 1]!) as FlowOutput;
    } catch {
      assert.fail(`boto3_flows.py printed no JSON result line\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    }
  });

  after(async () => {
    if (server) { await server.stop(); server.cleanup(); }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ran exactly the expected checks', () => {
    assert.deepEqual(Object.keys(output.checks).sort(), [...EXPECTED_CHECKS].sort());
  });

  for (const name of EXPECTED_CHECKS) {
    it(name, () => {
      const c = output.checks[name];
      assert.ok(c, `check ${name} did not run`);
      assert.ok(c.ok, `${name} failed (boto3 ${output.boto3}): ${c.detail}\nserver log tail: ${server.stderr().slice(-1500)}`);
    });
  }
});
