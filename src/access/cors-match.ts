import type { CorsRule } from '../meta/types.ts';
import { S3Error } from '../s3/errors.ts';

/** '*' matches any run of characters, the empty one included; the rest must match exactly, whole string. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  const first = parts[0] ?? '';
  const last = parts[parts.length - 1] ?? '';
  if (parts.length === 1) return pattern === value;
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) return false;
  let at = first.length;
  const end = value.length - last.length;
  for (const middle of parts.slice(1, -1)) {
    const found = value.indexOf(middle, at);
    if (found < 0 || found + middle.length > end) return false;
    at = found + middle.length;
  }
  return true;
}

/** Access-Control-Request-Headers → lower-case names, empty list elements dropped. */
export function requestHeaderList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
}

function ruleMatches(rule: CorsRule, origin: string, method: string, requestHeaders: readonly string[]): boolean {
  if (!rule.allowedMethods.includes(method)) return false;
  if (!rule.allowedOrigins.some((o) => wildcardMatch(o, origin))) return false;
  const allowed = rule.allowedHeaders.map((h) => h.toLowerCase());
  return requestHeaders.every((h) => allowed.some((a) => wildcardMatch(a, h.trim().toLowerCase())));
}

/**
 * The first rule that allows `origin` and `method` and every name in `requestHeaders` (a preflight's
 * Access-Control-Request-Headers; [] for an actual request, whose headers S3 does not check). Origins
 * and methods match case-sensitively, header names case-insensitively; '*' is a wildcard in both.
 */
export function matchCors(rules: CorsRule[], origin: string, method: string, requestHeaders: string[]): CorsRule | undefined {
  return rules.find((r) => ruleMatches(r, origin, method, requestHeaders));
}

export const CORS_VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';

/**
 * Response headers for a matched rule, as S3 sends them: the origin echoed with Allow-Credentials, or
 * '*' without it when the rule allows every origin; the rule's methods; the requested headers, lower-cased
 * (preflight only); expose headers and max age when set; and Vary.
 */
export function corsHeaders(rule: CorsRule, origin: string, preflight: boolean, requestHeaders: string[]): Record<string, string> {
  const anyOrigin = rule.allowedOrigins.includes('*');
  const h: Record<string, string> = { 'Access-Control-Allow-Origin': anyOrigin ? '*' : origin };
  if (!anyOrigin) h['Access-Control-Allow-Credentials'] = 'true';
  h['Access-Control-Allow-Methods'] = rule.allowedMethods.join(', ');
  const requested = requestHeaders.map((x) => x.trim().toLowerCase()).filter((x) => x !== '');
  if (preflight && requested.length > 0) h['Access-Control-Allow-Headers'] = requested.join(', ');
  if (rule.exposeHeaders.length > 0) h['Access-Control-Expose-Headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) h['Access-Control-Max-Age'] = String(rule.maxAgeSeconds);
  h['Vary'] = CORS_VARY;
  return h;
}

export type CorsRefusal = 'no-origin' | 'no-bucket' | 'not-enabled' | 'not-allowed';

/**
 * The error S3 answers a refused preflight with: no Origin → 400 BadRequest; no bucket or no CORS
 * configuration → 403 AccessForbidden (ResourceType BUCKET); no rule matches → 403 AccessForbidden.
 * `requestedMethod` is Access-Control-Request-Method, 'OPTIONS' when absent.
 */
export function corsPreflightRefusal(kind: CorsRefusal, requestedMethod: string | undefined, resourceType: 'BUCKET' | 'OBJECT' = 'OBJECT'): S3Error {
  const details = (type: 'BUCKET' | 'OBJECT'): Record<string, string> => ({ Method: requestedMethod ?? 'OPTIONS', ResourceType: type });
  switch (kind) {
    case 'no-origin':
      return new S3Error('BadRequest');
    case 'no-bucket':
      return new S3Error('AccessForbidden', 'CORSResponse: Bucket not found', details('BUCKET'));
    case 'not-enabled':
      return new S3Error('AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.', details('BUCKET'));
    case 'not-allowed':
      return new S3Error('AccessForbidden', undefined, details(resourceType));
  }
}

export interface CorsRequest {
  method: string;
  origin: string | undefined;
  accessControlRequestMethod: string | undefined;
  accessControlRequestHeaders: string | undefined;
}

/**
 * S3's whole CORS decision for one request on an existing bucket (`rules` null: no configuration).
 * OPTIONS is a preflight: the headers to answer 200 with, or a thrown refusal. Any other method is an
 * actual request: the headers to add (none when nothing matches; the request itself goes ahead). S3 lets
 * Access-Control-Request-Method stand in for the method on actual requests too.
 */
export function evaluateCors(rules: CorsRule[] | null, req: CorsRequest, resourceType: 'BUCKET' | 'OBJECT'): Record<string, string> {
  const preflight = req.method === 'OPTIONS';
  if (req.origin === undefined) {
    if (preflight) throw corsPreflightRefusal('no-origin', req.accessControlRequestMethod, resourceType);
    return {};
  }
  if (rules === null) {
    if (preflight) throw corsPreflightRefusal('not-enabled', req.accessControlRequestMethod, resourceType);
    return {};
  }
  const method = req.accessControlRequestMethod ?? req.method;
  const requested = preflight ? requestHeaderList(req.accessControlRequestHeaders) : [];
  const rule = matchCors(rules, req.origin, method, requested);
  if (rule) return corsHeaders(rule, req.origin, preflight, requested);
  if (preflight) throw corsPreflightRefusal('not-allowed', req.accessControlRequestMethod, resourceType);
  return {};
}
