/**
 * What a `request` must satisfy before we read a byte for it. bittorrent-protocol hands requests over
 * without looking at them (stack-and-style §A.1), so index, offset and length are checked here.
 */
export interface PieceGeometry {
  length: number;
  pieceLength: number;
  pieceCount: number;
}

export function pieceSize(t: PieceGeometry, index: number): number {
  return index === t.pieceCount - 1 ? t.length - index * t.pieceLength : t.pieceLength;
}

/** undefined if the request may be served, else why not */
export function checkRequest(t: PieceGeometry, index: number, offset: number, length: number, maxLength: number): string | undefined {
  if (!Number.isInteger(index) || index < 0 || index >= t.pieceCount) return `piece ${index} out of range`;
  if (length <= 0) return 'empty request';
  if (length > maxLength) return `request of ${length} bytes`;
  if (offset < 0 || offset + length > pieceSize(t, index)) return `offset ${offset}+${length} beyond piece ${index}`;
  return undefined;
}

/** absolute byte offset of a block in the object */
export function blockStart(t: PieceGeometry, index: number, offset: number): number {
  return index * t.pieceLength + offset;
}
