import type { AuthRequest } from './types.ts';
import { canonicalQuery } from './query.ts';
import { canonicalPath } from './uri-encoding.ts';

/**
 * Canonical URI candidates. S3 does not double-encode: the canonical form is the decoded path
 * re-encoded strictly ('/' kept). Some clients sign the path exactly as they sent it (e.g. a
 * lower-case escape, or a '$' left bare), so that form is tried as well.
 */
export function canonicalUris(rawPath: string): string[] {
  const path = rawPath === '' ? '/' : rawPath;
  const canonical = canonicalPath(path);
  return canonical === path ? [canonical] : [canonical, path];
}

const collapse = (v: string): string => v.trim().replace(/\s+/g, ' ');

/** Value of one signed header as SigV4 canonicalises it (several occurrences joined with ','). */
export function canonicalHeaderValue(req: AuthRequest, name: string): string {
  const lower = name.toLowerCase();
  if (req.rawHeaders) {
    const values: string[] = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]?.toLowerCase() === lower) values.push(collapse(req.rawHeaders[i + 1] ?? ''));
    }
    if (values.length > 0) return values.join(',');
  }
  const v = req.headers[lower];
  if (v === undefined) return '';
  return Array.isArray(v) ? v.map(collapse).join(',') : collapse(v);
}

export interface CanonicalParts {
  signedHeaders: readonly string[];
  payloadHash: string;
  /** query parameter left out of the canonical query (X-Amz-Signature for presigned URLs) */
  excludeParam?: string;
}

/**
 * Values of the signed `host` header to try: as sent and, when the client left out the port it connected
 * to, with that port (libtorrent's web-seed requests send `Host: 127.0.0.1` to 127.0.0.1:9000, so a
 * presigned web seed signed for `127.0.0.1:9000` would never match).
 */
function hostCandidates(req: AuthRequest): string[] {
  const sent = canonicalHeaderValue(req, 'host');
  if (sent === '' || req.localPort === undefined || /:\d+$/.test(sent)) return [sent];
  return [sent, `${sent}:${req.localPort}`];
}

/** The canonical request for each canonical-URI (and Host) candidate (usually one). */
export function canonicalRequests(req: AuthRequest, parts: CanonicalParts): string[] {
  const query = canonicalQuery(req.rawQuery, parts.excludeParam);
  const signsHost = parts.signedHeaders.some((h) => h.toLowerCase() === 'host');
  const tails = (signsHost ? hostCandidates(req) : ['']).map((host) => {
    const headerLines = parts.signedHeaders
      .map((h) => `${h}:${h.toLowerCase() === 'host' ? host : canonicalHeaderValue(req, h)}\n`).join('');
    return `${query}\n${headerLines}\n${parts.signedHeaders.join(';')}\n${parts.payloadHash}`;
  });
  return canonicalUris(req.rawPath).flatMap((uri) => tails.map((tail) => `${req.method}\n${uri}\n${tail}`));
}
