/**
 * XML plumbing for the e-invoice readers: decode bytes, recognise the syntax from the root element, parse with
 * fast-xml-parser into a namespace-free tree, and small typed accessors over that tree.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** One element: child elements by local name (always arrays), attributes as `@_name`, text as `#text`. */
export interface XmlNode {
  readonly [key: string]: XmlNode[] | string | undefined;
}

/** Which e-invoice syntax an XML document is written in. */
export type EInvoiceSyntax = 'cii' | 'ubl';

export interface EInvoiceSniff {
  syntax: EInvoiceSyntax;
  /** The root element's local name: `CrossIndustryInvoice`, `CrossIndustryDocument` (ZUGFeRD 1.0), `Invoice`, `CreditNote`. */
  root: string;
  /** The root element's namespace URI. */
  namespace: string;
}

/** Namespaces of the roots we read, by local root name. */
const ROOTS: Readonly<Record<string, { syntax: EInvoiceSyntax; namespace: RegExp }>> = {
  CrossIndustryInvoice: { syntax: 'cii', namespace: /^urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:/ },
  CrossIndustryDocument: { syntax: 'cii', namespace: /^urn:ferd:CrossIndustryDocument:invoice:/ },
  Invoice: { syntax: 'ubl', namespace: /^urn:oasis:names:specification:ubl:schema:xsd:Invoice-2$/ },
  CreditNote: { syntax: 'ubl', namespace: /^urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2$/ },
};

/** How far into the file the root element is looked for (leading licence comments can be a few KiB long). */
const SNIFF_WINDOW = 64 * 1024;

/**
 * Decode XML bytes: a BOM decides (UTF-8, UTF-16 LE/BE); otherwise the `encoding` of the XML declaration when the
 * platform knows it (ISO-8859-x, windows-125x …); otherwise UTF-8. Invalid sequences become U+FFFD.
 */
export function decodeXml(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return new TextDecoder('utf-8').decode(bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 200));
  const declared = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase();
  if (declared && declared !== 'utf-8' && declared !== 'utf8') {
    try {
      return new TextDecoder(declared).decode(bytes);
    } catch {
      // Unknown label: fall through to UTF-8.
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}

/**
 * Whether `input` is a CII (Factur-X / ZUGFeRD 1.0 and 2.x / XRechnung CII) or UBL (XRechnung UBL, Peppol BIS)
 * invoice or credit note, judged from the root element and its namespace only (cheap; the document is not parsed).
 * `null` for anything else, including other XML and non-XML bytes.
 */
export function sniffEInvoiceXml(input: Uint8Array | string): EInvoiceSniff | null {
  const text = typeof input === 'string' ? input.slice(0, SNIFF_WINDOW) : decodeXml(input.subarray(0, SNIFF_WINDOW));
  let i = 0;
  // Skip the declaration, comments, processing instructions, a DOCTYPE and whitespace before the root.
  for (;;) {
    while (i < text.length && /\s/.test(text[i] ?? '')) i++;
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end < 0) return null;
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end < 0) return null;
      i = end + 3;
    } else if (text.startsWith('<!', i)) {
      // A DOCTYPE, possibly with an internal subset `[ … ]` that itself contains `>`.
      const gt = text.indexOf('>', i + 2);
      const bracket = text.indexOf('[', i + 2);
      const close = bracket >= 0 && (gt < 0 || bracket < gt) ? text.indexOf(']', bracket) : i;
      const end = close < 0 ? -1 : text.indexOf('>', close);
      if (end < 0) return null;
      i = end + 1;
    } else break;
  }
  if (text[i] !== '<') return null;
  const tag = /^<([A-Za-z_][\w.-]*)(?::([A-Za-z_][\w.-]*))?([^>]*)>/.exec(text.slice(i, i + 8192));
  if (!tag) return null;
  const prefix = tag[2] !== undefined ? tag[1] : undefined;
  const local = tag[2] ?? tag[1] ?? '';
  const attrs = tag[3] ?? '';
  const nsAttr = prefix ? `xmlns:${prefix}` : 'xmlns';
  const ns = new RegExp(`(?:^|\\s)${nsAttr.replace('.', '\\.')}\\s*=\\s*(["'])([^"']*)\\1`).exec(attrs)?.[2]?.trim();
  const known = ROOTS[local];
  if (!known || ns === undefined || !known.namespace.test(ns)) return null;
  return { syntax: known.syntax, root: local, namespace: ns };
}

