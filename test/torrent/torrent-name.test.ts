import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torrentName } from '../../src/torrent/torrent-name.ts';

const long = 'x'.repeat(1020) + '.bin';

const table: Array<[string, string]> = [
  ['a/b/c.txt', 'c.txt'],
  ['c.txt', 'c.txt'],
  ['dir/', 'dir'],
  ['dir//', 'dir'],
  ['../..', 'object'],
  ['a/..', 'object'],
  ['.', 'object'],
  ['a/.hidden', '.hidden'],
  ['a\\b', 'a_b'],
  ['CON', '_CON'],
  ['con.txt', '_con.txt'],
  ['nul', '_nul'],
  ['Com1.tar.gz', '_Com1.tar.gz'],
  ['LPT9', '_LPT9'],
  ['lpt¹', '_lpt¹'],
  ['CONSOLE', 'CONSOLE'],
  ['com10', 'com10'],
  ['x\u0000y', 'x_y'],
  ['tab\there\nnl\u007f\u0085', 'tab_here_nl__'],
  ['emoji 😀.bin', 'emoji 😀.bin'],
  ['trailing. . ', 'trailing'],
  ['spaces  ', 'spaces'],
  ['///', 'object'],
  ['', 'object'],
  ['lone \ud800 surrogate', 'lone _ surrogate'],
  ['日本語/ファイル.txt', 'ファイル.txt'],
  ['invoice\u202Efdp.exe', 'invoice_fdp.exe'],
  ['a\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069b', 'a__________b'],
];

test('torrentName: table of nasty keys', () => {
  for (const [key, expected] of table) assert.equal(torrentName(key), expected, JSON.stringify(key));
});

test('torrentName: 1024-byte key keeps ≤ 240 bytes and its extension', () => {
  const name = torrentName(long);
  assert.equal(Buffer.byteLength(name), 240);
  assert.ok(name.endsWith('.bin'));
});

test('torrentName: truncates on code-point boundaries', () => {
  for (const unit of ['é', '日', '😀']) {
    for (const ext of ['', '.mp4', '.' + 'e'.repeat(60)]) {
      const name = torrentName(unit.repeat(300) + ext);
      assert.ok(Buffer.byteLength(name) <= 240, name);
      assert.ok(!name.includes('\ufffd'));
      assert.equal(Buffer.from(name, 'utf8').toString('utf8'), name);
      if (ext === '.mp4') assert.ok(name.endsWith('.mp4'));
    }
  }
  // a truncation that would end in dots/spaces does not
  assert.ok(!/[. ]$/.test(torrentName('a'.repeat(254) + '. . . . b')));
});

test('torrentName: invariants over random keys', () => {
  const alphabet = ['a', '/', '\\', '.', ' ', '\u0000', '\u001f', 'é', '😀', 'CON', 'nul', '..', ':', '\ud800'];
  for (let i = 0; i < 3000; i++) {
    let key = '';
    const len = Math.floor(Math.random() * 12);
    for (let j = 0; j < len; j++) key += alphabet[Math.floor(Math.random() * alphabet.length)];
    if (i % 100 === 0) key = key.repeat(100);
    const name = torrentName(key);
    const what = JSON.stringify(key);
    assert.ok(name.length > 0, what);
    assert.ok(!/[/\\\u0000-\u001f\u007f]/.test(name), what);
    assert.ok(name !== '.' && name !== '..', what);
    assert.ok(!/[. ]$/.test(name), what);
    assert.ok(!/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\s*\..*)?$/i.test(name), what);
    assert.ok(Buffer.byteLength(name) <= 240, what);
    assert.equal(Buffer.from(name, 'utf8').toString('utf8'), name, `${what}: not well-formed UTF-16`);
  }
});
