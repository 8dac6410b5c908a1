#!/usr/bin/env node
// Runs dist/seedbucket.js, the bundle of src/ (scripts/bundle.js says why), rebuilding it first when the
// sources changed. Where it cannot be built (a read-only install), the sources run through tsx instead.
import { BUNDLE, buildBundle, bundleIsFresh } from '../scripts/bundle.js';

let entry = BUNDLE;
if (!bundleIsFresh()) {
  try {
    await buildBundle();
  } catch (err) {
    process.stderr.write(`seedbucket: cannot build ${BUNDLE} (${err instanceof Error ? err.message : String(err)}); running the sources through tsx\n`);
    const { register } = await import('tsx/esm/api');
    register();
    entry = new URL('../src/cli/main.ts', import.meta.url).pathname;
  }
}
await import(entry);
