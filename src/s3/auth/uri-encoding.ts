/** SigV4's URI encoding: every byte except A-Za-z0-9 - . _ ~ becomes %XY (upper-case hex). */

const HEX = '0123456789ABCDEF';

const UNRESERVED = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~]/.test(ch)) UNRESERVED[c] = 1;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/**
 * Percent-decodes to raw bytes; a `%` not followed by two hex digits is kept as a literal `%`.
 * `plusIsSpace`: in a query string a bare `+` means a space, as S3 (and the router's query parser)
 * read it — SDKs always send a literal plus as %2B. In a path `+` is a plus.
 * Characters above 0x7F (not possible on the wire, Node rejects them) are taken as UTF-8.
 */
export function percentDecode(s: string, plusIsSpace = false): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code === 0x2b && plusIsSpace) {
      out.push(0x20);
      continue;
    }
    if (code === 0x25 && i + 2 < s.length) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        out.push(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    if (code < 0x80) {
      out.push(code);
    } else {
      const cp = s.codePointAt(i) ?? code;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8')) out.push(b);
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(out);
}

export function uriEncode(bytes: Uint8Array, keepSlash: boolean): string {
  let out = '';
  for (const b of bytes) {
    if (UNRESERVED[b] === 1 || (keepSlash && b === 0x2f)) out += String.fromCharCode(b);
    else out += '%' + HEX[b >> 4] + HEX[b & 15];
  }
  return out;
}

/** Decode then strictly re-encode: the canonical form of a path ('/' kept, '+' literal). */
export function canonicalPath(raw: string): string {
  return uriEncode(percentDecode(raw), true);
}

/** Decode then strictly re-encode: the canonical form of a query name or value. */
export function canonicalQueryComponent(raw: string): string {
  return uriEncode(percentDecode(raw, true), false);
}
