import type { CorsRule } from '../meta/types.ts';
import { S3Error } from '../s3/errors.ts';
import { S3_XMLNS, XML_DECLARATION, escapeXml, parseXml } from './xml.ts';
import type { XmlElement } from './xml.ts';

export const CORS_METHODS: readonly string[] = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
/** "You can add up to 100 rules to the configuration" (API_CORSRule). */
export const MAX_CORS_RULES = 100;
/** "The document is limited to 64 KB in size" (API_PutBucketCors); enforced by whoever reads the body. */
export const MAX_CORS_DOCUMENT_BYTES = 64 * 1024;
const MAX_ID_LENGTH = 255;
const RULE_ELEMENTS = new Set(['AllowedHeader', 'AllowedMethod', 'AllowedOrigin', 'ExposeHeader', 'ID', 'MaxAgeSeconds']);

const malformed = (): S3Error => new S3Error('MalformedXML');
const invalidRequest = (message: string): S3Error => new S3Error('InvalidRequest', message);

function countWildcards(s: string): number {
  return s.split('*').length - 1;
}

function texts(rule: XmlElement, name: string): string[] {
  return rule.children.filter((c) => c.name === name).map((c) => c.text);
}

function atMostOne(rule: XmlElement, name: string): string | undefined {
  const values = texts(rule, name);
  if (values.length > 1) throw malformed();
  return values[0];
}

function parseRule(el: XmlElement): CorsRule {
  if (el.name !== 'CORSRule') throw malformed();
  if (el.children.some((c) => !RULE_ELEMENTS.has(c.name))) throw malformed();
  const allowedOrigins = texts(el, 'AllowedOrigin');
  const allowedMethods = texts(el, 'AllowedMethod');
  const allowedHeaders = texts(el, 'AllowedHeader');
  const exposeHeaders = texts(el, 'ExposeHeader');
  const id = atMostOne(el, 'ID');
  const maxAge = atMostOne(el, 'MaxAgeSeconds');
  if (allowedOrigins.length === 0 || allowedMethods.length === 0) throw malformed();

  for (const m of allowedMethods) {
    if (!CORS_METHODS.includes(m)) throw invalidRequest(`Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
  }
  for (const o of allowedOrigins) {
    if (countWildcards(o) > 1) throw invalidRequest(`AllowedOrigin "${o}" can not have more than one wildcard.`);
  }
  for (const h of allowedHeaders) {
    if (countWildcards(h) > 1) throw invalidRequest(`AllowedHeader "${h}" can not have more than one wildcard.`);
  }
  for (const h of exposeHeaders) {
    if (h.includes('*')) {
      throw invalidRequest(`ExposeHeader "${h}" contains wildcard. We currently do not support wildcard for ExposeHeader.`);
    }
  }
  if (id !== undefined && id.length > MAX_ID_LENGTH) {
    throw new S3Error('InvalidArgument', `ID length should not exceed allowed limit of ${MAX_ID_LENGTH}`);
  }
  let maxAgeSeconds: number | undefined;
  if (maxAge !== undefined) {
    // xsd:int; a negative age has no meaning to a browser, so it is refused with the schema errors.
    if (!/^[0-9]+$/.test(maxAge) || Number(maxAge) > 2 ** 31 - 1) throw malformed();
    maxAgeSeconds = Number(maxAge);
  }
  const rule: CorsRule = { allowedOrigins, allowedMethods, allowedHeaders, exposeHeaders };
  if (id !== undefined) rule.id = id;
  if (maxAgeSeconds !== undefined) rule.maxAgeSeconds = maxAgeSeconds;
  return rule;
}

/**
 * PutBucketCors body → rules, in document order. Not XML, no rule, over 100 rules, or a rule without
 * AllowedOrigin/AllowedMethod → 400 MalformedXML; a method other than GET PUT POST DELETE HEAD, two
 * wildcards in an origin or allowed header, or a wildcard in an expose header → 400 InvalidRequest.
 */
export function parseCorsConfiguration(xml: string): CorsRule[] {
  const root = parseXml(xml);
  if (!root || root.name !== 'CORSConfiguration') throw malformed();
  if (root.children.length === 0 || root.children.length > MAX_CORS_RULES) throw malformed();
  return root.children.map(parseRule);
}

function elements(name: string, values: readonly string[]): string {
  return values.map((v) => `<${name}>${escapeXml(v)}</${name}>`).join('');
}

/** GetBucketCors body. */
export function corsConfigurationXml(rules: CorsRule[]): string {
  const body = rules.map((r) =>
    '<CORSRule>' +
    (r.id !== undefined ? `<ID>${escapeXml(r.id)}</ID>` : '') +
    elements('AllowedHeader', r.allowedHeaders) +
    elements('AllowedMethod', r.allowedMethods) +
    elements('AllowedOrigin', r.allowedOrigins) +
    elements('ExposeHeader', r.exposeHeaders) +
    (r.maxAgeSeconds !== undefined ? `<MaxAgeSeconds>${r.maxAgeSeconds}</MaxAgeSeconds>` : '') +
    '</CORSRule>').join('');
  return `${XML_DECLARATION}<CORSConfiguration xmlns="${S3_XMLNS}">${body}</CORSConfiguration>`;
}
