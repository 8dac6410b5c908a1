import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkExpectedBucketOwner } from '../../src/access/bucket-owner.ts';
import { s3Error } from './helpers.ts';

const OWNER = '111122223333';

describe('checkExpectedBucketOwner', () => {
  it('absent → passes', () => {
    assert.doesNotThrow(() => checkExpectedBucketOwner(undefined, OWNER));
  });

  it('the owner → passes', () => {
    assert.doesNotThrow(() => checkExpectedBucketOwner(OWNER, OWNER));
  });

  it('another account → 403 AccessDenied', () => {
    assert.throws(() => checkExpectedBucketOwner('444455556666', OWNER), s3Error('AccessDenied', 'Access Denied'));
  });

  for (const bad of ['0000', '0000000000020', 'abcd', 'invalid', '', '11112222333a', ' 111122223333']) {
    it(`malformed ${JSON.stringify(bad)} → 400 InvalidBucketOwnerAWSAccountID with the value in brackets`, () => {
      assert.throws(() => checkExpectedBucketOwner(bad, OWNER), (e: unknown) => {
        s3Error('InvalidBucketOwnerAWSAccountID',
          `The value of the expected bucket owner parameter must be an AWS Account ID... [${bad}]`)(e);
        assert.equal((e as { status: number }).status, 400);
        return true;
      });
    });
  }
});
