/**
 * Safe XML for e-invoices: bytes → text (BOM, declared encoding) → a tree of plain objects
 * whose element and attribute names have lost their namespace prefix (`rsm:`, `ram:`,
 * `cbc:`, a default namespace… all read the same).
 *
 * Security (DESIGN §1, issue 8): no DTD is ever processed. fast-xml-parser resolves no
 * external entity at all, and on top of that any document that carries a `<!DOCTYPE` or an
 * `<!ENTITY` declaration is refused before parsing, so neither XXE (reading a local file or
 * a URL) nor entity expansion ("billion laughs") can happen. No e-invoice syntax
 * (CII, UBL, ZUGFeRD) uses a DTD, so nothing legitimate is lost.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { AppError } from "../../errors.js";

/** An element: child elements by local name (always arrays), `#text`, attributes as `@_name`. */
export interface XNode {
  [key: string]: XNode[] | string | undefined;
}

export interface ParsedXml {
  /** Local name of the root element (`CrossIndustryInvoice`, `Invoice`, …). */
  rootName: string;
  /** Namespace URI of the root element, when declared. */
  rootNamespace: string | null;
  root: XNode;
  warnings: string[];
}

export const DTD_REFUSED = "DTD/entity declarations are not allowed";

const invalidXml = (message: string, line?: number) =>
  new AppError("invalid_input", message, [{ ...(line !== undefined ? { line } : {}), field: "XML", message }]);

/**
 * Decodes the bytes of an XML document: a BOM wins, then the `encoding` of the XML
 * declaration, then UTF-8. A declaration that names no encoding we know but starts with
 * "UTF-8" (`UTF-8-W/O-BOM`, seen in the corpus) is read as UTF-8 with a warning; a file
 * declared UTF-8 whose bytes are not UTF-8 is read as Windows-1252 with a warning (what
 * French Excel-era producers actually write).
 */
export function decodeXml(bytes: Uint8Array): { text: string; warnings: string[] } {
  const warnings: string[] = [];
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { text: utf8(bytes.subarray(3)), warnings };
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder("utf-16le").decode(bytes.subarray(2)), warnings };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder("utf-16be").decode(bytes.subarray(2)), warnings };
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 256));
  const declared = /^\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']/.exec(head)?.[1]?.trim() ?? "utf-8";
  let label = declared.toLowerCase();
  if (!isSupportedEncoding(label)) {
    if (!/^utf-?8/.test(label)) throw invalidXml(`unsupported XML encoding "${declared}"`);
    warnings.push(`the XML declares an invalid encoding "${declared}"; it was read as UTF-8`);
    label = "utf-8";
  }
  if (label === "utf-8" || label === "utf8") {
    try {
      return { text: utf8(bytes), warnings };
    } catch {
      warnings.push("the XML is declared UTF-8 but is not valid UTF-8; it was read as Windows-1252");
      return { text: decodeWith("windows-1252", bytes), warnings };
    }
  }
  return { text: decodeWith(label, bytes), warnings };
}

/**
 * Windows-1252 bytes 0x80–0x9F (€, œ, Œ, ’, …). Node's TextDecoder decodes the
 * "windows-1252" / "iso-8859-1" labels as plain Latin-1, turning "€" into U+0080.
 */
const CP1252_HIGH =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f" +
  "\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";

function decodeWith(label: string, bytes: Uint8Array): string {
  const decoder = new TextDecoder(label);
  if (decoder.encoding !== "windows-1252") return decoder.decode(bytes);
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    const chunk = bytes.subarray(i, i + 8192);
    out += String.fromCharCode(...chunk);
  }
  return out.replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] ?? c);
}

function isSupportedEncoding(label: string): boolean {
  try {
    return new TextDecoder(label).encoding !== "";
  } catch {
    return false;
  }
}

