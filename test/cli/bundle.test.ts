import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { BUNDLE, buildBundle, bundleIsFresh } from '../../scripts/bundle.js';

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };

describe('the server bundle (bin/seedbucket.js runs dist/, not the sources through tsx)', () => {
  // Next to the real bundle, so it finds ../package.json the same way.
  const file = path.join(path.dirname(BUNDLE), `bundle-test-${process.pid}.js`);
  after(() => rmSync(file, { force: true }));

  it('builds a file plain node runs, stamped with a hash of the sources it was built from', async () => {
    await buildBundle(file);
    assert.match(readFileSync(file, 'utf8').split('\n')[0]!, /^\/\/ seedbucket bundle of [0-9a-f]{64}$/);
    assert.equal(bundleIsFresh(file), true);
    const { stdout } = await run(process.execPath, [file, '--version']);
    assert.equal(stdout.trim(), pkg.version);
  });

  it('counts as stale when built from other sources, or missing', () => {
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/^\/\/ seedbucket bundle of [0-9a-f]{64}/, `// seedbucket bundle of ${'0'.repeat(64)}`));
    assert.equal(bundleIsFresh(file), false);
    rmSync(file);
    assert.equal(bundleIsFresh(file), false);
  });

  it('is what the seedbucket command runs', async () => {
    const { stdout } = await run(process.execPath, [path.resolve(import.meta.dirname, '../../bin/seedbucket.js'), '--version']);
    assert.equal(stdout.trim(), pkg.version);
    assert.equal(bundleIsFresh(), true);
  });
});
