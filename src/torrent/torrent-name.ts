/**
 * BitTorrent `name` from an S3 key. Clients turn `name` into a file name, so it must be one safe
 * path component on every OS. Characters Windows forbids but Unix allows (`<>:"|?*`) are kept: clients
 * on Windows replace them themselves, and replacing them here would rename files for everyone else.
 */

/** below NAME_MAX (255): room for a client's partial-file suffix (Transmission `.part`); libtorrent cuts names at 240 */
const MAX_NAME_BYTES = 240;
/** an extension longer than this is not worth keeping when truncating */
const MAX_KEPT_EXTENSION_BYTES = 32;
const FALLBACK = 'object';

// C0, DEL and C1 controls, bidi overrides/isolates (a right-to-left override makes `x\u202Egpj.exe` show as
// `xexe.jpg`; libtorrent drops them), and lone UTF-16 surrogates (not encodable as UTF-8)
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\\\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
// Windows treats these as devices whatever the extension (COM¹ etc. and CONIN$/CONOUT$ included)
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\s*\..*)?$/i;
const TRAILING_DOTS_SPACES = /[. ]+$/;

export function torrentName(key: string): string {
  const segment = key.split('/').filter((s) => s !== '').at(-1) ?? '';
  let name = segment.replace(UNSAFE, '_').replace(TRAILING_DOTS_SPACES, '');
  if (name === '') return FALLBACK;
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  name = truncateUtf8(name, MAX_NAME_BYTES).replace(TRAILING_DOTS_SPACES, '');
  return name === '' ? FALLBACK : name;
}

function truncateUtf8(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot) : '';
  const extBytes = Buffer.byteLength(ext);
  if (ext !== '' && extBytes <= MAX_KEPT_EXTENSION_BYTES) {
    const stem = takeUtf8(name.slice(0, dot), maxBytes - extBytes).replace(TRAILING_DOTS_SPACES, '');
    if (stem !== '') return stem + ext;
  }
  return takeUtf8(name, maxBytes);
}

/** the longest prefix of whole code points that fits in maxBytes of UTF-8 */
function takeUtf8(s: string, maxBytes: number): string {
  let bytes = 0;
  let out = '';
  for (const cp of s) {
    const n = Buffer.byteLength(cp);
    if (bytes + n > maxBytes) break;
    bytes += n;
    out += cp;
  }
  return out;
}
