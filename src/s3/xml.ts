import { XMLParser } from 'fast-xml-parser';
import { S3Error } from './errors.ts';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function escapeXml(s: string): string {
  return s.replace(/[<>&"'\r\n\t]|[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => {
    switch (c) {
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '&': return '&amp;';
      case '"': return '&quot;';
      case "'": return '&apos;';
      default: return `&#x${c.charCodeAt(0).toString(16).toUpperCase()};`;
    }
  });
}

export type XmlValue = string | number | boolean | undefined | null | XmlNode | XmlValue[];
export interface XmlNode { [name: string]: XmlValue }

function render(name: string, v: XmlValue, out: string[]): void {
  if (v === undefined || v === null) return;
  if (Array.isArray(v)) {
    for (const item of v) render(name, item, out);
    return;
  }
  if (typeof v === 'object') {
    out.push(`<${name}>`);
    for (const [k, child] of Object.entries(v)) render(k, child, out);
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(String(v))}</${name}>`);
}

/** A response document: `<?xml…?><Root xmlns="…">children</Root>`. Arrays repeat their element. */
export function xmlDocument(root: string, children: XmlNode, xmlns: string | null = S3_XMLNS): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n', xmlns ? `<${root} xmlns="${xmlns}">` : `<${root}>`];
  for (const [k, v] of Object.entries(children)) render(k, v, out);
  out.push(`</${root}>`);
  return out.join('');
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: false,
  htmlEntities: true,
  removeNSPrefix: true,
  isArray: (_name, jpath) => ['CompleteMultipartUpload.Part', 'Delete.Object'].includes(String(jpath)),
});

/** Parse a request body; anything that is not well-formed XML with the expected root → 400 MalformedXML. */
export function parseXmlBody(body: string, root: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = parser.parse(body, true);
  } catch {
    throw new S3Error('MalformedXML');
  }
  const top = (doc as Record<string, unknown>)?.[root];
  if (top === undefined) throw new S3Error('MalformedXML');
  if (top === '') return {};
  if (typeof top !== 'object' || top === null) throw new S3Error('MalformedXML');
  return top as Record<string, unknown>;
}

export function errorXml(code: string, message: string, resource: string, requestId: string, details: Record<string, string>): string {
  const fields: XmlNode = { Code: code, Message: message };
  for (const [k, v] of Object.entries(details)) fields[k] = v;
  fields.Resource = resource;
  fields.RequestId = requestId;
  fields.HostId = requestId;
  return xmlDocument('Error', fields, null);
}
