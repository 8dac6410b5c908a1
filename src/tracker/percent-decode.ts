/**
 * Raw percent-decoding of query components to bytes. `info_hash` and `peer_id` are arbitrary bytes, so
 * decodeURIComponent (UTF-8) cannot be used.
 *
 * `+` decodes to a space, as in form encoding (what bittorrent-tracker and most HTTP stacks do): an
 * encoder that leaves `+` raw is as likely to mean 0x20 (Java's URLEncoder, Python's quote_plus) as
 * 0x2B, and every client tested here escapes both.
 * Raw characters above 0x7F are taken as one byte each (Node hands the request line over as latin1).
 */

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[0x41 + i] = 10 + i;
  HEX[0x61 + i] = 10 + i;
}

function hexValue(code: number): number {
  return code < 128 ? HEX[code]! : -1;
}

/** `s[start, end)` as bytes, or undefined when an escape is malformed or a character is not a byte */
export function percentDecode(s: string, start = 0, end = s.length): Buffer | undefined {
  const out = Buffer.allocUnsafe(end - start);
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 /* % */) {
      if (i + 2 >= end) return undefined;
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) return undefined;
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else if (c === 0x2b /* + */) {
      out[n++] = 0x20;
    } else if (c > 0xff) {
      return undefined;
    } else {
      out[n++] = c;
    }
  }
  return out.subarray(0, n);
}

/** percent-decoded text (latin1: one character per byte), for parameters that are plain ASCII in practice */
export function percentDecodeText(s: string, start = 0, end = s.length): string | undefined {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 || c === 0x2b) return percentDecode(s, start, end)?.toString('latin1');
  }
  return s.slice(start, end);
}

/**
 * Calls `visit(key, valueStart, valueEnd)` for each `key=value` pair of a raw query (keys are compared
 * raw: every BitTorrent parameter name is plain ASCII). A pair without `=` has an empty value.
 */
export function forEachParam(query: string, visit: (key: string, valueStart: number, valueEnd: number) => void): void {
  let pos = 0;
  const len = query.length;
  while (pos <= len) {
    let amp = query.indexOf('&', pos);
    if (amp === -1) amp = len;
    if (amp > pos) {
      const eq = query.indexOf('=', pos);
      if (eq === -1 || eq > amp) visit(query.slice(pos, amp), amp, amp);
      else visit(query.slice(pos, eq), eq + 1, amp);
    }
    pos = amp + 1;
  }
}
