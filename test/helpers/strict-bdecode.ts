/**
 * Strict bencode decoder for tests: accepts only canonical bencode and throws on anything else
 * (unsorted or duplicate dict keys in raw byte order, leading zeros or `-0` in integers, leading zeros
 * in string lengths, truncated input, trailing data).
 *
 * Result shapes:
 * - dict       → Map<string, unknown>, keys decoded as **latin1** (one char per byte, so binary keys such
 *                as a `pieces root` survive: `Buffer.from(k, 'latin1')`); use `bkey('名前')` to look up
 *                a UTF-8 key
 * - byte string → Buffer
 * - integer    → number, or bigint beyond Number.MAX_SAFE_INTEGER
 * - list       → unknown[]
 *
 * `rawValue(buf, key)` returns the exact bytes of one top-level dict value (e.g. 'info', to hash it).
 */

export type BDecoded = number | bigint | Buffer | BDecoded[] | Map<string, BDecoded>;

const MAX_DEPTH = 512;

export function strictDecode(buf: Buffer): unknown {
  const state = { pos: 0 };
  const value = next(buf, state, 0);
  if (state.pos !== buf.length) throw new Error(`trailing data at ${state.pos}`);
  return value;
}

/** the exact encoded bytes of `key`'s value in the top-level dict `buf` (strictly decoded first) */
export function rawValue(buf: Buffer, key: string): Buffer {
  if (!(strictDecode(buf) instanceof Map)) throw new Error('not a dict');
  const wanted = Buffer.from(key, 'utf8');
  const s = { pos: 1 };
  while (buf[s.pos] !== 0x65) {
    const k = bytes(buf, s);
    const start = s.pos;
    next(buf, s, 1);
    if (k.equals(wanted)) return buf.subarray(start, s.pos);
  }
  throw new Error(`no top-level key ${JSON.stringify(key)}`);
}

/** the Map key for a UTF-8 dict key */
export function bkey(utf8: string): string {
  return Buffer.from(utf8, 'utf8').toString('latin1');
}

function next(buf: Buffer, s: { pos: number }, depth: number): BDecoded {
  if (depth > MAX_DEPTH) throw new Error('nesting too deep');
  const c = buf[s.pos];
  if (c === undefined) throw new Error(`truncated at ${s.pos}`);
  if (c === 0x69 /* i */) return integer(buf, s);
  if (c >= 0x30 && c <= 0x39) return bytes(buf, s);
  if (c === 0x6c /* l */) {
    s.pos++;
    const list: BDecoded[] = [];
    while (peek(buf, s) !== 0x65) list.push(next(buf, s, depth + 1));
    s.pos++;
    return list;
  }
  if (c === 0x64 /* d */) {
    s.pos++;
    const dict = new Map<string, BDecoded>();
    let prev: Buffer | undefined;
    while (peek(buf, s) !== 0x65) {
      const at = s.pos;
      if (!(peek(buf, s) >= 0x30 && peek(buf, s) <= 0x39)) throw new Error(`dict key is not a string at ${at}`);
      const key = bytes(buf, s);
      if (prev !== undefined) {
        const order = Buffer.compare(prev, key);
        if (order === 0) throw new Error(`duplicate dict key ${JSON.stringify(key.toString('latin1'))} at ${at}`);
        if (order > 0) throw new Error(`unsorted dict key ${JSON.stringify(key.toString('latin1'))} at ${at}`);
      }
      prev = key;
      dict.set(key.toString('latin1'), next(buf, s, depth + 1));
    }
    s.pos++;
    return dict;
  }
  throw new Error(`unexpected byte 0x${c.toString(16)} at ${s.pos}`);
}

function peek(buf: Buffer, s: { pos: number }): number {
  const c = buf[s.pos];
  if (c === undefined) throw new Error(`truncated at ${s.pos}`);
  return c;
}

function integer(buf: Buffer, s: { pos: number }): number | bigint {
  const end = buf.indexOf(0x65, s.pos + 1);
  if (end < 0) throw new Error(`truncated integer at ${s.pos}`);
  const text = buf.toString('latin1', s.pos + 1, end);
  if (!/^(0|-?[1-9][0-9]*)$/.test(text)) throw new Error(`non-canonical integer ${JSON.stringify(text)} at ${s.pos}`);
  s.pos = end + 1;
  const big = BigInt(text);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function bytes(buf: Buffer, s: { pos: number }): Buffer {
  const colon = buf.indexOf(0x3a, s.pos);
  if (colon < 0) throw new Error(`truncated string length at ${s.pos}`);
  const text = buf.toString('latin1', s.pos, colon);
  if (!/^(0|[1-9][0-9]*)$/.test(text)) throw new Error(`non-canonical string length ${JSON.stringify(text)} at ${s.pos}`);
  const length = Number(text);
  const start = colon + 1;
  if (!Number.isSafeInteger(length) || start + length > buf.length) throw new Error(`truncated string at ${s.pos}`);
  s.pos = start + length;
  return buf.subarray(start, start + length);
}
