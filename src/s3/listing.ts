/**
 * The delimiter roll-up shared by ListObjects(V2) and ListMultipartUploads: walks items of the metadata
 * store in UTF-8 byte order and yields them, or the common prefix they roll up into, one entry each.
 * Keys under a common prefix are never loaded beyond one batch: the walk seeks past the prefix
 * (its bytes + 0xFF; UTF-8 never contains 0xFF).
 */

export type Entry<T> = { kind: 'item'; key: string; item: T } | { kind: 'prefix'; key: string };

/** Where the next batch starts: strictly after a cursor, from raw key bytes, or at the beginning. */
export type Seek<C> = { after: C } | { fromBytes: Buffer } | Record<string, never>;

export interface ListSource<T, C> {
  fetch(seek: Seek<C>, limit: number): T[];
  keyOf(item: T): string;
  cursorOf(item: T): C;
}

const MAX_BATCH = 1000;

/** The common prefix `key` rolls up into under `prefix` and `delimiter`, if any. */
export function commonPrefixOf(key: string, prefix: string, delimiter: string | undefined): string | undefined {
  if (!delimiter || !key.startsWith(prefix)) return undefined;
  const i = key.indexOf(delimiter, prefix.length);
  return i === -1 ? undefined : key.slice(0, i + delimiter.length);
}

const pastPrefix = (cp: string): Buffer => Buffer.concat([Buffer.from(cp, 'utf8'), Buffer.from([0xff])]);

/**
 * Entries after `start.cursor`. When `start.key` (the cursor's key) is itself a common prefix (a
 * NextMarker or continuation token ending a page on one), the walk skips that whole prefix; a marker
 * inside a prefix still yields the prefix, as S3 does.
 */
export function* walkEntries<T, C>(
  src: ListSource<T, C>, opts: { prefix: string; delimiter?: string; start?: { cursor: C; key?: string }; wanted: number },
): Generator<Entry<T>> {
  const { prefix, delimiter } = opts;
  let seek: Seek<C> = opts.start ? { after: opts.start.cursor } : {};
  let lastPrefix: string | undefined;
  const startKey = opts.start?.key;
  if (startKey !== undefined && commonPrefixOf(startKey, prefix, delimiter) === startKey) {
    lastPrefix = startKey;
    seek = { fromBytes: pastPrefix(lastPrefix) };
  }
  let batch = Math.max(2, Math.min(MAX_BATCH, opts.wanted + 1));
  for (;;) {
    const items = src.fetch(seek, batch);
    let inPrefix = false;
    for (const item of items) {
      const key = src.keyOf(item);
      const cp = commonPrefixOf(key, prefix, delimiter);
      inPrefix = cp !== undefined;
      if (cp === undefined) yield { kind: 'item', key, item };
      else if (cp !== lastPrefix) {
        lastPrefix = cp;
        yield { kind: 'prefix', key: cp };
      }
    }
    if (items.length < batch) return;
    const last = items[items.length - 1]!;
    seek = inPrefix ? { fromBytes: pastPrefix(lastPrefix!) } : { after: src.cursorOf(last) };
    batch = Math.min(MAX_BATCH, batch * 2);
  }
}

/** Up to `max` entries, and whether more follow (max 0 → none, not truncated, as S3 answers). */
export function takePage<T>(entries: Iterable<Entry<T>>, max: number): { page: Entry<T>[]; truncated: boolean } {
  const page: Entry<T>[] = [];
  if (max === 0) return { page, truncated: false };
  for (const e of entries) {
    if (page.length === max) return { page, truncated: true };
    page.push(e);
  }
  return { page, truncated: false };
}
