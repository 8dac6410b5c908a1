import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CorsRule } from '../../src/meta/types.ts';
import {
  corsConfigurationXml, corsHeaders, corsPreflightRefusal, evaluateCors, matchCors, parseCorsConfiguration,
  requestHeaderList, wildcardMatch,
} from '../../src/access/cors.ts';
import { s3Error } from './helpers.ts';

const rule = (r: Partial<CorsRule> & Pick<CorsRule, 'allowedOrigins' | 'allowedMethods'>): CorsRule =>
  ({ allowedHeaders: [], exposeHeaders: [], ...r });
const doc = (rules: string): string => `<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules}</CORSConfiguration>`;
const MINIMAL = '<AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod>';

describe('parseCorsConfiguration / corsConfigurationXml', () => {
  it('parses the documented sample shape, rules in order', () => {
    const xml = doc(
      '<CORSRule><AllowedOrigin>http://www.example.com</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>' +
      '<AllowedMethod>DELETE</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>3000</MaxAgeSeconds>' +
      '<ExposeHeader>x-amz-server-side-encryption</ExposeHeader><ExposeHeader>ETag</ExposeHeader><ID>rule-1</ID></CORSRule>' +
      '<CORSRule>\n  <AllowedOrigin>*</AllowedOrigin>\n  <AllowedMethod>GET</AllowedMethod>\n</CORSRule>');
    assert.deepEqual(parseCorsConfiguration(xml), [
      {
        id: 'rule-1', allowedOrigins: ['http://www.example.com'], allowedMethods: ['PUT', 'POST', 'DELETE'], allowedHeaders: ['*'],
        exposeHeaders: ['x-amz-server-side-encryption', 'ETag'], maxAgeSeconds: 3000,
      },
      { allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: [], exposeHeaders: [] },
    ]);
  });

  it('round trips, escaping text', () => {
    const rules: CorsRule[] = [
      rule({ id: 'a<&>"\'', allowedOrigins: ['https://*.example.com', ''], allowedMethods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
        allowedHeaders: ['x-amz-*', 'Authorization'], exposeHeaders: ['Content-Range', 'Content-Length', 'ETag', 'Accept-Ranges'], maxAgeSeconds: 0 }),
      rule({ allowedOrigins: ['*'], allowedMethods: ['GET'] }),
    ];
    const xml = corsConfigurationXml(rules);
    assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><CORSRule><ID>a&lt;&amp;&gt;&quot;&apos;</ID>'));
    assert.deepEqual(parseCorsConfiguration(xml), rules);
  });

  it('100 rules are accepted, 101 are MalformedXML', () => {
    const one = `<CORSRule>${MINIMAL}</CORSRule>`;
    assert.equal(parseCorsConfiguration(doc(one.repeat(100))).length, 100);
    assert.throws(() => parseCorsConfiguration(doc(one.repeat(101))), s3Error('MalformedXML'));
  });

  const malformed: [string, string][] = [
    ['not XML', 'nope'],
    ['unclosed', doc(`<CORSRule>${MINIMAL}`)],
    ['wrong root', `<CORS><CORSRule>${MINIMAL}</CORSRule></CORS>`],
    ['no rules', doc('')],
    ['empty rule', doc('<CORSRule/>')],
    ['no AllowedOrigin', doc('<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>')],
    ['no AllowedMethod', doc('<CORSRule><AllowedOrigin>*</AllowedOrigin></CORSRule>')],
    ['unknown element in a rule', doc(`<CORSRule>${MINIMAL}<Foo>1</Foo></CORSRule>`)],
    ['unknown element beside rules', doc(`<CORSRule>${MINIMAL}</CORSRule><Rule/>`)],
    ['two MaxAgeSeconds', doc(`<CORSRule>${MINIMAL}<MaxAgeSeconds>1</MaxAgeSeconds><MaxAgeSeconds>2</MaxAgeSeconds></CORSRule>`)],
    ['two IDs', doc(`<CORSRule>${MINIMAL}<ID>a</ID><ID>b</ID></CORSRule>`)],
    ['MaxAgeSeconds not a number', doc(`<CORSRule>${MINIMAL}<MaxAgeSeconds>soon</MaxAgeSeconds></CORSRule>`)],
    ['MaxAgeSeconds negative', doc(`<CORSRule>${MINIMAL}<MaxAgeSeconds>-1</MaxAgeSeconds></CORSRule>`)],
    ['MaxAgeSeconds past xsd:int', doc(`<CORSRule>${MINIMAL}<MaxAgeSeconds>2147483648</MaxAgeSeconds></CORSRule>`)],
  ];
  for (const [name, xml] of malformed) {
    it(`${name} → MalformedXML`, () => assert.throws(() => parseCorsConfiguration(xml), s3Error('MalformedXML')));
  }

  for (const method of ['OPTIONS', 'PATCH', 'get', '*', '']) {
    it(`AllowedMethod ${JSON.stringify(method)} → InvalidRequest`, () => {
      assert.throws(() => parseCorsConfiguration(doc(`<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>${method}</AllowedMethod></CORSRule>`)),
        s3Error('InvalidRequest', `Found unsupported HTTP method in CORS config. Unsupported method is ${method}`));
    });
  }

  it('two wildcards in an origin or allowed header, or any in an expose header → InvalidRequest', () => {
    assert.throws(() => parseCorsConfiguration(doc('<CORSRule><AllowedOrigin>*example*.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>')),
      s3Error('InvalidRequest', 'AllowedOrigin "*example*.com" can not have more than one wildcard.'));
    assert.throws(() => parseCorsConfiguration(doc(`<CORSRule>${MINIMAL}<AllowedHeader>x-*-*</AllowedHeader></CORSRule>`)),
      s3Error('InvalidRequest', 'AllowedHeader "x-*-*" can not have more than one wildcard.'));
    assert.throws(() => parseCorsConfiguration(doc(`<CORSRule>${MINIMAL}<ExposeHeader>*</ExposeHeader></CORSRule>`)),
      s3Error('InvalidRequest', 'ExposeHeader "*" contains wildcard. We currently do not support wildcard for ExposeHeader.'));
  });

  it('an ID over 255 characters → InvalidArgument', () => {
    assert.doesNotThrow(() => parseCorsConfiguration(doc(`<CORSRule>${MINIMAL}<ID>${'i'.repeat(255)}</ID></CORSRule>`)));
    assert.throws(() => parseCorsConfiguration(doc(`<CORSRule>${MINIMAL}<ID>${'i'.repeat(256)}</ID></CORSRule>`)), s3Error('InvalidArgument'));
  });
});

