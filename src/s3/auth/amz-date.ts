/** Timestamps: SigV4's ISO 8601 basic form (20130524T000000Z) and the HTTP Date header. */

const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** ms since epoch, or undefined if not a valid `yyyyMMdd'T'HHmmss'Z'` instant. */
export function parseAmzDate(s: string): number | undefined {
  const m = ISO_BASIC.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  // Date.UTC rolls 2013-02-30 over into March; a real date survives the round trip.
  return formatAmzDate(ms) === s ? ms : undefined;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** RFC 7231 / RFC 850 / asctime dates, as Date.parse understands them. */
export function parseHttpDate(s: string): number | undefined {
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}
