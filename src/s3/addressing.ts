import { S3Error } from './errors.ts';
import type { Target } from './router.ts';

export interface Address {
  target: Target;
  bucket?: string;
  key?: string;
  virtualHost: boolean;
}

/** Percent-decode a raw path piece. '+' stays '+': S3 paths are not form-encoded. */
function decodePath(raw: string): string {
  let s: string;
  try {
    s = decodeURIComponent(raw);
  } catch {
    throw new S3Error('InvalidArgument', 'The request path is not valid percent-encoded UTF-8.');
  }
  return s;
}

/**
 * Bucket and key from the Host header and raw path. Virtual-hosted style when the host is
 * `<bucket>.<domain>`; otherwise path style `/<bucket>/<key>`. The key keeps every byte of the path
 * after the bucket's slash: `//`, `../` and trailing slashes are part of it.
 */
export function resolveAddress(host: string | undefined, rawPath: string, domain: string | undefined): Address {
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (domain && hostname.endsWith(`.${domain.toLowerCase()}`)) {
    const bucket = hostname.slice(0, -(domain.length + 1));
    const rest = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
    if (rest === '') return { target: 'bucket', bucket, virtualHost: true };
    return { target: 'object', bucket, key: checkKey(decodePath(rest)), virtualHost: true };
  }
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  if (path === '') return { target: 'service', virtualHost: false };
  const slash = path.indexOf('/');
  if (slash === -1) return { target: 'bucket', bucket: decodePath(path), virtualHost: false };
  const bucket = decodePath(path.slice(0, slash));
  const rawKey = path.slice(slash + 1);
  if (rawKey === '') return { target: 'bucket', bucket, virtualHost: false };
  return { target: 'object', bucket, key: checkKey(decodePath(rawKey)), virtualHost: false };
}

function checkKey(key: string): string {
  if (Buffer.byteLength(key, 'utf8') > 1024) throw new S3Error('KeyTooLongError');
  // A lone surrogate cannot be stored as UTF-8 and would not round-trip.
  if (!key.isWellFormed()) throw new S3Error('InvalidArgument', 'Object keys must be valid UTF-8.');
  return key;
}

/** Query string → map of decoded names and values; a bare `?torrent` has the value ''. */
export function parseQuery(rawQuery: string): Map<string, string> {
  const q = new Map<string, string>();
  if (rawQuery === '') return q;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    try {
      q.set(decodeURIComponent(name.replace(/\+/g, '%20')), decodeURIComponent(value.replace(/\+/g, '%20')));
    } catch {
      throw new S3Error('InvalidArgument', 'The query string is not valid percent-encoded UTF-8.');
    }
  }
  return q;
}