describe('wildcardMatch', () => {
  const cases: [string, string, boolean][] = [
    ['*', '', true], ['*', 'anything', true],
    ['*suffix', 'foo.suffix', true], ['*suffix', 'suffix', true], ['*suffix', 'foo.suffix.get', false],
    ['start*end', 'startend', true], ['start*end', 'start12end', true], ['start*end', '0start12end', false], ['start*end', 'startendx', false],
    ['prefix*', 'prefix', true], ['prefix*', 'prefix.suffix', true], ['prefix*', 'bla.prefix', false],
    ['ab*ba', 'aba', false], ['http://*.example.com', 'http://a.b.example.com', true], ['http://*.example.com', 'https://a.example.com', false],
    ['exact', 'exact', true], ['exact', 'Exact', false], ['a*b*c', 'abc', true], ['a*b*c', 'acb', false], ['x*ab*b', 'xab', false], ['x*ab*b', 'xabb', true],
  ];
  for (const [pattern, value, expected] of cases) {
    it(`${pattern} ~ ${JSON.stringify(value)} = ${expected}`, () => assert.equal(wildcardMatch(pattern, value), expected));
  }
});

describe('matchCors', () => {
  // The rules of ceph s3-tests' test_cors_origin_response, whose expectations hold on AWS.
  const rules: CorsRule[] = [
    rule({ allowedOrigins: ['*suffix'], allowedMethods: ['GET'] }),
    rule({ allowedOrigins: ['start*end'], allowedMethods: ['GET'] }),
    rule({ allowedOrigins: ['prefix*'], allowedMethods: ['GET'] }),
    rule({ allowedOrigins: ['*.put'], allowedMethods: ['PUT'] }),
  ];
  for (const [origin, method, expectedIndex] of [
    ['foo.suffix', 'GET', 0], ['foo.bar', 'GET', -1], ['foo.suffix.get', 'GET', -1], ['startend', 'GET', 1], ['start1end', 'GET', 1],
    ['0start12end', 'GET', -1], ['prefix', 'GET', 2], ['prefix.suffix', 'GET', 0], ['bla.prefix', 'GET', -1],
    ['foo.put', 'GET', -1], ['foo.put', 'PUT', 3], ['foo.suffix', 'PUT', -1], ['foo.suffix', 'DELETE', -1], ['foo.suffix', 'get', -1],
  ] as const) {
    it(`${origin} ${method} → rule ${expectedIndex}`, () => {
      const found = matchCors(rules, origin, method, []);
      assert.equal(found === undefined ? -1 : rules.indexOf(found), expectedIndex);
    });
  }

  it('first matching rule wins', () => {
    const a = rule({ allowedOrigins: ['*'], allowedMethods: ['GET'] });
    const b = rule({ allowedOrigins: ['https://x.example'], allowedMethods: ['GET'] });
    assert.equal(matchCors([a, b], 'https://x.example', 'GET', []), a);
    assert.equal(matchCors([b, a], 'https://x.example', 'GET', []), b);
  });

  it('preflight headers: every requested header must be allowed, case-insensitively, with wildcards', () => {
    const r = rule({ allowedOrigins: ['*'], allowedMethods: ['PUT'], allowedHeaders: ['x-amz-*', 'Content-Type'] });
    assert.equal(matchCors([r], 'o', 'PUT', ['x-amz-date', 'content-type', 'X-AMZ-Meta-Thing']), r);
    assert.equal(matchCors([r], 'o', 'PUT', ['x-amz-date', 'authorization']), undefined);
    const none = rule({ allowedOrigins: ['*'], allowedMethods: ['GET'], exposeHeaders: ['x-amz-meta-header1'] });
    assert.equal(matchCors([none], 'example.origin', 'GET', ['x-amz-meta-header2']), undefined);
    assert.equal(matchCors([none], 'example.origin', 'GET', []), none);
    const star = rule({ allowedOrigins: ['*'], allowedMethods: ['GET'], allowedHeaders: ['*'] });
    assert.equal(matchCors([star], 'o', 'GET', ['anything', 'x-amz-request-payer']), star);
  });

  it('origins are matched exactly: scheme, port and trailing slash matter', () => {
    const r = rule({ allowedOrigins: ['https://localhost:4200', 'http://*.origin.com'], allowedMethods: ['GET'] });
    assert.equal(matchCors([r], 'https://localhost:4200', 'GET', []), r);
    assert.equal(matchCors([r], 'http://localhost:4200', 'GET', []), undefined);
    assert.equal(matchCors([r], 'http://test.origin.com', 'GET', []), r);
    assert.equal(matchCors([r], 'http://test.origin.com/', 'GET', []), undefined);
  });

  it('requestHeaderList splits, trims and lower-cases', () => {
    assert.deepEqual(requestHeaderList('X-AMZ-expected-BUCKET-owner,x-amz-server-side-encryption, ,Content-Type'),
      ['x-amz-expected-bucket-owner', 'x-amz-server-side-encryption', 'content-type']);
    assert.deepEqual(requestHeaderList(undefined), []);
  });
});

