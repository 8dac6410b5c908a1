// The access rules through Debian's boto3: boto3_access.py (canned ACLs, grants and AccessControlPolicy,
// expected bucket owner, Requester Pays, SSE-C over HTTPS — single, multipart, ranged, copy — and refused
// over HTTP, CORS configuration, revoked keys) against the real servers. Every check in the script
// compares what boto3 got with what it must be; this test requires each expected check to run and pass.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertTool, findTool, loopbackEnv, run, skipUnlessCi, type RunResult } from '../helpers/tools.ts';
import { assertChecks, parseCheckLines, startClientWorld, worldEnv, type ClientWorld } from './clients.ts';
import { pollUsage, usageRow } from './harness.ts';

const PYTHON = findTool('python3', ['-c', 'import boto3, botocore'], 'python3-boto3');
const SCRIPT = path.join(import.meta.dirname, 'boto3_access.py');

const EXPECTED = [
  'create_bucket_public_read', 'bucket_acl_grants', 'anon_lists_public_bucket', 'anon_reads_public_read', 'anon_denied_private',
  'b_denied_private', 'c_reads_authenticated_read', 'anon_denied_authenticated_read', 'put_object_acl_grant_b', 'object_acl_grants',
  'b_reads_after_grant', 'b_head_after_grant', 'c_denied_after_grant_to_b', 'b_cannot_read_object_acl', 'anon_cannot_put',
  'b_cannot_put_bucket_acl', 'access_control_policy_xml', 'public_read_revoked_by_policy', 'c_writes_acl_with_write_acp', 'anon_reads_again',
  'expected_owner_match', 'expected_owner_mismatch', 'expected_owner_malformed', 'expected_owner_mismatch_head_bucket',
  'expected_owner_mismatch_put', 'expected_owner_refused_put_stored_nothing',
  'rp_default_owner_pays', 'rp_enable', 'rp_get_payment', 'rp_other_cannot_configure', 'rp_without_header_denied',
  'rp_with_header_charged', 'rp_list_charged', 'rp_download_file_request_payer', 'rp_owner_not_charged', 'rp_anonymous_denied',
  'ssec_put_single', 'ssec_get_single', 'ssec_ranged_get', 'ssec_head_with_key', 'ssec_get_missing_key', 'ssec_get_wrong_key',
  'ssec_head_missing_key', 'ssec_head_wrong_key', 'ssec_multipart_upload', 'ssec_multipart_download_ranged', 'ssec_range_across_parts',
  'ssec_multipart_wrong_key', 'ssec_upload_part_needs_same_key', 'ssec_copy_object_rekey', 'ssec_copy_old_key_refused',
  'ssec_copy_without_source_key', 'ssec_copy_wrong_source_key', 'ssec_over_http_refused', 'ssec_over_http_stored_nothing',
  'cors_put', 'cors_get', 'cors_get_by_other_denied', 'cors_delete', 'cors_gone',
  'revoked_key_refused', 'other_key_of_account_works',
];

describe('access rules through Debian\'s boto3', { skip: skipUnlessCi(PYTHON) }, () => {
  let world: ClientWorld;
  let result: RunResult;

  before(async () => {
    const python = assertTool(PYTHON);
    world = await startClientWorld('seedbucket-boto3-access-');
    result = await run(python, [SCRIPT], {
      env: loopbackEnv({ ...worldEnv(world), PYTHONDONTWRITEBYTECODE: '1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' }),
      cwd: world.work, timeoutMs: 240_000,
    });
  });

  after(async () => { if (world) await world.close(); });

  it('boto3_access.py ran every check, and every check passed', () => {
    const context = `exit ${result.code}\nstdout tail: ${result.stdout.slice(-1500)}\nstderr: ${result.stderr.slice(-3000)}\nhttps server: ${world.https.stderr().slice(-2000)}`;
    assertChecks(parseCheckLines(result.stdout), EXPECTED, context);
    assert.equal(result.code, 0, context);
    assert.match(result.stdout, /^boto3 1\.\d+/m);
  });

  it('the requester-paid requests were charged to B as requester, the owner\'s own to the owner', async () => {
    // get_object, and download_file (HeadObject + GetObject) with RequestPayer=requester; one listing.
    const rows = await pollUsage(world.https.dataDir, undefined, (r) => (usageRow(r, world.B.accountId, 'GetObject', 'requester')?.requests ?? 0) >= 2);
    const get = usageRow(rows, world.B.accountId, 'GetObject', 'requester');
    assert.equal(get?.requests, 2, JSON.stringify(rows));
    assert.equal(get?.bytesOut, 2 * 30000);
    assert.equal(usageRow(rows, world.B.accountId, 'ListObjectsV2', 'requester')?.requests, 1);
    assert.equal(rows.filter((r) => r.accountId === world.A.accountId && r.role === 'requester').length, 0);
    assert.ok((usageRow(rows, world.A.accountId, 'GetObject', 'owner')?.requests ?? 0) >= 1);
  });
});
