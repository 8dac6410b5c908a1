import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { EntityDecoderOptions } from 'fast-xml-parser';

/** One element of a parsed document: its local name (namespace prefix removed), attributes, children and text. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** concatenated character data directly inside the element, trimmed */
  text: string;
}

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

// Decodes the five predefined entities and character references in one pass, so `&amp;#65;` stays `&#65;`.
const decoder: EntityDecoderOptions = {
  setExternalEntities: () => {},
  addInputEntities: () => {},
  reset: () => {},
  setXmlVersion: () => {},
  decode: (text) =>
    text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, ref: string) => {
      if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
      if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
      return PREDEFINED[ref] ?? whole;
    }),
};

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  processEntities: true,
  entityDecoder: decoder,
});

const BAD_REFERENCE = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/;
const CHAR_REFERENCE = /&#(x[0-9a-fA-F]+|[0-9]+);/g;

function validCodePoint(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

function wellFormedReferences(xml: string): boolean {
  if (BAD_REFERENCE.test(xml)) return false;
  for (const m of xml.matchAll(CHAR_REFERENCE)) {
    const ref = m[1] ?? '';
    const cp = ref.startsWith('x') ? Number.parseInt(ref.slice(1), 16) : Number.parseInt(ref, 10);
    if (!validCodePoint(cp)) return false;
  }
  return true;
}

type OrderedNode = Record<string, unknown>;

function toElement(node: OrderedNode): XmlElement | undefined {
  const name = Object.keys(node).find((k) => k !== ':@' && k !== '#text');
  if (name === undefined) return undefined;
  const rawAttrs = (node[':@'] ?? {}) as Record<string, unknown>;
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(rawAttrs)) attrs[k] = String(v);
  const children: XmlElement[] = [];
  let text = '';
  for (const child of (node[name] ?? []) as OrderedNode[]) {
    if ('#text' in child) text += String(child['#text']);
    else {
      const el = toElement(child);
      if (el) children.push(el);
    }
  }
  return { name, attrs, children, text: text.trim() };
}

/**
 * Parses a request document, or returns undefined when it is not well-formed XML with one root element.
 * A document type declaration counts as malformed: S3 documents never need one and entities are an attack surface.
 */
export function parseXml(xml: string): XmlElement | undefined {
  const markupOnly = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->/g, '');
  if (/<!DOCTYPE/i.test(markupOnly) || !wellFormedReferences(markupOnly)) return undefined;
  if (!xml.trimEnd().endsWith('>')) return undefined;
  if (XMLValidator.validate(xml) !== true) return undefined;
  let top: OrderedNode[];
  try {
    top = parser.parse(xml) as OrderedNode[];
  } catch {
    return undefined;
  }
  const roots = top.map(toElement).filter((e): e is XmlElement => e !== undefined);
  if (roots.length !== 1 || top.some((n) => '#text' in n)) return undefined;
  return roots[0];
}

export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}

/** The single child of that name; undefined when absent; 'many' when repeated. */
export function onlyChild(el: XmlElement, name: string): XmlElement | undefined | 'many' {
  const found = childrenNamed(el, name);
  if (found.length > 1) return 'many';
  return found[0];
}

const ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' };

/**
 * Escapes text for element content and double-quoted attribute values. Control characters become
 * character references as S3 writes them (a reader would otherwise normalise CR away or refuse the rest).
 */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"'\u0000-\u0008\u000b\u000c\u000d\u000e-\u001f]/g,
    (c) => ESCAPES[c] ?? `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`);
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
