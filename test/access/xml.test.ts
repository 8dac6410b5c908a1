import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeXml, parseXml } from '../../src/access/xml.ts';

describe('parseXml', () => {
  it('strips namespace prefixes, keeps attributes, trims text, decodes entities and character references once', () => {
    const el = parseXml('<?xml version="1.0"?>\n<r xmlns="urn:x" xmlns:xsi="urn:y" xsi:type="T"><a>  &lt;x&gt; &amp;#65; &#x41;&#66;  </a><b xmlns=""/></r>');
    assert.deepEqual(el, {
      name: 'r', attrs: { type: 'T' }, text: '',
      children: [{ name: 'a', attrs: {}, children: [], text: '<x> &#65; AB' }, { name: 'b', attrs: {}, children: [], text: '' }],
    });
  });

  it('reads CDATA as text and skips comments', () => {
    assert.equal(parseXml('<a><![CDATA[<&>]]><!-- & --></a>')?.text, '<&>');
  });

  for (const [name, xml] of [
    ['empty', ''], ['text', 'hello'], ['unclosed', '<a><b></a>'], ['two roots', '<a/><b/>'], ['text after the root', '<a/>x'],
    ['text before the root', 'x<a/>'], ['a DOCTYPE', '<!DOCTYPE a><a/>'], ['an unknown entity', '<a>&nbsp;</a>'],
    ['a bare ampersand', '<a>x & y</a>'], ['a NUL reference', '<a>&#0;</a>'],
  ] as const) {
    it(`refuses ${name}`, () => assert.equal(parseXml(xml), undefined));
  }
});

describe('escapeXml', () => {
  it('escapes markup characters and writes control characters as references', () => {
    assert.equal(escapeXml(`<a href="x">'&'</a>\t\n\r\u0004`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;\t\n&#xD;&#x4;');
  });

  it('round-trips through parseXml', () => {
    const s = `a<b>&c"d'e\u00e9\u{1F600}`;
    assert.equal(parseXml(`<x>${escapeXml(s)}</x>`)?.text, s);
  });
});