describe('corsHeaders', () => {
  const exposed = ['Content-Range', 'Content-Length', 'ETag', 'Accept-Ranges'];

  it('a specific origin is echoed with credentials; the requested headers answered lower-case on a preflight', () => {
    const r = rule({ allowedOrigins: ['https://app.example'], allowedMethods: ['GET', 'HEAD'], allowedHeaders: ['*'], exposeHeaders: exposed, maxAgeSeconds: 3000 });
    assert.deepEqual(corsHeaders(r, 'https://app.example', true, ['Range', 'x-amz-date']), {
      'Access-Control-Allow-Origin': 'https://app.example',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'GET, HEAD',
      'Access-Control-Allow-Headers': 'range, x-amz-date',
      'Access-Control-Expose-Headers': 'Content-Range, Content-Length, ETag, Accept-Ranges',
      'Access-Control-Max-Age': '3000',
      'Vary': 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    });
  });

  it('a rule for every origin answers * without credentials; actual requests get no Allow-Headers', () => {
    const r = rule({ allowedOrigins: ['*'], allowedMethods: ['GET'], exposeHeaders: exposed });
    assert.deepEqual(corsHeaders(r, 'http://random:1234', false, ['range']), {
      'Access-Control-Allow-Origin': '*',
      'Access-Control-Allow-Methods': 'GET',
      'Access-Control-Expose-Headers': 'Content-Range, Content-Length, ETag, Accept-Ranges',
      'Vary': 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
    });
  });

  it('MaxAgeSeconds 0 is sent; no expose headers means no Expose-Headers', () => {
    const h = corsHeaders(rule({ allowedOrigins: ['o'], allowedMethods: ['GET'], maxAgeSeconds: 0 }), 'o', true, []);
    assert.equal(h['Access-Control-Max-Age'], '0');
    assert.equal(h['Access-Control-Expose-Headers'], undefined);
    assert.equal(h['Access-Control-Allow-Headers'], undefined);
  });
});