/** Thrown when the XML is not well-formed (the message says where). */
export class XmlSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

const parser = new XMLParser({
  removeNSPrefix: true,
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  alwaysCreateTextNode: true,
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

/** Parse well-formed XML into the root element (namespace prefixes dropped). Throws `XmlSyntaxError`. */
export function parseXml(text: string): { name: string; node: XmlNode } {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new XmlSyntaxError(`${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  }
  let doc: unknown;
  try {
    doc = parser.parse(text);
  } catch (e) {
    throw new XmlSyntaxError(e instanceof Error ? e.message : String(e));
  }
  if (doc === null || typeof doc !== 'object') throw new XmlSyntaxError('the document has no root element');
  for (const [name, value] of Object.entries(doc)) {
    if (Array.isArray(value) && value.length > 0 && typeof value[0] === 'object') {
      return { name, node: value[0] as XmlNode };
    }
  }
  throw new XmlSyntaxError('the document has no root element');
}

// ---- accessors --------------------------------------------------------------------------------

/** Child elements of `node` with local name `name` (empty when absent). */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const v = node?.[name];
  return Array.isArray(v) ? v : [];
}

/** The first element at `path` (local names), following the first match at each step. */
export function child(node: XmlNode | undefined, ...path: string[]): XmlNode | undefined {
  let cur = node;
  for (const name of path) {
    cur = children(cur, name)[0];
    if (!cur) return undefined;
  }
  return cur;
}

/** Every element at `path`, following all matches at each step, in document order. */
export function all(node: XmlNode | undefined, ...path: string[]): XmlNode[] {
  let cur: XmlNode[] = node ? [node] : [];
  for (const name of path) cur = cur.flatMap((n) => children(n, name));
  return cur;
}

/** The first of several alternative paths that exists. */
export function first(node: XmlNode | undefined, ...paths: string[][]): XmlNode | undefined {
  for (const p of paths) {
    const found = child(node, ...p);
    if (found) return found;
  }
  return undefined;
}

function decodeCharRefs(s: string): string {
  return s.replace(
    /&#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}));/g,
    (m, hex: string | undefined, dec: string | undefined) => {
      const cp = hex !== undefined ? parseInt(hex, 16) : Number(dec);
      return Number.isInteger(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : m;
    },
  );
}

/** Text content, whitespace collapsed; `null` when the element is absent or empty. */
export function text(node: XmlNode | undefined): string | null {
  const raw = node?.['#text'];
  if (typeof raw !== 'string') return null;
  const s = decodeCharRefs(raw).replace(/\s+/gu, ' ').trim();
  return s.length > 0 ? s : null;
}

/** Text content with line breaks kept (runs of spaces/tabs collapsed per line, blank lines dropped). */
export function multilineText(node: XmlNode | undefined): string | null {
  const raw = node?.['#text'];
  if (typeof raw !== 'string') return null;
  const lines = decodeCharRefs(raw)
    .split(/\r?\n/)
    .map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trim())
    .filter((l) => l.length > 0);
  return lines.length > 0 ? lines.join('\n') : null;
}

/** An attribute's value (trimmed), or `null`. */
export function attr(node: XmlNode | undefined, name: string): string | null {
  const raw = node?.[`@_${name}`];
  if (typeof raw !== 'string') return null;
  const s = decodeCharRefs(raw).trim();
  return s.length > 0 ? s : null;
}

/** An XML Schema decimal (`-8.79`, `300`, `+1.5`, `.5`) as a number; `null` when absent or not a decimal. */
export function decimal(node: XmlNode | undefined): number | null {
  const s = text(node);
  if (s === null || !/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}
