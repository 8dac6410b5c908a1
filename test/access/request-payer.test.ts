import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRequestPayment, requestPaymentXml, whoPays } from '../../src/access/request-payer.ts';
import type { Caller } from '../../src/access/principal.ts';
import { cid, s3Error } from './helpers.ts';

const OWNER_ACCOUNT = '111111111111';
const owner: Caller = { accountId: OWNER_ACCOUNT, canonicalUserId: cid('1'), accessKeyId: 'AK1' };
const other: Caller = { accountId: '222222222222', canonicalUserId: cid('2'), accessKeyId: 'AK2' };

describe('whoPays', () => {
  // [bucket setting, caller, header, expected]
  const table: ['BucketOwner' | 'Requester', string, Caller, string | undefined, { payer: 'owner' | 'requester'; charged: boolean } | 'denied'][] = [
    ['BucketOwner', 'owner', owner, undefined, { payer: 'owner', charged: false }],
    ['BucketOwner', 'owner', owner, 'requester', { payer: 'owner', charged: false }],
    ['BucketOwner', 'other', other, undefined, { payer: 'owner', charged: false }],
    ['BucketOwner', 'other', other, 'requester', { payer: 'owner', charged: false }],
    ['BucketOwner', 'anonymous', null, undefined, { payer: 'owner', charged: false }],
    ['BucketOwner', 'anonymous', null, 'requester', { payer: 'owner', charged: false }],
    ['Requester', 'owner', owner, undefined, { payer: 'owner', charged: false }],
    ['Requester', 'owner', owner, 'requester', { payer: 'owner', charged: false }],
    ['Requester', 'other', other, undefined, 'denied'],
    ['Requester', 'other', other, 'requester', { payer: 'requester', charged: true }],
    ['Requester', 'other', other, 'Requester', { payer: 'requester', charged: true }],
    ['Requester', 'other', other, 'BucketOwner', 'denied'],
    ['Requester', 'other', other, '', 'denied'],
    ['Requester', 'anonymous', null, undefined, 'denied'],
    ['Requester', 'anonymous', null, 'requester', 'denied'],
  ];
  for (const [setting, callerName, caller, headerValue, expected] of table) {
    it(`${setting} bucket, ${callerName}, header ${JSON.stringify(headerValue)} → ${JSON.stringify(expected)}`, () => {
      if (expected === 'denied') {
        assert.throws(() => whoPays(setting, caller, OWNER_ACCOUNT, headerValue), s3Error('AccessDenied'));
      } else {
        assert.deepEqual(whoPays(setting, caller, OWNER_ACCOUNT, headerValue), expected);
      }
    });
  }
});

describe('RequestPaymentConfiguration', () => {
  it('round trips both payers', () => {
    for (const payer of ['BucketOwner', 'Requester'] as const) {
      assert.equal(parseRequestPayment(requestPaymentXml(payer)), payer);
    }
  });

  it('serialises as S3 does', () => {
    assert.equal(requestPaymentXml('Requester'),
      '<?xml version="1.0" encoding="UTF-8"?>\n<RequestPaymentConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Payer>Requester</Payer></RequestPaymentConfiguration>');
  });

  it('accepts the document without namespace and with whitespace', () => {
    assert.equal(parseRequestPayment('<RequestPaymentConfiguration>\n  <Payer> Requester </Payer>\n</RequestPaymentConfiguration>'), 'Requester');
  });

  for (const bad of [
    '<RequestPaymentConfiguration><Payer>Someone</Payer></RequestPaymentConfiguration>',
    '<RequestPaymentConfiguration><Payer>requester</Payer></RequestPaymentConfiguration>',
    '<RequestPaymentConfiguration></RequestPaymentConfiguration>',
    '<RequestPaymentConfiguration><Payer>Requester</Payer><Payer>Requester</Payer></RequestPaymentConfiguration>',
    '<RequestPaymentConfiguration><Payer>Requester</Payer><Extra/></RequestPaymentConfiguration>',
    '<Other><Payer>Requester</Payer></Other>',
    '<RequestPaymentConfiguration><Payer>Requester</Payer>',
    '',
  ]) {
    it(`MalformedXML: ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseRequestPayment(bad), s3Error('MalformedXML'));
    });
  }
});
