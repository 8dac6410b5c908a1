// Bundles src/ into one ESM file that plain node runs. The server runs this bundle, not the sources
// through tsx: tsx keeps a module-loader thread alive for the life of the process, about 40 MB of RSS.
// Built by `npm install` (prepare) and again by bin/seedbucket.js whenever the sources differ from
// those it was built from (a hash of their contents, not mtimes: a checkout or copy can keep old mtimes).
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
export const BUNDLE = path.join(root, 'dist', 'seedbucket.js');
const INPUTS = ['src', 'package.json', 'tsconfig.json', path.relative(root, import.meta.filename)];

function hashInputs() {
  const h = createHash('sha256');
  const add = (rel) => {
    const abs = path.join(root, rel);
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      h.update(`${rel}\0`).update(readFileSync(abs)).update('\0');
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) add(path.join(rel, e.name));
  };
  for (const rel of INPUTS) add(rel);
  return h.digest('hex');
}

const banner = (hash) => `// seedbucket bundle of ${hash}`;

function firstLine(file) {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(128);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split('\n')[0];
  } finally {
    closeSync(fd);
  }
}

export function bundleIsFresh(file = BUNDLE) {
  try {
    return firstLine(file) === banner(hashInputs());
  } catch {
    return false;
  }
}

/** Builds the bundle; several processes may race here, so each writes its own file and renames it into place. */
export async function buildBundle(file = BUNDLE) {
  const esbuild = await import('esbuild');
  const tmp = `${file}.${process.pid}.tmp`;
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    await esbuild.build({
      entryPoints: [path.join(root, 'src', 'cli', 'main.ts')],
      outfile: tmp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      banner: { js: banner(hashInputs()) },
      logLevel: 'error',
    });
    renameSync(tmp, file);
  } finally {
    rmSync(tmp, { force: true });
    await esbuild.stop();
  }
}

if (import.meta.filename === process.argv[1]) await buildBundle();
