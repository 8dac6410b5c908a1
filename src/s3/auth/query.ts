import { canonicalQueryComponent, percentDecode } from './uri-encoding.ts';

export interface RawQueryParam { rawName: string; rawValue: string }

/** Splits on '&' and the first '='; `?uploads` gives value ''. Empty segments are dropped. */
export function splitQuery(rawQuery: string): RawQueryParam[] {
  const params: RawQueryParam[] = [];
  if (rawQuery === '') return params;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    params.push(eq === -1 ? { rawName: part, rawValue: '' } : { rawName: part.slice(0, eq), rawValue: part.slice(eq + 1) });
  }
  return params;
}

/** Percent-decoded (UTF-8) name → all values, for reading the X-Amz-* auth parameters. */
export function decodedQuery(rawQuery: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const { rawName, rawValue } of splitQuery(rawQuery)) {
    const name = percentDecode(rawName, true).toString('utf8');
    const value = percentDecode(rawValue, true).toString('utf8');
    const list = map.get(name);
    if (list) list.push(value);
    else map.set(name, [value]);
  }
  return map;
}

/**
 * SigV4 canonical query string: each name and value decoded ('+' as a space) and strictly re-encoded, sorted by
 * name then value (byte order of the encoded form), `name=value` joined with '&'.
 * `exclude` drops a parameter by name (X-Amz-Signature for presigned URLs).
 */
export function canonicalQuery(rawQuery: string, exclude?: string): string {
  const pairs: Array<[string, string]> = [];
  for (const { rawName, rawValue } of splitQuery(rawQuery)) {
    const name = canonicalQueryComponent(rawName);
    if (name === exclude) continue;
    pairs.push([name, canonicalQueryComponent(rawValue)]);
  }
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join('&');
}
