/**
 * A small bencode reader for the extension messages peers send us (ut_metadata requests). It decodes
 * one value from the start of a buffer and says where it ended, because a ut_metadata `data` message
 * carries raw bytes after its dict. Dict keys come back as latin1 strings. Throws on malformed input.
 */
export type BValue = number | Buffer | BValue[] | Map<string, BValue>;

const MAX_DEPTH = 16;

export function bdecodePrefix(buf: Buffer): { value: BValue; end: number } {
  const state = { pos: 0 };
  const value = next(buf, state, 0);
  return { value, end: state.pos };
}

function next(buf: Buffer, s: { pos: number }, depth: number): BValue {
  if (depth > MAX_DEPTH) throw new Error('bencode: too deep');
  const c = buf[s.pos];
  if (c === undefined) throw new Error('bencode: truncated');
  if (c === 0x69 /* i */) {
    const end = buf.indexOf(0x65 /* e */, s.pos + 1);
    if (end < 0 || end - s.pos > 20) throw new Error('bencode: bad integer');
    const text = buf.toString('latin1', s.pos + 1, end);
    if (!/^-?\d+$/.test(text)) throw new Error('bencode: bad integer');
    s.pos = end + 1;
    return Number(text);
  }
  if (c === 0x6c /* l */ || c === 0x64 /* d */) {
    s.pos++;
    const list: BValue[] = [];
    const dict = new Map<string, BValue>();
    while (buf[s.pos] !== 0x65) {
      if (buf[s.pos] === undefined) throw new Error('bencode: truncated');
      if (c === 0x6c) {
        list.push(next(buf, s, depth + 1));
      } else {
        const key = next(buf, s, depth + 1);
        if (!Buffer.isBuffer(key)) throw new Error('bencode: dict key not a string');
        dict.set(key.toString('latin1'), next(buf, s, depth + 1));
      }
    }
    s.pos++;
    return c === 0x6c ? list : dict;
  }
  if (c >= 0x30 && c <= 0x39) {
    const colon = buf.indexOf(0x3a /* : */, s.pos);
    if (colon < 0 || colon - s.pos > 10) throw new Error('bencode: bad string length');
    const len = Number(buf.toString('latin1', s.pos, colon));
    if (!Number.isSafeInteger(len) || colon + 1 + len > buf.length) throw new Error('bencode: truncated string');
    s.pos = colon + 1 + len;
    return buf.subarray(colon + 1, s.pos);
  }
  throw new Error(`bencode: unexpected byte ${c}`);
}
