import type { IncomingHttpHeaders } from 'node:http';

/** A request header by lower-case name; repeated headers are joined with ',' as RFC 9110 allows for lists. */
export function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}