function utf8(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  removeNSPrefix: true,
  // Keep every value as written: "00123" stays an id, "123.45000" stays an exact decimal.
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  alwaysCreateTextNode: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Only the XML predefined entities and numeric character references (&#233;) are decoded;
  // with DOCTYPE refused above, no document-defined entity can exist.
  processEntities: true,
  htmlEntities: true,
  isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
});

/** The root element's qualified name and namespace declarations, read from the text. */
function rootElement(text: string): { name: string; namespace: string | null } | null {
  const m =
    /^(?:\s|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^[>]*(?:\[[\s\S]*?\])?\s*>)*<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)([^>]*)>/.exec(
      text,
    );
  if (!m?.[1]) return null;
  const qname = m[1];
  const colon = qname.indexOf(":");
  const prefix = colon >= 0 ? qname.slice(0, colon) : null;
  const local = colon >= 0 ? qname.slice(colon + 1) : qname;
  const attrs = m[2] ?? "";
  const re = prefix ? new RegExp(`xmlns:${prefix.replace(/[.-]/g, "\\$&")}\\s*=\\s*["']([^"']*)["']`) : /xmlns\s*=\s*["']([^"']*)["']/;
  return { name: local, namespace: re.exec(attrs)?.[1] ?? null };
}

/** Cheap look at the root element without a full parse (format detection). */
export function sniffRoot(bytes: Uint8Array): { name: string; namespace: string | null } | null {
  let text: string;
  try {
    text = decodeXml(bytes.subarray(0, 64 * 1024)).text;
  } catch {
    return null;
  }
  return rootElement(text.replace(/^\uFEFF/, ""));
}

/**
 * Parses an XML document safely (see the module comment). Malformed XML, a DTD or an
 * entity declaration give an AppError "invalid_input" with the line when known.
 */
export function parseXml(input: Uint8Array | string): ParsedXml {
  const decoded = typeof input === "string" ? { text: input, warnings: [] } : decodeXml(input);
  const text = decoded.text.replace(/^\uFEFF/, "").trimStart();
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw invalidXml(`${DTD_REFUSED} in an e-invoice (XML external entity protection)`);
  }
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) throw invalidXml(`malformed XML: ${valid.err.msg} (line ${valid.err.line})`, valid.err.line);
  const root = rootElement(text);
  if (!root) throw invalidXml("malformed XML: no root element");
  let tree: XNode;
  try {
    tree = parser.parse(text) as XNode;
  } catch (e) {
    throw invalidXml(`malformed XML: ${(e as Error).message}`);
  }
  const node = first(tree, root.name);
  if (!node) throw invalidXml("malformed XML: no root element");
  return { rootName: root.name, rootNamespace: root.namespace, root: node, warnings: decoded.warnings };
}

// ---- navigation over the parsed tree (local names only) -------------------------------

/** All children named `name`. */
export function all(node: XNode | undefined, name: string): XNode[] {
  const v = node?.[name];
  return Array.isArray(v) ? v : [];
}

/** First child named `name`. */
export function first(node: XNode | undefined, name: string): XNode | undefined {
  return all(node, name)[0];
}

/** Follows a path of local names, taking the first match at each step. */
export function path(node: XNode | undefined, ...names: string[]): XNode | undefined {
  let cur = node;
  for (const n of names) {
    cur = first(cur, n);
    if (!cur) return undefined;
  }
  return cur;
}

/** All nodes reached by a path, following every match at each step. */
export function pathAll(node: XNode | undefined, ...names: string[]): XNode[] {
  let cur: XNode[] = node ? [node] : [];
  for (const n of names) cur = cur.flatMap((c) => all(c, n));
  return cur;
}

/** Trimmed text of a node; null when absent or empty. Inner whitespace runs are kept. */
export function text(node: XNode | undefined): string | null {
  const t = node?.["#text"];
  if (typeof t !== "string") return null;
  const s = t.trim();
  return s === "" ? null : s;
}

export function textAt(node: XNode | undefined, ...names: string[]): string | null {
  return text(path(node, ...names));
}

export function attr(node: XNode | undefined, name: string): string | null {
  const v = node?.[`@_${name}`];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
}
