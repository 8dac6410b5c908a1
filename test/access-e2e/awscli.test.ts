// The access rules through Debian's aws CLI: awscli_access.sh (canned ACLs and grants, expected bucket
// owner, Requester Pays, SSE-C over HTTPS with --ca-bundle and refused over HTTP, CORS configuration,
// revoked keys), run against the real servers. Every check in the script compares what the CLI did with
// what it must be; this test requires each expected check to run and pass.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertTool, findTool, loopbackEnv, run, skipUnlessCi, type RunResult } from '../helpers/tools.ts';
import { assertChecks, parseCheckLines, startClientWorld, worldEnv, type ClientWorld } from './clients.ts';
import { pollUsage, usageRow } from './harness.ts';

const AWS = findTool('aws', ['--version'], 'awscli');
const SCRIPT = path.join(import.meta.dirname, 'awscli_access.sh');

const EXPECTED = [
  'create_bucket_acl_public_read', 'bucket_acl_allusers_read', 'anon_lists_public_bucket', 'put_private', 'anon_get_private_denied',
  'b_get_private_denied', 'put_authenticated_read', 'b_reads_authenticated_read', 'anon_denied_authenticated_read', 's3_cp_acl_public_read',
  'anon_reads_public_read', 'put_object_acl_grant_read_b', 'object_acl_lists_b_read', 'b_reads_after_grant', 'c_still_denied',
  'b_cannot_read_acl', 'c_cannot_write_acl', 'anon_cannot_put',
  'expected_owner_match', 'expected_owner_match_by_b', 'expected_owner_mismatch', 'expected_owner_mismatch_get', 'expected_owner_malformed',
  'expected_owner_mismatch_put', 'expected_owner_refused_put_stored_nothing',
  'rp_create_bucket', 'rp_put_object', 'rp_enable', 'rp_get_payment', 'rp_b_put_payment_denied', 'rp_without_header_denied',
  'rp_with_header_charged', 'rp_s3_cp_request_payer', 'rp_owner_not_charged', 'rp_anonymous_denied',
  'ssec_create_bucket', 'ssec_s3_cp_upload_multipart', 'ssec_s3_cp_download', 'ssec_head_with_key', 'ssec_put_single', 'ssec_ranged_get',
  'ssec_ranged_get_across_parts', 'ssec_get_missing_key', 'ssec_get_wrong_key', 'ssec_head_missing_key', 'ssec_head_wrong_key',
  'ssec_copy_object_rekey', 'ssec_copy_reads_with_new_key', 'ssec_copy_old_key_refused', 'ssec_copy_without_source_key',
  'http_create_bucket', 'ssec_over_http_refused', 'ssec_over_http_stored_nothing',
  'cors_create_bucket', 'cors_put', 'cors_get', 'cors_put_by_other_denied', 'cors_delete', 'cors_gone',
  'revoked_key_refused', 'other_key_of_account_works',
];

describe('access rules through Debian\'s aws CLI', { skip: skipUnlessCi(AWS) }, () => {
  let world: ClientWorld;
  let result: RunResult;

  before(async () => {
    const aws = assertTool(AWS);
    world = await startClientWorld('seedbucket-awscli-access-');
    result = await run('/bin/bash', [SCRIPT], { env: loopbackEnv({ AWS_BIN: aws, ...worldEnv(world) }), cwd: world.work, timeoutMs: 240_000 });
  });

  after(async () => { if (world) await world.close(); });

  it('awscli_access.sh ran every check, and every check passed', () => {
    const context = `exit ${result.code}\nstderr: ${result.stderr.slice(-3000)}\nhttps server: ${world.https.stderr().slice(-2000)}`;
    assertChecks(parseCheckLines(result.stdout), EXPECTED, context);
    assert.equal(result.code, 0, context);
  });

  it('the requester-paid downloads were charged to B as requester', async () => {
    // s3api get-object and s3 cp (HeadObject + GetObject) with --request-payer requester.
    const rows = await pollUsage(world.https.dataDir, world.B.accountId, (r) => (usageRow(r, world.B.accountId, 'GetObject', 'requester')?.requests ?? 0) >= 2);
    const get = usageRow(rows, world.B.accountId, 'GetObject', 'requester');
    assert.equal(get?.requests, 2, JSON.stringify(rows));
    assert.equal(get?.bytesOut, 2 * 20000);
    assert.equal(usageRow(rows, world.B.accountId, 'HeadObject', 'requester')?.requests, 1, JSON.stringify(rows));
  });
});
