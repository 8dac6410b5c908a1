/**
 * Canonical bencode encoder (BEP 3): dict keys sorted by raw bytes, no duplicates, integers exact.
 * Written here rather than using the `bencode` package because that one sorts keys by UTF-16 code
 * units and cannot take binary keys in plain objects, both of which matter for `piece layers`.
 */

export type BValue = number | string | Uint8Array | Encoded | BValue[] | BDict;
/** Maps allow binary keys; in plain objects, undefined values are left out */
export type BDict = Map<string | Uint8Array, BValue> | { [key: string]: BValue | undefined };

/** an already bencoded value, embedded verbatim (so the info dict is hashed and emitted from the same bytes) */
export class Encoded {
  constructor(readonly bytes: Buffer) {}
}

export function bencode(value: BValue): Buffer {
  const out: Buffer[] = [];
  encodeInto(value, out);
  return Buffer.concat(out);
}

const D = Buffer.from('d');
const L = Buffer.from('l');
const E = Buffer.from('e');

function encodeInto(value: BValue, out: Buffer[]): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`bencode: not an exact integer: ${value}`);
    out.push(Buffer.from(`i${value}e`));
  } else if (typeof value === 'string') {
    encodeBytes(Buffer.from(value, 'utf8'), out);
  } else if (value instanceof Uint8Array) {
    encodeBytes(value, out);
  } else if (value instanceof Encoded) {
    out.push(value.bytes);
  } else if (Array.isArray(value)) {
    out.push(L);
    for (const item of value) encodeInto(item, out);
    out.push(E);
  } else if (value instanceof Map || isPlainObject(value)) {
    encodeDict(value, out);
  } else {
    throw new TypeError(`bencode: cannot encode ${Object.prototype.toString.call(value)}`);
  }
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function encodeBytes(bytes: Uint8Array, out: Buffer[]): void {
  out.push(Buffer.from(`${bytes.length}:`), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

function encodeDict(dict: BDict, out: Buffer[]): void {
  const entries: Array<[Buffer, BValue]> = [];
  const source = dict instanceof Map ? dict.entries() : Object.entries(dict);
  for (const [key, value] of source) {
    if (value === undefined) continue;
    entries.push([typeof key === 'string' ? Buffer.from(key, 'utf8') : Buffer.from(key.buffer, key.byteOffset, key.byteLength), value]);
  }
  entries.sort((a, b) => Buffer.compare(a[0], b[0]));
  out.push(D);
  entries.forEach(([key, value], i) => {
    if (i > 0 && key.equals(entries[i - 1]![0])) throw new Error(`bencode: duplicate key ${key.toString('hex')}`);
    encodeBytes(key, out);
    encodeInto(value, out);
  });
  out.push(E);
}
