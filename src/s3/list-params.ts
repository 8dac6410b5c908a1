import type { RequestContext } from '../server/context.ts';
import { S3Error } from './errors.ts';

/** S3 pages at most this many entries whatever max-keys / max-uploads / max-parts asks for. */
export const LIST_CAP = 1000;

const INT_MAX = 2147483647;

/** A non-negative integer query parameter (max-keys, max-uploads, max-parts, part-number-marker). */
export function intParam(ctx: RequestContext, name: string, fallback: number): number {
  const raw = ctx.query.get(name);
  if (raw === undefined) return fallback;
  if (/^-\d+$/.test(raw)) {
    throw new S3Error('InvalidArgument', `Argument ${name} must be an integer between 0 and ${INT_MAX}`,
      { ArgumentName: name, ArgumentValue: raw });
  }
  if (!/^\d+$/.test(raw) || Number(raw) > INT_MAX) {
    throw new S3Error('InvalidArgument', `Provided ${name} not an integer or within integer range`,
      { ArgumentName: name, ArgumentValue: raw });
  }
  return Number(raw);
}

/** max-keys and friends: default and cap 1000. */
export function maxParam(ctx: RequestContext, name: string): number {
  return Math.min(intParam(ctx, name, LIST_CAP), LIST_CAP);
}

/** A parameter whose empty value means "not given" (prefix, delimiter, marker, …). */
export function optionalParam(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.query.get(name);
  return v === '' ? undefined : v;
}

const KEEP = /[A-Za-z0-9.\-*_/]/;

/**
 * S3's `encoding-type=url`: form encoding of the UTF-8 bytes (space → '+', so a literal '+' is %2B),
 * leaving '/' alone. Clients decode it with unquote_plus / decodeURIComponent after '+' → ' '.
 */
export function urlEncodeListValue(s: string): string {
  let out = '';
  for (const ch of s) {
    if (ch === ' ') out += '+';
    else if (KEEP.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export interface ListEncoding {
  /** the EncodingType element: 'url' when asked for */
  type?: 'url';
  encode(s: string): string;
}

/** encoding-type: absent, or exactly `url`; anything else → 400 InvalidArgument. */
export function encodingOf(ctx: RequestContext): ListEncoding {
  const v = ctx.query.get('encoding-type');
  if (v === undefined) return { encode: (s) => s };
  if (v !== 'url') {
    throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', { ArgumentName: 'encoding-type', ArgumentValue: v });
  }
  return { type: 'url', encode: urlEncodeListValue };
}