describe('evaluateCors', () => {
  const rules: CorsRule[] = [rule({ allowedOrigins: ['https://app.example'], allowedMethods: ['GET', 'PUT'], allowedHeaders: ['x-amz-*'], maxAgeSeconds: 60 })];
  const req = (method: string, origin?: string, acrm?: string, acrh?: string) =>
    ({ method, origin, accessControlRequestMethod: acrm, accessControlRequestHeaders: acrh });

  it('preflight allowed → headers', () => {
    const h = evaluateCors(rules, req('OPTIONS', 'https://app.example', 'PUT', 'X-Amz-Date'), 'OBJECT');
    assert.equal(h['Access-Control-Allow-Origin'], 'https://app.example');
    assert.equal(h['Access-Control-Allow-Methods'], 'GET, PUT');
    assert.equal(h['Access-Control-Allow-Headers'], 'x-amz-date');
  });

  it('preflight refused: method, origin, or header not allowed → 403 AccessForbidden', () => {
    const refused = s3Error('AccessForbidden',
      'CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource\'s CORS spec.',
      { Method: 'DELETE', ResourceType: 'OBJECT' });
    assert.throws(() => evaluateCors(rules, req('OPTIONS', 'https://app.example', 'DELETE'), 'OBJECT'), refused);
    assert.throws(() => evaluateCors(rules, req('OPTIONS', 'https://evil.example', 'GET'), 'OBJECT'), s3Error('AccessForbidden'));
    assert.throws(() => evaluateCors(rules, req('OPTIONS', 'https://app.example', 'GET', 'authorization'), 'OBJECT'), s3Error('AccessForbidden'));
    assert.throws(() => evaluateCors(rules, req('OPTIONS', 'https://app.example'), 'BUCKET'),
      s3Error('AccessForbidden', undefined, { Method: 'OPTIONS', ResourceType: 'BUCKET' }));
  });

  it('preflight without Origin → 400 BadRequest; without configuration → 403 CORS not enabled', () => {
    assert.throws(() => evaluateCors(rules, req('OPTIONS', undefined, 'GET'), 'OBJECT'),
      s3Error('BadRequest', 'Insufficient information. Origin request header needed.'));
    assert.throws(() => evaluateCors(null, req('OPTIONS', 'https://app.example', 'PUT'), 'OBJECT'),
      s3Error('AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.', { Method: 'PUT', ResourceType: 'BUCKET' }));
  });

  it('actual requests get headers when a rule matches, none otherwise, and never throw', () => {
    assert.equal(evaluateCors(rules, req('GET', 'https://app.example'), 'OBJECT')['Access-Control-Allow-Origin'], 'https://app.example');
    assert.equal(evaluateCors(rules, req('GET', 'https://app.example', undefined, 'authorization'), 'OBJECT')['Access-Control-Allow-Headers'], undefined);
    assert.deepEqual(evaluateCors(rules, req('DELETE', 'https://app.example'), 'OBJECT'), {});
    assert.deepEqual(evaluateCors(rules, req('GET', 'https://evil.example'), 'OBJECT'), {});
    assert.deepEqual(evaluateCors(rules, req('GET'), 'OBJECT'), {});
    assert.deepEqual(evaluateCors(null, req('GET', 'https://app.example'), 'OBJECT'), {});
  });

  it('on actual requests Access-Control-Request-Method stands in for the method, as S3 does', () => {
    assert.deepEqual(evaluateCors(rules, req('GET', 'https://app.example', 'DELETE'), 'OBJECT'), {});
    assert.equal(evaluateCors(rules, req('DELETE', 'https://app.example', 'GET'), 'OBJECT')['Access-Control-Allow-Methods'], 'GET, PUT');
  });

  it('corsPreflightRefusal for a missing bucket', () => {
    const e = corsPreflightRefusal('no-bucket', undefined);
    assert.equal(e.code, 'AccessForbidden');
    assert.equal(e.status, 403);
    assert.equal(e.message, 'CORSResponse: Bucket not found');
    assert.deepEqual(e.details, { Method: 'OPTIONS', ResourceType: 'BUCKET' });
  });
});
