/** A flag's value, else SEEDBUCKET_<NAME> from the environment (`public-url` → SEEDBUCKET_PUBLIC_URL). */
export function envDefault(name: string, value: string | undefined): string | undefined {
  if (value !== undefined) return value;
  return process.env[`SEEDBUCKET_${name.toUpperCase().replace(/-/g, '_')}`];
}

export function parseBool(v: string): boolean {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new Error(`not a boolean: ${v}`);
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, kib: 1024, m: 1e6, mb: 1e6, mib: 1024 ** 2, g: 1e9, gb: 1e9, gib: 1024 ** 3, t: 1e12, tb: 1e12, tib: 1024 ** 4 };

/** `5368709120`, `64MiB`, `5GB` → bytes */
export function parseSize(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(v.trim());
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new Error(`not a size: ${v}`);
  return Math.round(Number(m[1]) * unit);
}
