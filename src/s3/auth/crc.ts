import * as zlib from 'node:zlib';

/** Incremental reflected CRC-32: `update(crc, bytes)` continues from a previous result (start at 0). */
export type CrcUpdate = (crc: number, data: Uint8Array) => number;

/** Slicing-by-8 over a reflected polynomial: eight table lookups per 8 input bytes. */
export function makeCrc32(reflectedPoly: number): CrcUpdate {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ reflectedPoly : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + n]!;
      t[k * 256 + n] = (prev >>> 8) ^ t[prev & 0xff]!;
    }
  }
  return (crc, data) => {
    let c = ~crc;
    let i = 0;
    const end8 = data.length - (data.length % 8);
    while (i < end8) {
      const a = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
      const b = data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24);
      c = t[1792 + (a & 0xff)]! ^ t[1536 + ((a >>> 8) & 0xff)]! ^ t[1280 + ((a >>> 16) & 0xff)]! ^ t[1024 + (a >>> 24)]!
        ^ t[768 + (b & 0xff)]! ^ t[512 + ((b >>> 8) & 0xff)]! ^ t[256 + ((b >>> 16) & 0xff)]! ^ t[b >>> 24]!;
      i += 8;
    }
    for (; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
    return ~c >>> 0;
  };
}

/** CRC-32C (Castagnoli). */
export const crc32c: CrcUpdate = makeCrc32(0x82f63b78);

/** CRC-32 (IEEE, as zlib): native zlib.crc32 where Node has it (20.15+), else the table version. */
export const crc32: CrcUpdate = typeof zlib.crc32 === 'function'
  ? (crc, data) => zlib.crc32(data, crc)
  : makeCrc32(0xedb88320);
